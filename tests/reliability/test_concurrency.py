"""Concurrency: a backfill and the daily run at the same time, in two processes, on one warehouse.

Each process runs its DAG with ``dag.test()`` and its own Airflow home; the backfill starts once the
daily run has read its breakers. Both use the same DuckDB file, so their tasks take turns on the file
lock (the backend waits for it) while both update the same breaker rows and run tables. The
backfill covers the daily run's game day too, so both write the same keys. Afterwards: both runs
succeeded, no natural key is held twice in any table, every breaker counted every success (no lost
update) with its version moving one step per write, and each run's rows are there.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.reliability import state
from tests.reliability.conftest import (
    GAME_DAY,
    copy_folder,
    private_airflow_home,
    subprocess_env,
    warehouse_path,
)
from tests.reliability.dag_process import MARKER

pytestmark = pytest.mark.integration

BACKFILL = [GAME_DAY + dt.timedelta(days=n) for n in range(5)]
SUCCESS_ROWS = """
SELECT processor_name, run_id FROM nba_processing.processor_runs WHERE status = 'success'
UNION ALL SELECT processor_name, run_id FROM nba_processing.analytics_processor_runs WHERE success
UNION ALL SELECT processor_name, run_id FROM nba_processing.precompute_processor_runs WHERE success
"""


def _start(name: str, dag_id: str, day: dt.date, conf: dict, folder: Path, airflow_db: Path, tmp: Path,
           after: tuple[Path, str] | None = None):
    home = private_airflow_home(airflow_db, tmp / f"airflow-{name}")
    out = (tmp / f"{name}.log").open("w")
    wait = [str(after[0]), after[1]] if after else []
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.dag_process", dag_id, day.isoformat(), json.dumps(conf), *wait],
        cwd=PROJECT_ROOT, env=subprocess_env(folder, home), stdout=out, stderr=subprocess.STDOUT,
    )
    return process, out, tmp / f"{name}.log"


def _result(process, out, log: Path) -> dict:
    process.wait(timeout=400)
    out.close()
    text = log.read_text()
    lines = [line for line in text.splitlines() if line.startswith(MARKER)]
    assert process.returncode == 0 and lines, text[-3000:]
    return json.loads(lines[-1][len(MARKER):])


def _at(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment)


def test_backfill_and_daily_run_at_once_lose_nothing_and_duplicate_nothing(season, airflow_db, tmp_path):
    from nba_pipeline.guards.run_log import make_run_id
    from nba_pipeline.registry.processors import backfill_processors, daily_processors

    folder = copy_folder(season, tmp_path / "season")
    path = warehouse_path(folder)
    breakers_before = state.breakers(path)
    successes_before = {r["run_id"] for r in state.query(path, SUCCESS_ROWS)}

    daily = _start("daily", "nba_daily_pipeline", GAME_DAY, {"game_date": GAME_DAY.isoformat()},
                   folder, airflow_db, tmp_path)
    backfill = _start("backfill", "nba_backfill", BACKFILL[-1],
                      {"start_date": BACKFILL[0].isoformat(), "end_date": BACKFILL[-1].isoformat()},
                      folder, airflow_db, tmp_path, after=(tmp_path / "airflow-daily" / "airflow.db", "read_breakers"))
    daily_result, backfill_result = _result(*daily), _result(*backfill)

    assert daily_result["state"] == "success", [t for t in daily_result["tasks"] if t["state"] == "failed"]
    assert backfill_result["state"] == "success", [t for t in backfill_result["tasks"] if t["state"] == "failed"]
    # really interleaved: whole backfilled dates (breaker writes included) fell between the daily
    # run's breaker snapshot and its last batch of breaker successes, the window where counts get lost
    daily_tasks = {t["task_id"]: t for t in daily_result["tasks"]}
    snapshot = _at(daily_tasks["read_breakers"]["end"])
    last_record = _at(daily_tasks["phase_4_precompute.record_runs"]["start"])
    inside = [t for t in backfill_result["tasks"] if t["task_id"] == "backfill_date" and t["state"] == "success"
              and snapshot < _at(t["start"]) and _at(t["end"]) < last_record]
    assert inside, "no backfilled date ran inside the daily run: not a concurrency test"

    keys = state.natural_keys()
    assert set(keys) == set(state.tables(path)), "every table has a natural key to check"
    assert state.duplicate_keys(path, keys) == {}

    # every success of either run reached its breaker exactly once, one version step per write
    added = [r for r in state.query(path, SUCCESS_ROWS) if r["run_id"] not in successes_before]
    per_processor: dict[str, int] = {}
    for row in added:
        per_processor[row["processor_name"]] = per_processor.get(row["processor_name"], 0) + 1
    after = state.breakers(path)
    guarded = [p.name for p in backfill_processors() if p.breaker is not None]
    assert len(guarded) == 22
    for name in guarded:
        old, new = breakers_before.get(name, {"success_count": 0, "version": 0}), after[name]
        gained = new["success_count"] - old["success_count"]
        assert (new["state"], new["failure_count"]) == ("CLOSED", 0), (name, new)
        assert gained == per_processor.get(name, 0) == len(BACKFILL) + 1, (name, gained, per_processor.get(name))
        assert new["version"] - old["version"] == gained, (name, "version must move once per write")
    assert all(b["version"] >= breakers_before.get(k, {"version": 0})["version"] for k, b in after.items())

    # each run's own rows
    daily_ids = {make_run_id(daily_result["run_id"], p.name, "try1") for p in daily_processors() if p.breaker}
    backfill_ids = {make_run_id(backfill_result["run_id"], p.name, f"{day}:success")
                    for p in backfill_processors() if p.breaker for day in BACKFILL}
    present = {r["run_id"] for r in added}
    assert daily_ids <= present and backfill_ids <= present
    assert len(present) == len(daily_ids) + len(backfill_ids)
    progress = state.query(path, "SELECT game_date, status FROM nba_orchestration.backfill_progress "
                                 "WHERE dag_run_id = ? ORDER BY game_date", [backfill_result["run_id"]])
    assert [(r["game_date"], r["status"]) for r in progress] == [(d, "complete") for d in BACKFILL]
    features = state.query(path, "SELECT game_date, COUNT(*) AS n FROM nba_predictions.ml_feature_store_v2 "
                                 "WHERE game_date >= ? GROUP BY 1 ORDER BY 1", [GAME_DAY])
    assert [r["game_date"] for r in features] == BACKFILL and min(r["n"] for r in features) > 50
    predicted = state.query(path, "SELECT COUNT(DISTINCT player_lookup) AS n FROM "
                                  "nba_predictions.player_prop_predictions WHERE game_date = ?", [GAME_DAY])
    assert predicted[0]["n"] > 100, "the daily run's predictions are there"
