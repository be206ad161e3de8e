"""Writing a batch: one MERGE of its predictions, then one MERGE of its run rows, whatever its size.
The predictions MERGE also removes the date's predictions of the batch's players that the batch
did not make, so a rerun leaves no prediction of an earlier run behind.

Ids are deterministic (:func:`prediction_id`, :func:`request_id`), so a rerun replaces its rows.
A prediction's ``created_at`` moves only with its content; a run row's stays the first run's.

Run rows: the timing columns are the batch's, shared by its rows (``write_bigquery_seconds`` is the
predictions MERGE); ``historical_games_count`` is the player's. ``circuits_opened`` names the systems
whose breaker is OPEN after the batch (open and not attempted, or opened by it); players skipped
before the systems carry none. ``bytes_processed``, ``bytes_billed`` and ``slot_ms`` are the batch's
jobs up to its predictions MERGE split evenly over its rows (:func:`split_evenly`), so a batch's rows
add up to what BigQuery reported for it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from nba_pipeline.guards.breaker import Clock
from nba_pipeline.guards.run_log import TaskInstanceRef
from nba_pipeline.predictions.contract import SYSTEM_IDS
from nba_pipeline.predictions.worker.inputs import BatchInputs, PlayerWork, optional_float
from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.warehouse.base import JobCost, QueryParam, Warehouse, activity

PREDICTIONS_TABLE = "nba_predictions.player_prop_predictions"
RUNS_TABLE = "nba_predictions.prediction_worker_runs"
WORKER_VERSION = "phase5-batch-1"
_ID_NAMESPACE = uuid.UUID("8c3e2f4a-5b1d-4e7a-9f60-2d1c0b9a8e71")


def prediction_id(system_id: str, player_lookup: str, game_date: dt.date) -> str:
    """Deterministic: the same system, player and date always give the same id."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"prediction|{system_id}|{player_lookup}|{game_date.isoformat()}"))


def request_id(game_date: dt.date, player_lookup: str) -> str:
    """Deterministic per player and game date, so a rerun replaces the run row."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"request|{game_date.isoformat()}|{player_lookup}"))


class Written(NamedTuple):
    predictions: int
    run_rows: int


def write_batch(
    warehouse: Warehouse,
    inputs: BatchInputs,
    *,
    game_date: dt.date,
    run_date: dt.datetime,
    worker_id: str,
    model_versions: Mapping[str, str | None],
    circuits_opened: Sequence[str],
    timings: dict[str, float],
    clock: Clock,
    started: float,
    task_instance: TaskInstanceRef | None = None,
    cost: JobCost | None = None,
) -> Written:
    """MERGE the ready players' predictions, then every player's run row. Adds ``write_seconds`` (the
    predictions MERGE) and ``duration_seconds`` (since ``started``) to ``timings``, which the run
    rows carry; ``cost`` sums the batch's jobs so far (read after the predictions MERGE)."""
    with activity("predictions"):
        t0 = time.perf_counter()
        prediction_rows = _prediction_rows(inputs.ready, game_date, model_versions)
        players = sorted({w.player.player_lookup for w in inputs.work})
        written = _merge_predictions(warehouse, prediction_rows, players, game_date, clock())
        timings["write_seconds"] = time.perf_counter() - t0
        timings["duration_seconds"] = time.perf_counter() - started
        run_rows = _run_rows(inputs.work, game_date, run_date, worker_id, timings, circuits_opened, task_instance)
        _share_cost(run_rows, cost)
        runs_written = _merge_runs(warehouse, run_rows, game_date, clock())
    return Written(written, runs_written)


# --------------------------------------------------------------------------- rows


