"""The phase 5 worker on a backfilled simulated season, with the real prediction systems.

The season (40 dates before 2025-01-15, through 2025-01-16 so the 15th has its box scores) is
backfilled once per module; an ``xgboost_v1`` model is trained on the dates before the 15th. Each
test works on its own copy of that warehouse.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from nba_pipeline.features import FEATURE_NAMES
from nba_pipeline.guards.breaker import State
from nba_pipeline.predictions.contract import SYSTEM_IDS
from nba_pipeline.predictions.coordinator import eligible_players, make_batches
from nba_pipeline.predictions.grading import grade_predictions
from nba_pipeline.predictions.worker import predict_batch
from nba_pipeline.predictions.worker.breakers import record_pending_successes
from nba_pipeline.predictions.worker.running import ModelVersionRecorder
from nba_pipeline.registry.catalog import settings_for
from nba_pipeline.registry.guard_tables import BREAKER_TABLE, breaker_store
from nba_pipeline.warehouse import STATS

pytestmark = pytest.mark.integration

GAME_DAY = dt.date(2025, 1, 15)
FIRST_DAY = GAME_DAY - dt.timedelta(days=40)
T0 = dt.datetime(2025, 1, 15, 15, 0, tzinfo=dt.UTC)
RUNS = "nba_predictions.prediction_worker_runs"
PREDICTIONS = "nba_predictions.player_prop_predictions"


@dataclass(frozen=True)
class Season:
    folder: Path
    model_root: Path
    model_note: str


@pytest.fixture(scope="module")
def season(tmp_path_factory) -> Iterator[Season]:
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    folder = tmp_path_factory.mktemp("phase5-season")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NBA_DATA_DIR", str(folder))
        env.setenv("NBA_DUCKDB_PATH", str(folder / "warehouse.duckdb"))
        env.setenv("NBA_PAYLOAD_ROOT", str(folder / "payloads"))
        env.setenv("NBA_MODEL_ROOT", str(folder / "models"))
        get_settings.cache_clear()
        with get_warehouse() as warehouse:
            apply_migrations(warehouse)
            for day in dates_between(FIRST_DAY, GAME_DAY + dt.timedelta(days=1)):
                outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id="phase5_test")
                record_progress(warehouse, outcome, "phase5_test")
                assert outcome.count("failed") == 0, (day, outcome.outcome)
            note = _train_model(warehouse)
    get_settings.cache_clear()
    yield Season(folder, folder / "models", note)


def _train_model(warehouse) -> str:
    """Train xgboost_v1 on the dates before the game day, if the package can; else it is skipped (no_model)."""
    try:
        from nba_pipeline.predictions.model import train
    except ImportError:
        return "no model module"
    try:
        train(warehouse, end=GAME_DAY - dt.timedelta(days=1))
    except Exception as err:  # noqa: BLE001 - xgboost_v1 then skips every batch with no_model
        return f"not trained: {err}"
    return "trained"


@pytest.fixture
def wh(season, tmp_path, settings_env):
    """A copy of the season's warehouse, configured for the code under test."""
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(season.folder / "warehouse.duckdb", path)
    settings_env.setenv("NBA_DUCKDB_PATH", str(path))
    settings_env.setenv("NBA_DATA_DIR", str(tmp_path))
    settings_env.setenv("NBA_MODEL_ROOT", str(season.model_root))
    warehouse = DuckDBWarehouse(path, lock_wait_seconds=5)
    yield warehouse
    warehouse.close()


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Forced:
    """Wraps a real system: raises while ``failing``; ``hold`` blocks inside the call until released."""

    def __init__(self, system) -> None:
        self.system, self.system_id = system, system.system_id
        self.failing, self.calls = False, 0
        self.hold: threading.Event | None = None
        self.entered = threading.Event()

    def predict_batch(self, players):
        self.calls += 1
        self.entered.set()
        if self.hold is not None:
            assert self.hold.wait(60), "never released"
        if self.failing:
            raise RuntimeError(f"{self.system_id} forced to fail")
        return self.system.predict_batch(players)


def _systems(forced: str | None = None):
    from nba_pipeline.predictions.systems import build_systems

    model = ModelVersionRecorder()
    systems = build_systems(model_loader=model)
    wrapper = None
    if forced:
        systems = [Forced(s) if s.system_id == forced else s for s in systems]
        wrapper = next(s for s in systems if isinstance(s, Forced))
    return systems, wrapper, model


def _count(wh, table: str) -> int:
    return wh.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]


