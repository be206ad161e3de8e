"""Run every benchmark, each in its own process, and print one Markdown report.

The report starts with the machine (CPU, RAM, versions, load average) and the date, then one row of
headline figures per benchmark, then each benchmark's own tables. Every benchmark ends its output
with a JSON line (also written to ``.local/bench/<name>.json``); this script collects them into
``.local/bench/run_all.json`` and the report into ``.local/bench/report.md``. The daily-run
benchmarks share one simulated season, built once here.

    .venv/bin/python bench/run_all.py                       # everything, full sizes (the season replay takes hours)
    .venv/bin/python bench/run_all.py --quick               # smaller sizes: a smoke test (about 6 min here)
    .venv/bin/python bench/run_all.py parse guard_cost      # a subset (names: --help)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BENCH, RESULTS_DIR, last_json_line, loadavg, machine_facts  # noqa: E402


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    needs_season: bool = False


BENCHMARKS = (
    Benchmark("parse", "parse_time.py", ("5",), ("2",)),
    Benchmark("guard_cost", "guard_cost.py", ("10", "20"), ("3", "6")),
    Benchmark("daily_guard_cost", "daily_guard_cost.py", (), (), needs_season=True),
    Benchmark("orchestration_floor", "orchestration_floor.py", ("--repeats", "3"), ("--repeats", "1"),
              needs_season=True),
    Benchmark("warehouse_latency", "warehouse_latency.py", (), ("--delays", "0", "0.5"), needs_season=True),
    Benchmark("backfill", "backfill_scaling.py", ("7", "30", "90", "--airflow", "90"), ("7", "14")),
    Benchmark("phase5", "phase5.py", (), ("--slates", "90", "450", "--history-days", "14")),
    Benchmark("season_replay", "season_replay.py", (), ("--from", "2025-02-12", "--to", "2025-02-21")),
    Benchmark("evaluation", "evaluation.py", (),
              ("--from", "2025-01-14", "--to", "2025-01-16", "--history-days", "7")),
)
FULL_HISTORY_DAYS, QUICK_HISTORY_DAYS = 30, 14


# --------------------------------------------------------------------------- headline figures


def _parse(r: dict) -> str:
    res = r["results"]
    daily = res.get("nba_daily_pipeline.py", {}).get("median_ms")
    folder = next((v["median_ms"] for k, v in res.items() if k.startswith("dags/")), None)
    return f"nba_daily_pipeline.py {daily} ms, dags/ folder {folder} ms (median of {r['runs']})"


def _guard_cost(r: dict) -> str:
    parts = [f"N={n}: guards {s['round_trips'].get('guards', 0)}, run log {s['round_trips'].get('run_log', 0)}, "
             f"processor {s['round_trips'].get('processor', 0)} round trips" for n, s in r["results"].items()]
    verdict = ("guards flat" if r.get("flat") else
               f"guards grow {r.get('guards_round_trips_per_added_processor', 0):+.2f} per processor")
    return "; ".join(parts) + f" ({verdict})"


def _daily_guard_cost(r: dict) -> str:
    trips = ", ".join(f"{k} {v}" for k, v in sorted(r["round_trips"].items()))
    return (f"{r['task_instances']} task instances, {r['wall_s']} s; round trips {trips}; "
            f"{sum(r['mutations'].values())} mutating statements")


def _floor(r: dict) -> str:
    return (f"{r['task_instances']} task instances: real {r['real_wall_s']} s vs floor {r['floor_wall_s']} s "
            f"(median wall), {r['ratio']}x")


def _latency(r: dict) -> str:
    slots = r["parallelism"]
    return "; ".join(f"{x['delay_s']:g} s per call: {x['wall_s']} s at parallelism 1, "
                     f"{x[f'list_schedule_{slots}_s']} s scheduled on {slots} slots, "
                     f"critical path {x['critical_path_s']} s" for x in r["runs"])


def _backfill(r: dict) -> str:
    def one(x: dict, label: str) -> str:
        text = f"{label}{x['days']} d: {x['mean_s_per_date']} s/date, last/first week {x['growth']}x"
        if x.get("full_slate_wall"):
            text += f", full-slate dates {x['full_slate_wall']['growth']}x"
        if x.get("full_slate_cpu"):
            text += f" (CPU {x['full_slate_cpu']['growth']}x)"
        return text

    parts = [one(x, "") for x in r["ranges"]]
    if r.get("airflow"):
        parts.append(one(r["airflow"]["summary"], "via nba_backfill "))
    if r["profile"].get("scans"):
        rep = r["profile"]["scans"]
        parts.append(f"rows read by the SQL of date {rep['early_index'] + 1} / {rep['late_index'] + 1}: "
                     f"{rep['rows_early']:,} / {rep['rows_late']:,}")
    return "; ".join(parts)


def _phase5(r: dict) -> str:
    return "; ".join(f"{s['players']} players: {s['players_per_second_per_batch']:.0f} players/s per batch, "
                     f"slate {s['wall_seconds']:.1f} s" for s in r["slates"])


def _season_replay(r: dict) -> str:
    return (f"{r['start']}..{r['end']}: {r['dates']} dates in {r['total_s']} s, {r['s_per_game_day']} s per game day; "
            f"last/first {r['window_game_days']} game days {r['growth_per_date']}x per date "
            f"({r['growth_per_game']}x per game); {len(r['unexpected'])} unexpected verdicts")


def _evaluation(r: dict) -> str:
    entries = {e["name"]: e for e in r["entries"]}

    def mae(name: str) -> str:
        errors = (entries.get(name) or {}).get("errors")
        return f"{errors['mae']:.2f}" if errors else "-"

    share = (entries.get("ensemble_v1") or {}).get("gain_share")
    return (f"{r['start']}..{r['end']}: {r['player_games']} graded player-games; MAE ensemble_v1 {mae('ensemble_v1')}, "
            f"season average {mae('baseline_season_average')}, truth {mae('truth_expected_points')}; "
            f"ensemble gain share {'undefined' if share is None else f'{share:.2f}'}")


HEADLINES: dict[str, Callable[[dict], str]] = {
    "parse": _parse, "guard_cost": _guard_cost, "daily_guard_cost": _daily_guard_cost,
    "orchestration_floor": _floor, "warehouse_latency": _latency, "backfill": _backfill, "phase5": _phase5,
    "season_replay": _season_replay,
    "evaluation": _evaluation,
}


# --------------------------------------------------------------------------- running


def run(bench: Benchmark, args: list[str]) -> dict:
    """Run one benchmark; return its JSON result, its Markdown output, its time and the load around it."""
    command = [sys.executable, str(BENCH / bench.script), *args]
    print(f"[{dt.datetime.now():%H:%M:%S}] {bench.name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    load = loadavg()
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    entry = {"name": bench.name, "command": " ".join(command[1:]), "seconds": round(seconds, 1),
             "loadavg_start": load, "loadavg_end": loadavg(), "ok": out.returncode == 0}
    markdown = [line for line in out.stdout.splitlines() if not line.startswith('{"benchmark"')]
    entry["markdown"] = "\n".join(markdown).strip()
    if out.returncode == 0:
        try:
            entry["result"] = last_json_line(out.stdout)
        except ValueError:
            entry["ok"] = False
    if not entry["ok"]:
        entry["error"] = "\n".join((out.stdout + out.stderr).strip().splitlines()[-25:])
        print(f"  failed after {seconds:.0f} s", file=sys.stderr, flush=True)
    else:
        print(f"  done in {seconds:.0f} s", file=sys.stderr, flush=True)
    return entry


def build_season(quick: bool) -> tuple[Path, dict]:
    """The season the daily-run benchmarks share (phases 1-4 backfilled before the game day, model)."""
    folder = RESULTS_DIR / ("season-quick" if quick else "season")
    args = [str(folder), "--history-days", str(QUICK_HISTORY_DAYS if quick else FULL_HISTORY_DAYS)]
    if quick:
        args.append("--no-train")
    print(f"[{dt.datetime.now():%H:%M:%S}] season: {' '.join(args)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    out = subprocess.run([sys.executable, str(BENCH / "season.py"), *args], capture_output=True, text=True,
                         check=True)
    figures = last_json_line(out.stdout)
    figures["build_s"] = round(time.perf_counter() - started, 1)
    return folder, figures


def report(facts: dict, entries: list[dict], season: dict | None, quick: bool) -> str:
    lines = [f"# Benchmarks ({'quick' if quick else 'full'} run, {dt.datetime.now():%Y-%m-%d %H:%M})", "",
             "| machine | |", "|---|---|"]
    lines += [f"| CPUs | {facts['cpus']} × {facts['cpu_model']} |", f"| RAM | {facts['ram_gib']} GiB |",
              f"| Python | {facts['python']} |", f"| Airflow | {facts['airflow']} |",
              f"| DuckDB | {facts['duckdb']} |", f"| OS | {facts['os']} |",
              f"| load average (1/5/15 min) at start | {entries[0]['loadavg_start'] if entries else loadavg()} |",
              f"| load average at end | {loadavg()} |", ""]
    if season:
        lines += [f"Shared season: {season['history_days']} days backfilled before 2025-01-15 "
                  f"({season['backfill_s_per_date']} s per date), {season['model']}; built in {season['build_s']} s.",
                  ""]
    lines += ["| benchmark | headline | took s | load avg start → end |", "|---|---|---|---|"]
    for e in entries:
        headline = HEADLINES[e["name"]](e["result"]) if e["ok"] else "FAILED (see below)"
        lines.append(f"| {e['name']} | {headline} | {e['seconds']} | {e['loadavg_start']} → {e['loadavg_end']} |")
    for e in entries:
        lines += ["", f"## {e['name']}", "", f"`.venv/bin/python bench/{e['command'].split('bench/', 1)[-1]}`", ""]
        lines.append(e["markdown"] if e["ok"] else f"```\n{e['error']}\n```")
    return "\n".join(lines) + "\n"


def main() -> int:
    names = [b.name for b in BENCHMARKS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", metavar="NAME", help=f"run only these: {', '.join(names)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a smoke test of every benchmark")
    parser.add_argument("--skip", nargs="*", default=[], metavar="NAME", help="leave these out")
    parser.add_argument("--season", type=Path, help="a season built by season.py to reuse")
    args = parser.parse_args()
    unknown = set(args.only) | set(args.skip)
    unknown -= set(names)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(names)}")
    chosen = [b for b in BENCHMARKS if (not args.only or b.name in args.only) and b.name not in args.skip]

    facts = machine_facts()
    season_dir, season = args.season, None
    if args.season:
        season = json.loads((args.season / "season.json").read_text()) | {"build_s": 0}
    entries = []
    for bench in chosen:
        extra = list(bench.quick if args.quick else bench.full)
        if bench.needs_season:
            if season_dir is None:
                try:
                    season_dir, season = build_season(args.quick)
                except subprocess.CalledProcessError as err:
                    entries.append({"name": bench.name, "command": bench.script, "seconds": 0, "ok": False,
                                    "loadavg_start": loadavg(), "loadavg_end": loadavg(),
                                    "error": (err.stdout or "")[-2000:] + (err.stderr or "")[-2000:]})
                    continue
            extra += ["--season", str(season_dir)]
        entries.append(run(bench, extra))

    text = report(facts, entries, season, args.quick)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "report.md").write_text(text)
    (RESULTS_DIR / "run_all.json").write_text(json.dumps(
        {"machine": facts, "quick": args.quick, "season": season,
         "benchmarks": {e["name"]: {k: v for k, v in e.items() if k != "markdown"} for e in entries}},
        indent=1, default=str) + "\n")
    print(text)
    return 0 if all(e["ok"] for e in entries) else 1


if __name__ == "__main__":
    sys.exit(main())
