"""Phase 5 breaker writes on hand-built rows: successes of every batch recorded in one statement after
the run, failures and trials recorded by the batch at once, and a system without a model skipped."""

from __future__ import annotations

import datetime as dt

import pytest

from nba_pipeline.features import FEATURE_DEFAULTS, FEATURE_NAMES
from nba_pipeline.guards.breaker import BreakerSettings, State
from nba_pipeline.predictions.contract import SYSTEM_IDS, Recommendation, SystemPrediction, SystemSkip
from nba_pipeline.predictions.coordinator import EligiblePlayer, make_batches
from nba_pipeline.predictions.worker import predict_batch
from nba_pipeline.predictions.worker.breakers import record_pending_successes
from nba_pipeline.registry.guard_tables import BREAKER_TABLE, breaker_store
from nba_pipeline.warehouse import STATS

DAY = dt.date(2025, 1, 15)
T0 = dt.datetime(2025, 1, 15, 15, 0, tzinfo=dt.UTC)
XGB = "xgboost_v1"
#: xgboost_v1 opens after 3 failures and retries after an hour; one trial at a time unless a test says so
SETTINGS = {key: BreakerSettings(threshold=3, timeout_seconds=3600) for key in SYSTEM_IDS}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, seconds: float = 1) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Echo:
    """Predicts points_avg_last_5 + offset for every player; raises while ``failing``; ``during``
    runs inside the call (to start another batch while this one holds its trial)."""

    def __init__(self, system_id: str, offset: float = 0.0) -> None:
        self.system_id, self.offset = system_id, offset
        self.failing, self.calls, self.during = False, 0, None

    def predict_batch(self, players):
        self.calls += 1
        if self.during is not None:
            during, self.during = self.during, None
            during()
        if self.failing:
            raise RuntimeError(f"{self.system_id} is down")
        return {p.player_lookup: SystemPrediction(self.system_id, p.features["points_avg_last_5"] + self.offset,
                                                  60.0, Recommendation.PASS, p.line) for p in players}


class Mean:
    system_id = "ensemble_v1"

    def combine(self, player, predictions):
        value = sum(p.predicted_points for p in predictions) / len(predictions)
        return SystemPrediction(self.system_id, value, 70.0, Recommendation.PASS, player.line)


class NoModel(Echo):
    """xgboost_v1 as it behaves with no trained model: it skips itself."""

    def predict_batch(self, players):
        self.calls += 1
        raise SystemSkip("no_model", "no usable xgboost_v1 model under /models; run the nba_model_training DAG")


def _systems(**overrides) -> dict:
    systems = {key: Echo(key, i * 0.5) for i, key in enumerate(SYSTEM_IDS[:-1])}
    systems["ensemble_v1"] = Mean()
    systems.update(overrides)
    return systems


def _players(n: int) -> list[EligiblePlayer]:
    return [EligiblePlayer(f"p{i:02d}", "20250115_BOS_NYK", DAY, "BOS", "NYK", False, 18.5, "draftkings", False)
            for i in range(n)]


@pytest.fixture
def wh(migrated_warehouse):
    values = dict(FEATURE_DEFAULTS, points_avg_last_5=20.0)
    migrated_warehouse.insert_rows("nba_predictions.ml_feature_store_v2", [
        {"player_lookup": p.player_lookup, "game_date": DAY, "game_id": p.game_id,
         "features": [float(values[n]) for n in FEATURE_NAMES], "feature_names": list(FEATURE_NAMES),
         "feature_count": len(FEATURE_NAMES), "feature_version": "v1_baseline_25", "feature_quality_score": 95.0,
         "missing_features": [], "opponent_team_abbr": "NYK", "loaded_at": T0}
        for p in _players(20)
    ])
    return migrated_warehouse