def _run_rows(wh, batch) -> list[dict]:
    names = [p["player_lookup"] for p in batch["players"]]
    return wh.query(f"SELECT * FROM {RUNS} WHERE player_lookup IN UNNEST(@names) AND game_date = @d",
                    {"names": names, "d": GAME_DAY})


# --------------------------------------------------------------------------- breaker


def _breaker_mutations() -> int:
    return sum(n for key, n in STATS.snapshot()["mutations"].items() if key.endswith(":" + BREAKER_TABLE))


@pytest.mark.parametrize("record_successes", [True, False], ids=["successes_per_batch", "successes_per_run"])
def test_forced_failure_opens_the_breaker_then_one_trial_and_recovery_close_it(wh, season, record_successes):
    """Failures and trial outcomes are written by the batch at once in both modes, so the breaker
    opens, rejects, admits one trial at a time and closes exactly alike; with the successes left
    pending (the DAG's way) the run's recording writes them at the end."""
    # xgboost_v1 (threshold 3, timeout 3600 s in the registry); without a model it is skipped, never
    # failing, so moving_average (the default 5 / 1800 s) stands in for it
    FORCED = "xgboost_v1" if season.model_note == "trained" else "moving_average"  # noqa: N806
    settings = settings_for(FORCED)
    if FORCED == "xgboost_v1":
        assert (settings.threshold, settings.timeout_seconds) == (3, 3600)
    batches = make_batches(eligible_players(wh, GAME_DAY), 12)
    t = settings.threshold
    assert len(batches) >= t + 5
    systems, forced, model = _systems(FORCED)
    clock = Clock(T0)
    store = breaker_store(wh, clock=clock)
    done: list = []

    def run(index: int, **kwargs):
        result = predict_batch(wh, batches[index], systems, breaker_store=store, clock=clock,
                               model_version=model.current, record_successes=record_successes, **kwargs)
        done.append(result)
        assert bool(result.pending_successes) is not record_successes
        return result

    forced.failing = True
    for index in range(settings.threshold):  # each failing batch is one failure, not one per player
        result = run(index)
        breaker = store.read({FORCED: settings})[FORCED]
        assert breaker.failure_count == index + 1
        opened = index == settings.threshold - 1
        assert breaker.state is (State.OPEN if opened else State.CLOSED)
        assert result.systems[FORCED].breaker_outcome == "failure"
        assert result.circuits_opened == ((FORCED,) if opened else ())
        assert list(result.opened_by_batch) == ([FORCED] if opened else [])
        rows = _run_rows(wh, batches[index])
        assert rows and all(r["success"] and FORCED in r["systems_failed"] for r in rows)
        assert all(r["predictions_generated"] >= 2 for r in rows), "the other systems still predict"
        assert all(r["circuit_breaker_triggered"] is opened for r in rows)
        assert all(r["circuits_opened"] == ([FORCED] if opened else []) for r in rows)
    assert forced.calls == settings.threshold

    clock.advance(600)  # open, within its timeout: not attempted at all
    result = run(t)
    assert forced.calls == settings.threshold and result.systems[FORCED].admission == "reject"
    assert result.circuits_opened == (FORCED,) and not result.opened_by_batch, "still open, not newly opened"
    rows = _run_rows(wh, batches[t])
    assert all(FORCED not in r["systems_attempted"] and r["success"] for r in rows)
    assert all(r["circuit_breaker_triggered"] and r["circuits_opened"] == [FORCED] for r in rows)
    assert wh.query(f"SELECT COUNT(*) AS n FROM {PREDICTIONS} WHERE system_id = @s", {"s": FORCED})[0]["n"] == 0
    assert store.read({FORCED: settings})[FORCED].failure_count == settings.threshold, "a skip is not a failure"

    clock.advance(settings.timeout_seconds)  # past the timeout: one trial, which fails and re-opens
    result = run(t + 1)
    assert forced.calls == settings.threshold + 1 and result.systems[FORCED].admission == "trial"
    assert store.read({FORCED: settings})[FORCED].state is State.OPEN
    assert result.circuits_opened == (FORCED,) and list(result.opened_by_batch) == [FORCED]
    run(t + 2)
    assert forced.calls == settings.threshold + 1, "re-opened: the next batch does not try"

    clock.advance(settings.timeout_seconds + 1)  # the failure is over; two batches arrive together
    forced.failing = False
    forced.hold, forced.entered = threading.Event(), threading.Event()
    trial: dict = {}
    thread = threading.Thread(target=lambda: trial.setdefault("result", run(t + 3)), daemon=True)
    thread.start()
    assert forced.entered.wait(60), "the first batch never reached the system"
    concurrent = run(t + 4)  # while the first batch holds the only trial slot
    assert concurrent.systems[FORCED].admission == "reject" and forced.calls == settings.threshold + 2
    forced.hold.set()
    thread.join(60)
    assert trial["result"].systems[FORCED].admission == "trial"
    assert trial["result"].systems[FORCED].breaker_outcome == "success"
    breaker = store.read({FORCED: settings})[FORCED]
    assert breaker.state is State.CLOSED and breaker.failure_count == 0
    rows = _run_rows(wh, batches[t + 3])
    assert all(FORCED in r["systems_succeeded"] and not r["circuit_breaker_triggered"] for r in rows)
    if FORCED == "xgboost_v1":
        versions = wh.query(f"SELECT DISTINCT model_version FROM {PREDICTIONS} WHERE system_id = @s", {"s": FORCED})
        assert len(versions) == 1 and versions[0]["model_version"]

    forced.hold = None
    result = run(0)  # closed again: attempted normally
    assert result.systems[FORCED].admission == "proceed" and result.systems[FORCED].succeeded > 0
    if not record_successes:  # the run's end: every batch's pending successes in one recording
        before = store.read({FORCED: settings})[FORCED]
        assert FORCED in result.pending_successes and before.success_count == 1, "only the trial's, written at once"
        STATS.reset()
        summary = record_pending_successes(store, [r.to_json() for r in done])
        assert _breaker_mutations() == 1 and summary["superseded"] == [] and FORCED in summary["recorded"]
        after = store.read({FORCED: settings})[FORCED]
        assert (after.state, after.failure_count, after.success_count) == (State.CLOSED, 0, 2)


