"""Warehouse outage mid-run: another process holds the DuckDB file from the end of phase 2 until the
daily run is over, far longer than the 0.2 s the run's tasks are allowed to wait for it.

Expected: the tasks that need the warehouse fail with an error naming the warehouse file and the
lock; each failed attempt's run row waits in the run-log outbox and the rerun writes it; no table is
left half-written (each is exactly as before the run or exactly as after a clean
run); no breaker counted the outage or was left in a broken state; and once the file is free again,
a rerun of the day succeeds and leaves every data table equal to the clean run's.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nba_pipeline.dag.run_outcome import TASK_ID as FAILURE_WATCHER
from nba_pipeline.guards.run_log import make_run_id
from nba_pipeline.registry.catalog import RAW_PROCESSORS
from tests.airflow_runs import run_dag, task_states
from tests.conftest import PROJECT_ROOT
from tests.reliability import state
from tests.reliability.conftest import GAME_DAY, copy_folder, warehouse_path

pytestmark = pytest.mark.integration

LOCK_WAIT_SECONDS = "0.2"  # a task waits this long for the file before it gives up


def _data_tables(fingerprints: dict) -> dict:
    return {t: v for t, v in fingerprints.items() if t not in state.LEDGERS}


def test_outage_after_phase_2_fails_clearly_half_writes_nothing_and_a_rerun_recovers(
    season, clean_run, daily_dag, airflow_db, use_folder, tmp_path, capfd
):
    folder = copy_folder(season, tmp_path / "season")
    path = warehouse_path(folder)
    before = state.fingerprints(path, strict=False)
    breakers_before = state.breakers(path)
    marker = tmp_path / "holder.json"
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.lock_holder", str(path), str(airflow_db / "airflow.db"),
         daily_dag.dag_id, "phase_2_raw.record_runs", str(marker)],
        cwd=PROJECT_ROOT,
    )
    use_folder(folder, NBA_DUCKDB_LOCK_WAIT_SECONDS=LOCK_WAIT_SECONDS)
    try:
        outage = run_dag(daily_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    finally:
        holder.wait(timeout=120)
    output = capfd.readouterr()
    held = json.loads(marker.read_text())
    assert holder.returncode == 0 and held["run_id"] == outage.run_id and "released_at" in held

    states = task_states(outage)
    failed = {ti.task_id: ti.try_number for ti in outage.get_task_instances() if ti.state == "failed"}
    assert failed.pop(FAILURE_WATCHER) == 1, "the run is failed by the watcher, which names the failed tasks"
    assert outage.state == "failed" and failed
    assert all(t.startswith(("phase_3_", "phase_4_", "phase_5_")) for t in failed), failed
    assert {s for t, s in states.items() if t.startswith(("phase_1_", "phase_2_"))} == {"success"}
    assert all(tries <= daily_dag.get_task(t).retries + 1 for t, tries in failed.items()), failed
    # every failed attempt says which warehouse file and why; nothing failed for another reason
    # (apart from the watcher, whose failure names the failed tasks)
    text = output.out + output.err
    named = text.count(f"WarehouseError: cannot open DuckDB warehouse {path}: IO Error: Could not set lock")
    attempts = sum(failed.values())
    assert f"AirflowFailException: {len(failed)} task(s) failed: " in text
    assert named >= text.count("Task failed with exception") - 1 >= attempts, (named, attempts)
    assert f"(waited {LOCK_WAIT_SECONDS}s for another process's lock)" in text

    # each table is exactly as before the run or exactly as after a clean run: nothing half-written
    after = state.fingerprints(path, strict=False)
    clean = clean_run.content
    half = {t: (before[t], after[t], clean[t]) for t in _data_tables(after) if after[t] not in (before[t], clean[t])}
    assert not half, f"half-written tables: {half}"
    raw = [t for t in _data_tables(after) if t.startswith("nba_raw.")]
    assert len(raw) == 11 and all(after[t] == clean[t] != before[t] for t in raw), "phase 2 had finished"
    for untouched in ("nba_predictions.ml_feature_store_v2", "nba_predictions.player_prop_predictions"):
        assert after[untouched] == before[untouched] != clean[untouched], untouched

    # the outage counted against no breaker and left none in a strange state
    breakers = state.breakers(path)
    assert state.duplicate_keys(path, {state.BREAKER_TABLE: ("processor_name",)}) == {}
    for name, old in breakers_before.items():
        new = breakers[name]
        assert (new["state"], new["failure_count"], new["history"]) == ("CLOSED", 0, 0), (name, new)
        assert new["version"] >= old["version"], (name, "version went back")
        phase_2 = name in RAW_PROCESSORS
        assert new["success_count"] - old["success_count"] == (1 if phase_2 else 0), (name, old, new)

    # the outage is over: the same day again succeeds and gives the clean run's tables
    use_folder(folder)
    rerun = run_dag(daily_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
    states = task_states(rerun)
    assert rerun.state == "success" and "failed" not in states.values(), states
    recovered = state.fingerprints(path, strict=False)
    assert state.changed(_data_tables(recovered), _data_tables(clean)) == {}
    assert sum(v.rows for v in _data_tables(recovered).values()) > 5000
    breakers = state.breakers(path)
    assert {(breakers[k]["state"], breakers[k]["failure_count"]) for k in breakers_before} == {("CLOSED", 0)}

    # every attempt that failed in the outage has its run row now: it waited in the run-log outbox
    # and the rerun's first record_runs wrote it
    attempts = {
        make_run_id(outage.run_id, task.split(".")[1], f"try{n}")
        for task, tries in failed.items()
        if task.endswith(".run")
        for n in range(1, tries + 1)
    }
    # (which tasks fail depends on when the holder takes the file: the phase 3 run tasks, three tries
    # each, or their dependency sensors; the one-processor case in test_run_row_paths is deterministic)
    rows = state.query(
        path,
        "SELECT run_id, success, errors_json FROM nba_processing.analytics_processor_runs WHERE run_id IN "
        "(SELECT UNNEST(?))",
        [sorted(attempts)],
    )
    assert {r["run_id"] for r in rows} == attempts and len(rows) == len(attempts)
    assert all(r["success"] is False and "Could not set lock" in r["errors_json"] for r in rows)
    outbox = folder / "run_log_outbox"
    assert not outbox.exists() or not list(outbox.iterdir()), "the outbox is empty"
