"""The backfill DAG: dates in order, finished dates never redone, resumable after a failure."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.airflow_runs import load_dag, run_dag, task_states
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration
FIRST, LAST = dt.date(2025, 1, 13), dt.date(2025, 1, 15)


def _progress(warehouse) -> list[tuple]:
    rows = warehouse.query("SELECT game_date, status FROM nba_orchestration.backfill_progress ORDER BY completed_at")
    return [(r["game_date"].isoformat(), r["status"]) for r in rows]


def test_backfill_resumes_without_redoing_finished_dates(airflow_db, migrated_warehouse, settings_env):
    from nba_pipeline.backfill import record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.declared import declared_tables

    settings_env.setenv("NBA_DEPENDENCY_TIMEOUT_SECONDS", "1")
    record_progress(
        migrated_warehouse,
        run_date(migrated_warehouse, backfill_processors(), CALENDAR, FIRST, dag_run_id="earlier"),
        "earlier",
    )
    migrated_warehouse.execute("DROP TABLE nba_raw.nbac_team_boxscore")  # the source table is gone: a failure
    migrated_warehouse.close()
    dag = load_dag(PROJECT_ROOT / "dags", "nba_backfill")
    conf = {"start_date": FIRST.isoformat(), "end_date": LAST.isoformat()}

    failed = run_dag(dag, LAST, conf)
    assert failed.state == "failed"
    labels = {ti.map_index: (ti.rendered_map_index, ti.state) for ti in failed.get_task_instances()
              if ti.task_id == "backfill_date"}
    assert labels[0] == ("2025-01-13", "skipped"), "the finished date was not redone"
    assert {state for _, state in labels.values()} >= {"failed"}
    progress = _progress(migrated_warehouse)
    assert progress[0] == ("2025-01-13", "complete") and ("2025-01-14", "failed") in progress
    assert ("2025-01-14", "complete") not in progress

    migrated_warehouse.execute(declared_tables()["nba_raw.nbac_team_boxscore"].ddl)  # the source is back
    migrated_warehouse.close()
    resumed = run_dag(dag, LAST + dt.timedelta(days=1), conf)
    assert resumed.state == "success", task_states(resumed)
    progress = _progress(migrated_warehouse)
    assert progress.count(("2025-01-13", "complete")) == 1
    assert progress.count(("2025-01-14", "complete")) == 1 and progress.count(("2025-01-15", "complete")) == 1
    rows = migrated_warehouse.query(
        "SELECT COUNT(*) AS n FROM nba_analytics.team_offense_game_summary WHERE game_date = @d",
        {"d": dt.date(2025, 1, 14)},
    )
    assert rows[0]["n"] > 0, "the resumed date processed the team box scores it had failed on"
    tasks = migrated_warehouse.query(  # each row names the mapped task instance (the date) that wrote it
        "SELECT DISTINCT dag_id, dag_run_id, task_id, map_index, try_number FROM nba_processing.processor_runs "
        "WHERE dag_run_id = @run", {"run": resumed.run_id})
    mapped = {ti.rendered_map_index: ti.map_index
              for ti in resumed.get_task_instances() if ti.task_id == "backfill_date"}
    assert sorted(tuple(r.values()) for r in tasks) == [
        ("nba_backfill", resumed.run_id, "backfill_date", mapped[day], 1) for day in ("2025-01-14", "2025-01-15")
    ]


_KILLED_BACKFILL = """
import datetime as dt, sys
from nba_pipeline.backfill import run_date
from nba_pipeline.guards.spec import Phase, ProcessorSpec
from nba_pipeline.registry.processors import CALENDAR
from nba_pipeline.warehouse import get_warehouse
from tests.dags import toy_processors

specs = [
    ProcessorSpec(name, Phase.RAW, getattr(toy_processors, name), calendar_guarded=False)
    for name in ("alpha", "stubborn")
]
with get_warehouse() as warehouse:
    run_date(warehouse, specs, CALENDAR, dt.date(2025, 1, 15), dag_run_id="killed_backfill")
"""


def test_a_backfill_killed_mid_date_keeps_the_finished_rows_and_fails_the_running_one(
    migrated_warehouse, settings_env, tmp_path
):
    """``kill -9`` while a date's second processor runs: the first one's row and a failed row for the
    second wait in the run-log outbox, and are written once by whoever claims them (record_runs)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from nba_pipeline.guards.run_log import RunLogOutbox, write_run_records
    from nba_pipeline.registry.guard_tables import GUARD_TABLES
    from tests.dags import toy_processors

    toy_processors.create_tables(migrated_warehouse)
    toy_processors.create_unfinished_table(migrated_warehouse)
    migrated_warehouse.close()
    outbox = tmp_path / "outbox"
    settings_env.setenv("NBA_RUN_LOG_OUTBOX", str(outbox))
    started = toy_processors.started_marker(migrated_warehouse.location(), "stubborn")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "plugins"), str(PROJECT_ROOT)])}
    child = subprocess.Popen([sys.executable, "-c", _KILLED_BACKFILL], env=env, cwd=PROJECT_ROOT)
    try:
        deadline = time.monotonic() + 120
        while not started.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert started.exists(), f"stubborn never started (exit code {child.poll()})"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

    claimed = RunLogOutbox(outbox).claim()
    rows = {record.processor: record for _, record in claimed}
    assert {name: (r.status, r.error_type) for name, r in rows.items()} == {
        "alpha": ("success", None),
        "stubborn": ("failed", "AttemptLostError"),
    }
    assert f"(pid {child.pid} " in rows["stubborn"].error_message
    assert "ended while stubborn ran" in rows["stubborn"].error_message
    for _ in range(2):  # written again (a second claimer, a retry): still one row each
        write_run_records(migrated_warehouse, [record for _, record in claimed], GUARD_TABLES.runs)
    written = migrated_warehouse.query(
        "SELECT processor_name, status FROM nba_processing.processor_runs "
        "WHERE processor_name IN ('alpha', 'stubborn') ORDER BY processor_name"
    )
    assert [(r["processor_name"], r["status"]) for r in written] == [("alpha", "success"), ("stubborn", "failed")]


def test_a_backfill_goes_on_when_the_outbox_cannot_be_written(migrated_warehouse, settings_env, tmp_path, caplog):
    """The outbox is only insurance against a kill: a folder that cannot be made (here a file is in
    the way) is logged, and the date's rows are still written with its batch."""
    from nba_pipeline.backfill import run_date
    from nba_pipeline.guards.spec import Phase, ProcessorSpec
    from nba_pipeline.registry.processors import CALENDAR
    from tests.dags import toy_processors

    toy_processors.create_tables(migrated_warehouse)
    blocked = tmp_path / "outbox"
    blocked.write_text("a file where the outbox folder should be")
    settings_env.setenv("NBA_RUN_LOG_OUTBOX", str(blocked))
    spec = ProcessorSpec("alpha", Phase.RAW, toy_processors.alpha, calendar_guarded=False)
    outcome = run_date(migrated_warehouse, [spec], CALENDAR, dt.date(2025, 1, 15), dag_run_id="no_outbox")
    assert outcome.outcome == {"alpha": "success"}
    rows = migrated_warehouse.query("SELECT status FROM nba_processing.processor_runs WHERE processor_name = 'alpha'")
    assert [r["status"] for r in rows] == ["success"]
    assert "could not mark alpha as running" in caplog.text and "could not keep alpha's run row" in caplog.text
