"""The daily DAG under ``dag.test()`` on the simulated 2024-25 season, on the embedded warehouse."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.airflow_runs import load_dag, run_dag, task_states
from tests.conftest import PROJECT_ROOT
from tests.seasons import backfilled_history

pytestmark = pytest.mark.integration

GAME_DAY = dt.date(2025, 1, 15)
ALL_STAR_BREAK = dt.date(2025, 2, 16)
JULY = dt.date(2025, 7, 15)
RUN_TABLES = ("nba_processing.processor_runs", "nba_processing.analytics_processor_runs",
              "nba_processing.precompute_processor_runs")
LOG_TABLES = {*RUN_TABLES, "nba_orchestration.schema_migrations", "nba_orchestration.circuit_breaker_state",
              "nba_orchestration.backfill_progress", "nba_predictions.prediction_worker_runs"}


def _use(folder: Path) -> None:
    """Point the settings (read at task run time) at a warehouse and payload folder."""
    from nba_pipeline.settings import get_settings

    os.environ["NBA_DATA_DIR"] = str(folder)
    os.environ["NBA_DUCKDB_PATH"] = str(folder / "warehouse.duckdb")
    os.environ["NBA_PAYLOAD_ROOT"] = str(folder / "payloads")
    get_settings.cache_clear()


def _backfill(first: dt.date, last: dt.date) -> None:
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        for day in dates_between(first, last):
            outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id="test_backfill")
            record_progress(warehouse, outcome, "test_backfill")
            assert outcome.count("failed") == 0, outcome.outcome


def _query(sql: str, params: dict | None = None) -> list[dict]:
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        return warehouse.query(sql, params or {})


def _data_snapshot() -> dict[str, list[tuple]]:
    """Every data table's rows (minus load timestamps and file locations), sorted."""
    from nba_pipeline.schema.declared import declared_tables

    snapshot = {}
    for name, table in declared_tables().items():
        if name in LOG_TABLES:
            continue
        columns = [c.name for c in table.columns if c.name not in {"loaded_at", "source_file_path"}]
        rows = _query(f"SELECT {', '.join(columns)} FROM {name}")
        snapshot[name] = sorted(tuple(str(row[c]) for c in columns) for row in rows)
    return snapshot


@pytest.fixture(scope="module")
def pipeline(airflow_db, tmp_path_factory) -> Iterator[object]:
    saved = {k: os.environ.get(k) for k in ("NBA_DATA_DIR", "NBA_DUCKDB_PATH", "NBA_PAYLOAD_ROOT",
                                            "NBA_DEPENDENCY_POKE_SECONDS", "NBA_DEPENDENCY_TIMEOUT_SECONDS")}
    os.environ["NBA_DEPENDENCY_POKE_SECONDS"] = "1"
    os.environ["NBA_DEPENDENCY_TIMEOUT_SECONDS"] = "2"
    _use(backfilled_history(tmp_path_factory, GAME_DAY - dt.timedelta(days=20), GAME_DAY - dt.timedelta(days=1),
                            "test_backfill", tmp_path_factory.mktemp("season")))
    yield load_dag(PROJECT_ROOT / "dags", "nba_daily_pipeline")
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    from nba_pipeline.settings import get_settings

    get_settings.cache_clear()


@pytest.fixture(scope="module")
def game_day_loaded(pipeline):
    """The game day processed in full once (the sources runs below re-process parts of it)."""
    if not _query("SELECT COUNT(*) AS n FROM nba_predictions.ml_feature_store_v2 WHERE game_date = @d",
                  {"d": GAME_DAY})[0]["n"]:
        assert run_dag(pipeline, GAME_DAY, {"game_date": GAME_DAY.isoformat()}).state == "success"
    return pipeline


def _final_rows(table: str, since: dt.datetime) -> dict[str, dict]:
    column = "processed_at" if table.endswith(".processor_runs") else "created_at"
    rows = _query(f"SELECT * FROM {table} WHERE {column} >= @since", {"since": since})
    return {row["processor_name"]: row for row in rows}


