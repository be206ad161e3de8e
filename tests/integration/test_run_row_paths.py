"""The run row of an attempt that times out or is killed: written once, failed, and counted by the breaker.

Timeouts run under ``dag.test()``. Kills run the way a worker runs a task: the real supervisor forks
the real task runner (in a process of its own, with the execution API in-process on the test's
metadata DB); the test marks the running task failed as the UI does, the supervisor's next heartbeat
is refused and it sends SIGTERM, then SIGKILL after its grace period.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.airflow_runs import load_dag, run_dag
from tests.dags import toy_processors

ROOT = Path(__file__).resolve().parents[2]
DAG_FOLDER = ROOT / "tests" / "dags"
GAME_DAY = dt.date(2025, 1, 15)
CONF = {"game_date": GAME_DAY.isoformat()}
KILLED = ("doomed", "stubborn")

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def toy_warehouse(airflow_db, tmp_path_factory):
    """One migrated warehouse for the module, the configured one while its tests run."""
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    folder = tmp_path_factory.mktemp("run_row_paths")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NBA_DUCKDB_PATH", str(folder / "warehouse.duckdb"))
        env.setenv("NBA_DATA_DIR", str(folder))
        get_settings.cache_clear()
        warehouse = DuckDBWarehouse(folder / "warehouse.duckdb", lock_wait_seconds=30)
        apply_migrations(warehouse)
        toy_processors.create_tables(warehouse)
        toy_processors.create_unfinished_table(warehouse)
        warehouse.insert_rows(
            "nba_raw.toy_events", [{"event_date": GAME_DAY, "label": "e0", "loaded_at": dt.datetime.now(dt.UTC)}]
        )
        warehouse.close()  # the tasks open the same file
        yield warehouse
        warehouse.close()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def timed_out(toy_warehouse) -> dict:
    """One ``dag.test()`` run of ``run_row_timeout``: each processor's run task instance, and ``record_runs``."""
    dag_run = run_dag(load_dag(DAG_FOLDER, "run_row_timeout"), GAME_DAY, CONF)
    tis = {ti.task_id: ti for ti in dag_run.get_task_instances()}
    run_tasks = {name: tis[f"phase_2_raw.{name}.run"] for name in ("sleepy", "grinding", "jammed")}
    return run_tasks | {"record_runs": tis["phase_2_raw.record_runs"]}


def _rows(warehouse, processor: str) -> list[dict]:
    return warehouse.query(
        "SELECT run_id, status, error_message, completed_at FROM nba_processing.toy_runs "
        "WHERE processor_name = @p ORDER BY started_at",
        {"p": processor},
    )


def _breaker(warehouse, processor: str) -> dict:
    return warehouse.query(
        "SELECT state, failure_count, last_error_type, ARRAY_LENGTH(failure_history) AS history "
        "FROM nba_orchestration.toy_breakers WHERE processor_name = @p",
        {"p": processor},
    )[0]


def _committed(warehouse, processor: str) -> int:
    """Rows the processor's own transaction committed."""
    return warehouse.query(f"SELECT COUNT(*) AS n FROM {toy_processors.UNFINISHED} WHERE item = @p", {"p": processor})[
        0
    ]["n"]


def test_timeout_in_python_code_writes_one_failed_row_per_attempt(timed_out, toy_warehouse):
    ti = timed_out["sleepy"]
    assert (ti.state, ti.try_number) == ("failed", 2)
    rows = _rows(toy_warehouse, "sleepy")
    assert [r["run_id"].split("-")[1] for r in rows] == ["try1", "try2"]
    assert all(r["status"] == "failed" and r["error_message"].startswith("Timeout") for r in rows), rows
    # on_kill, called after the timeout, adds neither a row nor a second breaker failure; nor does record_runs
    assert timed_out["record_runs"].state == "success"
    assert _breaker(toy_warehouse, "sleepy") == {
        "state": "CLOSED",
        "failure_count": 2,
        "last_error_type": "AirflowTaskTimeout",
        "history": 2,
    }
    assert _committed(toy_warehouse, "sleepy") == 0, "the attempt's open transaction is rolled back"


def test_timeout_inside_a_warehouse_query_is_recorded_as_a_timeout(timed_out, toy_warehouse):
    assert timed_out["grinding"].state == "failed"
    rows = _rows(toy_warehouse, "grinding")
    assert len(rows) == 1 and rows[0]["status"] == "failed"
    # DuckDB turns the alarm's exception into its own "Query interrupted"; the row still names the timeout
    assert rows[0]["error_message"] == "timed out after 0:00:01: RuntimeError: Query interrupted"
    assert _breaker(toy_warehouse, "grinding")["last_error_type"] == "AirflowTaskTimeout"
    assert _breaker(toy_warehouse, "grinding")["failure_count"] == 1
    assert _committed(toy_warehouse, "grinding") == 0


