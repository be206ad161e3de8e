"""What BigQuery's per-job latency does to a daily run: ``nba_daily_pipeline`` for game day
2025-01-15 under ``dag.test()`` with every warehouse call (query, DML, streaming insert, table
lookup) held for a fixed delay, as a BigQuery job of ~1-2 s is however small it is.

Each delay runs on its own fresh copy of the same season (a rerun of the date would skip work).
``dag.test()`` runs one task at a time, so its wall time is the run at parallelism 1: an upper
bound for any executor. From the measured task durations (each holding its delays) the benchmark
also derives the critical path through the DAG (the least time any parallelism can give) and the
wall time of a list schedule at the executor parallelism given (``--parallelism``, 4 by default),
each task starting as soon as its upstream tasks are done and a slot is free.

    .venv/bin/python bench/warehouse_latency.py [--season DIR] [--delays 0 1 2] [--parallelism 4]
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    GAME_DAY,
    ROOT,
    airflow_env,
    emit,
    loadavg,
    migrate_airflow,
    run_child,
)

NAME = "warehouse_latency"
SENSOR_ENV = {"NBA_DEPENDENCY_POKE_SECONDS": "2", "NBA_DEPENDENCY_TIMEOUT_SECONDS": "30"}


class Delayed:
    """Holds every warehouse call of this process for ``delay`` seconds and notes which task made
    it (``dag.test()`` runs every task here), through the warehouse layer's ``STATS.record``."""

    OUTSIDE = "(outside a task)"

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.calls: Counter[tuple[str, int]] = Counter()  # (task_id, map_index) -> calls
        self.mutations: dict[tuple[str, int], list[str]] = {}

    def install(self) -> Delayed:
        from nba_pipeline.warehouse import base

        stats = base.STATS
        original = type(stats).record

        def record(mutated_table: str | None) -> None:
            original(stats, mutated_table)
            key = self._current_task()
            self.calls[key] += 1
            if mutated_table:
                self.mutations.setdefault(key, []).append(mutated_table)
            time.sleep(self.delay)

        stats.record = record  # an instance attribute: the package's code is untouched
        return self

    def _current_task(self) -> tuple[str, int]:
        try:
            from airflow.sdk import get_current_context

            ti = get_current_context()["ti"]
            return ti.task_id, int(ti.map_index if ti.map_index is not None else -1)
        except Exception:  # noqa: BLE001 - no task is running
            return self.OUTSIDE, -1


def child(delay: float) -> None:
    from harness import load_dags, logical_time, quiet_logs, task_rows

    with quiet_logs():
        dag = load_dags(ROOT / "dags")["nba_daily_pipeline"]
        delayed = Delayed(delay).install()
        started = time.perf_counter()
        run = dag.test(logical_date=logical_time(GAME_DAY), run_conf={"game_date": GAME_DAY.isoformat()})
        wall = time.perf_counter() - started
    rows = task_rows(run)
    upstream = {task.task_id: sorted(task.upstream_task_ids) for task in dag.tasks}
    instances = [
        {"task_id": r["task_id"], "map_index": r["map_index"], "state": r["state"], "duration": r["duration"],
         "calls": delayed.calls.get((r["task_id"], r["map_index"]), 0),
         "mutations": delayed.mutations.get((r["task_id"], r["map_index"]), [])}
        for r in rows
    ]
    print(json.dumps({
        "delay_s": delay, "dag_run_state": str(run.state), "wall_s": round(wall, 1),
        "calls_outside_tasks": delayed.calls.get((Delayed.OUTSIDE, -1), 0),
        "instances": instances, "upstream": upstream,
    }, default=str))


# --------------------------------------------------------------------------- the schedule


def critical_path(instances: list[dict], upstream: dict[str, list[str]]) -> tuple[float, list[str]]:
    """The longest chain of tasks by duration (a mapped task weighs as its longest instance, its
    instances running side by side): its length and its task ids, first to last."""
    weight: dict[str, float] = {}
    for i in instances:
        weight[i["task_id"]] = max(weight.get(i["task_id"], 0.0), i["duration"])
    finish: dict[str, tuple[float, list[str]]] = {}

    def longest(task_id: str) -> tuple[float, list[str]]:
        if task_id not in finish:
            before = max((longest(u) for u in upstream.get(task_id, []) if u in weight),
                         default=(0.0, []), key=lambda chain: chain[0])
            finish[task_id] = (before[0] + weight[task_id], [*before[1], task_id])
        return finish[task_id]

    return max((longest(t) for t in weight), key=lambda chain: chain[0])


