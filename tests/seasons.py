"""Backfilled histories shared by the test modules that start from the same dates.

A history (``run_date`` for each date: phases 1-4, with progress rows) takes about a second per
date to build. Modules that need the same dates copy one build instead of building it again: the
build lives beside the pytest workers' own temporary folders, so every worker of a run finds it,
and a file lock makes a worker that asks while another builds wait for that build.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import hashlib
import os
import shutil
from pathlib import Path

import pytest

#: what the build sets, and what it clears so that it is the same whatever test ran before it
_SET = ("NBA_DATA_DIR", "NBA_DUCKDB_PATH", "NBA_PAYLOAD_ROOT")
_CLEARED = ("NBA_SOURCE_MODE", "NBA_SIMULATION_IMPERFECTIONS", "NBA_WAREHOUSE_BACKEND", "NBA_MODEL_ROOT")
_DONE = "complete"


def backfilled_history(
    tmp_path_factory: pytest.TempPathFactory, first: dt.date, last: dt.date, dag_run_id: str, into: Path
) -> Path:
    """Put a warehouse holding ``first``..``last`` backfilled (and its payloads) into ``into``.

    The copy is the build's files byte for byte: the payload locations recorded in its raw rows
    name the shared build, which stays in place for the whole run.
    """
    shared = tmp_path_factory.getbasetemp().parent / "histories"
    shared.mkdir(exist_ok=True)
    build = shared / f"{first.isoformat()}_{last.isoformat()}_{dag_run_id}_{_code_digest()}"
    with open(shared / f"{build.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (build / _DONE).exists():
            shutil.rmtree(build, ignore_errors=True)
            _build(build, first, last, dag_run_id)
            (build / _DONE).touch()
    shutil.copytree(build, into, dirs_exist_ok=True, ignore=shutil.ignore_patterns(_DONE))
    return into


@functools.cache
def _code_digest() -> str:
    """A digest of the package and its SQL: a run without workers puts its builds beside earlier runs'
    (pytest's base folder), where a build made by older code (fewer migrations) must not be taken."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted([*(root / "plugins").rglob("*.py"), *(root / "include" / "sql").rglob("*.sql")]):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _build(folder: Path, first: dt.date, last: dt.date, dag_run_id: str) -> None:
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    saved = {key: os.environ.get(key) for key in (*_SET, *_CLEARED)}
    for key in _CLEARED:
        os.environ.pop(key, None)
    os.environ.update({"NBA_DATA_DIR": str(folder), "NBA_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
                       "NBA_PAYLOAD_ROOT": str(folder / "payloads")})
    get_settings.cache_clear()
    try:
        with get_warehouse() as warehouse:
            apply_migrations(warehouse)
            for day in dates_between(first, last):
                outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id=dag_run_id)
                record_progress(warehouse, outcome, dag_run_id)
                assert outcome.count("failed") == 0, (day, outcome.outcome)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
