"""Backfill scaling: seconds per date for 7, 30 and 90 days of the simulated season, and what grows.

One fresh warehouse is backfilled from 2024-11-01 through ``nba_pipeline.backfill.run_date`` (the
work each ``nba_backfill`` task does for its date) for the longest range; the shorter ranges are its
first 7 and 30 dates (the same dates in the same fresh warehouse, so running them apart would only
repeat them). Time per date must stay flat as the history grows. Growth is reported as the mean of
the last 7 dates over the mean of the first 7 (leaving out the very first date, which pays the
imports and the simulated league's set-up), and like for like: a date with a light slate takes half
the time of a full one, so also the median of the first and of the last 7 dates with a full slate,
in wall and in CPU seconds, and the slope per date of a least-squares fit that accounts for games.

The profile says what grows: each processor's and each warehouse statement's time per date, first
week against last week; the rows each statement's table scans read on the 9th and on the last date
(EXPLAIN ANALYZE, a count the machine's load does not change); the warehouse file and largest
tables. With ``--airflow DAYS`` the same dates also run through the ``nba_backfill`` DAG under
``dag.test()``: time per date from the progress table, Airflow's time between tasks, the metadata DB.

    .venv/bin/python bench/backfill_scaling.py [days ...] [--airflow DAYS] [--top 12]
"""

from __future__ import annotations

import argparse
import contextvars
import dataclasses
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, airflow_env, emit, loadavg, migrate_airflow, run_child  # noqa: E402

NAME = "backfill_scaling"
START = dt.date(2024, 11, 1)
WINDOW = 7
FULL_SLATE = 12  # games on a date and the day before: the dates compared like for like
DATASETS = ("nba_raw", "nba_analytics", "nba_precompute", "nba_predictions", "nba_processing", "nba_orchestration")
_processor: contextvars.ContextVar[str] = contextvars.ContextVar("bench_processor", default="-")


def _windows(dates: int) -> tuple[range, range]:
    """Indexes of the first week (from the second date, when there are enough) and of the last week."""
    skip = 1 if dates > WINDOW + 1 else 0
    return range(skip, min(dates, skip + WINDOW)), range(max(0, dates - WINDOW), dates)


def _window_means(series, dates: int) -> tuple[float, float]:
    head, tail = _windows(dates)
    return statistics.mean(series.get(i, 0.0) for i in head), statistics.mean(series.get(i, 0.0) for i in tail)


# --------------------------------------------------------------------------- instrumentation


def _fingerprint(sql: str) -> str:
    """The statement's first words, comments left out."""
    import re

    return " ".join(re.sub(r"--[^\n]*", " ", sql).split())[:110]