class WithoutHistory:
    """Wraps the similarity system as early in a season: no player has five similar past games."""

    def __init__(self, system) -> None:
        self.system_id = system.system_id

    def predict_batch(self, players):
        from nba_pipeline.predictions.contract import NotEnoughData

        return {p.player_lookup: NotEnoughData(f"{self.system_id}: 2 similar past games, 5 needed") for p in players}


def test_a_batch_where_no_player_has_enough_history_leaves_the_breaker_alone(wh):
    """Not enough data is no fault of the system: the players go without its prediction (their run
    rows say so) but its breaker gets no outcome, however many such batches come, so it cannot open
    every autumn; a system fault in the same position still counts."""
    key = "similarity_balanced_v1"
    settings = settings_for(key)
    systems, _, model = _systems()
    systems = [WithoutHistory(s) if s.system_id == key else s for s in systems]
    store = breaker_store(wh, clock=Clock(T0))
    batches = make_batches(eligible_players(wh, GAME_DAY), 12)
    for index in range(settings.threshold + 1):
        result = predict_batch(wh, batches[index], systems, breaker_store=store, clock=Clock(T0),
                               model_version=model.current)
        summary = result.systems[key]
        assert (summary.attempted, summary.succeeded, summary.breaker_outcome) == (summary.failed, 0, None)
        assert summary.attempted > 0
        rows = _run_rows(wh, batches[index])
        assert rows and all(key in r["systems_failed"] and r["success"] for r in rows)
    breaker = store.read({key: settings})[key]
    assert (breaker.state, breaker.failure_count) == (State.CLOSED, 0)

    systems, forced, model = _systems(key)
    forced.failing = True
    result = predict_batch(wh, batches[0], systems, breaker_store=store, clock=Clock(T0), model_version=model.current)
    assert result.systems[key].breaker_outcome == "failure"
    assert store.read({key: settings})[key].failure_count == 1


# --------------------------------------------------------------------------- skips


