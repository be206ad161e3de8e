"""Guards under real ``dag.test()`` runs of a toy pipeline on the embedded warehouse."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.airflow_runs import load_dag, run_dag, task_states
from tests.conftest import PROJECT_ROOT
from tests.dags import toy_processors

GAME_DAY = dt.date(2025, 1, 15)
OFF_DAY = dt.date(2025, 1, 16)
OFFSEASON_DAY = dt.date(2025, 7, 15)

pytestmark = pytest.mark.integration


@pytest.fixture
def toy_warehouse(migrated_warehouse, settings_env):
    settings_env.setenv("NBA_DEPENDENCY_POKE_SECONDS", "1")
    settings_env.setenv("NBA_DEPENDENCY_TIMEOUT_SECONDS", "2")
    toy_processors.create_tables(migrated_warehouse)
    events = [
        GAME_DAY,
        GAME_DAY,
        dt.date(2025, 1, 17),
        dt.date(2025, 1, 14),
        dt.date(2025, 6, 20),
        dt.date(2025, 10, 21),
    ]
    migrated_warehouse.insert_rows(
        "nba_raw.toy_events",
        [{"event_date": d, "label": f"e{i}", "loaded_at": dt.datetime.now(dt.UTC)} for i, d in enumerate(events)],
    )
    migrated_warehouse.close()  # dag.test() opens the same file through the configured settings
    return migrated_warehouse


@pytest.fixture
def guard_dag(airflow_db, toy_warehouse):
    return load_dag(PROJECT_ROOT / "tests" / "dags", "guard_scenario")


def test_game_day_runs_everything(guard_dag, toy_warehouse):
    dag_run = run_dag(guard_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    states = task_states(dag_run)
    assert dag_run.state == "success", states
    assert states["phase_4_precompute.delta.run"] == "success"
    rows = toy_warehouse.query(
        "SELECT processor_name, status, skip_reason FROM nba_processing.toy_runs WHERE phase = 2 ORDER BY 1"
    )
    assert rows == [
        {"processor_name": "alpha", "status": "success", "skip_reason": None},
        {"processor_name": "flaky", "status": "success", "skip_reason": None},
    ]
    pre = toy_warehouse.query(
        "SELECT processor_name, status, dependency_check_passed, data_completeness_pct "
        "FROM nba_processing.toy_runs WHERE phase = 4"
    )
    assert pre == [
        {
            "processor_name": "delta",
            "status": "success",
            "dependency_check_passed": True,
            "data_completeness_pct": 100.0,
        }
    ]


def _run_rows(warehouse, phase: int) -> list[dict]:
    """The phase's run rows in the toy pipeline's run table."""
    return warehouse.query(
        "SELECT processor_name, status, skip_reason FROM nba_processing.toy_runs WHERE phase = @p "
        "ORDER BY processor_name, run_id",
        {"p": phase},
    )


@pytest.mark.parametrize(
    ("day", "reason"),
    [(OFF_DAY, "no_events"), (OFFSEASON_DAY, "offseason")],
)
def test_days_without_games_skip_every_processor_with_the_reason(guard_dag, toy_warehouse, day, reason):
    dag_run = run_dag(guard_dag, day, {"game_date": day.isoformat()})
    states = task_states(dag_run)
    assert dag_run.state == "success", states
    assert states["calendar.check"] == "success"
    assert {s for t, s in states.items() if t.endswith(".run")} == {"skipped"}
    assert _run_rows(toy_warehouse, 2) == [
        {"processor_name": "alpha", "status": "skipped", "skip_reason": reason},
        {"processor_name": "flaky", "status": "skipped", "skip_reason": reason},
    ]
    assert _run_rows(toy_warehouse, 3) == [
        {"processor_name": "beta", "status": "skipped", "skip_reason": reason},
        {"processor_name": "gamma", "status": "skipped", "skip_reason": reason},
    ]
    assert _run_rows(toy_warehouse, 4) == [
        {"processor_name": "delta", "status": "skipped", "skip_reason": reason},
    ]
    assert toy_warehouse.query("SELECT COUNT(*) AS n FROM nba_raw.toy_alpha")[0]["n"] == 0


def test_old_dates_are_historical_unless_backfill(guard_dag, toy_warehouse):
    late = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    skipped = run_dag(guard_dag, late, {"game_date": GAME_DAY.isoformat()})
    assert task_states(skipped)["phase_2_raw.alpha.run"] == "skipped"
    assert {r["skip_reason"] for r in _run_rows(toy_warehouse, 2)} == {"historical"}
    backfilled = run_dag(
        guard_dag, late + dt.timedelta(minutes=1), {"game_date": GAME_DAY.isoformat(), "backfill": True}
    )
    assert task_states(backfilled)["phase_4_precompute.delta.run"] == "success"


def test_irrelevant_source_skips_only_what_depends_on_it(guard_dag, toy_warehouse):
    dag_run = run_dag(guard_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat(), "sources": ["alpha_feed"]})
    states = task_states(dag_run)
    assert states["phase_2_raw.flaky.run"] == "skipped"
    assert states["phase_3_analytics.gamma.run"] == "skipped"
    for independent in ("phase_2_raw.alpha.run", "phase_3_analytics.beta.run", "phase_4_precompute.delta.run"):
        assert states[independent] == "success", independent
    raw = {r["processor_name"]: r["skip_reason"] for r in _run_rows(toy_warehouse, 2)}
    assert raw == {"alpha": None, "flaky": "irrelevant_source"}
    analytics = {
        r["processor_name"]: r["skip_reason"]
        for r in _run_rows(toy_warehouse, 3)
    }
    assert analytics == {"beta": None, "gamma": "irrelevant_source"}, "gamma reads flaky_feed through flaky"


def _breaker(warehouse, key: str) -> dict:
    return warehouse.query(
        "SELECT state, failure_count, half_open_calls, ARRAY_LENGTH(failure_history) AS history "
        "FROM nba_orchestration.toy_breakers WHERE processor_name = @k",
        {"k": key},
    )[0]


def _let_timeout_pass(warehouse, key: str) -> None:
    """Move the breaker's opening two hours back, as if its one-hour timeout had passed."""
    warehouse.execute(
        "UPDATE nba_orchestration.toy_breakers SET opened_at = TIMESTAMP_SUB(opened_at, INTERVAL 2 HOUR) "
        "WHERE processor_name = @k",
        {"k": key},
    )