class Profile:
    """Seconds per date of each processor and of each warehouse statement (by activity, processor and
    the statement's first words), gathered by wrapping the processors and the DuckDB backend in this
    process (the package itself is not changed)."""

    def __init__(self, scan_dates: set[int] | None = None) -> None:
        self.date_index = 0
        self.scan_dates = scan_dates or set()
        #: date index → statement key → rows read by its table scans, largest scan, calls
        self.scans: dict[int, dict[str, dict]] = defaultdict(dict)
        #: date index → (wall, CPU) seconds spent profiling, taken off the date's figures
        self.overhead: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.processor_s: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.statement_s: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        self.statement_n: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def install(self, specs) -> Profile:
        """Time each of ``specs`` (the timed copies are :attr:`specs`) and every warehouse statement."""
        from nba_pipeline.warehouse import base
        from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

        profile = self

        def timed_processor(original):
            def timed(ctx):
                token = _processor.set(ctx.processor.name)
                started, profiling = time.perf_counter(), profile.overhead[profile.date_index][0]
                try:
                    return original(ctx)
                finally:
                    profiling = profile.overhead[profile.date_index][0] - profiling
                    profile.processor_s[ctx.processor.name][profile.date_index] += (
                        time.perf_counter() - started - profiling)
                    _processor.reset(token)

            return timed

        # the registry holds each processor's callable: time it through a copy of each entry
        self.specs = [dataclasses.replace(spec, run=timed_processor(spec.run)) for spec in specs]

        def wrap(method, describe):
            def timed(self, *args, **kwargs):
                if profile.date_index in profile.scan_dates and method.__name__ == "_run":
                    key = f"{base._activity.get()} | {_processor.get()} | {describe(*args)}"
                    profile.explain(self, key, args[0], args[1])
                started = time.perf_counter()
                try:
                    return method(self, *args, **kwargs)
                finally:
                    key = f"{base._activity.get()} | {_processor.get()} | {describe(*args)}"
                    profile.statement_s[key][profile.date_index] += time.perf_counter() - started
                    profile.statement_n[key][profile.date_index] += 1

            return timed

        DuckDBWarehouse._run = wrap(DuckDBWarehouse._run, lambda sql, *_: _fingerprint(sql))
        DuckDBWarehouse.insert_rows = wrap(DuckDBWarehouse.insert_rows, lambda table, rows: f"insert_rows {table}")
        return self

    def explain(self, warehouse, key: str, sql: str, params) -> None:
        """Run the statement under EXPLAIN ANALYZE in a rolled-back transaction (before it runs for real) and
        keep the rows its table scans read: a count that the machine's load does not change."""
        from nba_pipeline.warehouse.duckdb_backend import _duckdb_value
        from nba_pipeline.warehouse.translate import to_duckdb

        def scans(node: dict, out: list) -> None:
            extra = node.get("extra_info") or {}
            if node.get("type") == "TABLE_SCAN" and extra.get("Table"):
                out.append((int(node.get("rows_scanned") or 0), str(extra["Table"]).split(".", 1)[-1]))
            for child in node.get("children", []) + node.get("operator", []):
                scans(child, out)

        wall, cpu = time.perf_counter(), time.process_time()
        text, names = to_duckdb(sql)
        bound = {name: _duckdb_value((params or {})[name]) for name in names} or None
        cursor = warehouse._cursor()
        try:
            cursor.execute("BEGIN TRANSACTION")
        except Exception:  # noqa: BLE001 - inside a caller's transaction: leave this statement out
            return
        try:
            plan = cursor.execute("EXPLAIN (ANALYZE, FORMAT json) " + text, bound).fetchall()
        finally:
            cursor.execute("ROLLBACK")
        found: list = []
        scans(json.loads(plan[0][1]), found)
        entry = self.scans[self.date_index].setdefault(key, {"rows": 0, "largest": (0, ""), "calls": 0})
        entry["rows"] += sum(n for n, _ in found)
        entry["largest"] = max([entry["largest"], *found])
        entry["calls"] += 1
        self.overhead[self.date_index][0] += time.perf_counter() - wall
        self.overhead[self.date_index][1] += time.process_time() - cpu

    def scan_table(self, early: int, late: int, top: int) -> dict:
        """Rows read per statement on two dates, the statements whose reads grew most first."""
        rows = []
        for key in set(self.scans[early]) | set(self.scans[late]):
            a, b = self.scans[early].get(key), self.scans[late].get(key)
            rows.append({"key": key, "rows_early": a["rows"] if a else 0, "rows_late": b["rows"] if b else 0,
                         "largest_late": f"{b['largest'][1]} {b['largest'][0]:,}" if b else ""})
        rows.sort(key=lambda r: -(r["rows_late"] - r["rows_early"]))
        return {"early_date": (START + dt.timedelta(days=early)).isoformat(),
                "late_date": (START + dt.timedelta(days=late)).isoformat(),
                "early_index": early, "late_index": late,
                "rows_early": sum(r["rows_early"] for r in rows), "rows_late": sum(r["rows_late"] for r in rows),
                "statements": len(rows), "top": rows[:top]}

    def growth(self, source: dict[str, dict[int, float]], dates: int, limit: int) -> list[dict]:
        """The entries of ``source`` whose time per date grew most, first week against last week."""
        rows = []
        for key, series in source.items():
            head, tail = _window_means(series, dates)
            calls = _window_means(self.statement_n[key], dates) if key in self.statement_n else (0.0, 0.0)
            rows.append({"key": key, "total_s": round(sum(series.values()), 2), "first_ms": round(1000 * head, 1),
                         "last_ms": round(1000 * tail, 1), "added_ms": round(1000 * (tail - head), 1),
                         "calls_first": round(calls[0], 1), "calls_last": round(calls[1], 1)})
        rows.sort(key=lambda r: -r["added_ms"])
        return rows[:limit]