def _prediction_rows(
    ready: Sequence[PlayerWork], game_date: dt.date, model_versions: Mapping[str, str | None]
) -> list[dict[str, Any]]:
    rows = []
    for w in ready:
        assert w.inputs is not None
        for key in SYSTEM_IDS:
            prediction = w.predictions.get(key)
            if prediction is None:
                continue
            predicted = round(float(prediction.predicted_points), 4)
            rows.append(
                {
                    "prediction_id": prediction_id(key, w.player.player_lookup, game_date),
                    "system_id": key,
                    "player_lookup": w.player.player_lookup,
                    "game_date": game_date,
                    "game_id": w.player.game_id,
                    "predicted_points": predicted,
                    "confidence_score": round(float(prediction.confidence), 4),
                    "recommendation": str(prediction.recommendation),
                    "current_points_line": w.inputs.line,
                    "line_margin": round(predicted - w.inputs.line, 4),
                    "line_source": w.inputs.line_source,
                    "line_estimated": w.inputs.line_estimated,
                    "feature_quality_score": w.inputs.feature_quality_score,
                    "model_version": model_versions.get(key) if key == "xgboost_v1" else None,
                }
            )
    return rows


def _run_rows(
    work: Sequence[PlayerWork],
    game_date: dt.date,
    run_date: dt.datetime,
    worker_id: str,
    timings: Mapping[str, float],
    circuits_opened: Sequence[str],
    task_instance: TaskInstanceRef | None = None,
) -> list[dict[str, Any]]:
    ref = task_instance
    airflow = {"dag_id": ref.dag_id if ref else None, "dag_run_id": ref.dag_run_id if ref else None,
               "task_id": ref.task_id if ref else None, "map_index": ref.map_index if ref else None,
               "try_number": ref.try_number if ref else None}
    rows = []
    for w in work:
        player, feature_row = w.player, w.feature_row or {}
        reached_systems = w.skip_reason is None
        failed = [k for k in SYSTEM_IDS if k in w.errors]
        first = failed[0] if failed else None
        rows.append(
            {
                "request_id": request_id(game_date, player.player_lookup),
                "worker_id": worker_id,
                "run_date": run_date,
                "player_lookup": player.player_lookup,
                "universal_player_id": player.universal_player_id,
                "game_date": game_date,
                "game_id": player.game_id,
                "line_values_requested": [player.line] if player.line is not None else [],
                "success": bool(w.predictions),
                "duration_seconds": round(timings["duration_seconds"], 6),
                "predictions_generated": len(w.predictions),
                "systems_attempted": [k for k in SYSTEM_IDS if k in w.attempted],
                "systems_succeeded": [k for k in SYSTEM_IDS if k in w.predictions],
                "systems_failed": failed,
                "system_errors": (
                    json.dumps({k: f"{t}: {m}" for k, (t, m) in sorted(w.errors.items())}, sort_keys=True)
                    if reached_systems
                    else None
                ),
                "feature_quality_score": optional_float(feature_row.get("feature_quality_score")),
                "missing_features": list(feature_row.get("missing_features") or []),
                "feature_load_time_seconds": round(timings["feature_load_seconds"], 6),
                "historical_games_count": len(w.history) if reached_systems else None,
                "historical_load_time_seconds": round(timings["history_load_seconds"], 6),
                "error_message": w.errors[first][1] if first else w.skip_detail,
                "error_system": first,
                "error_type": w.errors[first][0] if first else None,
                "data_load_seconds": round(timings["data_load_seconds"], 6),
                "prediction_compute_seconds": round(timings["prediction_compute_seconds"], 6),
                "write_bigquery_seconds": round(timings["write_seconds"], 6),
                "circuit_breaker_triggered": bool(circuits_opened) and reached_systems,
                "circuits_opened": list(circuits_opened) if reached_systems else [],
                "skip_reason": str(w.skip_reason) if w.skip_reason else None,
                "worker_version": WORKER_VERSION,
                **airflow,
            }
        )
    return rows


def split_evenly(total: int | None, parts: int) -> list[int | None]:
    """``total`` in ``parts`` integer shares that differ by at most one and add up to it (the larger
    shares first); None (not measured) stays None in every share."""
    if total is None:
        return [None] * parts
    share, extra = divmod(total, parts)
    return [share + (1 if i < extra else 0) for i in range(parts)]


def _share_cost(rows: list[dict[str, Any]], cost: JobCost | None) -> None:
    if not rows:
        return
    figures = {
        "bytes_processed": cost.bytes_processed if cost else None,
        "bytes_billed": cost.bytes_billed if cost else None,
        "slot_ms": cost.slot_ms if cost else None,
    }
    for column, total in figures.items():
        for row, share in zip(rows, split_evenly(total, len(rows)), strict=True):
            row[column] = share


