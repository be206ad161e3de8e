"""Tier 1: every DAG imports with no connections and no network, and follows the project's rules."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import PROJECT_ROOT

DAG_FILES = sorted((PROJECT_ROOT / "dags").glob("*.py"))


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    real_connect = socket.socket.connect

    def refuse(self, address):  # a DAG file that reaches the network at parse time is a defect
        raise AssertionError(f"network access at parse time: {address}")

    socket.socket.connect = refuse
    try:
        started = time.perf_counter()
        bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
        elapsed = time.perf_counter() - started
    finally:
        socket.socket.connect = real_connect
    print(f"\nDagBag of {len(DAG_FILES)} files parsed in {elapsed * 1000:.0f} ms (cold, includes Airflow imports)")
    return bag


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    files_with_dags = {dag.fileloc for dag in dagbag.dags.values()}
    assert {str(p) for p in DAG_FILES} <= files_with_dags


@pytest.mark.parametrize(
    "dag_id",
    ["nba_schema_migrations", "nba_breaker_admin", "nba_daily_pipeline", "nba_backfill", "nba_model_training",
     "nba_predictions_deadline"],
)
def test_expected_dags_exist(dagbag, dag_id):
    assert dag_id in dagbag.dags


def test_dags_have_owner_tags_retries_and_aware_start(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and "nba" in dag.tags, dag_id
        assert dag.start_date is not None and dag.start_date.tzinfo is not None, dag_id
        assert dag.start_date.utcoffset() is not None, dag_id
        assert dag.timezone.name == "America/New_York", dag_id
        assert dag.max_active_runs == 1, dag_id
        assert dag.doc_md, f"{dag_id} has no doc_md"
        for task in dag.tasks:
            assert task.owner == "nba-data", f"{dag_id}.{task.task_id}"
            assert task.retries is not None and task.retries >= 0, f"{dag_id}.{task.task_id}"
            assert task.execution_timeout is not None and task.execution_timeout <= dt.timedelta(hours=2)


HEAVY_AT_RUN_TIME_ONLY = (
    "duckdb",
    "sqlglot",
    "numpy",
    "pandas",
    "pyarrow",
    "xgboost",
    "google.cloud.bigquery",
    "nba_pipeline.warehouse.duckdb_backend",
    "nba_pipeline.warehouse.bigquery_backend",
)

_PARSE_AND_LIST_MODULES = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
for path in sys.argv[1:]:
    bag = DagBag(dag_folder=path)
    errors = {k: str(v) for k, v in bag.import_errors.items()}
    print(json.dumps({"path": path, "errors": errors, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def modules_after_each_parse() -> dict[str, dict]:
    """Parse every DAG file in turn in one fresh process; the modules loaded after each.

    A heavy module loaded after a file's parse was loaded by that file or an earlier one; with no
    heavy module after the last, none of them loads one (one process instead of one per file).
    """
    result = subprocess.run(
        [sys.executable, "-c", _PARSE_AND_LIST_MODULES, *map(str, DAG_FILES)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "plugins")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"path"')]
    return {line["path"]: line for line in lines}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_files_are_thin(path, modules_after_each_parse):
    """Parsing a DAG file imports no warehouse client, SQL translator or model library (bench/ times it)."""
    parsed = modules_after_each_parse[str(path)]
    assert parsed["errors"] == {}
    loaded = set(parsed["modules"])
    assert any(name.startswith("nba_pipeline") for name in loaded), "the DAG file was not parsed"
    assert sorted(loaded & set(HEAVY_AT_RUN_TIME_ONLY)) == []


def test_daily_params_accept_registry_names_and_refuse_others(dagbag):
    import copy

    from airflow.sdk.definitions.param import ParamValidationError

    params = copy.deepcopy(dagbag.dags["nba_daily_pipeline"].params)
    params["force_processors"] = ["player_game_summary", "scrape_nbac_gamebook"]
    params["ignore_breakers"] = ["xgboost_v1"]
    params["game_date"] = "2025-01-15"
    for key, bad in (
        ("force_processors", ["player_game"]),
        ("ignore_breakers", ["xgboost"]),
        ("game_date", "15/01/2025"),
        ("backfill", "yes"),
    ):
        with pytest.raises(ParamValidationError):
            params[key] = bad


def test_feature_store_asset_is_produced_by_the_daily_dag(dagbag):
    run = dagbag.dags["nba_daily_pipeline"].get_task("phase_4_precompute.ml_feature_store.run")
    assert [outlet.name for outlet in run.outlets] == ["nba_feature_store"]


def test_every_dag_alerts_when_a_run_fails(dagbag):
    from nba_pipeline.alerts import on_dag_run_failure

    for dag_id, dag in dagbag.dags.items():
        callbacks = dag.on_failure_callback if isinstance(dag.on_failure_callback, list) else [dag.on_failure_callback]
        assert on_dag_run_failure in callbacks, dag_id


def test_each_dependency_sensor_reads_a_snapshot_taken_after_its_producers(dagbag):
    """The daily DAG measures dependencies once per wave; a sensor's snapshot must wait for every
    producer of what the sensor's processor reads, or it would measure too early."""
    from nba_pipeline.dag.builder import producers_of, upstream_processors
    from nba_pipeline.dag.tasks import guard_task_ids
    from nba_pipeline.registry.processors import daily_processors

    dag = dagbag.dags["nba_daily_pipeline"]
    producers = producers_of(daily_processors())

    def task_ids_for(spec):
        return guard_task_ids(next(t for t in dag.task_ids if t.endswith(f".{spec.name}.run")))

    checked = 0
    for spec in daily_processors():
        if not spec.dependencies:
            continue
        sensor = dag.get_task(task_ids_for(spec)["dependencies"])
        snapshots = [t for t in sensor.upstream_task_ids if ".dependency_snapshot_" in t]
        assert len(snapshots) == 1 and snapshots[0].startswith(spec.phase.group_id + "."), (spec.name, snapshots)
        needed = {task_ids_for(p)["run"] for p in upstream_processors(spec, producers)}
        assert needed and needed <= dag.get_task(snapshots[0]).upstream_task_ids, spec.name
        checked += 1
    assert checked == 10