def test_breaker_opens_stops_retries_skips_then_trials_and_closes(guard_dag, toy_warehouse):
    toy_warehouse.insert_rows("nba_raw.toy_faults", [{"processor": "flaky", "message": "feed unreachable"}])
    conf = {"game_date": GAME_DAY.isoformat()}

    first = run_dag(guard_dag, GAME_DAY, conf)
    flaky_run = next(ti for ti in first.get_task_instances() if ti.task_id == "phase_2_raw.flaky.run")
    assert flaky_run.state == "failed"
    assert flaky_run.try_number == 3, "threshold 3 opened the breaker: retries 4 and 5 never happened"
    assert _breaker(toy_warehouse, "flaky") == {"state": "OPEN", "failure_count": 3, "half_open_calls": 0, "history": 3}
    failed_rows = toy_warehouse.query(
        "SELECT status, error_message FROM nba_processing.toy_runs WHERE processor_name = 'flaky'"
    )
    assert len(failed_rows) == 3 and {r["status"] for r in failed_rows} == {"failed"}
    assert all("feed unreachable" in r["error_message"] for r in failed_rows)
    assert task_states(first)["phase_4_precompute.delta.run"] == "success", "an unrelated branch still runs"
    # ... and the run still ends failed, naming the task, so the DAG's failure alert fires
    assert first.state == "failed"
    assert task_states(first)["fail_run_if_a_task_failed"] == "failed"

    second = run_dag(guard_dag, GAME_DAY, conf)
    assert task_states(second)["phase_2_raw.flaky.run"] == "skipped"
    skip = toy_warehouse.query(
        "SELECT error_message FROM nba_processing.toy_runs "
        "WHERE processor_name = 'flaky' AND skip_reason = 'circuit_open'"
    )
    assert len(skip) == 1 and "OPEN after 3 consecutive failures" in skip[0]["error_message"]
    assert _breaker(toy_warehouse, "flaky")["failure_count"] == 3, "a skip is not a failure"

    _let_timeout_pass(toy_warehouse, "flaky")
    third = run_dag(guard_dag, GAME_DAY, conf)  # the trial fails: re-opened at once, no retries
    trial = next(ti for ti in third.get_task_instances() if ti.task_id == "phase_2_raw.flaky.run")
    assert (trial.state, trial.try_number) == ("failed", 1)
    assert _breaker(toy_warehouse, "flaky")["state"] == "OPEN"

    toy_warehouse.execute("DELETE FROM nba_raw.toy_faults WHERE processor = 'flaky'")
    _let_timeout_pass(toy_warehouse, "flaky")
    fourth = run_dag(guard_dag, GAME_DAY, conf)
    assert task_states(fourth)["phase_2_raw.flaky.run"] == "success"
    assert task_states(fourth)["phase_3_analytics.gamma.run"] == "success"
    assert _breaker(toy_warehouse, "flaky") == {
        "state": "CLOSED",
        "failure_count": 0,
        "half_open_calls": 0,
        "history": 4,
    }


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail_open", "fail_closed"])
def test_a_bad_breaker_row_touches_its_own_processor_only(guard_dag, toy_warehouse, settings_env, fail_open):
    """A state no breaker has, written by hand for alpha: read_breakers names it, every other gate
    decides as usual; alpha runs (fail open) or is skipped naming the row (fail closed)."""
    from nba_pipeline.settings import get_settings

    settings_env.setenv("NBA_BREAKER_FAIL_OPEN", "true" if fail_open else "false")
    get_settings.cache_clear()
    toy_warehouse.execute(
        "INSERT INTO nba_orchestration.toy_breakers (processor_name, state, updated_at, version) "
        "VALUES ('alpha', 'BANANA', CURRENT_TIMESTAMP(), 1)"
    )
    dag_run = run_dag(guard_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    states = task_states(dag_run)
    assert states["phase_2_raw.flaky.run"] == states["phase_3_analytics.gamma.run"] == "success"
    assert states["read_breakers"] == "success"
    if fail_open:
        assert dag_run.state == "success", states
        assert states["phase_2_raw.alpha.run"] == states["phase_4_precompute.delta.run"] == "success"
    else:
        assert states["phase_2_raw.alpha.run"] == "skipped"
        (row,) = toy_warehouse.query(
            "SELECT skip_reason, error_message FROM nba_processing.toy_runs WHERE processor_name = 'alpha'"
        )
        assert row["skip_reason"] == "circuit_open"
        assert "breaker row 'alpha' of nba_orchestration.toy_breakers is invalid: state = 'BANANA'" in (
            row["error_message"]
        )
    assert toy_warehouse.query("SELECT state FROM nba_orchestration.toy_breakers WHERE processor_name = 'alpha'") == [
        {"state": "BANANA"}
    ], "nothing is counted on the bad row"