def test_players_without_features_or_with_low_quality_are_skipped_with_run_rows(wh):
    players = eligible_players(wh, GAME_DAY)
    batch = make_batches(players, 45)[0]
    missing, weak = batch["players"][0]["player_lookup"], batch["players"][1]["player_lookup"]
    wh.execute("DELETE FROM nba_predictions.ml_feature_store_v2 WHERE player_lookup = @p AND game_date = @d",
               {"p": missing, "d": GAME_DAY})
    wh.execute("UPDATE nba_predictions.ml_feature_store_v2 SET feature_quality_score = 69.5 "
               "WHERE player_lookup = @p AND game_date = @d", {"p": weak, "d": GAME_DAY})
    systems, _, model = _systems()
    result = predict_batch(wh, batch, systems, breaker_store=breaker_store(wh), model_version=model.current)
    assert result.skipped == {"low_feature_quality": 1, "no_features": 1}
    rows = {r["player_lookup"]: r for r in _run_rows(wh, batch)}
    assert len(rows) == len(batch["players"])
    assert rows[missing]["skip_reason"] == "no_features" and rows[missing]["success"] is False
    assert rows[weak]["skip_reason"] == "low_feature_quality" and rows[weak]["success"] is False
    assert rows[weak]["feature_quality_score"] == 69.5 and "below 70" in rows[weak]["error_message"]
    for name in (missing, weak):
        assert rows[name]["systems_attempted"] == [] and rows[name]["predictions_generated"] == 0
    predicted = wh.query(f"SELECT DISTINCT player_lookup FROM {PREDICTIONS}")
    assert {r["player_lookup"] for r in predicted}.isdisjoint({missing, weak})
    others = [r for n, r in rows.items() if n not in (missing, weak)]
    assert all(r["success"] and r["skip_reason"] is None for r in others)


# --------------------------------------------------------------------------- rows, reruns, round trips


def test_run_rows_fill_every_column(wh):
    batch = make_batches(eligible_players(wh, GAME_DAY), 45)[1]
    systems, _, model = _systems()
    predict_batch(wh, batch, systems, breaker_store=breaker_store(wh), clock=Clock(T0), worker_id="map-1@host",
                  model_version=model.current)
    rows = _run_rows(wh, batch)
    complete = [r for r in rows if r["systems_failed"] == []]
    assert len(rows) == len(batch["players"]) and complete
    row = complete[0]
    player = next(p for p in batch["players"] if p["player_lookup"] == row["player_lookup"])
    assert row["worker_id"] == "map-1@host" and row["run_date"] == T0 and row["game_id"] == player["game_id"]
    assert row["line_values_requested"] == [player["line"]] and row["universal_player_id"]
    assert row["systems_attempted"] == ["moving_average", "zone_matchup", "similarity_balanced_v1", "xgboost_v1",
                                        "ensemble_v1"]
    assert row["predictions_generated"] == len(row["systems_succeeded"]) == 5
    assert row["success"] is True and row["skip_reason"] is None and row["error_message"] is None
    assert row["feature_quality_score"] >= 70 and row["missing_features"] is not None
    assert row["historical_games_count"] > 0 and row["worker_version"]
    for column in ("duration_seconds", "feature_load_time_seconds", "historical_load_time_seconds",
                   "data_load_seconds", "prediction_compute_seconds", "write_bigquery_seconds"):
        assert row[column] is not None and row[column] >= 0, column
    assert row["data_load_seconds"] >= row["feature_load_time_seconds"]
    assert row["circuit_breaker_triggered"] is False and row["circuits_opened"] == []
    # a player whose similarity system had too few similar games: the first failure is named
    partial = [r for r in rows if r["systems_failed"]]
    for r in partial:
        assert r["error_system"] == r["systems_failed"][0] and r["error_type"] and r["error_message"]
    predictions = wh.query(f"SELECT * FROM {PREDICTIONS} WHERE player_lookup = @p", {"p": row["player_lookup"]})
    assert {p["system_id"] for p in predictions} == set(row["systems_succeeded"])
    for p in predictions:
        assert p["line_margin"] == pytest.approx(p["predicted_points"] - p["current_points_line"], abs=1e-3)
        assert p["line_source"] == player["line_source"] and p["line_estimated"] is player["line_estimated"]
        assert (p["model_version"] is not None) is (p["system_id"] == "xgboost_v1")


def test_rerunning_the_batches_duplicates_nothing_and_keeps_created_at(wh):
    batches = make_batches(eligible_players(wh, GAME_DAY), 45)
    systems, _, model = _systems()
    store = breaker_store(wh)
    for batch in batches:
        predict_batch(wh, batch, systems, breaker_store=store, model_version=model.current)
    select = f"SELECT prediction_id, predicted_points, recommendation, created_at FROM {PREDICTIONS} ORDER BY 1"
    before, runs_before = wh.query(select), _count(wh, RUNS)
    assert runs_before == sum(len(b["players"]) for b in batches) and len(before) > 3 * runs_before
    for batch in batches:
        result = predict_batch(wh, batch, systems, breaker_store=store, model_version=model.current)
        assert result.predictions_written == 0, "an identical rerun changes no prediction"
    assert wh.query(select) == before
    assert _count(wh, RUNS) == runs_before
    duplicates = wh.query(f"SELECT system_id, player_lookup, game_date FROM {PREDICTIONS} "
                          "GROUP BY 1, 2, 3 HAVING COUNT(*) > 1")
    assert duplicates == []