def test_failure_whose_recording_the_timeout_interrupts_is_still_recorded(timed_out, toy_warehouse):
    """The timeout fires while the failure waits for another process's warehouse lock: on_kill writes it."""
    assert timed_out["jammed"].state == "failed"
    rows = _rows(toy_warehouse, "jammed")
    assert [(r["status"], r["error_message"]) for r in rows] == [("failed", "feed unreachable")]
    breaker = _breaker(toy_warehouse, "jammed")
    assert (breaker["failure_count"], breaker["last_error_type"]) == (1, "ConnectionError")


# kill --------------------------------------------------------------------------------------------


def _supervise(folder: str) -> None:
    """The worker process: run each task instance of ``specs.json`` under the real supervisor, one by one."""
    from uuid import UUID

    from airflow.executors.workloads import BundleInfo
    from airflow.sdk.api.client import Client
    from airflow.sdk.api.datamodels._generated import TaskInstance
    from airflow.sdk.execution_time.supervisor import in_process_api_server, supervise_task

    client = Client(base_url="http://in-process.invalid./", token="", transport=in_process_api_server().transport)
    exit_codes = {}
    for spec in json.loads((Path(folder) / "specs.json").read_text()):
        ti = TaskInstance(
            id=UUID(spec["id"]),
            task_id=spec["task_id"],
            dag_id=spec["dag_id"],
            run_id=spec["run_id"],
            try_number=1,
            map_index=-1,
            dag_version_id=UUID(spec["dag_version_id"]),
        )
        exit_codes[spec["task_id"]] = supervise_task(
            ti=ti,
            bundle_info=BundleInfo(name="dags-folder"),
            dag_rel_path=spec["dag_file"],
            token="",
            client=client,
            subprocess_logs_to_stdout=True,
        )
    (Path(folder) / "exit_codes.json").write_text(json.dumps(exit_codes))


def _queue(dag, task_ids: list[str]):
    """A new DAG run of ``dag`` with ``task_ids`` queued for their first try, as the scheduler leaves them."""
    from airflow.models.dagrun import DagRun, get_or_create_dagrun
    from airflow.sdk import timezone
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType

    scheduler_dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    now = timezone.utcnow()
    with create_session() as session:
        dag_run = get_or_create_dagrun(
            dag=scheduler_dag,
            run_id=DagRun.generate_run_id(run_type=DagRunType.MANUAL, logical_date=now, run_after=now),
            logical_date=now,
            data_interval=coerce_to_core_timetable(dag.timetable).infer_manual_data_interval(run_after=now),
            run_after=now,
            conf=CONF,
            triggered_by=DagRunTriggeredByType.TEST,
            triggering_user_name="test",
            start_date=now,
            session=session,
        )
        specs = []
        for task_id in task_ids:
            ti = dag_run.get_task_instance(task_id, session=session)
            ti.try_number, ti.state = 1, TaskInstanceState.QUEUED
            specs.append(
                {
                    "id": str(ti.id),
                    "task_id": task_id,
                    "dag_id": ti.dag_id,
                    "run_id": ti.run_id,
                    "dag_version_id": str(ti.dag_version_id),
                    "dag_file": dag.fileloc,
                }
            )
    return scheduler_dag, specs


