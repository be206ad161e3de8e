"""Shared ground for the reliability scenarios.

Built once per session: a *season* folder (migrated DuckDB warehouse, stored payloads, three days
of history backfilled before the game day) and a *clean run* folder (a copy of the season after one
ordinary daily run of the game day, with its table fingerprints). Scenarios copy a folder and point
the settings at the copy, so each works on its own files and compares against the clean run.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.airflow_runs import load_dag, run_dag, task_states
from tests.conftest import PROJECT_ROOT
from tests.reliability import state
from tests.seasons import backfilled_history

GAME_DAY = dt.date(2025, 1, 15)
HISTORY = [GAME_DAY - dt.timedelta(days=n) for n in (3, 2, 1)]
#: sensors poke every second and give up after two (the data is there or it is not)
FAST_SENSORS = {"NBA_DEPENDENCY_POKE_SECONDS": "1", "NBA_DEPENDENCY_TIMEOUT_SECONDS": "2"}
_FOLDER_VARS = ("NBA_DATA_DIR", "NBA_DUCKDB_PATH", "NBA_PAYLOAD_ROOT", "NBA_MODEL_ROOT")
_CLEARED = ("NBA_SOURCE_MODE", "NBA_SIMULATION_IMPERFECTIONS", "NBA_WAREHOUSE_BACKEND", "NBA_DUCKDB_LOCK_WAIT_SECONDS")


def folder_env(folder: Path) -> dict[str, str]:
    """The settings that put the warehouse, payloads and models in ``folder``."""
    return {
        "NBA_DATA_DIR": str(folder),
        "NBA_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "NBA_PAYLOAD_ROOT": str(folder / "payloads"),
        "NBA_MODEL_ROOT": str(folder / "models"),
        **FAST_SENSORS,
    }


def point_at(monkeypatch: pytest.MonkeyPatch, folder: Path, **extra: str) -> None:
    """Make ``folder`` the configured warehouse for code under test (settings are re-read)."""
    from nba_pipeline.settings import get_settings

    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**folder_env(folder), **extra}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def copy_folder(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def warehouse_path(folder: Path) -> Path:
    return folder / "warehouse.duckdb"


@pytest.fixture
def use_folder() -> Iterator:
    """``use_folder(path, **env)`` points the settings at a folder for the rest of the test."""
    from nba_pipeline.settings import get_settings

    with pytest.MonkeyPatch.context() as monkeypatch:
        yield lambda folder, **extra: point_at(monkeypatch, folder, **extra)
    get_settings.cache_clear()


def without_retry_delays(dag):
    """Retries follow each other at once and sensors give up as ``FAST_SENSORS`` says (the DAG was
    parsed with the defaults): same number of attempts, no minutes of waiting in tests."""
    from airflow.sdk import BaseSensorOperator

    for task in dag.tasks:
        task.retry_delay = dt.timedelta(0)
        task.retry_exponential_backoff = 0
        if isinstance(task, BaseSensorOperator):
            task.poke_interval = float(FAST_SENSORS["NBA_DEPENDENCY_POKE_SECONDS"])
            task.timeout = float(FAST_SENSORS["NBA_DEPENDENCY_TIMEOUT_SECONDS"])
    return dag


@pytest.fixture(scope="session")
def daily_dag(airflow_db):
    """The real ``nba_daily_pipeline``, parsed once, with its retry delays set to zero."""
    return without_retry_delays(load_dag(PROJECT_ROOT / "dags", "nba_daily_pipeline"))


@pytest.fixture(scope="session")
def season(tmp_path_factory, airflow_db) -> Path:
    """A migrated warehouse with the three days before the game day backfilled (phases 1-4), one
    build for every worker of the run (``tests.seasons``)."""
    return backfilled_history(tmp_path_factory, HISTORY[0], HISTORY[-1], "reliability_history",
                              tmp_path_factory.mktemp("season"))


@dataclass(frozen=True)
class CleanRun:
    """The season after one ordinary daily run of the game day."""

    folder: Path
    run_id: str
    strict: dict[str, state.Fingerprint]
    content: dict[str, state.Fingerprint]


@pytest.fixture(scope="session")
def clean_run(season, daily_dag, tmp_path_factory) -> CleanRun:
    from nba_pipeline.settings import get_settings

    folder = copy_folder(season, tmp_path_factory.mktemp("clean") / "season")
    with pytest.MonkeyPatch.context() as monkeypatch:
        point_at(monkeypatch, folder)
        dag_run = run_dag(daily_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
        states = task_states(dag_run)
        assert dag_run.state == "success", {t: s for t, s in states.items() if s not in ("success", "skipped")}
        assert "failed" not in states.values()
    get_settings.cache_clear()
    path = warehouse_path(folder)
    return CleanRun(folder, dag_run.run_id, state.fingerprints(path), state.fingerprints(path, strict=False))


def subprocess_env(folder: Path, airflow_home: Path, **extra: str) -> dict[str, str]:
    """Environment for a separate process running a DAG: its own Airflow home, this warehouse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBA_") and not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "plugins"), str(PROJECT_ROOT)]),
        **folder_env(folder),
        **extra,
    })
    return env


def private_airflow_home(airflow_db: Path, target: Path) -> Path:
    """A copy of the session's migrated metadata DB in its own Airflow home.

    Copied through SQLite, never as a file: closing a plain file handle on the live DB drops this
    process's POSIX locks on it, so another process closing its connection then believes it is the
    last one and deletes the WAL and shared-memory files under this process's open connections (lost
    writes, then 'disk I/O error' on the next connection).
    """
    target.mkdir(parents=True)
    with closing(sqlite3.connect(airflow_db / "airflow.db")) as source, closing(
        sqlite3.connect(target / "airflow.db")
    ) as copy:
        source.backup(copy)
    return target