@pytest.mark.parametrize("record_successes", [True, False], ids=["successes_per_batch", "successes_per_run"])
def test_round_trips_per_batch_do_not_grow_with_its_size(wh, record_successes):
    players = eligible_players(wh, GAME_DAY)
    systems, _, model = _systems()
    store = breaker_store(wh)
    predict_batch(wh, make_batches(players[:5], 5)[0], systems, breaker_store=store,  # creates breaker rows
                  model_version=model.current)
    trips = {}
    for size in (10, 45, 120):
        batch = make_batches(players[:size], size)[0]
        STATS.reset()
        result = predict_batch(wh, batch, systems, breaker_store=store, model_version=model.current,
                               record_successes=record_successes)
        assert result.players_predicted == size
        trips[size] = STATS.snapshot()
    rounds = {size: snap["round_trips"] for size, snap in trips.items()}
    assert rounds[10] == rounds[45] == rounds[120], rounds
    # features, history, one MERGE of predictions, one MERGE of run rows; breakers: one read, and the
    # success MERGE unless the successes are left to the run's recording
    assert rounds[45] == {"predictions": 4, "guards": 2 if record_successes else 1}
    mutations = trips[45]["mutations"]
    assert mutations["predictions:nba_predictions.player_prop_predictions"] == 1
    assert mutations["predictions:nba_predictions.prediction_worker_runs"] == 1
    assert mutations.get(f"guards:{BREAKER_TABLE}", 0) == (1 if record_successes else 0)