def _task_outcome(dag_id: str, run_id: str, task_id: str) -> tuple[str, object]:
    """The task instance's state and its return-value XCom, from the metadata DB."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        state = session.scalar(
            select(TaskInstance.state).where(
                TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id, TaskInstance.task_id == task_id
            )
        )
        xcom = session.scalar(
            select(XComModel.value).where(
                XComModel.dag_id == dag_id,
                XComModel.run_id == run_id,
                XComModel.task_id == task_id,
                XComModel.key == "return_value",
            )
        )
    return state, xcom


@pytest.fixture(scope="module")
def worker(toy_warehouse, tmp_path_factory) -> Iterator[tuple]:
    """A worker process running doomed then stubborn (queued in a new DAG run of ``run_row_kill``)."""
    folder = tmp_path_factory.mktemp("worker")
    toy_warehouse.close()  # the task process must get the file's lock
    scheduler_dag, specs = _queue(load_dag(DAG_FOLDER, "run_row_kill"), [f"phase_2_raw.{p}.run" for p in KILLED])
    (folder / "specs.json").write_text(json.dumps(specs))
    env = {
        **os.environ,
        "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",  # the supervisor learns of the kill within a second
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")]),
    }
    code = "import sys; from tests.integration.test_run_row_paths import _supervise; _supervise(sys.argv[1])"
    with (folder / "worker.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", code, str(folder)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    yield process, folder, scheduler_dag, specs
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def killed(worker, toy_warehouse) -> dict:
    """Mark doomed, then stubborn, failed (as the UI does) once each runs; what came of each."""
    from airflow.utils.state import TaskInstanceState

    process, folder, scheduler_dag, specs = worker
    log = folder / "worker.log"
    started = {}
    for processor, spec in zip(KILLED, specs, strict=True):
        marker = toy_processors.started_marker(toy_warehouse.location(), processor)
        deadline = time.monotonic() + 60
        while not marker.exists() or not marker.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-5000:]
            time.sleep(0.05)
        started[processor] = float(marker.read_text().split()[1])
        scheduler_dag.set_task_instance_state(
            task_id=spec["task_id"], run_id=spec["run_id"], state=TaskInstanceState.FAILED
        )
    assert process.wait(60) == 0, log.read_text()[-5000:]
    exit_codes = json.loads((folder / "exit_codes.json").read_text())
    return {
        processor: {
            "started": dt.datetime.fromtimestamp(started[processor], dt.UTC),
            "exit_code": exit_codes[spec["task_id"]],
            "outcome": _task_outcome(spec["dag_id"], spec["run_id"], spec["task_id"]),
        }
        for processor, spec in zip(KILLED, specs, strict=True)
    } | {"log": log.read_text()}


@pytest.mark.parametrize("processor", KILLED)
def test_kill_writes_one_failed_row_at_once_and_counts_it(killed, toy_warehouse, processor):
    rows = _rows(toy_warehouse, processor)
    assert [(r["status"], r["error_message"]) for r in rows] == [("failed", "task killed")]
    # written by on_kill in the task process while the processor still held its connection and an open
    # transaction (both processors work at least 4 s after starting): no lock wait, no deadlock
    assert rows[0]["completed_at"] < killed[processor]["started"] + dt.timedelta(seconds=4)
    breaker = _breaker(toy_warehouse, processor)
    assert (breaker["failure_count"], breaker["last_error_type"]) == (1, "KeyboardInterrupt")


def test_killed_processor_that_finishes_in_the_grace_period_does_not_succeed(killed, toy_warehouse):
    """Airflow does not stop the processor on SIGTERM; when it then returns, the attempt still fails."""
    assert killed["doomed"]["exit_code"] == 0, "it ended by itself, before the SIGKILL"
    assert killed["doomed"]["outcome"] == ("failed", None), "no run record was returned for record_runs"
    assert "doomed was killed while running; its attempt is recorded as failed" in killed["log"]
    assert len(_rows(toy_warehouse, "doomed")) == 1


def test_killed_processor_that_outlasts_the_grace_period_is_sigkilled_with_its_row_kept(killed, toy_warehouse):
    assert killed["stubborn"]["exit_code"] == -signal.SIGKILL
    assert killed["stubborn"]["outcome"] == ("failed", None)
    assert _committed(toy_warehouse, "stubborn") == 0, "its open transaction died with it"


# warehouse unreachable ---------------------------------------------------------------------------

_HOLD_UNTIL_STDIN_CLOSES = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read()"
)


def test_failure_while_the_warehouse_is_unreachable_keeps_its_row_until_record_runs_writes_it(
    toy_warehouse, monkeypatch
):
    """Another process holds the warehouse file for a whole run: the failed attempt's row waits in
    the run-log outbox, and the next run's ``record_runs`` writes it with its own."""
    from nba_pipeline.guards.run_log import RunLogOutbox, make_run_id
    from nba_pipeline.settings import get_settings

    dag = load_dag(DAG_FOLDER, "run_row_outage")
    box = RunLogOutbox(Path(toy_warehouse.location()).parent / "run_log_outbox")
    toy_warehouse.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_UNTIL_STDIN_CLOSES, toy_warehouse.location()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline().strip() == b"locked"
        monkeypatch.setenv("NBA_DUCKDB_LOCK_WAIT_SECONDS", "0.2")
        get_settings.cache_clear()
        outage = run_dag(dag, GAME_DAY, CONF)
    finally:
        holder.stdin.close()
        holder.wait(30)
        monkeypatch.setenv("NBA_DUCKDB_LOCK_WAIT_SECONDS", "30")
        get_settings.cache_clear()

    states = {ti.task_id: ti.state for ti in outage.get_task_instances()}
    # the breaker snapshot could not be read, so the gate read for itself and failed open (the default)
    assert (states["read_breakers"], states["phase_2_raw.stranded.breaker_gate"]) == ("success", "success")
    assert (states["phase_2_raw.stranded.run"], states["phase_2_raw.record_runs"]) == ("failed", "failed")
    waiting = box.claim()
    box.release(waiting)
    failed_id = make_run_id(outage.run_id, "stranded", "try1")
    assert [record.run_id for _, record in waiting] == [failed_id]
    kept = waiting[0][1]
    assert (kept.status, kept.error_type) == ("failed", "WarehouseError")
    assert "Could not set lock" in kept.error_message and toy_warehouse.location() in kept.error_message
    assert _rows(toy_warehouse, "stranded") == []

    recovered = run_dag(dag, GAME_DAY, CONF)
    assert recovered.state == "success"
    rows = _rows(toy_warehouse, "stranded")
    assert [(r["run_id"], r["status"]) for r in rows] == [
        (failed_id, "failed"),
        (make_run_id(recovered.run_id, "stranded", "try1"), "success"),
    ]
    assert rows[0]["error_message"] == kept.error_message
    assert box.claim() == [] and not list(box.directory.iterdir()), "the outbox is empty once written"
    # a failure the breaker store never saw is not replayed into it later: consecutive counts stay true
    assert _breaker(toy_warehouse, "stranded")["failure_count"] == 0


