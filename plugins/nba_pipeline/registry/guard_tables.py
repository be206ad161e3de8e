"""The tables the guards write for this pipeline: the breaker state and the per-phase run tables.

The row builders keep the column names the original system's run tables have (SCHEMAS.md); every
run row's ``opts`` records the run's options (its ``game_date`` among them) and the date the processor
worked on, ``target_date`` (the day before the game date for box scores).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from nba_pipeline.guards.breaker import Clock
from nba_pipeline.guards.breaker_store import BreakerStore
from nba_pipeline.guards.run_log import RunRecord, RunTable
from nba_pipeline.guards.spec import Phase
from nba_pipeline.guards.tables import GuardTables
from nba_pipeline.warehouse.base import Warehouse

BREAKER_TABLE = "nba_orchestration.circuit_breaker_state"
PROCESSOR_VERSION = "1"


def _errors_json(record: RunRecord) -> str | None:
    if record.error_message is None:
        return None
    return json.dumps([{"type": record.error_type, "message": record.error_message}])


def _opts(record: RunRecord) -> str:
    """The run's options and the processor's target date as a JSON document (a string: both backends
    load it into the JSON column)."""
    return json.dumps({**record.options, "target_date": record.target_date.isoformat()}, sort_keys=True, default=str)


def _raw_row(record: RunRecord) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "processor_name": record.processor,
        "started_at": record.started_at,
        "completed_at": record.completed_at,
        "status": record.status,
        "error_message": record.error_message,
        "rows_processed": record.rows_processed,
        "rows_inserted": record.rows_inserted,
        "rows_updated": record.rows_updated,
        "rows_failed": record.rows_failed,
        "load_time_seconds": record.load_seconds,
        "transform_time_seconds": record.transform_seconds,
        "save_time_seconds": record.save_seconds,
        "total_runtime_seconds": record.duration_seconds,
        "opts": _opts(record),
        "file_path": record.file_path,
        "skip_reason": record.skip_reason,
        **_job_cost(record),
        **_task_instance(record),
    }


def _job_cost(record: RunRecord) -> dict[str, Any]:
    """What the attempt's BigQuery jobs reported (NULL where nothing was measured)."""
    return {"bytes_processed": record.bytes_processed, "bytes_billed": record.bytes_billed, "slot_ms": record.slot_ms}


def _task_instance(record: RunRecord) -> dict[str, Any]:
    """The Airflow task instance that wrote the row (NULL outside Airflow), for links to its run and log."""
    ref = record.task_instance
    return {
        "dag_id": ref.dag_id if ref else None,
        "dag_run_id": ref.dag_run_id if ref else None,
        "task_id": ref.task_id if ref else None,
        "map_index": ref.map_index if ref else None,
        "try_number": ref.try_number if ref else None,
    }


def _success(record: RunRecord) -> bool | None:
    return None if record.status == "skipped" else record.status == "success"


def _phase_row(record: RunRecord) -> dict[str, Any]:
    """The columns the analytics and precompute run tables share."""
    return {
        "processor_name": record.processor,
        "run_id": record.run_id,
        "run_date": record.started_at,
        "success": _success(record),
        "duration_seconds": record.duration_seconds,
        "records_processed": record.rows_processed,
        "records_inserted": record.rows_inserted,
        "records_updated": record.rows_updated,
        "records_skipped": record.rows_skipped,
        "errors_json": _errors_json(record),
        "warning_count": len(record.warnings),
        "processor_version": PROCESSOR_VERSION,
        "config_hash": _config_hash(record),
        "skip_reason": record.skip_reason,
        **_job_cost(record),
        **_task_instance(record),
    }


def _analytics_row(record: RunRecord) -> dict[str, Any]:
    return {
        **_phase_row(record),
        "date_range_start": record.date_range_start or record.target_date,
        "date_range_end": record.date_range_end or record.target_date,
        "source_files_count": record.source_files,
        "source_data_freshness_hours": record.upstream_data_age_hours,
    }


def _precompute_row(record: RunRecord) -> dict[str, Any]:
    return {
        **_phase_row(record),
        "analysis_date": record.target_date,
        "dependency_check_passed": record.dependency_check_passed,
        "data_completeness_pct": record.data_completeness_pct,
        "upstream_data_age_hours": record.upstream_data_age_hours,
    }


def _config_hash(record: RunRecord) -> str:
    return hashlib.sha1(json.dumps(record.options, sort_keys=True, default=str).encode()).hexdigest()[:12]


#: phase → its run table. Phase 1 (scrapers) is logged by Airflow alone; phase 5 logs per player.
RUN_TABLES: dict[int, RunTable] = {
    Phase.RAW: RunTable("nba_processing.processor_runs", _raw_row, "started_at", "processed_at"),
    Phase.ANALYTICS: RunTable(
        "nba_processing.analytics_processor_runs", _analytics_row, "run_date", "created_at"
    ),
    Phase.PRECOMPUTE: RunTable(
        "nba_processing.precompute_processor_runs", _precompute_row, "run_date", "created_at"
    ),
}


GUARD_TABLES = GuardTables(breakers=BREAKER_TABLE, runs=RUN_TABLES)
#: the state tables' keys, which no backend enforces: ``verify-schema`` reports a key two rows share
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {BREAKER_TABLE: ("processor_name",)}


def breaker_store(warehouse: Warehouse, *, clock: Clock | None = None) -> BreakerStore:
    """The breakers of this pipeline, in :data:`BREAKER_TABLE`."""
    return GUARD_TABLES.breaker_store(warehouse, clock=clock)
