"""Guard cost of one phase as it grows: warehouse round trips and mutating statements for N processors.

Runs the ``guard_cost_phase`` DAG (``bench/dags``: one phase of N toy processors behind the full
guard set) under ``dag.test()`` for N = 10 and N = 20, each in its own process with a fresh Airflow
home and warehouse, and reports the calls the warehouse layer counted, split into guards, run
logging and the processors' own work, and the guards' calls per guard task kind. Target: the
guards' round trips do not grow with N (the processors' own work does, by design).

    .venv/bin/python bench/guard_cost.py [N ...]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, airflow_env, emit, loadavg, migrate_airflow, run_child  # noqa: E402

NAME = "guard_cost"
DAY = dt.date(2025, 1, 15)


def measure(count: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="nba-bench-guards-"))
    env = airflow_env(work, ROOT / "bench" / "dags", NBA_BENCH_PROCESSORS=str(count))
    migrate_airflow(env)
    try:
        return run_child(Path(__file__), [], env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def child() -> None:
    from harness import TaskAttribution, load_dags, logical_time, quiet_logs, task_kind

    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import STATS, get_warehouse

    with quiet_logs():
        with get_warehouse() as warehouse:
            apply_migrations(warehouse)
            warehouse.execute("CREATE TABLE nba_raw.bench_events (event_date DATE)")
            warehouse.execute("CREATE TABLE nba_raw.bench_seed (event_date DATE, item STRING, loaded_at TIMESTAMP)")
            warehouse.insert_rows("nba_raw.bench_events", [{"event_date": DAY}] * 2)
            now = dt.datetime.now(dt.UTC)
            warehouse.insert_rows(
                "nba_raw.bench_seed", [{"event_date": DAY, "item": str(i), "loaded_at": now} for i in range(6)]
            )
        dag = load_dags(Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"]))["guard_cost_phase"]
        attribution = TaskAttribution().install()
        STATS.reset()
        run = dag.test(logical_date=logical_time(DAY), run_conf={"game_date": DAY.isoformat()})
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert all(state == "success" for task_id, state in states.items() if task_id.endswith(".run")), states
    snapshot = STATS.snapshot()
    kinds: dict[str, int] = {}
    for (task_id, name), n in attribution.round_trips.items():
        if name == "guards":
            kinds[task_kind(task_id)] = kinds.get(task_kind(task_id), 0) + n
    snapshot["guard_round_trips_by_kind"] = dict(sorted(kinds.items()))
    snapshot["task_instances"] = len(states)
    snapshot["state"] = str(run.state)
    print(json.dumps(snapshot))


def report(results: dict[int, dict]) -> dict:
    print("| processors | task instances | guards round trips | run-log round trips | processor round trips "
          "| guards share | mutating statements per table (guards + run log) |")
    print("|---|---|---|---|---|---|---|")
    for n, snap in results.items():
        trips = snap["round_trips"]
        state_tables = {k: v for k, v in snap["mutations"].items() if not k.startswith("processor:")}
        share = trips.get("guards", 0) / max(1, sum(trips.values()))
        print(
            f"| {n} | {snap['task_instances']} | {trips.get('guards', 0)} | {trips.get('run_log', 0)} | "
            f"{trips.get('processor', 0)} | {100 * share:.0f} % | "
            + ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in state_tables.items())
            + " |"
        )
    kinds = sorted({k for snap in results.values() for k in snap["guard_round_trips_by_kind"]})
    print("\n| guard task kind | " + " | ".join(f"N = {n}" for n in results) + " |")
    print("|---|" + "---|" * len(results))
    for kind in kinds:
        print(f"| {kind} | " + " | ".join(str(s["guard_round_trips_by_kind"].get(kind, 0)) for s in results.values())
              + " |")
    counts = sorted(results)
    verdict: dict = {}
    if len(counts) >= 2:
        low, high = counts[0], counts[-1]
        guards = {n: results[n]["round_trips"].get("guards", 0) for n in (low, high)}
        per_processor = (guards[high] - guards[low]) / (high - low)
        verdict = {"guards_round_trips": guards, "guards_round_trips_per_added_processor": per_processor,
                   "flat": guards[high] == guards[low]}
        print(f"\nguards round trips: {guards[low]} for N = {low}, {guards[high]} for N = {high}: "
              f"{per_processor:+.2f} per added processor ("
              + ("flat: target met" if verdict["flat"] else "grows with the phase: target not met") + ")")
    return verdict


def main(counts: list[int]) -> None:
    load_start = loadavg()
    results = {n: measure(n) for n in counts}
    verdict = report(results)
    emit(NAME, {"loadavg_start": load_start, "results": {str(n): r for n, r in results.items()}, **verdict})


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main([int(a) for a in sys.argv[1:]] or [10, 20])