def _run(wh, store, clock, systems, batch_count: int, **kwargs):
    """One phase 5 run as the DAG does it: every batch with its successes left pending, then one
    recording of them all. Returns the batch results, the recording's summary and the mutating
    statements on the breaker table (by the batches, by the recording)."""
    size = -(-20 // batch_count)
    batches = make_batches(_players(20), size)
    assert len(batches) == batch_count
    results, by_batches = [], 0
    for batch in batches:
        clock.tick()
        STATS.reset()
        results.append(predict_batch(wh, batch, systems.values(), breaker_store=store, clock=clock,
                                     breaker_settings=SETTINGS, record_successes=False, **kwargs))
        by_batches += _breaker_mutations()
    clock.tick()
    STATS.reset()
    summary = record_pending_successes(store, [r.to_json() for r in results], SETTINGS)
    return results, summary, (by_batches, _breaker_mutations())


def _breaker_mutations() -> int:
    return sum(n for key, n in STATS.snapshot()["mutations"].items() if key.endswith(":" + BREAKER_TABLE))


def _breakers(store) -> dict:
    return store.read(SETTINGS)


# --------------------------------------------------------------------------- successes


def test_two_or_ten_batches_cost_the_breaker_table_one_statement_per_run(wh):
    """Healthy systems: no batch writes a breaker; the run's recording is one MERGE, so 2 and 10
    batches send the same single statement, and each run counts one success per system."""
    clock = Clock()
    store = breaker_store(wh, clock=clock)
    systems = _systems()
    results, summary, writes = _run(wh, store, clock, systems, 2)
    assert writes == (0, 1)
    assert summary == {"batches": 2, "recorded": sorted(SYSTEM_IDS), "superseded": [], "statements": 2}
    assert all(set(r.pending_successes) == set(SYSTEM_IDS) for r in results)
    assert {k: (b.state, b.success_count, b.version) for k, b in _breakers(store).items()} == {
        k: (State.CLOSED, 1, 1) for k in SYSTEM_IDS}

    results, summary, writes = _run(wh, store, clock, systems, 10)
    assert writes == (0, 1)
    assert summary["batches"] == 10 and summary["statements"] == 2
    assert sum(r.players_predicted for r in results) == 20
    breakers = _breakers(store)
    assert {k: (b.state, b.success_count, b.failure_count) for k, b in breakers.items()} == {
        k: (State.CLOSED, 2, 0) for k in SYSTEM_IDS}
    assert {b.last_success for b in breakers.values()} == {clock.now}


def test_the_batch_summary_carries_its_pending_successes_as_json(wh):
    clock = Clock()
    batch = make_batches(_players(4), 4)[0]
    result = predict_batch(wh, batch, _systems().values(), breaker_store=breaker_store(wh, clock=clock), clock=clock,
                           record_successes=False)
    assert result.to_json()["pending_successes"] == {k: T0.isoformat() for k in sorted(SYSTEM_IDS)}
    assert {k: s.breaker_outcome for k, s in result.systems.items()} == {k: "success" for k in SYSTEM_IDS}
    assert breaker_store(wh).read_all() == [], "nothing written: every outcome was a pending success"


# --------------------------------------------------------------------------- failures


def test_a_failing_system_is_recorded_at_once_opens_at_its_threshold_and_later_runs_skip_it(wh):
    """Each failing batch writes its failure at once (every failed attempt counts), so the breaker
    opens mid-run at 3 and the run's fourth batch already skips the system; the next run skips it
    in every batch and its breaker sees one statement (the others' successes)."""
    clock = Clock()
    store = breaker_store(wh, clock=clock)
    systems = _systems()
    xgb = systems[XGB]
    xgb.failing = True
    results, summary, writes = _run(wh, store, clock, systems, 4)
    assert [r.systems[XGB].breaker_outcome for r in results] == ["failure", "failure", "failure", None]
    assert [r.systems[XGB].admission for r in results] == ["proceed", "proceed", "proceed", "reject"]
    assert [list(r.opened_by_batch) for r in results] == [[], [], [XGB], []]
    assert [r.circuits_opened for r in results] == [(), (), (XGB,), (XGB,)]
    assert xgb.calls == 3
    assert writes == (3, 1), "three failures at once, the four other systems' successes in one statement"
    assert summary["recorded"] == sorted(set(SYSTEM_IDS) - {XGB})
    breaker = _breakers(store)[XGB]
    assert (breaker.state, breaker.failure_count, len(breaker.failure_history)) == (State.OPEN, 3, 3)
    assert breaker.last_error_message == "xgboost_v1 is down"

    clock.tick(600)  # open, within its timeout
    results, summary, writes = _run(wh, store, clock, systems, 4)
    assert {r.systems[XGB].admission for r in results} == {"reject"} and xgb.calls == 3
    assert writes == (0, 1)
    assert all(r.players_predicted == 5 for r in results), "the ensemble goes on with the other systems"
    again = _breakers(store)[XGB]
    assert (again.state, again.failure_count, again.version) == (State.OPEN, 3, breaker.version), "a skip is no failure"


def test_a_success_older_than_a_recorded_failure_does_not_reset_the_count(wh):
    """Pending successes are written after the run; one that came before a failure the breaker has
    already counted is left alone, so the consecutive failures stand. A later success resets them."""
    clock = Clock()
    store = breaker_store(wh, clock=clock)
    systems = _systems()
    first, second, third = make_batches(_players(12), 4)
    ok = predict_batch(wh, first, systems.values(), breaker_store=store, clock=clock, breaker_settings=SETTINGS,
                       record_successes=False)
    clock.tick()
    systems[XGB].failing = True
    failed = predict_batch(wh, second, systems.values(), breaker_store=store, clock=clock, breaker_settings=SETTINGS,
                           record_successes=False)
    assert failed.systems[XGB].breaker_outcome == "failure" and XGB not in failed.pending_successes
    summary = record_pending_successes(store, [ok.to_json(), failed.to_json()], SETTINGS)
    assert summary["superseded"] == [XGB] and XGB not in summary["recorded"]
    breaker = _breakers(store)[XGB]
    assert (breaker.state, breaker.failure_count, breaker.success_count) == (State.CLOSED, 1, 0)

    clock.tick()
    systems[XGB].failing = False
    later = predict_batch(wh, third, systems.values(), breaker_store=store, clock=clock, breaker_settings=SETTINGS,
                          record_successes=False)
    summary = record_pending_successes(store, [later], SETTINGS)
    assert summary["recorded"] == sorted(SYSTEM_IDS) and summary["superseded"] == []
    breaker = _breakers(store)[XGB]
    assert (breaker.state, breaker.failure_count, breaker.success_count) == (State.CLOSED, 0, 1)


# --------------------------------------------------------------------------- trials


def _open_past_timeout(store, clock) -> None:
    store.force_open(XGB, SETTINGS[XGB], "model server down")
    clock.tick(3601)


def test_a_trial_success_closes_the_breaker_at_once_and_the_rest_of_the_run_uses_the_system(wh):
    """The first batch claims the trial and writes its success at once: the breaker closes, the
    following batches of the same run proceed, and their successes join the run's one statement."""
    clock = Clock()
    store = breaker_store(wh, clock=clock)
    systems = _systems()
    _open_past_timeout(store, clock)
    results, summary, writes = _run(wh, store, clock, systems, 4)
    assert [r.systems[XGB].admission for r in results] == ["trial", "proceed", "proceed", "proceed"]
    assert [XGB in r.pending_successes for r in results] == [False, True, True, True]
    assert writes == (2, 1), "the trial's claim and its success, then the run's successes"
    assert summary["recorded"] == sorted(SYSTEM_IDS)
    breaker = _breakers(store)[XGB]
    assert (breaker.state, breaker.failure_count, breaker.half_open_calls, breaker.success_count) == (
        State.CLOSED, 0, 0, 2)


@pytest.mark.parametrize("max_calls", [1, 2])
def test_a_half_open_system_runs_in_no_more_batches_at_once_than_its_trial_slots(wh, max_calls):
    """Batches start while earlier ones are still inside the system: only ``half_open_max_calls`` of
    them are admitted; the rest skip it with circuit_open, and the trials' successes close it."""
    settings = {**SETTINGS, XGB: BreakerSettings(threshold=3, timeout_seconds=3600, half_open_max_calls=max_calls)}
    clock = Clock()
    store = breaker_store(wh, clock=clock)
    systems = _systems()
    xgb = systems[XGB]
    store.force_open(XGB, settings[XGB], "model server down")
    clock.tick(3601)
    batches = make_batches(_players(20), 5)
    results: dict[int, object] = {}

    def run(index: int) -> None:
        if index == len(batches):
            return
        follow = lambda: run(index + 1)  # noqa: E731
        xgb.during = follow  # the next batch starts while this one is inside xgboost_v1 ...
        results[index] = predict_batch(wh, batches[index], systems.values(), breaker_store=store, clock=clock,
                                       breaker_settings=settings, record_successes=False)
        if xgb.during is follow:  # ... or, if this one never got in, once it is done
            xgb.during = None
            follow()

    run(0)
    admissions = [results[i].systems[XGB].admission for i in range(len(batches))]
    assert admissions == ["trial"] * max_calls + ["reject"] * (len(batches) - max_calls)
    assert xgb.calls == max_calls
    assert all(results[i].circuits_opened == () for i in range(max_calls))
    breaker = store.read(settings)[XGB]
    assert (breaker.state, breaker.half_open_calls, breaker.failure_count) == (State.CLOSED, 0, 0)


def test_a_deferred_success_of_an_ignored_half_open_breaker_closes_it(wh):
    """ignore_breakers runs a system whatever its breaker says and takes no trial slot: its success
    is a pending one, and the run's recording closes the HALF_OPEN breaker."""
    clock = Clock()
    store = breaker_store(wh, clock=clock)
    _open_past_timeout(store, clock)
    admission, breaker = store.request(XGB, SETTINGS[XGB])  # a trial claimed by a batch that never reported
    assert (str(admission), breaker.state) == ("trial", State.HALF_OPEN)
    results, summary, writes = _run(wh, store, clock, _systems(), 2, ignore_breakers=[XGB])
    assert [r.systems[XGB].admission for r in results] == ["ignored", "ignored"]
    assert summary["recorded"] == sorted(SYSTEM_IDS)
    assert writes == (0, 2), "one MERGE for the healthy four, a compare-and-set for xgboost_v1"
    breaker = _breakers(store)[XGB]
    assert (breaker.state, breaker.failure_count, breaker.half_open_calls) == (State.CLOSED, 0, 0)


# --------------------------------------------------------------------------- no model


def test_a_system_without_a_model_is_skipped_not_failed(wh):
    """xgboost_v1 with no trained model: skipped with no_model in every batch, its breaker never
    written, the other systems and the ensemble predict every player."""
    clock = Clock()
    store = breaker_store(wh, clock=clock)
    systems = _systems(xgboost_v1=NoModel(XGB))
    results, summary, writes = _run(wh, store, clock, systems, 4)
    for result in results:
        xgb = result.systems[XGB]
        assert (xgb.skip_reason, xgb.breaker_outcome, xgb.attempted, xgb.state_after) == ("no_model", None, 0, "CLOSED")
        assert "nba_model_training" in xgb.skip_detail
        assert result.players_predicted == 5 and result.circuits_opened == ()
        assert result.to_json()["systems"][XGB]["skip_reason"] == "no_model"
    assert systems[XGB].calls == 4
    assert writes == (0, 1) and summary["recorded"] == sorted(set(SYSTEM_IDS) - {XGB})
    assert XGB not in {b.key for b in store.read_all()}, "no breaker row: never counted"
    rows = wh.query("SELECT systems_attempted, systems_failed, systems_succeeded, success, skip_reason, "
                    "error_system FROM nba_predictions.prediction_worker_runs")
    assert len(rows) == 20
    assert all(r["systems_attempted"] == r["systems_succeeded"] == [k for k in SYSTEM_IDS if k != XGB] for r in rows)
    assert all(r["systems_failed"] == [] and r["success"] and r["skip_reason"] is None and r["error_system"] is None
               for r in rows)
    ensemble = wh.query("SELECT COUNT(*) AS n FROM nba_predictions.player_prop_predictions "
                        "WHERE system_id = 'ensemble_v1'")[0]["n"]
    assert ensemble == 20


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail_open", "fail_closed"])
def test_a_bad_breaker_row_decides_for_its_system_alone(wh, settings_env, fail_open):
    """A system whose breaker row holds a state no breaker has: it runs (fail open) or is rejected
    (fail closed), the other systems run and are recorded, and the bad row is left as it was."""
    from nba_pipeline.settings import get_settings

    settings_env.setenv("NBA_BREAKER_FAIL_OPEN", "true" if fail_open else "false")
    get_settings.cache_clear()
    wh.execute(
        f"INSERT INTO {BREAKER_TABLE} (processor_name, state, updated_at, version) "
        "VALUES (@k, 'BANANA', @t, 1)",
        {"k": XGB, "t": T0},
    )
    clock = Clock()
    store = breaker_store(wh, clock=clock)
    systems = _systems()
    results, summary, _ = _run(wh, store, clock, systems, 2)
    assert systems[XGB].calls == (2 if fail_open else 0)
    assert {k for r in results for k in r.pending_successes} == set(SYSTEM_IDS) - ({XGB} if not fail_open else set())
    assert summary["recorded"] == sorted(set(SYSTEM_IDS) - {XGB}), "nothing is counted on the bad row"
    scanned = store.scan(SETTINGS)
    assert set(scanned.invalid) == {XGB} and "state = 'BANANA'" in str(scanned.invalid[XGB])
    assert {k: b.success_count for k, b in scanned.breakers.items()} == {k: 1 for k in SYSTEM_IDS if k != XGB}
