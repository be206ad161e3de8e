"""Replaying the same window twice gives the same warehouse, table for table (checksums)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

# 2025-01-12 is in the window on purpose: from an empty warehouse on 2025-01-09, the exact pace_score
# of SAC and TOR that day is 1.47125, a half-way value that a float sum in another order rounds the
# other way.
WINDOW = (dt.date(2025, 1, 9), dt.date(2025, 1, 12))
DAG_RUN_ID = "replay_determinism"


def _replay(folder: Path, settings_env: pytest.MonkeyPatch, threads: int) -> dict:
    """Backfill WINDOW into a new warehouse under ``folder`` with DuckDB on ``threads`` threads;
    return every table's checksum."""
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse
    from nba_pipeline.warehouse.checksums import warehouse_checksums

    settings_env.setenv("NBA_DATA_DIR", str(folder))
    settings_env.setenv("NBA_DUCKDB_PATH", str(folder / "warehouse.duckdb"))
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(folder / "payloads"))
    get_settings.cache_clear()
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)  # creates the file: the configured warehouse is never created by a read
        warehouse._cursor().execute(f"SET threads = {threads}")  # the database instance's setting
        for day in dates_between(*WINDOW):
            outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id=DAG_RUN_ID)
            record_progress(warehouse, outcome, DAG_RUN_ID)
            assert outcome.count("failed") == 0, outcome.outcome
        return warehouse_checksums(warehouse)


def test_a_replayed_window_gives_the_same_checksum_for_every_table(tmp_path, settings_env):
    from nba_pipeline.warehouse.checksums import differing_tables

    # One thread against many: the most different summation orders DuckDB can take.
    first = _replay(tmp_path / "first", settings_env, threads=1)
    second = _replay(tmp_path / "second", settings_env, threads=8)

    assert differing_tables(first, second) == {}
    filled = {name for name, checksum in first.items() if checksum.rows}
    for table in ("nba_raw.nbac_gamebook_player_stats", "nba_analytics.player_game_summary",
                  "nba_precompute.player_composite_factors", "nba_predictions.ml_feature_store_v2",
                  "nba_processing.precompute_processor_runs", "nba_orchestration.backfill_progress"):
        assert table in filled, f"{table} is empty: the comparison would prove nothing"
    assert sum(checksum.rows for checksum in first.values()) > 5000