def _row_counts(warehouse) -> dict[str, int]:
    counts = {}
    for dataset in DATASETS:
        for table in warehouse.list_tables(dataset):
            counts[f"{dataset}.{table}"] = warehouse.query(f"SELECT COUNT(*) AS n FROM {dataset}.{table}")[0]["n"]
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _slate(warehouse, day: dt.date) -> list[int]:
    """Games on ``day`` and on the day before."""
    rows = warehouse.query(
        "SELECT game_date, COUNT(DISTINCT game_id) AS n FROM nba_raw.nbac_schedule "
        "WHERE game_date BETWEEN @y AND @d GROUP BY game_date", {"y": day - dt.timedelta(days=1), "d": day})
    by_date = {row["game_date"]: row["n"] for row in rows}
    return [by_date.get(day, 0), by_date.get(day - dt.timedelta(days=1), 0)]


# --------------------------------------------------------------------------- the direct run


SCAN_INDEX = 8  # the 9th date: its statements' reads are compared with the last date's


def child(days: int, top: int) -> None:
    from harness import quiet_logs

    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    scan_dates = {SCAN_INDEX, days - 1} if days > SCAN_INDEX + WINDOW else set()
    profile = Profile(scan_dates).install(backfill_processors())
    path = get_settings().duckdb_path
    seconds, cpu, games, file_mib = [], [], [], []
    with quiet_logs(), get_warehouse() as warehouse:
        apply_migrations(warehouse)
        for index, day in enumerate(dates_between(START, START + dt.timedelta(days=days - 1))):
            profile.date_index = index
            started, cpu_started = time.perf_counter(), time.process_time()
            outcome = run_date(warehouse, profile.specs, CALENDAR, day, dag_run_id="bench")
            record_progress(warehouse, outcome, "bench")
            seconds.append(time.perf_counter() - started - profile.overhead[index][0])
            cpu.append(time.process_time() - cpu_started - profile.overhead[index][1])
            if outcome.count("failed"):
                raise RuntimeError(f"{day}: {outcome.outcome}")
            games.append(_slate(warehouse, day))
            file_mib.append(path.stat().st_size / 2**20 if path.exists() else 0.0)
        counts = _row_counts(warehouse)
    print(json.dumps({
        "seconds": seconds,
        "cpu_seconds": cpu,
        "games": games,
        "warehouse_mib": file_mib,
        "processors": profile.growth(profile.processor_s, days, 100),
        "statements": profile.growth(profile.statement_s, days, top),
        "statement_s_per_date": [round(sum(s.get(i, 0.0) for s in profile.statement_s.values()), 3)
                                 for i in range(days)],
        "row_counts": counts,
        "scans": profile.scan_table(SCAN_INDEX, days - 1, top) if scan_dates else None,
    }))


def _fit(seconds: list[float], games: list[list[int]]) -> dict:
    """Least squares ``seconds = a + b * games of the date + b' * games of the day before + c * index``."""
    import numpy as np

    g = np.array(games, float)
    x = np.column_stack([np.ones(len(seconds)), g[:, 0], g[:, 1], np.arange(len(seconds), dtype=float)])
    (a, b, b_prev, c), *_ = np.linalg.lstsq(x, np.array(seconds), rcond=None)
    return {"intercept_s": round(float(a), 3), "s_per_game": round(float(b), 4),
            "s_per_game_day_before": round(float(b_prev), 4), "s_per_date_index": round(float(c), 4)}


