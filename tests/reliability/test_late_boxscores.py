"""Late box scores: NBA.com's gamebook lacks a third of the games, balldontlie another third.

Together they cover every game; the box-score processors' dependency counts the games either
provider has (the original system's fallback rule), so phase 3 runs and takes balldontlie's rows
for the games the gamebook lacks. Before, each provider alone was short and phase 3 skipped.
"""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.integration
DAY = dt.date(2025, 1, 15)  # the results of 2025-01-14


def test_the_box_score_processors_run_on_what_either_provider_has(migrated_warehouse, settings_env, tmp_path):
    from nba_pipeline.backfill import run_date
    from nba_pipeline.guards.spec import Phase
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.settings import get_settings
    from nba_pipeline.sources.simulation import SimulatedLeague

    settings_env.setenv("NBA_SIMULATION_IMPERFECTIONS", "late_boxscores")
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(tmp_path / "payloads"))
    get_settings.cache_clear()
    processors = [p for p in backfill_processors() if p.phase <= Phase.ANALYTICS]
    outcome = run_date(migrated_warehouse, processors, CALENDAR, DAY, dag_run_id="late")
    assert outcome.outcome["player_game_summary"] == "success", outcome.outcome

    games = {g.game_id for g in SimulatedLeague(seed=2024).games_on(DAY - dt.timedelta(days=1))}
    by_source = migrated_warehouse.query(
        "SELECT primary_source_used AS source, COUNT(DISTINCT game_id) AS games "
        "FROM nba_analytics.player_game_summary WHERE game_date = @d GROUP BY 1 ORDER BY 1",
        {"d": DAY - dt.timedelta(days=1)},
    )
    gamebook = migrated_warehouse.query(
        "SELECT COUNT(DISTINCT game_id) AS n FROM nba_raw.nbac_gamebook_player_stats WHERE game_date = @d",
        {"d": DAY - dt.timedelta(days=1)},
    )[0]["n"]
    assert 0 < gamebook < len(games), "the gamebook alone is short"
    assert {r["source"]: r["games"] for r in by_source} == {
        "bdl_boxscores": len(games) - gamebook,
        "nbac_gamebook": gamebook,
    }
