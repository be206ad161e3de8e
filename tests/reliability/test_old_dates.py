"""Rerunning an old date after newer ones loads older news: it must not roll facts back.

The schedule payload of a date covers the days around it, so a rerun of 2024-12-24 after the
season moved on to 2025-01-15 used to turn a month of Final games back into scheduled ones (218
Final → 61 in the issue's count), and a rerun of 2025-01-14 after 2025-01-15 reverted that day's
Final games. A game's status only moves forward: the rerun leaves the table as it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nba_pipeline.guards.spec import Phase, ProcessorContext, ProcessorSpec
from nba_pipeline.processors.merge import merge_rows
from nba_pipeline.registry.processors import RAW_TABLES
from nba_pipeline.scrapers.sources import SimulatedSource
from nba_pipeline.storage import PayloadStore

pytestmark = pytest.mark.integration
SCHEDULE = "nbac_schedule"


def _load(warehouse: Any, store: PayloadStore, day: dt.date) -> dict[str, Any]:
    """Fetch ``day``'s schedule as the scraper would (its own fetch moment), then load it."""
    fetched = SimulatedSource().fetch(SCHEDULE, day)
    store.store(SCHEDULE, day, fetched.body, dt.datetime.now(dt.UTC))
    spec = ProcessorSpec(SCHEDULE, Phase.RAW, run=RAW_TABLES[SCHEDULE], date_offset_days=0)
    ctx = ProcessorContext(warehouse, spec, day, backfill=True, run_id=f"r-{day}", dag_run_id="d", try_number=1)
    return spec.run(ctx).details


def _table(warehouse: Any) -> list[dict[str, Any]]:
    return warehouse.query("SELECT * EXCEPT (loaded_at, source_file_path) FROM nba_raw.nbac_schedule ORDER BY game_id")


def _finals(warehouse: Any, first: str, last: str) -> int:
    return warehouse.query(
        "SELECT COUNT(*) AS n FROM nba_raw.nbac_schedule WHERE game_status = 3 AND game_date BETWEEN @a AND @b",
        {"a": dt.date.fromisoformat(first), "b": dt.date.fromisoformat(last)},
    )[0]["n"]


def test_rerunning_old_dates_after_newer_ones_changes_no_schedule_row(migrated_warehouse, tmp_path, settings_env):
    from nba_pipeline.settings import get_settings

    settings_env.setenv("NBA_PAYLOAD_ROOT", str(tmp_path / "payloads"))
    get_settings.cache_clear()
    store = PayloadStore(str(tmp_path / "payloads"))
    for day in (dt.date(2024, 12, 24), dt.date(2025, 1, 14), dt.date(2025, 1, 15)):  # as the season went
        _load(migrated_warehouse, store, day)
    before = _table(migrated_warehouse)
    assert _finals(migrated_warehouse, "2024-12-23", "2025-01-14") > 0

    rerun_old = _load(migrated_warehouse, store, dt.date(2024, 12, 24))
    rerun_recent = _load(migrated_warehouse, store, dt.date(2025, 1, 14))
    assert _table(migrated_warehouse) == before, "no fact moved back"
    # the old payloads knew these games only as scheduled: each is a stale row, counted
    assert rerun_old["rows_stale"] == _finals(migrated_warehouse, "2024-12-24", "2025-01-14")
    assert rerun_recent["rows_stale"] == _finals(migrated_warehouse, "2025-01-14", "2025-01-14")


def test_a_column_that_only_moves_forward_keeps_the_newest_value(migrated_warehouse):
    row = {"game_id": "20250115_BOS_NYK", "game_date": dt.date(2025, 1, 15), "bookmaker": "draftkings",
           "home_team_abbr": "NYK", "away_team_abbr": "BOS", "total_points": 221.5}
    newer = dt.datetime(2025, 1, 15, 18, tzinfo=dt.UTC)
    table, key = "nba_raw.odds_api_game_lines", ("game_id", "bookmaker")
    merge_rows(migrated_warehouse, table, [{**row, "line_updated_at": newer}], key, never_lowered=("line_updated_at",))
    older = merge_rows(
        migrated_warehouse, table, [{**row, "total_points": 219.5, "line_updated_at": newer - dt.timedelta(hours=3)}],
        key, never_lowered=("line_updated_at",),
    )
    unknown = merge_rows(migrated_warehouse, table, [{**row, "total_points": 218.5, "line_updated_at": None}], key,
                         never_lowered=("line_updated_at",))
    assert (older.stale, older.updated, unknown.stale) == (1, 0, 1)
    later = merge_rows(
        migrated_warehouse, table, [{**row, "total_points": 223.5, "line_updated_at": newer + dt.timedelta(hours=1)}],
        key, never_lowered=("line_updated_at",),
    )
    assert later.updated == 1
    assert migrated_warehouse.query(f"SELECT total_points FROM {table}") == [{"total_points": 223.5}]