def summarise(seconds: list[float], games: list[list[int]], days: int, cpu: list[float] | None = None) -> dict:
    """Time per date over the first ``days`` dates: last week against first week as asked, and, because a
    light slate (a few games) takes half the time of a full one, like for like: the median of the first 7
    and of the last 7 dates with a full slate (at least ``FULL_SLATE`` games on the date and the day
    before), in wall seconds and in CPU seconds of the process (DuckDB's threads included; other
    processes' load changes them less)."""
    part, slate = seconds[:days], [today + before for today, before in games[:days]]
    first, last = _windows(days)
    head, tail = [part[i] for i in first], [part[i] for i in last]
    full = [i for i in range(1 if days > 1 else 0, days) if slate[i] >= FULL_SLATE]
    full_head, full_tail = full[:WINDOW], full[-WINDOW:]
    summary = {
        "days": days,
        "total_s": round(sum(part), 1),
        "mean_s_per_date": round(statistics.mean(part), 3),
        "first_date_s": round(part[0], 2),
        "first_week_dates": f"{first.start + 1}-{first.stop}",
        "first_7_mean_s": round(statistics.mean(head), 3),
        "last_7_mean_s": round(statistics.mean(tail), 3),
        "growth": round(statistics.mean(tail) / statistics.mean(head), 2),
        "games_first_7": sum(slate[i] for i in first),
        "games_last_7": sum(slate[i] for i in last),
    }
    for name, series in (("wall", part), ("cpu", cpu[:days] if cpu else None)):
        if series and full_head:
            early = statistics.median(series[i] for i in full_head)
            late = statistics.median(series[i] for i in full_tail)
            summary[f"full_slate_{name}"] = {"first_7_median_s": round(early, 3), "last_7_median_s": round(late, 3),
                                              "growth": round(late / early, 2)}
    if days >= 10:
        summary["fit"] = _fit(part[1:], games[1:days])
    return summary


# --------------------------------------------------------------------------- through Airflow


class CpuClock:
    """Samples the process's CPU time every 0.2 s, to give a date completed at a wall-clock instant its CPU
    seconds (the work runs inside Airflow's task, out of reach of a per-date timer)."""

    def __init__(self) -> None:
        import threading

        self.samples: list[tuple[dt.datetime, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((dt.datetime.now(dt.UTC), time.process_time()))
            self._stop.wait(0.2)

    def __enter__(self) -> CpuClock:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def at(self, moment: dt.datetime) -> float:
        """CPU seconds at ``moment``, interpolated between the samples around it."""
        import bisect

        times = [t for t, _ in self.samples]
        i = min(max(bisect.bisect_left(times, moment), 1), len(times) - 1)
        (t0, c0), (t1, c1) = self.samples[i - 1], self.samples[i]
        span = (t1 - t0).total_seconds()
        return c0 + (c1 - c0) * ((moment - t0).total_seconds() / span if span else 0.0)


def airflow_child(days: int) -> None:
    """The range through the ``nba_backfill`` DAG under ``dag.test()``."""
    import os
    import sqlite3

    import pendulum
    from harness import load_dags, quiet_logs, task_rows

    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import get_warehouse

    db = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
    end = START + dt.timedelta(days=days - 1)
    with quiet_logs():
        dag = load_dags(ROOT / "dags")["nba_backfill"]
        size_before = db.stat().st_size
        with CpuClock() as clock:
            started_at = dt.datetime.now(dt.UTC)
            started = time.perf_counter()
            run = dag.test(logical_date=pendulum.datetime(end.year, end.month, end.day, 12, tz="America/New_York"),
                           run_conf={"start_date": START.isoformat(), "end_date": end.isoformat()})
            wall = time.perf_counter() - started
    cpu = time.process_time()
    rows = sorted((r for r in task_rows(run) if r["task_id"] == "backfill_date"), key=lambda r: r["start"])
    gaps = [max(0.0, (b["start"] - a["end"]).total_seconds()) for a, b in zip(rows, rows[1:], strict=False)]
    with get_warehouse() as warehouse:
        done = warehouse.query("SELECT game_date, completed_at FROM nba_orchestration.backfill_progress "
                               "WHERE status = 'complete' ORDER BY game_date")
        games = [_slate(warehouse, row["game_date"]) for row in done]
    stamps = [started_at] + [row["completed_at"] for row in done]
    per_date = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)]
    cpu_stamps = [clock.at(moment) for moment in stamps]
    cpu_per_date = [b - a for a, b in zip(cpu_stamps, cpu_stamps[1:], strict=False)]
    with sqlite3.connect(db) as connection:
        tables = {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
                  for name in ("task_instance", "xcom", "log", "rendered_task_instance_fields", "task_reschedule")
                  if connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()}
    print(json.dumps({
        "state": str(run.state),
        "wall_s": wall,
        "seconds": per_date,
        "cpu_seconds": cpu_per_date,
        "games": games,
        "task_states": dict(sorted({s: sum(1 for r in rows if r["state"] == s) for s in {r["state"] for r in rows}}
                                   .items())),
        "run_order": [r["map_index"] for r in rows],
        "task_s": sum(r["duration"] for r in rows),
        "skipped_task_s": sum(r["duration"] for r in rows if r["state"] == "skipped"),
        "process_cpu_s": cpu,
        "gaps_s": gaps,
        "metadata_db_mib": [round(size_before / 2**20, 2), round(db.stat().st_size / 2**20, 2)],
        "metadata_rows": tables,
    }, default=str))


