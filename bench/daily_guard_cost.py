"""Guard cost of one real daily run: warehouse round trips and mutating statements of
``nba_daily_pipeline`` for game day 2025-01-15 under ``dag.test()``.

Fresh Airflow home and warehouse; the history before the game day is backfilled and the model
trained first (as ``make run`` does; ``--season DIR`` reuses a season built by ``season.py``). Then
one daily run, with every processor really running, and the calls the warehouse layer counted split
by activity (guards, run_log, processor, predictions), by table, by phase and by guard task kind.

    .venv/bin/python bench/daily_guard_cost.py [--season DIR | --history-days 30]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

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

NAME = "daily_guard_cost"
#: a sensor that is not ready re-pokes after this long (the production default, 300 s, would stall
#: the benchmark); the number of pokes shows in the guards' round trips of the ``dependencies`` tasks
SENSOR_ENV = {"NBA_DEPENDENCY_POKE_SECONDS": "2", "NBA_DEPENDENCY_TIMEOUT_SECONDS": "30"}


def child() -> None:
    from harness import TaskAttribution, load_dags, logical_time, phase_of, quiet_logs, task_kind, task_rows

    from nba_pipeline.warehouse import STATS

    with quiet_logs():
        dag = load_dags(ROOT / "dags")["nba_daily_pipeline"]
        attribution = TaskAttribution().install()
        STATS.reset()
        started = time.perf_counter()
        run = dag.test(logical_date=logical_time(GAME_DAY), run_conf={"game_date": GAME_DAY.isoformat()})
        wall = time.perf_counter() - started
    rows = task_rows(run)
    snapshot = STATS.snapshot()
    guard_kinds: dict[str, int] = {}
    for (task_id, name), n in attribution.round_trips.items():
        if name == "guards":
            guard_kinds[task_kind(task_id)] = guard_kinds.get(task_kind(task_id), 0) + n
    kinds = Counter(task_kind(r["task_id"]) for r in rows)
    print(json.dumps({
        "dag_run_state": str(run.state),
        "wall_s": round(wall, 1),
        "task_instances": len(rows),
        "states": dict(Counter(r["state"] for r in rows)),
        "not_success": {f"{r['task_id']}[{r['map_index']}]": r["state"] for r in rows if r["state"] != "success"},
        "round_trips": snapshot["round_trips"],
        "mutations": snapshot["mutations"],
        "round_trips_by_phase": attribution.by(phase_of),
        "mutations_by_phase": attribution.by(phase_of, mutations=True),
        "guard_round_trips_by_kind": dict(sorted(guard_kinds.items())),
        "task_instances_by_kind": dict(sorted(kinds.items())),
    }, default=str))


def measure(season: Path | None, history_days: int) -> dict:
    from season import build, install

    work = Path(tempfile.mkdtemp(prefix="nba-bench-daily-"))
    if season is None:
        season = work / "season"
        build(season, history_days)
    env = airflow_env(work, ROOT / "dags", **SENSOR_ENV)
    migrate_airflow(env)
    figures = install(season, work)
    try:
        result = run_child(Path(__file__), [], env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"season": figures, **result}


def _activities(counts: dict) -> list[str]:
    order = ["guards", "run_log", "processor", "predictions"]
    return order + sorted(set(counts) - set(order))


def report(r: dict) -> None:
    trips = r["round_trips"]
    names = _activities(trips)
    print(f"\nnba_daily_pipeline for {GAME_DAY} under dag.test(): {r['task_instances']} task instances, "
          f"states {r['states']}, run {r['dag_run_state']}, {r['wall_s']} s; history {r['season']['history_days']} "
          f"days; {r['season']['model']}\n")
    print("| activity | round trips | share | mutating statements |")
    print("|---|---|---|---|")
    total = sum(trips.values()) or 1
    for name in names:
        muts = sum(n for k, n in r["mutations"].items() if k.split(":", 1)[0] == name)
        print(f"| {name} | {trips.get(name, 0)} | {100 * trips.get(name, 0) / total:.0f} % | {muts} |")
    print(f"| total | {sum(trips.values())} | 100 % | {sum(r['mutations'].values())} |")

    print("\n| phase | " + " | ".join(f"{n} round trips" for n in names)
          + " | mutating statements (guards + run log) |")
    print("|---|" + "---|" * (len(names) + 1))
    for phase, counts in r["round_trips_by_phase"].items():
        muts = r["mutations_by_phase"].get(phase, {})
        state = {k: v for k, v in muts.items() if k.split(":", 1)[0] in ("guards", "run_log")}
        print(f"| {phase} | " + " | ".join(str(counts.get(n, 0)) for n in names) + f" | {_tables(state)} |")

    print("\n| guard task kind | task instances | guards round trips |")
    print("|---|---|---|")
    for kind, n in r["guard_round_trips_by_kind"].items():
        print(f"| {kind} | {r['task_instances_by_kind'].get(kind, 0)} | {n} |")

    print("\n| mutated table | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    tables: dict[str, dict[str, int]] = {}
    for key, n in r["mutations"].items():
        name, table = key.split(":", 1)
        tables.setdefault(table, {})[name] = n
    for table, counts in sorted(tables.items()):
        print(f"| {table} | " + " | ".join(str(counts.get(n, "")) for n in names) + " |")
    if r["not_success"]:
        print(f"\nnot successful: {r['not_success']}")


def _tables(mutations: dict[str, int]) -> str:
    return ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in mutations.items()) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--season", type=Path, help="a season built by season.py (default: build one)")
    parser.add_argument("--history-days", type=int, default=30, help="days backfilled before the game day")
    args = parser.parse_args()
    load_start = loadavg()
    result = measure(args.season, args.history_days)
    report(result)
    emit(NAME, {"loadavg_start": load_start, **result})


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
