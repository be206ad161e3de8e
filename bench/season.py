"""A simulated season ready for the daily run: phases 1-4 backfilled for the days before the game
day, and the xgboost_v1 model trained on them (what ``make run`` does before its daily run).

Built once into ``DIR/data`` and copied by the daily-run benchmarks (``--season DIR``), so
``run_all.py`` pays for the backfill once. The build's own figures go to ``DIR/season.json``.

    .venv/bin/python bench/season.py DIR [--history-days 30] [--no-train]
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

from harness import BENCH, GAME_DAY, ROOT, airflow_env, copy_tree, run_child  # noqa: E402


def child(history_days: int, train: bool) -> None:
    from harness import backfill_history, quiet_logs, train_model

    with quiet_logs():
        started = time.perf_counter()
        seconds = backfill_history(GAME_DAY - dt.timedelta(days=history_days), GAME_DAY - dt.timedelta(days=1))
        backfill_s = time.perf_counter() - started
        started = time.perf_counter()
        model = train_model(GAME_DAY - dt.timedelta(days=1)) if train else "not trained (--no-train)"
        train_s = time.perf_counter() - started
    print(json.dumps({"history_days": history_days, "backfill_s": round(backfill_s, 1),
                      "backfill_s_per_date": round(backfill_s / len(seconds), 2), "model": model,
                      "train_s": round(train_s, 1)}))


def build(folder: Path, history_days: int, train: bool = True) -> dict:
    """Build the season into ``folder`` (replacing it); return its figures."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = airflow_env(folder, ROOT / "dags")
    args = [str(history_days)] + ([] if train else ["--no-train"])
    figures = run_child(BENCH / "season.py", args, env)
    (folder / "season.json").write_text(json.dumps(figures, indent=1) + "\n")
    return figures


def install(season: Path, work: Path) -> dict:
    """Copy a built season's data into ``work/data``; return its figures."""
    copy_tree(season / "data", work / "data")
    return json.loads((season / "season.json").read_text())


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(int(sys.argv[2]), "--no-train" not in sys.argv)
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("folder", type=Path)
        parser.add_argument("--history-days", type=int, default=30)
        parser.add_argument("--no-train", action="store_true")
        ns = parser.parse_args()
        print(json.dumps(build(ns.folder.resolve(), ns.history_days, not ns.no_train)))