def airflow_measure(days: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="nba-bench-backfill-af-"))
    env = airflow_env(work, ROOT / "dags")
    migrate_airflow(env)
    try:
        raw = run_child(Path(__file__), ["airflow", str(days)], env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    gaps = raw["gaps_s"]
    return {
        **raw,
        "days": days,
        "summary": summarise(raw["seconds"], raw["games"], days, raw["cpu_seconds"]),
        "gap_mean_s": round(statistics.mean(gaps), 3) if gaps else 0.0,
        "gap_first_7_mean_s": round(statistics.mean(gaps[:WINDOW]), 3) if gaps else 0.0,
        "gap_last_7_mean_s": round(statistics.mean(gaps[-WINDOW:]), 3) if gaps else 0.0,
    }


# --------------------------------------------------------------------------- report


def report(ranges: list[dict], raw: dict, longest: int, airflow: dict | None) -> None:
    print(f"\nrun_date from {START}, one fresh warehouse; shorter ranges are the first dates of the {longest}-day "
          "run; first week = dates 2-8 (date 1 pays the imports)\n")
    print("| days | total s | s per date | date 1 s | first week s/date (games) | last week s/date (games) | growth "
          "(last/first) | full-slate dates, median wall s first / last 7 (growth) | same in CPU s | fit: s per "
          "date index |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in ranges:
        slope = f"{r['fit']['s_per_date_index']:+.4f}" if r.get("fit") else "n/a"

        def like(key: str, r=r) -> str:
            x = r.get(key)
            return f"{x['first_7_median_s']} / {x['last_7_median_s']} ({x['growth']}x)" if x else "n/a"

        print(f"| {r['days']} | {r['total_s']} | {r['mean_s_per_date']} | {r['first_date_s']} | "
              f"{r['first_7_mean_s']} ({r['games_first_7']}) | {r['last_7_mean_s']} ({r['games_last_7']}) | "
              f"{r['growth']}x | {like('full_slate_wall')} | {like('full_slate_cpu')} | "
              f"{slope} |")

    print(f"\nper processor over {longest} dates (ms per date, first week vs last week)\n")
    print("| processor | total s | first week ms | last week ms | added ms |")
    print("|---|---|---|---|---|")
    for p in raw["processors"]:
        print(f"| {p['key']} | {p['total_s']} | {p['first_ms']} | {p['last_ms']} | {p['added_ms']:+} |")

    print("\nwarehouse statements that grew most (activity | processor | statement; ms and calls per date)\n")
    print("| statement | total s | first week ms | last week ms | added ms | calls first / last |")
    print("|---|---|---|---|---|---|")
    for s in raw["statements"]:
        statement = s["key"].replace("|", "\\|")
        print(f"| `{statement}` | {s['total_s']} | {s['first_ms']} | {s['last_ms']} | {s['added_ms']:+} | "
              f"{s['calls_first']} / {s['calls_last']} |")
    per_date = raw["statement_s_per_date"]
    head, tail = _windows(len(per_date))
    mib = raw["warehouse_mib"]
    print(f"\nall warehouse statements: {statistics.mean(per_date[i] for i in head):.3f} s per date in the first "
          f"week, {statistics.mean(per_date[i] for i in tail):.3f} s in the last; warehouse file "
          f"{mib[min(len(mib), WINDOW) - 1]:.0f} MiB after 7 dates, {mib[-1]:.0f} MiB at the end")
    print("largest tables at the end: " + ", ".join(f"{t} {n:,}" for t, n in list(raw["row_counts"].items())[:6]))
    rep = raw.get("scans")
    if rep:
        print(f"\nrows read by the table scans of each statement (EXPLAIN ANALYZE, rolled back, before the statement "
              f"ran): {rep['rows_early']:,} on {rep['early_date']} (date {rep['early_index'] + 1}), "
              f"{rep['rows_late']:,} on {rep['late_date']} (date {rep['late_index'] + 1}); these counts do not "
              "depend on the machine's load\n")
        print(f"| statement | rows read, date {rep['early_index'] + 1} | rows read, date {rep['late_index'] + 1} "
              f"| largest scan, date {rep['late_index'] + 1} |")
        print("|---|---|---|---|")
        for r in rep["top"]:
            statement = r["key"].replace("|", "\\|")
            print(f"| `{statement}` | {r['rows_early']:,} | {r['rows_late']:,} | {r['largest_late']} |")
    if airflow:
        s = airflow["summary"]
        print(f"\nnba_backfill under dag.test() for {airflow['days']} dates: {airflow['wall_s']:.1f} s, run "
              f"{airflow['state']}; mapped tasks {airflow['task_states']} (run order by map index: "
              f"{airflow['run_order'][:8]}…; one task processes every pending date up to its own)\n")
        print("| | s per date | date 1 s | first / last week s/date (growth) | full-slate dates, median wall s "
              "first / last 7 (growth) | same in CPU s | time between tasks s (mean; first 7 / last 7 tasks) |")
        print("|---|---|---|---|---|---|---|")
        direct = min(ranges, key=lambda r: abs(r["days"] - airflow["days"]))
        for label, r, gaps in ((f"through Airflow ({s['days']} days)", s,
                                f"{airflow['gap_mean_s']} ({airflow['gap_first_7_mean_s']} / "
                                f"{airflow['gap_last_7_mean_s']})"),
                               (f"run_date alone ({direct['days']} days)", direct, "-")):
            like = {k: (f"{x['first_7_median_s']} / {x['last_7_median_s']} ({x['growth']}x)" if (x := r.get(k))
                        else "n/a") for k in ("full_slate_wall", "full_slate_cpu")}
            print(f"| {label} | {r['mean_s_per_date']} | {r['first_date_s']} | {r['first_7_mean_s']} / "
                  f"{r['last_7_mean_s']} ({r['growth']}x) | {like['full_slate_wall']} | {like['full_slate_cpu']} | "
                  f"{gaps} |")
        skipped = airflow["task_states"].get("skipped", 0)
        print(f"\nA date's time through Airflow is the gap between its completion and the previous one's, so the first "
              f"date a task processes also carries the skipped instances run before it ({skipped} in all, "
              f"{airflow['skipped_task_s']:.1f} s) and dag.test()'s loop ({sum(airflow['gaps_s']):.1f} s between "
              f"tasks in all): compare full-slate medians. Process CPU {airflow['process_cpu_s']:.0f} s for "
              f"{airflow['wall_s']:.0f} s of wall time.")
        print(f"\nmetadata DB {airflow['metadata_db_mib'][0]} → {airflow['metadata_db_mib'][1]} MiB; "
              f"rows {airflow['metadata_rows']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", type=int, nargs="*", default=[7, 30, 90])
    parser.add_argument("--airflow", type=int, metavar="DAYS", help="also run DAYS dates through the nba_backfill DAG")
    parser.add_argument("--top", type=int, default=12, help="statements listed in the growth profile")
    args = parser.parse_args()
    load_start = loadavg()
    longest = max(args.days)
    work = Path(tempfile.mkdtemp(prefix="nba-bench-backfill-"))
    try:
        raw = run_child(Path(__file__), ["direct", str(longest), str(args.top)], airflow_env(work, ROOT / "dags"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ranges = [summarise(raw["seconds"], raw["games"], days, raw["cpu_seconds"]) for days in sorted(args.days)]
    airflow = airflow_measure(args.airflow) if args.airflow else None
    report(ranges, raw, longest, airflow)
    emit(NAME, {"loadavg_start": load_start, "ranges": ranges, "profile": raw, "airflow": airflow})


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        if sys.argv[2] == "direct":
            child(int(sys.argv[3]), int(sys.argv[4]))
        else:
            airflow_child(int(sys.argv[3]))
    else:
        main()
