"""Prediction quality over a replayed range: every system against the season-average baseline and
the simulation's truth (what ``nba-pipeline evaluate`` prints).

Runs ``nba_pipeline.replay.replay`` (what ``make replay`` runs: the history backfill, then the daily
DAG under ``dag.test()`` for every date at its scheduled time) in a fresh Airflow home and
warehouse, then ``nba_pipeline.evaluation.evaluate`` over the range. A date's predictions are graded
by the next date's run, so the range's last date is not graded. No model is trained during a
replay, so ``xgboost_v1`` has no predictions.

    .venv/bin/python bench/evaluation.py                                   # 2025-01-01..2025-01-31
    .venv/bin/python bench/evaluation.py --from 2025-01-14 --to 2025-01-16 --history-days 7   # quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BENCH, RESULTS_DIR, ROOT, airflow_env, emit, migrate_airflow, run_child  # noqa: E402

RANGE = (dt.date(2025, 1, 1), dt.date(2025, 1, 31))
HISTORY_DAYS = 30


def child(start: dt.date, end: dt.date, history_days: int) -> None:
    """Replay ``start``..``end`` here (the parent set the environment), evaluate it, print both."""
    from harness import quiet_logs

    from nba_pipeline.evaluation import evaluate, render_table, simulated_truth
    from nba_pipeline.replay import replay
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    with quiet_logs():
        started = time.perf_counter()
        verdicts = replay(start, end, history_days=history_days)
        replay_s = time.perf_counter() - started
    settings = get_settings()
    label = f"expected points of the simulated league (seed {settings.simulation_seed})"
    started = time.perf_counter()
    with get_warehouse(settings) as warehouse:
        evaluation = evaluate(warehouse, start, end, simulated_truth(settings), label)
    evaluate_s = time.perf_counter() - started
    print(json.dumps({
        "start": start.isoformat(),
        "end": end.isoformat(),
        "history_days": history_days,
        "replay_s": round(replay_s, 1),
        "evaluate_s": round(evaluate_s, 2),
        "unexpected_verdicts": sum(1 for v in verdicts if v.unexpected),
        "table": render_table(evaluation),
        "evaluation": evaluation.as_dict(),
    }, default=str))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=dt.date.fromisoformat, default=RANGE[0])
    parser.add_argument("--to", dest="end", type=dt.date.fromisoformat, default=RANGE[1])
    parser.add_argument("--history-days", type=int, default=HISTORY_DAYS, help="days backfilled before --from")
    parser.add_argument("--work", type=Path, default=RESULTS_DIR / "evaluation", help="scratch folder (replaced)")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    env = airflow_env(args.work, ROOT / "dags")
    migrate_airflow(env)
    result = run_child(
        BENCH / "evaluation.py", [args.start.isoformat(), args.end.isoformat(), str(args.history_days)], env
    )
    evaluation = result["evaluation"]
    print(f"Replay of {result['start']}..{result['end']} ({result['history_days']} days of history): "
          f"{result['replay_s']} s, {result['unexpected_verdicts']} unexpected verdicts; evaluation "
          f"{result['evaluate_s']} s.")
    print(f"\n```\n{result['table']}\n```")
    emit("evaluation", {
        "start": result["start"],
        "end": result["end"],
        "history_days": result["history_days"],
        "replay_s": result["replay_s"],
        "evaluate_s": result["evaluate_s"],
        "unexpected_verdicts": result["unexpected_verdicts"],
        "graded_dates": len(evaluation["graded_dates"]),
        "player_games": evaluation["player_games"],
        "entries": evaluation["entries"],
    })
    return 0


if __name__ == "__main__":
    if "--child" in sys.argv:
        _, _, start, end, history_days = sys.argv
        child(dt.date.fromisoformat(start), dt.date.fromisoformat(end), int(history_days))
    else:
        sys.exit(main())