# the whole process killed (kill -9) -------------------------------------------------------------


def test_an_attempt_whose_process_is_killed_outright_still_gets_a_failed_row(toy_warehouse):
    """``kill -9`` of ``airflow dags test`` while a processor runs: no on_kill, no except clause runs.
    The attempt's running mark stays in the run-log outbox, and the next ``record_runs`` (here of
    another DAG run) writes the attempt's failed row from it, naming what happened."""
    from nba_pipeline.guards.run_log import RunLogOutbox
    from nba_pipeline.settings import get_settings

    for processor in KILLED:
        toy_processors.started_marker(toy_warehouse.location(), processor).unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "plugins")]),
           "AIRFLOW__CORE__DAGS_FOLDER": str(DAG_FOLDER)}
    toy_warehouse.close()  # the run must get the file's lock
    log = Path(toy_warehouse.location()).with_name("killed_outright.log")
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "airflow", "dags", "test", "run_row_kill", GAME_DAY.isoformat(),
             "-c", json.dumps(CONF)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    markers = [toy_processors.started_marker(toy_warehouse.location(), p) for p in KILLED]
    deadline = time.monotonic() + 120
    while not any(m.exists() and m.read_text() for m in markers):
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)
    victim = next(p for p, m in zip(KILLED, markers, strict=True) if m.exists())

    box = RunLogOutbox(get_settings().run_log_outbox)
    (mark,) = [p for p in box.directory.iterdir() if f"{RunLogOutbox.RUNNING}@" in p.name]
    run_id, holder = mark.name.split(RunLogOutbox.RUNNING)
    pid = int(holder.rsplit("@", 1)[1])
    assert victim in run_id and pid == process.pid, "dag.test() runs its tasks in its own process"
    assert not any(r["run_id"] == run_id for r in _rows(toy_warehouse, victim)), "nothing recorded it yet"

    after = run_dag(load_dag(DAG_FOLDER, "run_row_outage"), GAME_DAY, CONF)
    assert after.state == "success"
    (row,) = [r for r in _rows(toy_warehouse, victim) if r["run_id"] == run_id]
    assert row["status"] == "failed" and f"(pid {pid} on " in row["error_message"]
    assert "ended without recording an outcome" in row["error_message"]
    assert not any(RunLogOutbox.RUNNING in p.name for p in box.directory.iterdir()), "the mark is written and gone"


def test_a_permission_error_is_recorded_once_and_not_retried(toy_warehouse):
    """A read-only payload folder used to cost every retry and its delay before the run failed."""
    from airflow.utils.state import TaskInstanceState

    toy_warehouse.close()
    run = run_dag(load_dag(DAG_FOLDER, "run_row_denied"), GAME_DAY, CONF)
    (task,) = [ti for ti in run.get_task_instances() if ti.task_id == "phase_2_raw.denied.run"]
    assert (task.state, task.try_number) == (TaskInstanceState.FAILED, 1), "retries=2 declared, none made"
    rows = _rows(toy_warehouse, "denied")
    assert [r["status"] for r in rows] == ["failed"] and "Permission denied" in rows[0]["error_message"]
