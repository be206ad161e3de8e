"""Test setup shared by every tier.

Airflow reads its configuration when first imported, so the environment is fixed here, before any
test module imports it: a throw-away AIRFLOW_HOME (SQLite metadata DB), this project's dags/ and
plugins/, no example DAGs, and a throw-away data folder for the warehouse and payloads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="nba-pipeline-tests-"))

os.environ["AIRFLOW_HOME"] = str(_SESSION_DIR / "airflow")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(PROJECT_ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
os.environ["NBA_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ.pop("NBA_DUCKDB_PATH", None)
os.environ.pop("NBA_WAREHOUSE_BACKEND", None)
if str(PROJECT_ROOT / "plugins") not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT / "plugins"))


#: The test scopes that take minutes (``--durations``), longest first. ``make test`` hands whole
#: scopes (a module, or a class with a scope of its own) to its two workers in collection order
#: (``--no-loadscope-reorder``); collected first, these start first and the hundreds of short
#: scopes fill the gaps, instead of one long scope running alone at the end.
SLOW_SCOPES = (
    "tests/integration/test_daily_pipeline.py",
    "tests/e2e/test_celery_stack.py",
    "tests/integration/test_replay.py",
    "tests/integration/test_replay.py::TestEndOfRegularSeason",
    "tests/integration/test_daily_pipeline.py::TestBackfilledWeek",
    "tests/integration/test_prediction_workers.py",
    "tests/integration/test_replay.py::TestSameReplayTwice",
    "tests/reliability/test_warehouse_outage.py",
    "tests/reliability/test_rerun_convergence.py",
    "tests/integration/test_game_day_predictions.py",
    "tests/reliability/test_concurrency.py",
)


def _slow_rank(nodeid: str) -> int:
    """The position in :data:`SLOW_SCOPES` of the most specific scope holding the test, else last."""
    matches = [scope for scope in SLOW_SCOPES if nodeid.startswith(scope + "::")]
    return SLOW_SCOPES.index(max(matches, key=len)) if matches else len(SLOW_SCOPES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow scopes first, longest first; everything else keeps its order (the sort is stable)."""
    items.sort(key=lambda item: _slow_rank(item.nodeid))


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change NBA_* variables for one test; the cached settings are re-read before and after."""
    from nba_pipeline.settings import get_settings

    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def warehouse(tmp_path: Path, settings_env: pytest.MonkeyPatch):
    """An empty embedded warehouse in its own file, also the configured one for code under test."""
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    path = tmp_path / "warehouse.duckdb"
    settings_env.setenv("NBA_DUCKDB_PATH", str(path))
    settings_env.setenv("NBA_DATA_DIR", str(tmp_path))
    wh = DuckDBWarehouse(path, lock_wait_seconds=5)
    yield wh
    wh.close()


@pytest.fixture
def migrated_warehouse(warehouse):
    """The embedded warehouse with every migration applied."""
    from nba_pipeline.schema.migrations import apply_migrations

    apply_migrations(warehouse)
    return warehouse


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A migrated SQLite metadata DB for the session (what ``dag.test()`` needs)."""
    for command in (
        ["db", "migrate"],
        ["pools", "set", "nba_state_writes", "4", "bounds concurrent breaker and run-log writes"],
    ):
        subprocess.run(
            [sys.executable, "-m", "airflow", *command], check=True, capture_output=True, env=os.environ.copy()
        )
    return Path(os.environ["AIRFLOW_HOME"])
