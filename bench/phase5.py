"""Phase 5 throughput: players predicted per second per batch, wall time of a 450- and a 4,500-player
slate, and the peak memory of one batch, on the embedded warehouse with the real prediction systems.

Builds (or reuses, with ``--warehouse``) a simulated season backfilled for the 30 days before
2025-01-15, then clones the date's real players (their context, feature, shot-zone and history rows,
under new names) until the slate is large enough. Batches run one after the other in this process,
as they would on one worker; a slate's wall time is the coordinator plus every batch plus, as in the
DAG, one recording of every batch's breaker successes at the end.

    .venv/bin/python bench/phase5.py [--warehouse PATH] [--batch-size 45] [--slates 450 4500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "bench"))

DAY = dt.date(2025, 1, 15)
HISTORY_DAYS = 30
CLONE_SUFFIX = "__c"

#: per table: the player column and the date filter of the rows to clone (GoogleSQL, @d = DAY)
CLONED = {
    "nba_analytics.upcoming_player_game_context": "game_date = @d",
    "nba_predictions.ml_feature_store_v2": "game_date = @d",
    "nba_precompute.player_shot_zone_analysis": "analysis_date = @d",
    "nba_analytics.player_game_summary": "game_date < @d",
}


def clone_index(player_lookup: str) -> int:
    """0 for a real player, k for its k-th copy."""
    _, _, suffix = player_lookup.partition(CLONE_SUFFIX)
    return int(suffix) if suffix else 0


def slate(warehouse, size: int) -> list:
    """``size`` eligible players, real ones first, then the copies round by round (so a batch never
    holds many copies of one player)."""
    from nba_pipeline.predictions.coordinator import eligible_players

    players = sorted(eligible_players(warehouse, DAY), key=lambda p: clone_index(p.player_lookup))
    if len(players) < size:
        raise SystemExit(f"only {len(players)} eligible players for a slate of {size}")
    return players[:size]


def build_season(folder: Path, history_days: int = HISTORY_DAYS) -> Path:
    """Backfill the simulated season into ``folder`` (about 1.5 s per date)."""
    os.environ["NBA_DATA_DIR"] = str(folder)
    os.environ["NBA_DUCKDB_PATH"] = str(folder / "warehouse.duckdb")
    os.environ["NBA_PAYLOAD_ROOT"] = str(folder / "payloads")
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    get_settings.cache_clear()
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        for day in dates_between(DAY - dt.timedelta(days=history_days), DAY):
            outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id="bench_phase5")
            record_progress(warehouse, outcome, "bench_phase5")
    return folder / "warehouse.duckdb"


def clone_players(warehouse, copies: int) -> None:
    """Add ``copies`` renamed copies of every player of DAY (rows of DAY, and their earlier games)."""
    for table, where in CLONED.items():
        warehouse.execute(
            f"INSERT INTO {table} "
            f"SELECT t.* REPLACE (CONCAT(t.player_lookup, '{CLONE_SUFFIX}', CAST(i AS STRING)) AS player_lookup) "
            f"FROM {table} AS t, UNNEST(GENERATE_ARRAY(1, @k)) AS i "
            f"WHERE t.{where} AND STRPOS(t.player_lookup, '{CLONE_SUFFIX}') = 0",
            {"d": DAY, "k": copies},
        )


def ensure_model() -> str:
    """Train the xgboost model when the model root has none (if the package can); say what happened."""
    try:
        from nba_pipeline.predictions import model
    except ImportError:
        return "no model module: xgboost_v1 is skipped (no_model)"
    train = getattr(model, "train", None)
    if train is None:
        return "no train(): xgboost_v1 is skipped (no_model)"
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        try:
            train(warehouse, end=DAY - dt.timedelta(days=1))
        except Exception as err:  # noqa: BLE001 - reported in the table's notes
            return f"training failed ({type(err).__name__}: {err}); xgboost_v1 is skipped (no_model)"
    return "xgboost_v1 model trained on the backfilled history"


def _systems():
    from nba_pipeline.predictions.systems import build_systems
    from nba_pipeline.predictions.worker.running import ModelVersionRecorder

    model = ModelVersionRecorder()
    return build_systems(model_loader=model), model


def warm_up() -> float:
    """One untimed batch: imports (xgboost pulls in scikit-learn, pandas, scipy) and the model load."""
    from nba_pipeline.predictions.coordinator import make_batches
    from nba_pipeline.predictions.worker import predict_batch
    from nba_pipeline.registry.guard_tables import breaker_store
    from nba_pipeline.warehouse import get_warehouse

    started = time.perf_counter()
    systems, model = _systems()
    with get_warehouse() as warehouse:
        batch = make_batches(slate(warehouse, 5), 5)[0]
        predict_batch(warehouse, batch, systems, breaker_store=breaker_store(warehouse), model_version=model.current)
    return time.perf_counter() - started


def batch_memory(batch_size: int) -> float:
    """Peak Python heap (MiB, numpy arrays included) of one batch, traced on its own."""
    from nba_pipeline.predictions.coordinator import make_batches
    from nba_pipeline.predictions.worker import predict_batch
    from nba_pipeline.registry.guard_tables import breaker_store
    from nba_pipeline.warehouse import get_warehouse

    systems, model = _systems()
    with get_warehouse() as warehouse:
        batch = make_batches(slate(warehouse, batch_size), batch_size)[0]
        tracemalloc.start()
        predict_batch(warehouse, batch, systems, breaker_store=breaker_store(warehouse), model_version=model.current)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20


def run_slate(size: int, batch_size: int) -> dict:
    from nba_pipeline.predictions.coordinator import make_batches
    from nba_pipeline.predictions.worker import predict_batch
    from nba_pipeline.predictions.worker.breakers import record_pending_successes
    from nba_pipeline.registry.guard_tables import BREAKER_TABLE, breaker_store
    from nba_pipeline.warehouse import STATS, get_warehouse

    systems, model = _systems()
    with get_warehouse() as warehouse:
        started = time.perf_counter()
        batches = make_batches(slate(warehouse, size), batch_size)
        coordinate = time.perf_counter() - started
        store = breaker_store(warehouse)
        rates, seconds, predicted, trips, failures, results, breaker_writes = [], [], 0, [], 0, [], 0
        steps: dict[str, list[float]] = {step: [] for step in STEPS}
        for batch in batches:
            STATS.reset()
            t0 = time.perf_counter()
            result = predict_batch(warehouse, batch, systems, breaker_store=store, worker_id="bench",
                                   model_version=model.current, record_successes=False)
            elapsed = time.perf_counter() - t0
            seconds.append(elapsed)
            rates.append(result.players_predicted / elapsed)
            predicted += result.players_predicted
            failures += sum(1 for s in result.systems.values() if s.breaker_outcome == "failure")
            snapshot = STATS.snapshot()
            trips.append(sum(snapshot["round_trips"].values()))
            breaker_writes += _breaker_mutations(snapshot, BREAKER_TABLE)
            results.append(result)
            for step in STEPS[:-1]:
                steps[step].append(result.timings.get(step, 0.0))
            steps["run_rows_seconds"].append(elapsed - result.timings["duration_seconds"])
        STATS.reset()
        record_pending_successes(store, results)  # what the DAG's record_successes task does
        snapshot = STATS.snapshot()
        breaker_writes += _breaker_mutations(snapshot, BREAKER_TABLE)
        wall = time.perf_counter() - started
    return {
        "players": size,
        "batches": len(batches),
        "predicted": predicted,
        "players_per_second_per_batch": statistics.median(rates),
        "batch_seconds_median": statistics.median(seconds),
        "batch_seconds_max": max(seconds),
        "coordinate_seconds": coordinate,
        "wall_seconds": wall,
        "round_trips_per_batch": sorted(set(trips)),
        "success_recording_round_trips": sum(snapshot["round_trips"].values()),
        "breaker_mutations_per_slate": breaker_writes,
        "breaker_failures": failures,
        "steps": {step: _step_figures(values) for step, values in steps.items()},
    }


#: a batch's steps as the worker times them; run_rows_seconds is the rest of the batch (its run rows' MERGE)
STEPS = ("breaker_read_seconds", "feature_load_seconds", "history_load_seconds", "prediction_compute_seconds",
         "write_seconds", "run_rows_seconds")


def _step_figures(values: list[float]) -> dict[str, float]:
    """Median ms of a step over the slate's batches, and its mean over the last tenth of the batches
    against the first tenth (above 1: the step slows down as the slate's rows accumulate)."""
    tenth = max(1, len(values) // 10)
    first, last = statistics.mean(values[:tenth]), statistics.mean(values[-tenth:])
    return {"median_ms": round(1000 * statistics.median(values), 2),
            "last_over_first": round(last / first, 2) if first else float("nan")}


def _breaker_mutations(snapshot: dict, table: str) -> int:
    return sum(n for key, n in snapshot["mutations"].items() if key.split(":", 1)[1] == table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a backfilled warehouse to copy (default: build one)")
    parser.add_argument("--batch-size", type=int, default=45)
    parser.add_argument("--slates", type=int, nargs="+", default=[450, 4500])
    parser.add_argument("--history-days", type=int, default=HISTORY_DAYS, help="days backfilled before the slate")
    args = parser.parse_args()
    from harness import emit, loadavg

    load_start = loadavg()
    logging.disable(logging.INFO)  # the pipeline's progress logs would drown the table

    work = Path(tempfile.mkdtemp(prefix="nba-bench-phase5-"))
    if args.warehouse:
        shutil.copy(args.warehouse, work / "warehouse.duckdb")
    else:
        print(f"backfilling {args.history_days + 1} dates into {work} …", file=sys.stderr)
        t0 = time.perf_counter()
        build_season(work, args.history_days)
        print(f"backfill took {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    os.environ["NBA_DATA_DIR"] = str(work)
    os.environ["NBA_DUCKDB_PATH"] = str(work / "warehouse.duckdb")
    os.environ.setdefault("NBA_MODEL_ROOT", str(work / "models"))
    from nba_pipeline.predictions.coordinator import eligible_players
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    get_settings.cache_clear()
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        real = len(eligible_players(warehouse, DAY))
        clone_players(warehouse, math.ceil(max(args.slates) / real) - 1)
    model_note = ensure_model()
    cold = warm_up()
    results = [run_slate(size, args.batch_size) for size in sorted(args.slates)]
    heap = batch_memory(args.batch_size)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    shutil.rmtree(work, ignore_errors=True)

    print(f"\n{real} real eligible players on {DAY}, cloned to {max(args.slates)}; batch size {args.batch_size}; "
          f"{model_note}; batches run sequentially in one process (DuckDB)\n")
    print("| slate | batches | players predicted | players/s per batch (median) | batch s (median / max) | "
          "slate wall s (sequential) | round trips per batch | success recording round trips | "
          "breaker table mutations per slate | breaker failures |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['players']} | {r['batches']} | {r['predicted']} | {r['players_per_second_per_batch']:.0f} | "
              f"{r['batch_seconds_median']:.3f} / {r['batch_seconds_max']:.3f} | {r['wall_seconds']:.1f} | "
              f"{', '.join(map(str, r['round_trips_per_batch']))} | {r['success_recording_round_trips']} | "
              f"{r['breaker_mutations_per_slate']} | {r['breaker_failures']} |")
    headers = " | ".join(f"{step.removesuffix('_seconds')} ms (last/first tenth)" for step in STEPS)
    print(f"\n| slate | {headers} |")
    print("|---|" + "---|" * len(STEPS))
    for r in results:
        cells = [f"{r['steps'][step]['median_ms']} ({r['steps'][step]['last_over_first']}x)" for step in STEPS]
        print(f"| {r['players']} | " + " | ".join(cells) + " |")
    print(f"\none batch of {args.batch_size}: peak Python heap {heap:.1f} MiB (tracemalloc; DuckDB's own memory "
          f"is not traced). Process max RSS {rss / 1024:.0f} MiB, mostly imports (Airflow, xgboost with "
          f"scikit-learn, pandas, scipy). Untimed warm-up batch (imports, first model load): {cold:.1f} s")
    emit("phase5", {"loadavg_start": load_start, "real_players": real, "batch_size": args.batch_size,
                    "history_days": args.history_days, "model": model_note, "slates": results,
                    "batch_peak_heap_mib": round(heap, 2), "max_rss_mib": round(rss / 1024),
                    "warm_up_s": round(cold, 1)})


if __name__ == "__main__":
    main()
