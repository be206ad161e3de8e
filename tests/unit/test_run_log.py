"""Run rows: one builder per phase table, typed skip reasons, idempotent batched writes."""

from __future__ import annotations

import datetime as dt

import pytest

from nba_pipeline.guards.run_log import RunRecord, make_run_id, write_run_records
from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.warehouse import STATS, activity

T0 = dt.datetime(2025, 1, 15, 13, 0, tzinfo=dt.UTC)


def _record(phase: int, status: str = "success", **overrides) -> RunRecord:
    values = dict(
        processor=f"p{phase}",
        phase=phase,
        run_id=make_run_id("manual__1", f"p{phase}", status),
        status=status,
        started_at=T0,
        completed_at=T0 + dt.timedelta(seconds=2.5),
        game_date=dt.date(2025, 1, 15),
        rows_processed=10,
        rows_inserted=8,
        rows_updated=2,
    )
    values.update(overrides)
    return RunRecord(**values)


def test_a_skip_needs_a_known_reason():
    with pytest.raises(ValueError, match="needs a known skip_reason"):
        _record(2, status="skipped", skip_reason="felt_like_it")
    with pytest.raises(ValueError, match="status 'maybe'"):
        _record(2, status="maybe")


def test_json_round_trip():
    record = _record(4, dependency_check_passed=True, data_completeness_pct=95.0, warnings=("w",))
    assert RunRecord.from_json(record.to_json()) == record


def test_rows_land_in_each_phase_table_with_declared_columns_only(migrated_warehouse):
    records = [
        _record(2, file_path="gs://b/x.json"),
        _record(3, status="skipped", skip_reason="no_games", rows_processed=None),
        _record(
            4,
            status="failed",
            error_type="ValueError",
            error_message="bad",
            dependency_check_passed=False,
            data_completeness_pct=87.5,
            upstream_data_age_hours=5.0,
        ),
    ]
    assert write_run_records(migrated_warehouse, records) == 3
    raw = migrated_warehouse.query(
        "SELECT status, total_runtime_seconds, file_path, opts FROM nba_processing.processor_runs"
    )
    assert (
        raw[0]["status"] == "success"
        and raw[0]["total_runtime_seconds"] == 2.5
        and raw[0]["file_path"] == "gs://b/x.json"
    )
    assert '"game_date": "2025-01-15"' in raw[0]["opts"]
    analytics = migrated_warehouse.query(
        "SELECT success, skip_reason, date_range_start FROM nba_processing.analytics_processor_runs"
    )
    assert analytics == [{"success": None, "skip_reason": "no_games", "date_range_start": dt.date(2025, 1, 15)}]
    pre = migrated_warehouse.query(
        "SELECT success, dependency_check_passed, data_completeness_pct, upstream_data_age_hours, errors_json "
        "FROM nba_processing.precompute_processor_runs"
    )[0]
    assert pre["success"] is False and pre["data_completeness_pct"] == 87.5 and '"ValueError"' in pre["errors_json"]
    assert declared_tables()  # the rows above were accepted by tables created from the declared schemas


def test_rewriting_a_batch_adds_nothing_and_costs_one_statement_per_table(migrated_warehouse):
    records = [_record(2, processor=f"p{i}", run_id=f"r{i}") for i in range(10)]
    STATS.reset()
    with activity("run_log"):
        assert write_run_records(migrated_warehouse, records) == 10
    assert STATS.snapshot()["mutations"] == {"run_log:nba_processing.processor_runs": 1}
    assert write_run_records(migrated_warehouse, records) == 0
    assert migrated_warehouse.query("SELECT COUNT(*) AS n FROM nba_processing.processor_runs")[0]["n"] == 10