def test_game_day_runs_every_processor_and_fills_the_feature_store(pipeline):
    since = dt.datetime.now(dt.UTC)
    dag_run = run_dag(pipeline, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    states = task_states(dag_run)
    assert dag_run.state == "success", {t: s for t, s in states.items() if s != "success"}
    runs = {t: s for t, s in states.items() if t.endswith(".run")}
    assert set(runs.values()) == {"success"}, runs
    runs_of = {t.rsplit(".", 2)[-2]: t for t in runs}
    raw = _final_rows("nba_processing.processor_runs", since)
    assert len(raw) == 11 and {r["status"] for r in raw.values()} == {"success"}
    analytics = _final_rows("nba_processing.analytics_processor_runs", since)
    assert len(analytics) == 6 and all(r["success"] for r in analytics.values())
    precompute = _final_rows("nba_processing.precompute_processor_runs", since)
    assert len(precompute) == 5 and all(r["success"] and r["data_completeness_pct"] >= 90 for r in precompute.values())
    for row in (*raw.values(), *analytics.values(), *precompute.values()):  # each row names its task instance
        task = (row["dag_id"], row["dag_run_id"], row["task_id"], row["map_index"], row["try_number"])
        assert task == ("nba_daily_pipeline", dag_run.run_id, runs_of[row["processor_name"]], -1, 1), task

    yesterday = GAME_DAY - dt.timedelta(days=1)
    played = _query("SELECT COUNT(*) AS n FROM nba_raw.nbac_gamebook_player_stats "
                    "WHERE game_date = @d AND player_status = 'active'", {"d": yesterday})[0]["n"]
    summaries = _query("SELECT COUNT(*) AS n FROM nba_analytics.player_game_summary WHERE game_date = @d",
                       {"d": yesterday})[0]["n"]
    assert summaries == played > 100
    upcoming = _query("SELECT COUNT(*) AS n FROM nba_analytics.upcoming_player_game_context WHERE game_date = @d",
                      {"d": GAME_DAY})[0]["n"]
    features = _query("SELECT COUNT(*) AS n, MIN(feature_count) AS k FROM nba_predictions.ml_feature_store_v2 "
                      "WHERE game_date = @d", {"d": GAME_DAY})[0]
    assert features == {"n": upcoming, "k": 25} and upcoming > 100

    from nba_pipeline.predictions.coordinator import eligible_players
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        eligible = {p.player_lookup for p in eligible_players(warehouse, GAME_DAY)}
    workers = _query(
        "SELECT player_lookup, success, skip_reason, dag_id, dag_run_id, task_id, map_index, try_number "
        "FROM nba_predictions.prediction_worker_runs WHERE game_date = @d",
        {"d": GAME_DAY},
    )
    batches = {ti.map_index for ti in dag_run.get_task_instances() if ti.task_id == "phase_5_predictions.predict"}
    assert {(r["dag_id"], r["dag_run_id"], r["task_id"], r["try_number"]) for r in workers} == {
        ("nba_daily_pipeline", dag_run.run_id, "phase_5_predictions.predict", 1)}, "each names its batch's task"
    assert {r["map_index"] for r in workers} == batches and len(batches) > 1
    assert {r["player_lookup"] for r in workers} == eligible, "every eligible player has a worker row"
    predicted = _query(
        "SELECT DISTINCT player_lookup FROM nba_predictions.player_prop_predictions "
        "WHERE game_date = @d AND system_id = 'ensemble_v1'",
        {"d": GAME_DAY},
    )
    assert {r["player_lookup"] for r in predicted} == {r["player_lookup"] for r in workers if r["success"]}
    assert {r["skip_reason"] for r in workers if not r["success"]} <= {"no_features", "low_feature_quality"}
    assert len(predicted) > 100


def test_rerunning_the_same_day_changes_no_table(game_day_loaded):
    pipeline = game_day_loaded  # the game day processed once already (the first test's run, or its own)
    before = _data_snapshot()
    loaded = _query("SELECT MAX(loaded_at) AS t FROM nba_predictions.ml_feature_store_v2")[0]["t"]
    again = run_dag(pipeline, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    assert again.state == "success"
    assert _data_snapshot() == before
    assert _query("SELECT MAX(loaded_at) AS t FROM nba_predictions.ml_feature_store_v2")[0]["t"] == loaded


@pytest.mark.parametrize(("day", "reason"), [(ALL_STAR_BREAK, "no_games"), (JULY, "offseason")])
def test_days_without_games_skip_with_their_reason(pipeline, day, reason):
    since = dt.datetime.now(dt.UTC)
    dag_run = run_dag(pipeline, day, {"game_date": day.isoformat(), "backfill": True})
    states = task_states(dag_run)
    assert dag_run.state == "success"
    assert states["calendar.scrape_nbac_schedule.run"] == "success", "the calendar itself is loaded"
    assert states["phase_1_scrapers.scrape_nbac_gamebook.run"] == "skipped"
    for table, count in zip(RUN_TABLES, (10, 6, 5), strict=True):
        rows = _final_rows(table, since)
        skipped = {name: row["skip_reason"] for name, row in rows.items() if name != "nbac_schedule"}
        assert len(skipped) == count and set(skipped.values()) == {reason}, (table, skipped)
        deciders = {row["task_id"].rsplit(".", 1)[-1] for name, row in rows.items() if name != "nbac_schedule"}
        assert deciders == {"smart_skip"}, "a skip row names the guard task that skipped"


def test_missing_team_box_scores_skip_only_their_dependents(game_day_loaded):
    """The day after the game day, the team box score source is down (breaker forced open): the
    team summaries skip with upstream_incomplete (no team box score for yesterday's games), the
    team defense zones with upstream_stale (their 30-day history is there but ends a game date
    early) and what needs them with upstream_incomplete; the player summaries and shot zones still
    run; nothing fails."""
    pipeline = game_day_loaded
    from nba_pipeline.breakers import BreakerAction, apply_action
    from nba_pipeline.warehouse import get_warehouse

    day = GAME_DAY + dt.timedelta(days=1)
    with get_warehouse() as warehouse:
        apply_action(warehouse, BreakerAction.OPEN, "nbac_team_boxscore", reason="source down")
    since = dt.datetime.now(dt.UTC)
    try:
        dag_run = run_dag(pipeline, day, {"game_date": day.isoformat()})
    finally:
        with get_warehouse() as warehouse:
            apply_action(warehouse, BreakerAction.RESET, "nbac_team_boxscore")
    states = task_states(dag_run)
    assert dag_run.state == "success"
    assert "failed" not in states.values()
    assert _final_rows("nba_processing.processor_runs", since)["nbac_team_boxscore"]["skip_reason"] == "circuit_open"
    analytics = {k: (v["success"], v["skip_reason"]) for k, v in _final_rows(
        "nba_processing.analytics_processor_runs", since).items()}
    assert analytics["team_offense_game_summary"] == (None, "upstream_incomplete")
    assert analytics["team_defense_game_summary"] == (None, "upstream_incomplete")
    for independent in ("player_game_summary", "upcoming_player_game_context", "upcoming_team_game_context"):
        assert analytics[independent] == (True, None), independent
    precompute = {k: (v["success"], v["skip_reason"]) for k, v in _final_rows(
        "nba_processing.precompute_processor_runs", since).items()}
    assert precompute["player_shot_zone_analysis"] == (True, None)
    assert precompute["team_defense_zone_analysis"] == (None, "upstream_stale")
    for dependent in ("player_composite_factors", "ml_feature_store"):
        assert precompute[dependent] == (None, "upstream_incomplete"), dependent


class TestBackfilledWeek:
    """Its own xdist scope, so that make test's other worker can run it beside the module's other tests."""

    def test_a_backfilled_week_equals_seven_daily_runs(self, pipeline, tmp_path):
        """Same rows in phases 1-4, whether a week is backfilled in one go or run day by day (the
        backfill does not predict: phase 5 tables are the daily run's alone)."""
        week = [GAME_DAY + dt.timedelta(days=i) for i in range(-6, 1)]
        season = Path(os.environ["NBA_DATA_DIR"])
        try:
            self._compare(pipeline, week, tmp_path)
        finally:
            _use(season)  # the module's other tests go on with its season

    @staticmethod
    def _compare(pipeline, week: list[dt.date], tmp_path: Path) -> None:
        from nba_pipeline.schema.migrations import apply_migrations
        from nba_pipeline.warehouse import get_warehouse

        _use(tmp_path / "daily")
        with get_warehouse() as warehouse:
            apply_migrations(warehouse)
        for day in week:
            dag_run = run_dag(pipeline, day, {"game_date": day.isoformat()})
            assert dag_run.state == "success", day
        daily = _data_snapshot()
        assert daily.pop("nba_predictions.player_prop_predictions") and daily.pop("nba_predictions.prediction_grades")
        _use(tmp_path / "backfill")
        _backfill(week[0], week[-1])
        backfilled = _data_snapshot()
        assert backfilled.pop("nba_predictions.player_prop_predictions") == []
        backfilled.pop("nba_predictions.prediction_grades")
        assert backfilled == daily
        assert sum(len(rows) for rows in daily.values()) > 5000


def _sources_of_every_processor() -> dict[str, frozenset[str]]:
    from nba_pipeline.dag.builder import effective_sources, producers_of
    from nba_pipeline.registry.processors import daily_processors

    processors = daily_processors()
    return effective_sources(processors, producers_of(processors))


def _known_sources() -> list[str]:
    from nba_pipeline.registry.processors import daily_processors

    return sorted({s for p in daily_processors() for s in p.sources})


@pytest.mark.parametrize("source", _known_sources())
def test_a_run_for_one_source_runs_exactly_the_processors_reading_it(game_day_loaded, source):
    """``sources=[X]``: the calendar's loaders and every processor reading X (itself or through a
    table) run; every other processor skips with irrelevant_source, none with upstream_failed."""
    since = dt.datetime.now(dt.UTC)
    dag_run = run_dag(game_day_loaded, GAME_DAY, {"game_date": GAME_DAY.isoformat(), "sources": [source]})
    states = task_states(dag_run)
    assert dag_run.state == "success", {t: s for t, s in states.items() if s not in ("success", "skipped")}
    assert "upstream_failed" not in states.values(), sorted(t for t, s in states.items() if s == "upstream_failed")
    reads = _sources_of_every_processor()
    loaders = {"scrape_nbac_schedule", "nbac_schedule"}
    runs = {t.rsplit(".", 2)[-2]: s for t, s in states.items() if t.endswith(".run")}
    selected = {name for name, sources in reads.items() if source in sources} | loaders
    assert {name for name, state in runs.items() if state == "success"} == selected
    assert {name for name, state in runs.items() if state == "skipped"} == set(runs) - selected
    reasons = {}
    for table in RUN_TABLES:
        reasons |= {name: row["skip_reason"] for name, row in _final_rows(table, since).items()}
    assert {name: reason for name, reason in reasons.items() if name not in selected} == {
        name: "irrelevant_source" for name in reasons if name not in selected
    }
    assert all(reasons[name] is None for name in reasons if name in selected)


def test_a_run_for_a_source_fails_when_a_processor_reading_it_did_not_run(game_day_loaded):
    """The team box score breaker is open: a run for that source cannot do what it was asked, so
    it ends failed, naming the processor and why (the skip itself stays a skip)."""
    from nba_pipeline.breakers import BreakerAction, apply_action
    from nba_pipeline.dag.run_outcome import TASK_ID
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        apply_action(warehouse, BreakerAction.OPEN, "nbac_team_boxscore", reason="source down")
    try:
        dag_run = run_dag(game_day_loaded, GAME_DAY,
                          {"game_date": GAME_DAY.isoformat(), "sources": ["nbac_team_boxscore"]})
    finally:
        with get_warehouse() as warehouse:
            apply_action(warehouse, BreakerAction.RESET, "nbac_team_boxscore")
    states = task_states(dag_run)
    assert dag_run.state == "failed"
    assert states["phase_2_raw.nbac_team_boxscore.run"] == "skipped"
    assert [t for t, s in states.items() if s == "failed"] == [TASK_ID]
