"""Guard cost: warehouse round trips and mutating statements per table for one guarded phase.

Runs the ``guard_cost_phase`` DAG under ``dag.test()`` for N = 10 and N = 20 processors (separate
processes, fresh Airflow home and warehouse each) and reports the calls the warehouse layer counted,
split into guards, run logging and the processors' own work.

    .venv/bin/python bench/guard_cost.py [N ...]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DAY = dt.date(2025, 1, 15)


def measure(count: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix="nba-bench-"))
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "bench" / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
        "NBA_DATA_DIR": str(home / "data"),
        "NBA_BENCH_PROCESSORS": str(count),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT / "bench"), str(ROOT)]),
    }
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*airflow, "pools", "set", "nba_state_writes", "4", "state writes"], env=env, check=True, capture_output=True
    )
    out = subprocess.run([sys.executable, __file__, "--child"], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def child() -> None:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import STATS, get_warehouse

    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        warehouse.execute("CREATE TABLE nba_raw.bench_events (event_date DATE)")
        warehouse.execute("CREATE TABLE nba_raw.bench_seed (event_date DATE, item STRING, loaded_at TIMESTAMP)")
        warehouse.insert_rows("nba_raw.bench_events", [{"event_date": DAY}] * 2)
        now = dt.datetime.now(dt.UTC)
        warehouse.insert_rows(
            "nba_raw.bench_seed", [{"event_date": DAY, "item": str(i), "loaded_at": now} for i in range(6)]
        )
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(bag, "dags-folder", None)
    dag = bag.get_dag("guard_cost_phase")
    STATS.reset()
    import pendulum

    when = pendulum.datetime(DAY.year, DAY.month, DAY.day, 10, tz="America/New_York")
    run = dag.test(logical_date=when, run_conf={"game_date": DAY.isoformat()})
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert all(state == "success" for task_id, state in states.items() if task_id.endswith(".run")), states
    snapshot = STATS.snapshot()
    snapshot["state"] = str(run.state)
    print(json.dumps(snapshot))


def main(counts: list[int]) -> None:
    results = {n: measure(n) for n in counts}
    print(
        "| processors | guards round trips | run-log round trips | processor round trips "
        "| mutating statements per table (guards + run log) |"
    )
    print("|---|---|---|---|---|")
    for n, snap in results.items():
        trips = snap["round_trips"]
        state_tables = {k: v for k, v in snap["mutations"].items() if not k.startswith("processor:")}
        print(
            f"| {n} | {trips.get('guards', 0)} | {trips.get('run_log', 0)} | {trips.get('processor', 0)} | "
            f"{json.dumps(state_tables)} |"
        )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main([int(a) for a in sys.argv[1:]] or [10, 20])