def test_a_failed_task_fails_the_daily_run(dagbag):
    """Airflow judges a run by its leaves; the watcher is the leaf that sees every task."""
    from airflow.providers.standard.operators.python import ShortCircuitOperator

    from nba_pipeline.dag.run_outcome import TASK_ID

    dag = dagbag.dags["nba_daily_pipeline"]
    watcher = dag.get_task(TASK_ID)
    checks = {t.task_id for t in dag.tasks if isinstance(t, ShortCircuitOperator)}
    assert len(checks) > 45, "smart skips and breaker gates (a skip would skip their direct downstream)"
    assert watcher.upstream_task_ids == {t.task_id for t in dag.tasks} - checks - {TASK_ID}
    waited = {c for c in checks if {t.task_id for t in dag.get_task(c).get_flat_relatives(upstream=False)} - checks}
    assert waited == checks, "each check has a later task the watcher waits for"
    assert watcher.trigger_rule == "all_done" and watcher.retries == 0
    assert [t.task_id for t in dag.tasks if not t.downstream_task_ids] == [TASK_ID]


#: BigQuery runs two mutating DML statements against one table at a time and fails any beyond 20
#: queued (docs: "UPDATE, DELETE, MERGE DML concurrency"); the README's quota table cites it.
BIGQUERY_OUTSTANDING_MUTATING_DML_PER_TABLE = 2 + 20


def test_no_more_tasks_of_a_run_write_one_table_at_once_than_bigquery_takes(dagbag):
    """Each phase 5 batch MERGEs into the predictions and worker-run tables: the batches of a run
    that run at once are bounded, however large the slate; the breaker and run-table writers share
    a pool. Every other table has one writer per run."""
    from nba_pipeline.settings import get_settings

    dag = dagbag.dags["nba_daily_pipeline"]
    predict = dag.get_task("phase_5_predictions.predict")
    assert predict.max_active_tis_per_dagrun == get_settings().prediction_parallel_batches
    assert predict.max_active_tis_per_dagrun <= BIGQUERY_OUTSTANDING_MUTATING_DML_PER_TABLE // 2, (
        "room for a second run (a rerun or a backfill) writing the same tables"
    )
    state_writers = [t for t in dag.tasks if t.task_id.endswith(("record_runs", "record_successes"))]
    assert len(state_writers) == 4 and {t.pool for t in state_writers} == {get_settings().state_write_pool}


