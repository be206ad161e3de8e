"""Run logging: one row per processor attempt and per skip, in its phase's run table.

A row is built from a :class:`RunRecord` by the phase's row builder, so the tables keep the column
names the seed gave them. Rows are written in batches: the run task writes its own row at once only
when it fails (so a crash or a later retry loses nothing); successes and skips are collected per
phase and written in one statement. Writing is idempotent on ``run_id``: a retried batch writes
only the rows not yet there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from nba_pipeline.guards.skip_reasons import SkipReason
from nba_pipeline.warehouse.base import QueryParam, Warehouse

PROCESSOR_VERSION = "1"


@dataclass(frozen=True)
class RunRecord:
    """What happened to one processor in one attempt (or why it did not run)."""

    processor: str
    phase: int
    run_id: str
    status: str  # success / failed / skipped
    started_at: dt.datetime
    completed_at: dt.datetime
    game_date: dt.date
    skip_reason: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    rows_processed: int | None = None
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_failed: int | None = None
    rows_skipped: int | None = None
    load_seconds: float | None = None
    transform_seconds: float | None = None
    save_seconds: float | None = None
    file_path: str | None = None
    source_files: int | None = None
    date_range_start: dt.date | None = None
    date_range_end: dt.date | None = None
    dependency_check_passed: bool | None = None
    data_completeness_pct: float | None = None
    upstream_data_age_hours: float | None = None
    warnings: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in {"success", "failed", "skipped"}:
            raise ValueError(f"status {self.status!r} is not success, failed or skipped")
        if self.status == "skipped" and self.skip_reason not in {r.value for r in SkipReason}:
            raise ValueError(f"skipped run of {self.processor} needs a known skip_reason, got {self.skip_reason!r}")

    @property
    def duration_seconds(self) -> float:
        return round((self.completed_at - self.started_at).total_seconds(), 6)

    def to_json(self) -> dict[str, Any]:
        """XCom-friendly form."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, (dt.date, dt.datetime)):
                data[key] = value.isoformat()
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        values = dict(data)
        for key in ("started_at", "completed_at"):
            values[key] = dt.datetime.fromisoformat(values[key])
        for key in ("game_date", "date_range_start", "date_range_end"):
            if values.get(key):
                values[key] = dt.date.fromisoformat(values[key])
        values["warnings"] = tuple(values.get("warnings") or ())
        return cls(**values)


def make_run_id(dag_run_id: str, processor: str, attempt: str) -> str:
    """A stable id for an attempt: the same DAG run, processor and attempt always give the same id."""
    digest = hashlib.sha1(f"{dag_run_id}|{processor}|{attempt}".encode()).hexdigest()[:16]
    return f"{processor}-{attempt}-{digest}"


def _errors_json(record: RunRecord) -> str | None:
    if record.error_message is None:
        return None
    return json.dumps([{"type": record.error_type, "message": record.error_message}])


def _opts(record: RunRecord) -> str:
    """The run's options as a JSON document (a string: both backends load it into the JSON column)."""
    return json.dumps({"game_date": record.game_date.isoformat(), **record.options}, sort_keys=True, default=str)


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
    }


def _success(record: RunRecord) -> bool | None:
    return None if record.status == "skipped" else record.status == "success"


def _analytics_row(record: RunRecord) -> dict[str, Any]:
    return {
        "processor_name": record.processor,
        "run_id": record.run_id,
        "run_date": record.started_at,
        "success": _success(record),
        "duration_seconds": record.duration_seconds,
        "date_range_start": record.date_range_start or record.game_date,
        "date_range_end": record.date_range_end or record.game_date,
        "records_processed": record.rows_processed,
        "records_inserted": record.rows_inserted,
        "records_updated": record.rows_updated,
        "records_skipped": record.rows_skipped,
        "errors_json": _errors_json(record),
        "warning_count": len(record.warnings),
        "source_files_count": record.source_files,
        "source_data_freshness_hours": record.upstream_data_age_hours,
        "processor_version": PROCESSOR_VERSION,
        "config_hash": _config_hash(record),
        "skip_reason": record.skip_reason,
    }


def _precompute_row(record: RunRecord) -> dict[str, Any]:
    return {
        "processor_name": record.processor,
        "run_id": record.run_id,
        "run_date": record.started_at,
        "success": _success(record),
        "duration_seconds": record.duration_seconds,
        "analysis_date": record.game_date,
        "records_processed": record.rows_processed,
        "records_inserted": record.rows_inserted,
        "records_updated": record.rows_updated,
        "records_skipped": record.rows_skipped,
        "dependency_check_passed": record.dependency_check_passed,
        "data_completeness_pct": record.data_completeness_pct,
        "upstream_data_age_hours": record.upstream_data_age_hours,
        "errors_json": _errors_json(record),
        "warning_count": len(record.warnings),
        "processor_version": PROCESSOR_VERSION,
        "config_hash": _config_hash(record),
        "skip_reason": record.skip_reason,
    }


def _config_hash(record: RunRecord) -> str:
    return hashlib.sha1(json.dumps(record.options, sort_keys=True, default=str).encode()).hexdigest()[:12]


#: phase → (run table, row builder). Phase 1 (scrapers) is logged by Airflow alone; phase 5 logs per player.
RUN_TABLES: dict[int, tuple[str, Callable[[RunRecord], dict[str, Any]]]] = {
    2: ("nba_processing.processor_runs", _raw_row),
    3: ("nba_processing.analytics_processor_runs", _analytics_row),
    4: ("nba_processing.precompute_processor_runs", _precompute_row),
}


def run_table(phase: int) -> str | None:
    entry = RUN_TABLES.get(phase)
    return entry[0] if entry else None


def write_run_records(warehouse: Warehouse, records: Sequence[RunRecord]) -> int:
    """Write records not yet present (by run_id): one read and one insert per run table at most."""
    written = 0
    by_table: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        entry = RUN_TABLES.get(record.phase)
        if entry is None:
            continue
        table, build = entry
        by_table.setdefault(table, []).append(build(record))
    for table, rows in sorted(by_table.items()):
        ids = sorted({row["run_id"] for row in rows})
        present = {
            r["run_id"]
            for r in warehouse.query(
                f"SELECT run_id FROM {table} WHERE run_id IN UNNEST(@ids)", {"ids": QueryParam(ids, "ARRAY<STRING>")}
            )
        }
        fresh = [row for row in rows if row["run_id"] not in present]
        unique = list({row["run_id"]: row for row in fresh}.values())
        if unique:
            written += warehouse.insert_rows(table, unique)
    return written
