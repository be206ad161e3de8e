"""The toy pipelines' own guard state: a breaker table and one run table for their three phases.

Declared here from ``guards/`` alone (no registry), as any pipeline would declare its own: the toy
pipelines run on the guards without the basketball pipeline's tables.
"""

from __future__ import annotations

from typing import Any

from nba_pipeline.guards.run_log import RunRecord, RunTable
from nba_pipeline.guards.tables import GuardTables

BREAKERS = "nba_orchestration.toy_breakers"
RUNS = "nba_processing.toy_runs"

#: the columns the breaker store reads and writes
BREAKER_COLUMNS = (
    "processor_name STRING NOT NULL, state STRING NOT NULL, failure_count INT64, success_count INT64, "
    "last_failure TIMESTAMP, last_success TIMESTAMP, opened_at TIMESTAMP, half_opened_at TIMESTAMP, "
    "updated_at TIMESTAMP NOT NULL, last_error_message STRING, last_error_type STRING, "
    "failure_history ARRAY<STRUCT<failed_at TIMESTAMP, error_message STRING, error_type STRING>>, "
    "threshold INT64, timeout_seconds INT64, half_open_max_calls INT64, version INT64, half_open_calls INT64"
)
RUN_COLUMNS = (
    "run_id STRING, processor_name STRING, phase INT64, status STRING, skip_reason STRING, "
    "error_message STRING, target_date DATE, started_at TIMESTAMP, completed_at TIMESTAMP, "
    "written_at TIMESTAMP, rows_processed INT64, dependency_check_passed BOOL, data_completeness_pct FLOAT64"
)


def _row(record: RunRecord) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "processor_name": record.processor,
        "phase": record.phase,
        "status": record.status,
        "skip_reason": record.skip_reason,
        "error_message": record.error_message,
        "target_date": record.target_date,
        "started_at": record.started_at,
        "completed_at": record.completed_at,
        "rows_processed": record.rows_processed,
        "dependency_check_passed": record.dependency_check_passed,
        "data_completeness_pct": record.data_completeness_pct,
    }


TOY_TABLES = GuardTables(
    breakers=BREAKERS, runs={phase: RunTable(RUNS, _row, "started_at", "written_at") for phase in (2, 3, 4)}
)


def create_state_tables(warehouse) -> None:
    warehouse.ensure_datasets()
    warehouse.execute(f"CREATE TABLE IF NOT EXISTS {BREAKERS} ({BREAKER_COLUMNS})")
    warehouse.execute(f"CREATE TABLE IF NOT EXISTS {RUNS} ({RUN_COLUMNS})")