def test_the_daily_tasks_take_the_game_date_as_a_templated_field(dagbag):
    """Every operator of the daily and deadline DAGs that works on the run's date has ``game_date`` among its
    template fields, rendered by Airflow's Jinja from the trigger form's ``game_date`` (empty when
    the run has none: the logical date decides); phase 5's tasks get it as a templated argument."""
    from nba_pipeline.dag.options import GAME_DATE_TEMPLATE, RunDated

    dag = dagbag.dags["nba_daily_pipeline"]
    dated = [task for task in dag.tasks if isinstance(task, RunDated)]
    dated.append(dagbag.dags["nba_predictions_deadline"].get_task("check_predictions"))
    kinds = {type(task).__name__ for task in dated}
    assert {"CalendarCheckOperator", "RunProcessorOperator", "DependencyCompletenessSensor",
            "RecordPhaseRunsOperator", "PredictionsDeadlineOperator", "GradePreviousDayOperator"} <= kinds
    for task in dated:
        assert "game_date" in task.template_fields and task.game_date == GAME_DATE_TEMPLATE, task.task_id
    sample = dated[0]
    assert sample.render_template(GAME_DATE_TEMPLATE, {"params": {"game_date": "2025-01-16"}}) == "2025-01-16"
    assert sample.render_template(GAME_DATE_TEMPLATE, {"params": {"game_date": None}}) == ""
    assert dag.get_task("phase_5_predictions.coordinate").op_kwargs == {"game_date": GAME_DATE_TEMPLATE}
    predict = dag.get_task("phase_5_predictions.predict")  # mapped: its arguments are partial
    assert predict.operator_class.__name__ == "PredictBatchOperator"
    assert predict.partial_kwargs["game_date"] == GAME_DATE_TEMPLATE


def test_the_run_options_take_the_rendered_game_date_or_the_logical_day_in_new_york():
    from nba_pipeline.dag.options import run_options

    evening = {"params": {"backfill": False}, "logical_date": dt.datetime(2025, 1, 16, 3, 30, tzinfo=dt.UTC)}
    assert run_options(evening, game_date="").game_date == dt.date(2025, 1, 15)  # 22:30 in New York
    pinned = run_options(evening, game_date="2025-01-10")
    assert (pinned.game_date, pinned.reference_date) == (dt.date(2025, 1, 10), dt.date(2025, 1, 15))
    with pytest.raises(ValueError, match="game_date '15/01/2025' is not a date"):
        run_options(evening, game_date="15/01/2025")


def test_a_run_says_how_it_chose_its_game_date_and_refuses_conf_keys_it_does_not_declare(daily_dag_for_conf):
    """Midnight UTC is the evening before in New York: a run without ``game_date`` works on that
    day and says so; a misspelt conf key fails the run naming it and the declared Params."""
    from types import SimpleNamespace

    from airflow.sdk.exceptions import AirflowFailException

    from nba_pipeline.dag.options import run_options

    midnight = dt.datetime(2025, 1, 15, 0, 0, tzinfo=dt.UTC)
    context = {"params": {}, "logical_date": midnight, "dag": daily_dag_for_conf,
               "dag_run": SimpleNamespace(conf={})}
    options = run_options(context, game_date="")
    assert options.game_date == dt.date(2025, 1, 14)
    assert options.game_date_reason == (
        "game date 2025-01-14: no game_date given, so the day of the run's logical date "
        "(2025-01-15T00:00:00+00:00) in America/New_York"
    )
    given = run_options({**context, "dag_run": SimpleNamespace(conf={"game_date": "2025-01-15"})},
                        game_date="2025-01-15")
    assert given.game_date_reason.startswith("game date 2025-01-15: given")
    assert options.as_dict()["game_date_reason"] == options.game_date_reason, "the run rows' opts carry it"
    misspelt = {**context, "dag_run": SimpleNamespace(conf={"gamedate": "2025-01-15", "backfill": True})}
    with pytest.raises(AirflowFailException) as refused:
        run_options(misspelt, game_date="")
    assert str(refused.value) == (
        "the run's conf has keys the DAG does not declare: gamedate; its Params are: backfill, "
        "force_processors, game_date, ignore_breakers, sources"
    )


@pytest.fixture
def daily_dag_for_conf(dagbag):
    return dagbag.dags["nba_daily_pipeline"]
