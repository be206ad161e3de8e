"""Backfill scaling: seconds per date for 7, 30 and 90 days of the simulated season.

Each range runs in a fresh warehouse through ``nba_pipeline.backfill.run_date`` (the work each
``nba_backfill`` task does for its date). Time per date must stay flat as the history grows:
reported as the mean of the last 7 dates over the mean of the first 7.

    .venv/bin/python bench/backfill_scaling.py [days ...]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = dt.date(2024, 11, 1)


def child(days: int) -> None:
    import logging

    logging.disable(logging.INFO)
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import get_warehouse

    seconds = []
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        for day in dates_between(START, START + dt.timedelta(days=days - 1)):
            started = time.perf_counter()
            outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id="bench")
            record_progress(warehouse, outcome, "bench")
            seconds.append(time.perf_counter() - started)
            assert outcome.count("failed") == 0, outcome.outcome
    print(json.dumps(seconds))


def measure(days: int) -> dict:
    folder = tempfile.mkdtemp(prefix="nba-backfill-bench-")
    env = {**os.environ, "NBA_DATA_DIR": folder, "PYTHONPATH": str(ROOT / "plugins"),
           "AIRFLOW_HOME": os.path.join(folder, "airflow")}
    out = subprocess.run([sys.executable, __file__, "--child", str(days)], env=env, check=True,
                         capture_output=True, text=True)
    seconds = json.loads(out.stdout.strip().splitlines()[-1])
    head, tail = seconds[:7], seconds[-7:]
    return {
        "days": days,
        "total_s": round(sum(seconds), 1),
        "mean_s_per_date": round(statistics.mean(seconds), 3),
        "first_7_mean_s": round(statistics.mean(head), 3),
        "last_7_mean_s": round(statistics.mean(tail), 3),
        "growth": round(statistics.mean(tail) / statistics.mean(head), 2),
    }


def main(ranges: list[int]) -> list[dict]:
    results = [measure(days) for days in ranges]
    print("| days | total s | s per date | first 7 dates | last 7 dates | growth (last/first) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['days']} | {r['total_s']} | {r['mean_s_per_date']} | {r['first_7_mean_s']} | "
              f"{r['last_7_mean_s']} | {r['growth']}x |")
    return results


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(int(sys.argv[2]))
    else:
        main([int(a) for a in sys.argv[1:]] or [7, 30, 90])