# --------------------------------------------------------------------------- MERGEs


def _column_types(table: str) -> dict[str, str]:
    return {c.name: c.type for c in declared_tables()[table].columns}


def _rows_param(
    table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], as_text: Sequence[str] = ()
) -> QueryParam:
    types = _column_types(table)
    fields = ", ".join(f"{c} {'STRING' if c in as_text else types[c]}" for c in columns)
    return QueryParam([{c: row.get(c) for c in columns} for row in rows], f"ARRAY<STRUCT<{fields}>>")


def _merge_predictions(
    warehouse: Warehouse, rows: Sequence[Mapping[str, Any]], players: Sequence[str], game_date: dt.date,
    now: dt.datetime,
) -> int:
    """Insert new predictions and update changed ones (``created_at`` moves only with the content),
    and delete the date's predictions of the batch's ``players`` that this run did not make (a
    system that no longer predicts a player, a player now skipped): a rerun of a date converges to
    what it produces, whatever an earlier run of it wrote."""
    if not players:
        return 0
    columns = [c for c in _column_types(PREDICTIONS_TABLE) if c != "created_at"]
    content = [c for c in columns if c not in ("prediction_id", "system_id", "player_lookup", "game_date")]
    differs = " OR ".join(f"T.{c} IS DISTINCT FROM S.{c}" for c in content)
    updates = ", ".join(f"{c} = S.{c}" for c in content)
    # The stored rows of the date's batch players that the batch did not make come in flagged
    # ``gone`` (read from the date's partition only; WHEN NOT MATCHED BY SOURCE would make DuckDB
    # join the whole table, a cost growing with every date).
    made = f"SELECT {', '.join(f'r.{c}' for c in columns)}, FALSE AS gone FROM UNNEST(@rows) AS r"
    gone = (
        f"SELECT {', '.join(f'p.{c}' for c in columns)}, TRUE AS gone FROM {PREDICTIONS_TABLE} AS p "
        "WHERE p.game_date = @game_date AND p.player_lookup IN UNNEST(@players) "
        "AND p.prediction_id NOT IN (SELECT r.prediction_id FROM UNNEST(@rows) AS r)"
    )
    sql = (
        f"MERGE {PREDICTIONS_TABLE} AS T USING ({made} UNION ALL {gone}) AS S "
        "ON T.prediction_id = S.prediction_id AND T.game_date = @game_date "
        "WHEN MATCHED AND S.gone THEN DELETE "
        f"WHEN MATCHED AND ({differs}) THEN UPDATE SET {updates}, created_at = @now "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}, created_at) "
        f"VALUES ({', '.join(f'S.{c}' for c in columns)}, @now)"
    )
    params = {
        "rows": _rows_param(PREDICTIONS_TABLE, columns, rows),
        "players": QueryParam(list(players), "ARRAY<STRING>"),
        "game_date": game_date,
        "now": now,
    }
    return warehouse.execute(sql, params)


def _merge_runs(warehouse: Warehouse, rows: Sequence[Mapping[str, Any]], game_date: dt.date, now: dt.datetime) -> int:
    """Insert or replace the run rows by request_id (``created_at`` stays the first run's)."""
    if not rows:
        return 0
    columns = [c for c in _column_types(RUNS_TABLE) if c != "created_at"]
    selected = ", ".join("PARSE_JSON(r.system_errors) AS system_errors" if c == "system_errors" else f"r.{c}"
                         for c in columns)
    updates = ", ".join(f"{c} = S.{c}" for c in columns if c != "request_id")
    sql = (
        f"MERGE {RUNS_TABLE} AS T USING (SELECT {selected} FROM UNNEST(@rows) AS r) AS S "
        "ON T.request_id = S.request_id AND T.game_date = @game_date "
        f"WHEN MATCHED THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}, created_at) "
        f"VALUES ({', '.join(f'S.{c}' for c in columns)}, @now)"
    )
    params = {
        "rows": _rows_param(RUNS_TABLE, columns, rows, as_text=("system_errors",)),
        "game_date": game_date,
        "now": now,
    }
    return warehouse.execute(sql, params)
