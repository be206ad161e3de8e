"""Every .sql file of include/sql parses as GoogleSQL and runs on the embedded warehouse."""

from __future__ import annotations

import pytest

from nba_pipeline.schema.declared import baseline_tables, declared_tables
from nba_pipeline.schema.sqlfile import read_statements
from nba_pipeline.schema.verify import compare_table
from nba_pipeline.settings import SQL_ROOT

SQL_FILES = sorted(SQL_ROOT.rglob("*.sql"))


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(SQL_ROOT)))
def test_sql_file_parses_as_googlesql(path):
    assert read_statements(path), f"{path} has no statements"


@pytest.mark.parametrize("name", sorted(declared_tables()))
def test_declared_table_creates_on_duckdb_exactly_as_declared(warehouse, name):
    warehouse.ensure_datasets()
    declared = declared_tables()[name]
    warehouse.execute(declared.ddl)
    assert compare_table(warehouse, declared).drifts == ()


#: columns the migrations added to the baseline run tables: skip_reason (0001, 0002), job cost (0016),
#: the Airflow task instance (0017)
TASK_INSTANCE = {"dag_id", "dag_run_id", "task_id", "map_index", "try_number"}
ADDED_SINCE_BASELINE = {
    "nba_processing.processor_runs": {"skip_reason", "bytes_processed", "bytes_billed", "slot_ms", *TASK_INSTANCE},
    "nba_processing.analytics_processor_runs": {"skip_reason", "bytes_billed", *TASK_INSTANCE},
}


@pytest.mark.parametrize("name", sorted(baseline_tables()))
def test_baseline_table_lacks_only_the_migrated_columns(warehouse, name):
    baseline = baseline_tables()[name]
    final = declared_tables()[name]
    assert {c.name for c in final.columns} - {c.name for c in baseline.columns} == ADDED_SINCE_BASELINE[name]
    warehouse.ensure_datasets()
    warehouse.execute(baseline.ddl)
    assert compare_table(warehouse, baseline).drifts == ()


def test_seed_columns_are_declared_as_schemas_md_lists_them():
    tables = declared_tables()
    breaker = tables["nba_orchestration.circuit_breaker_state"]
    assert breaker.column("failure_history").type == (
        "ARRAY<STRUCT<failed_at TIMESTAMP, error_message STRING, error_type STRING>>"
    )
    assert breaker.column("updated_at").mode == "REQUIRED"
    workers = tables["nba_predictions.prediction_worker_runs"]
    assert workers.column("success").mode == "REQUIRED"
    assert workers.column("systems_failed").type == "ARRAY<STRING>"
    assert workers.column("system_errors").type == "JSON"
    analytics = tables["nba_processing.analytics_processor_runs"]
    assert analytics.column("success").mode == "NULLABLE", "a skipped run has no success value"
    precompute = tables["nba_processing.precompute_processor_runs"]
    assert "partition_expiration_days = 365" in precompute.ddl
    assert [c.name for c in precompute.columns][10:13] == [
        "dependency_check_passed",
        "data_completeness_pct",
        "upstream_data_age_hours",
    ]