def test_a_run_writes_the_breaker_table_once_for_2_or_10_batches(wh):
    """The whole slate as the DAG runs it, cut into 2 and then 10 batches: the batches write no
    breaker, the run's recording one statement, and each run is one success per system."""
    players = eligible_players(wh, GAME_DAY)
    systems, _, model = _systems()
    store = breaker_store(wh)
    writes = {}
    for run, count in enumerate((2, 10), start=1):
        batches = make_batches(players, -(-len(players) // count))
        assert len(batches) == count
        STATS.reset()
        results = [predict_batch(wh, b, systems, breaker_store=store, model_version=model.current,
                                 record_successes=False) for b in batches]
        by_batches = _breaker_mutations()
        summary = record_pending_successes(store, [r.to_json() for r in results])
        writes[count] = (by_batches, _breaker_mutations() - by_batches)
        assert summary["recorded"] == sorted(SYSTEM_IDS) and summary["batches"] == count
        breakers = store.read({k: settings_for(k) for k in SYSTEM_IDS})
        assert {k: (b.state, b.success_count) for k, b in breakers.items()} == {k: (State.CLOSED, run)
                                                                              for k in SYSTEM_IDS}
    assert writes == {2: (0, 1), 10: (0, 1)}


# --------------------------------------------------------------------------- no model, damaged model


def test_no_trained_model_skips_xgboost_and_a_damaged_one_fails_it(wh, settings_env, tmp_path):
    """A fresh install (no model stored): xgboost_v1 is skipped with no_model, its breaker untouched,
    the ensemble made of the other three. A model file that is there but unreadable is a failure."""
    from nba_pipeline.settings import get_settings

    batch = make_batches(eligible_players(wh, GAME_DAY), 45)[0]
    store = breaker_store(wh)
    settings_env.setenv("NBA_MODEL_ROOT", str(tmp_path / "fresh"))
    get_settings.cache_clear()
    systems, _, model = _systems()
    result = predict_batch(wh, batch, systems, breaker_store=store, model_version=model.current)
    xgb = result.systems["xgboost_v1"]
    assert (xgb.skip_reason, xgb.breaker_outcome, xgb.attempted, xgb.error) == ("no_model", None, 0, None)
    assert "no usable xgboost_v1 model" in xgb.skip_detail and "nba_model_training" in xgb.skip_detail
    assert result.players_predicted == len(batch["players"]) and result.circuits_opened == ()
    assert "xgboost_v1" not in {b.key for b in store.read_all()}, "a skip never touches the breaker"
    rows = _run_rows(wh, batch)
    assert all("xgboost_v1" not in r["systems_attempted"] + r["systems_failed"] for r in rows)
    assert all("ensemble_v1" in r["systems_succeeded"] and r["skip_reason"] is None for r in rows)
    assert wh.query(f"SELECT COUNT(*) AS n FROM {PREDICTIONS} WHERE system_id = 'xgboost_v1'")[0]["n"] == 0

    damaged = tmp_path / "damaged" / "xgboost_v1" / "20250110T000000Z"
    damaged.mkdir(parents=True)
    (damaged / "metrics.json").write_text(json.dumps({"beats_baseline": True, "feature_names": list(FEATURE_NAMES)}))
    (damaged / "model.json").write_text("not a model")
    settings_env.setenv("NBA_MODEL_ROOT", str(tmp_path / "damaged"))
    get_settings.cache_clear()
    systems, _, model = _systems()
    result = predict_batch(wh, batch, systems, breaker_store=store, model_version=model.current)
    xgb = result.systems["xgboost_v1"]
    assert (xgb.skip_reason, xgb.breaker_outcome, xgb.attempted) == (None, "failure", len(batch["players"]))
    assert "damaged version" in xgb.error
    breaker = store.read({"xgboost_v1": settings_for("xgboost_v1")})["xgboost_v1"]
    assert (breaker.state, breaker.failure_count, breaker.last_error_type) == (State.CLOSED, 1, "SystemFailure")


# --------------------------------------------------------------------------- grading


def test_grading_matches_figures_computed_from_the_rows(wh):
    batches = make_batches(eligible_players(wh, GAME_DAY), 45)
    systems, _, model = _systems()
    store = breaker_store(wh)
    for batch in batches:
        predict_batch(wh, batch, systems, breaker_store=store, model_version=model.current)
    assert grade_predictions(wh, GAME_DAY, now=T0) == 5

    predictions = wh.query(f"SELECT system_id, player_lookup, predicted_points, recommendation, current_points_line "
                           f"FROM {PREDICTIONS} WHERE game_date = @d", {"d": GAME_DAY})
    actual = {r["player_lookup"]: r["points"] for r in wh.query(
        "SELECT player_lookup, points FROM nba_analytics.player_game_summary WHERE game_date = @d "
        "AND minutes_played > 0", {"d": GAME_DAY})}
    grades = {r["system_id"]: r for r in wh.query("SELECT * FROM nba_predictions.prediction_grades")}
    assert set(grades) == {p["system_id"] for p in predictions}
    for system_id, grade in grades.items():
        mine = [p for p in predictions if p["system_id"] == system_id]
        graded = [p for p in mine if p["player_lookup"] in actual]
        calls = [p for p in graded if p["recommendation"] in ("OVER", "UNDER")]
        def hit(p):
            scored, line = actual[p["player_lookup"]], p["current_points_line"]
            rec = p["recommendation"]
            return (rec == "OVER" and scored > line) or (rec == "UNDER" and scored < line)

        hits = [p for p in calls if hit(p)]
        mae = sum(abs(p["predicted_points"] - actual[p["player_lookup"]]) for p in graded) / len(graded)
        assert (grade["predictions"], grade["graded"], grade["calls"], grade["hits"]) == (
            len(mine), len(graded), len(calls), len(hits)), system_id
        assert 0 < len(graded) <= len(mine) and len(calls) > 0
        assert grade["hit_rate"] == pytest.approx(len(hits) / len(calls), abs=5e-5)
        assert grade["mean_absolute_error"] == pytest.approx(mae, abs=5e-5)
    assert grade_predictions(wh, GAME_DAY, now=T0 + dt.timedelta(hours=1)) == 0, "a rerun changes nothing"
    assert grade_predictions(wh, GAME_DAY + dt.timedelta(days=3)) == 0, "no predictions: nothing graded"


# --------------------------------------------------------------------------- the Airflow side

PROBE_DAG = '''
"""Phase 5 behind two stand-in upstream tasks (the feature store and the player summaries)."""
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import DAG, Param

from nba_pipeline.dag.defaults import START_DATE, TIMEZONE, default_args
from nba_pipeline.dag.run_outcome import fail_run_when_a_task_fails
from nba_pipeline.dag.phase5 import build_phase5


def _feature_store_ran(**context):
    return bool(context["params"]["feature_store_ran"])


with DAG(
    dag_id="phase5_probe", schedule=None, start_date=START_DATE, catchup=False, max_active_runs=1,
    tags=["nba"], default_args=default_args(retries=0), doc_md=__doc__,
    params={"game_date": Param(None, type=["null", "string"]), "feature_store_ran": Param(True, type="boolean")},
) as dag:
    features = ShortCircuitOperator(task_id="ml_feature_store_run", python_callable=_feature_store_ran,
                                    ignore_downstream_trigger_rules=False)
    summaries = EmptyOperator(task_id="player_game_summary_run")
    build_phase5(upstream_feature_task=features, upstream_grading_task=summaries)
    fail_run_when_a_task_fails(dag)
'''


@pytest.fixture
def probe_dag(airflow_db, wh, tmp_path):
    from tests.airflow_runs import load_dag

    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "phase5_probe.py").write_text(PROBE_DAG)
    return load_dag(folder, "phase5_probe")


def _instances(dag_run) -> dict[str, list]:
    found: dict[str, list] = {}
    for ti in dag_run.get_task_instances():
        found.setdefault(ti.task_id, []).append(ti)
    return found


def test_the_task_group_maps_batches_labels_them_and_grades_the_previous_day(probe_dag, wh):
    from tests.airflow_runs import run_dag

    yesterday = GAME_DAY - dt.timedelta(days=1)
    systems, _, model = _systems()
    for batch in make_batches(eligible_players(wh, yesterday), 45):
        predict_batch(wh, batch, systems, breaker_store=breaker_store(wh), model_version=model.current)
    players = eligible_players(wh, GAME_DAY)
    expected = make_batches(players, 45)
    wh.close()  # the DAG's tasks open the same file through the configured settings

    dag_run = run_dag(probe_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    tis = _instances(dag_run)
    assert dag_run.state == "success", {k: [t.state for t in v] for k, v in tis.items()}
    predict = sorted(tis["phase_5_predictions.predict"], key=lambda t: t.map_index)
    assert [t.state for t in predict] == ["success"] * len(expected)
    assert [t.rendered_map_index for t in predict] == [f"batch {i}: {len(b['players'])} players"
                                                       for i, b in enumerate(expected)]
    assert tis["phase_5_predictions.grade_previous_day"][0].state == "success"
    assert tis["phase_5_predictions.record_successes"][0].state == "success"
    assert tis["fail_run_if_a_task_failed"][0].state == "success", "nothing failed"
    runs = wh.query(f"SELECT COUNT(*) AS n, COUNT(DISTINCT worker_id) AS w FROM {RUNS} WHERE game_date = @d",
                    {"d": GAME_DAY})[0]
    assert runs == {"n": len(players), "w": len(expected)}
    grades = wh.query("SELECT system_id, graded FROM nba_predictions.prediction_grades WHERE game_date = @d",
                      {"d": yesterday})
    assert len(grades) == 5 and all(g["graded"] > 0 for g in grades)


def test_a_skipped_feature_store_skips_predictions_but_not_grading(probe_dag, wh):
    from tests.airflow_runs import run_dag

    wh.close()
    dag_run = run_dag(probe_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat(), "feature_store_ran": False})
    tis = _instances(dag_run)
    assert tis["phase_5_predictions.coordinate"][0].state == "skipped"
    assert {t.state for t in tis["phase_5_predictions.predict"]} == {"skipped"}
    # yesterday has no predictions in this warehouse: grading ran and skipped itself with no_data
    grade = tis["phase_5_predictions.grade_previous_day"][0]
    assert grade.state == "skipped"
    assert grade.xcom_pull(task_ids=grade.task_id, key="skip_reason")["reason"] == "no_data"
    assert _count(wh, RUNS) == 0
    assert tis["phase_5_predictions.record_successes"][0].state == "success", "all_done: runs, records nothing"
    assert tis["fail_run_if_a_task_failed"][0].state == "success"
    assert {b.key for b in breaker_store(wh).read_all()} & set(SYSTEM_IDS) == set(), "no system breaker written"


def test_a_date_without_eligible_players_skips_with_a_reason(probe_dag, wh):
    from tests.airflow_runs import run_dag

    wh.close()
    day = dt.date(2025, 2, 16)  # All-Star break: no games, no context rows
    dag_run = run_dag(probe_dag, day, {"game_date": day.isoformat()})
    tis = _instances(dag_run)
    coordinate = tis["phase_5_predictions.coordinate"][0]
    assert coordinate.state == "skipped"
    assert coordinate.xcom_pull(task_ids=coordinate.task_id, key="skip_reason")["reason"] == "no_data"
    assert {t.state for t in tis["phase_5_predictions.predict"]} == {"skipped"}


def _breaker_writes_of_a_run(probe_dag, wh, settings_env, batch_size: int):
    """One probe run with the given batch size: (mapped batches, statements on the breaker table)."""
    from nba_pipeline.settings import get_settings
    from tests.airflow_runs import run_dag

    settings_env.setenv("NBA_PREDICTION_BATCH_SIZE", str(batch_size))
    get_settings.cache_clear()
    wh.close()
    STATS.reset()
    dag_run = run_dag(probe_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    writes = _breaker_mutations()
    tis = _instances(dag_run)
    assert dag_run.state == "success", {k: [t.state for t in v] for k, v in tis.items()}
    return len(tis["phase_5_predictions.predict"]), writes


def test_the_dag_writes_the_breaker_table_once_per_run_for_2_or_10_batches(probe_dag, wh, settings_env):
    """Under dag.test(): 2 batches and 10 batches of the same slate each cost the breaker table one
    statement (record_successes' MERGE); every system gains one success per run."""
    players = len(eligible_players(wh, GAME_DAY))
    two = _breaker_writes_of_a_run(probe_dag, wh, settings_env, -(-players // 2))
    assert two == (2, 1)
    ten = _breaker_writes_of_a_run(probe_dag, wh, settings_env, -(-players // 10))
    assert ten == (10, 1)
    breakers = breaker_store(wh).read({k: settings_for(k) for k in SYSTEM_IDS})
    assert {k: (b.state, b.success_count, b.failure_count) for k, b in breakers.items()} == {
        k: (State.CLOSED, 2, 0) for k in SYSTEM_IDS}


def test_a_failed_batch_still_fails_the_run(probe_dag, wh):
    """Every system's breaker open: each batch fails (no system could run). record_successes runs all
    the same (all_done) and has nothing to record; the failure watcher keeps the run failed."""
    from nba_pipeline.breakers import BreakerAction, apply_action
    from tests.airflow_runs import run_dag

    for key in SYSTEM_IDS:
        apply_action(wh, BreakerAction.OPEN, key, reason="test: everything down")
    before = breaker_store(wh).read_all()
    wh.close()
    dag_run = run_dag(probe_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    tis = _instances(dag_run)
    assert dag_run.state == "failed"
    assert {t.state for t in tis["phase_5_predictions.predict"]} == {"failed"}
    record = tis["phase_5_predictions.record_successes"][0]
    assert record.state == "success"
    assert record.xcom_pull(task_ids=record.task_id)["recorded"] == []
    assert tis["fail_run_if_a_task_failed"][0].state == "failed"
    assert breaker_store(wh).read_all() == before, "rejections are no failures; nothing else to write"


# --------------------------------------------------------------------------- cost


def test_a_batchs_billed_figures_are_split_evenly_over_its_players_run_rows(wh):
    """What each job reports (through the hook the BigQuery backend calls) reaches the run rows: the
    batch's jobs up to its predictions MERGE, split evenly, the rows adding up to the jobs' figures.
    On the embedded warehouse, which reports nothing, the columns stay NULL."""
    from nba_pipeline.warehouse.base import record_job_cost
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    per_job = (1_001, 10 * 1024 * 1024, 7)  # bytes processed, bytes billed, slot ms

    class Billed(DuckDBWarehouse):
        """The embedded warehouse, each statement reporting ``per_job`` as a BigQuery job does."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.statements: list[str] = []

        def query(self, sql, params=None):
            self.statements.append(sql)
            rows = super().query(sql, params)
            record_job_cost(*per_job)
            return rows

        def execute(self, sql, params=None):
            self.statements.append(sql)
            changed = super().execute(sql, params)
            record_job_cost(*per_job)
            return changed

    batches = make_batches(eligible_players(wh, GAME_DAY), 45)
    systems, _, model = _systems()
    unbilled = predict_batch(wh, batches[1], systems, breaker_store=breaker_store(wh), model_version=model.current)
    assert unbilled.players_predicted > 0
    assert {(r["bytes_processed"], r["bytes_billed"], r["slot_ms"]) for r in _run_rows(wh, batches[1])} == {
        (None, None, None)}

    billed = Billed(wh.path, lock_wait_seconds=5)
    try:
        predict_batch(billed, batches[0], systems, breaker_store=breaker_store(billed), model_version=model.current)
    finally:
        billed.close()
    runs_merge = next(i for i, sql in enumerate(billed.statements) if sql.startswith(f"MERGE {RUNS} "))
    assert billed.statements[runs_merge - 1].startswith(f"MERGE {PREDICTIONS} ")
    rows = _run_rows(wh, batches[0])
    assert len(rows) == len(batches[0]["players"]) > 1
    for column, figure in zip(("bytes_processed", "bytes_billed", "slot_ms"), per_job, strict=True):
        shares = [r[column] for r in rows]
        assert sum(shares) == runs_merge * figure, column
        assert max(shares) - min(shares) <= 1, column
