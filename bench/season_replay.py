"""The season replay as a benchmark: wall time of every date, and whether a date costs more late in
the season than early (the warehouse grows by a season of rows as it goes).

Runs ``nba_pipeline.replay.replay`` (what ``make replay`` runs: the daily DAG under ``dag.test()``
for every date, at its scheduled time on the package clock, after a 30-day history backfill) in a
fresh Airflow home and warehouse. Reports the total wall time, the seconds per date with and without
games, and the mean seconds per game day in the first and the last 30 game days of the range: their
ratio is the growth (target ≤ 1.1×). Playoff days have fewer games than regular-season days, so
the growth is also given per game. The verdict counts come from the replay's own judge; the
warehouse checksum is the one ``make replay`` prints, so a bench run and a ``make replay`` of the
same range can be compared.

    .venv/bin/python bench/season_replay.py                                  # 2024-10-15..2025-07-10 (hours)
    .venv/bin/python bench/season_replay.py --from 2025-02-10 --to 2025-02-24  # a smoke run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BENCH, RESULTS_DIR, ROOT, airflow_env, emit, migrate_airflow, run_child  # noqa: E402

SEASON = (dt.date(2024, 10, 15), dt.date(2025, 7, 10))
WINDOW = 30  # game days at each end of the range


def child(start: dt.date, end: dt.date, progress: Path) -> None:
    """Replay ``start``..``end`` here (the parent set the environment); print the figures."""
    import resource

    from harness import quiet_logs

    from nba_pipeline.replay import combined_digest, replay
    from nba_pipeline.warehouse import get_warehouse
    from nba_pipeline.warehouse.checksums import warehouse_checksums

    with progress.open("w") as out, quiet_logs():
        started = time.perf_counter()

        def progress_line(verdict) -> None:
            print(json.dumps(verdict.row(), default=str), file=out, flush=True)

        verdicts = replay(start, end, report=progress_line)
        total = time.perf_counter() - started
        with get_warehouse() as warehouse:
            checksum = combined_digest(warehouse_checksums(warehouse))
    rows = [
        {
            "date": v.game_date.isoformat(),
            "games": v.games,
            "wall_s": round(v.wall_seconds, 2),
            "players_predicted": v.players_predicted,
            "predictions": v.predictions,
            "unexpected": list(v.unexpected),
        }
        for v in verdicts
    ]
    print(
        json.dumps(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "total_s": round(total, 1),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "warehouse_checksum": checksum,
                "days": rows,
            }
        )
    )


def figures(result: dict) -> dict:
    """Growth and per-date figures from the child's day rows."""
    days = result["days"]
    game_days = [d for d in days if d["games"]]
    off_days = [d for d in days if not d["games"]]
    window = min(WINDOW, len(game_days) // 2) or 1
    first, last = game_days[:window], game_days[-window:]

    def per_date(rows: list[dict]) -> float:
        return round(mean(d["wall_s"] for d in rows), 2) if rows else 0.0

    def per_game(rows: list[dict]) -> float:
        return round(sum(d["wall_s"] for d in rows) / max(1, sum(d["games"] for d in rows)), 3)

    return {
        "dates": len(days),
        "game_days": len(game_days),
        "games": sum(d["games"] for d in days),
        "players_predicted": sum(d["players_predicted"] for d in days),
        "predictions": sum(d["predictions"] for d in days),
        "unexpected": [{"date": d["date"], "why": d["unexpected"]} for d in days if d["unexpected"]],
        "wall_s_all_dates": round(sum(d["wall_s"] for d in days), 1),
        "s_per_game_day": per_date(game_days),
        "s_per_off_day": per_date(off_days),
        "window_game_days": window,
        "first": {
            "from": first[0]["date"] if first else None,
            "to": first[-1]["date"] if first else None,
            "s_per_date": per_date(first),
            "s_per_game": per_game(first),
        },
        "last": {
            "from": last[0]["date"] if last else None,
            "to": last[-1]["date"] if last else None,
            "s_per_date": per_date(last),
            "s_per_game": per_game(last),
        },
        "growth_per_date": round(per_date(last) / per_date(first), 3) if first and per_date(first) else None,
        "growth_per_game": round(per_game(last) / per_game(first), 3) if first and per_game(first) else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, default=SEASON[0])
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, default=SEASON[1])
    parser.add_argument(
        "--work",
        type=Path,
        default=RESULTS_DIR / "season_replay",
        help="scratch folder (replaced); the day rows stream to WORK/progress.jsonl",
    )
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    env = airflow_env(args.work, ROOT / "dags")
    migrate_airflow(env)
    result = run_child(
        BENCH / "season_replay.py",
        [args.start.isoformat(), args.end.isoformat(), str(args.work / "progress.jsonl")],
        env,
    )
    summary = figures(result)
    print(f"| replay {result['start']}..{result['end']} | |\n|---|---|")
    print(f"| dates (with games) | {summary['dates']} ({summary['game_days']}; {summary['games']} games) |")
    print(f"| wall time, whole replay (with the history backfill) | {result['total_s']} s |")
    print(
        f"| seconds per game day / per day without games | {summary['s_per_game_day']} / {summary['s_per_off_day']} |"
    )
    for label in ("first", "last"):
        part = summary[label]
        print(
            f"| {label} {summary['window_game_days']} game days ({part['from']}..{part['to']}) | "
            f"{part['s_per_date']} s per date, {part['s_per_game']} s per game |"
        )
    print(f"| growth, last / first | {summary['growth_per_date']}x per date, {summary['growth_per_game']}x per game |")
    print(f"| players predicted (prediction rows) | {summary['players_predicted']} ({summary['predictions']}) |")
    print(f"| unexpected verdicts | {len(summary['unexpected'])} |")
    print(f"| peak RSS of the replaying process | {result['peak_rss_mib']} MiB |")
    print(f"| warehouse checksum (as `make replay` prints it) | {result['warehouse_checksum']} |")
    emit(
        "season_replay",
        {
            "start": result["start"],
            "end": result["end"],
            "total_s": result["total_s"],
            "peak_rss_mib": result["peak_rss_mib"],
            "warehouse_checksum": result["warehouse_checksum"],
            **summary,
        },
    )
    return 0  # unexpected verdicts are a figure of the report (make replay is the gate)


if __name__ == "__main__":
    if "--child" in sys.argv:
        _, _, start, end, progress = sys.argv
        child(dt.date.fromisoformat(start), dt.date.fromisoformat(end), Path(progress))
    else:
        sys.exit(main())