def list_schedule(instances: list[dict], upstream: dict[str, list[str]], slots: int) -> float:
    """Wall time of running the task instances on ``slots`` executor slots, each starting when every
    instance of its upstream tasks is done and a slot is free (among ready ones, the DAG's order)."""
    by_task: dict[str, list[dict]] = {}
    for i in instances:
        by_task.setdefault(i["task_id"], []).append(i)
    order = {t: n for n, t in enumerate(by_task)}
    needs = {t: {u for u in upstream.get(t, []) if u in by_task} for t in by_task}
    dependents = {t: [other for other in by_task if t in needs[other]] for t in by_task}
    left = {t: len(v) for t, v in by_task.items()}
    ready: list[tuple[int, int, float, str]] = []  # (DAG order, tie, duration, task)
    running: list[tuple[float, str]] = []  # (end, task)

    def release(task_id: str) -> None:
        for n, i in enumerate(by_task[task_id]):
            heapq.heappush(ready, (order[task_id], n, i["duration"], task_id))

    for task_id in [t for t, waits_for in needs.items() if not waits_for]:
        release(task_id)
    now, free = 0.0, slots
    while True:
        while free and ready:
            _, _, duration, task_id = heapq.heappop(ready)
            heapq.heappush(running, (now + duration, task_id))
            free -= 1
        if not running:
            return now
        now, task_id = heapq.heappop(running)
        free += 1
        left[task_id] -= 1
        for other in dependents[task_id] if left[task_id] == 0 else ():
            needs[other].discard(task_id)
            if not needs[other]:
                release(other)


def summarise(result: dict, slots: int) -> dict[str, Any]:
    from harness import phase_of

    instances, upstream = result["instances"], result["upstream"]
    length, path = critical_path(instances, upstream)
    calls: dict[str, int] = {}  # a mapped task's: its longest instance's, as the path weighs it
    longest: dict[str, float] = {}
    for i in instances:
        if i["duration"] >= longest.get(i["task_id"], -1.0):
            longest[i["task_id"]], calls[i["task_id"]] = i["duration"], i["calls"]
    by_phase: Counter[str] = Counter()
    for i in instances:
        by_phase[phase_of(i["task_id"])] += i["calls"]
    return {
        "delay_s": result["delay_s"], "state": result["dag_run_state"], "wall_s": result["wall_s"],
        "task_instances": len(instances), "calls": sum(i["calls"] for i in instances),
        "calls_outside_tasks": result["calls_outside_tasks"],
        "task_seconds": round(sum(i["duration"] for i in instances), 1),
        "critical_path_s": round(length, 1),
        "critical_path": [{"task_id": t, "calls": calls[t]} for t in path],
        f"list_schedule_{slots}_s": round(list_schedule(instances, upstream, slots), 1),
        "calls_by_phase": dict(sorted(by_phase.items())),
        "not_success": sorted({i["task_id"] for i in instances if i["state"] not in ("success", "skipped")}),
    }


# --------------------------------------------------------------------------- the measurement


def measure(season: Path | None, history_days: int, delays: list[float], slots: int) -> list[dict]:
    from season import build, install

    base = Path(tempfile.mkdtemp(prefix="nba-bench-latency-"))
    if season is None:
        season = base / "season"
        build(season, history_days)
    runs = []
    try:
        for delay in delays:
            work = base / f"delay-{delay:g}"
            env = airflow_env(work, ROOT / "dags", **SENSOR_ENV)
            migrate_airflow(env)
            install(season, work)
            runs.append(summarise(run_child(Path(__file__), [str(delay)], env), slots))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return runs


def report(runs: list[dict], slots: int) -> None:
    print(f"\nnba_daily_pipeline for {GAME_DAY} under dag.test(), each warehouse call held for the delay\n")
    print(f"| delay per call | calls | wall s, parallelism 1 (measured) | list schedule, {slots} slots | "
          "critical path s | task instances |")
    print("|---|---|---|---|---|---|")
    for r in runs:
        print(f"| {r['delay_s']:g} s | {r['calls']} | {r['wall_s']} | {r[f'list_schedule_{slots}_s']} | "
              f"{r['critical_path_s']} | {r['task_instances']} |")
    last = runs[-1]
    print(f"\ncalls by phase: {last['calls_by_phase']}")
    chain = " → ".join(f"{c['task_id']} ({c['calls']})" for c in last["critical_path"])
    print(f"critical path at {last['delay_s']:g} s (task, calls): {chain}")
    for r in runs:
        if r["not_success"] or r["state"] != "success":
            print(f"delay {r['delay_s']:g} s: run {r['state']}, not successful: {r['not_success']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--season", type=Path, help="a season built by season.py (default: build one)")
    parser.add_argument("--history-days", type=int, default=30, help="days backfilled before the game day")
    parser.add_argument("--delays", type=float, nargs="+", default=[0.0, 1.0, 2.0])
    parser.add_argument("--parallelism", type=int, default=4, help="executor slots of the list schedule")
    args = parser.parse_args()
    load_start = loadavg()
    started = dt.datetime.now(dt.UTC)
    runs = measure(args.season, args.history_days, args.delays, args.parallelism)
    report(runs, args.parallelism)
    emit(NAME, {"loadavg_start": load_start, "started": started.isoformat(), "parallelism": args.parallelism,
                "runs": runs})


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(float(sys.argv[2]))
    else:
        main()
