"""Migrations on a half-migrated warehouse that has been *used* between migrations.

``tests/integration/test_migrations.py`` covers the empty, the pre-migration and the half-migrated
warehouse, but its half-migrated warehouses hold no rows written between two migrations. The seed
created the breaker table (migration 4) and the code wrote breaker rows before the compare-and-set
``version`` column (migration 6) existed. Those rows must keep working as breakers afterwards:
count failures, open at the threshold, admit a trial after the timeout.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from nba_pipeline.guards.breaker import Admission, State
from nba_pipeline.registry.catalog import settings_for
from nba_pipeline.registry.guard_tables import breaker_store
from nba_pipeline.schema.migrations import LEDGER_TABLE, apply_migrations, load_migrations
from nba_pipeline.schema.verify import verify_schema
from nba_pipeline.settings import MIGRATIONS_DIR

BEFORE_VERSION_COLUMN = "0005_create_prediction_worker_runs_table"
LEGACY_ROW = (
    "INSERT INTO nba_orchestration.circuit_breaker_state (processor_name, state, failure_count, success_count, "
    "opened_at, updated_at, failure_history, threshold, timeout_seconds, half_open_max_calls) "
    "VALUES (@key, @state, @failures, 0, @opened_at, @opened_at, [], 5, 1800, 1)"
)


def _migrations_up_to(last: str, folder: Path) -> Path:
    folder.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.stem <= last:
            shutil.copy(path, folder / path.name)
    return folder


def test_breaker_rows_written_before_the_version_column_keep_counting(warehouse, tmp_path):
    apply_migrations(warehouse, _migrations_up_to(BEFORE_VERSION_COLUMN, tmp_path / "early"))
    assert "version" not in {c.name for c in warehouse.table_schema("nba_orchestration.circuit_breaker_state")}
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    warehouse.execute(LEGACY_ROW, {"key": "nbac_team_boxscore", "state": "CLOSED", "failures": 2,
                                   "opened_at": long_ago})
    warehouse.execute(LEGACY_ROW, {"key": "nbac_gamebook_player_stats", "state": "OPEN", "failures": 5,
                                   "opened_at": long_ago})

    report = apply_migrations(warehouse)
    assert report.applied == [m.id for m in load_migrations() if m.id > BEFORE_VERSION_COLUMN]
    assert all(not r.drifts for r in verify_schema(warehouse))
    assert len(warehouse.query(f"SELECT id FROM {LEDGER_TABLE}")) == len(load_migrations())

    store = breaker_store(warehouse)
    settings = settings_for("nbac_team_boxscore")
    counted = [store.record_failure("nbac_team_boxscore", settings, "SourceServerError", "500").failure_count
               for _ in range(3)]
    breaker = store.read({"nbac_team_boxscore": settings})["nbac_team_boxscore"]
    assert counted == [3, 4, 5] and breaker.state is State.OPEN, "the legacy row counted every failure"

    admission, trial = store.request("nbac_gamebook_player_stats", settings_for("nbac_gamebook_player_stats"))
    assert (admission, trial.state) == (Admission.TRIAL, State.HALF_OPEN), "an old OPEN row admits its trial"
    closed = store.record_success("nbac_gamebook_player_stats", settings_for("nbac_gamebook_player_stats"))
    assert (closed.state, closed.failure_count) == (State.CLOSED, 0)
    versions = warehouse.query("SELECT processor_name, version FROM nba_orchestration.circuit_breaker_state "
                               "ORDER BY processor_name")
    assert all(row["version"] is not None and row["version"] >= 2 for row in versions), versions
    assert apply_migrations(warehouse).applied == [], "and migrating again changes nothing"
