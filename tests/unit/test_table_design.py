"""A live BigQuery table's partitioning, clustering, options and defaults, read from ``tables.get``
and compared with its schema file by ``verify-schema``."""

from __future__ import annotations

from unittest import mock

import pytest
from google.cloud.bigquery import SchemaField, Table, TimePartitioning

from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.schema.verify import Drift, DriftKind, verify_schema
from nba_pipeline.warehouse.base import TableDesign
from nba_pipeline.warehouse.bigquery_backend import BigQueryWarehouse
from nba_pipeline.warehouse.bigquery_design import table_design

HOOK = "nba_pipeline.warehouse.bigquery_backend.BigQueryHook"
PROJECT = "nba-props-prod"
RUNS = "nba_processing.precompute_processor_runs"


def _as_created(name: str) -> Table:
    """The table BigQuery holds after running its schema file: what ``tables.get`` returns."""
    declared = declared_tables()[name]
    defaults = {"created_at": "CURRENT_TIMESTAMP()"}
    table = Table(f"{PROJECT}.{name}", schema=[
        SchemaField(c.name, c.type, mode=c.mode, default_value_expression=defaults.get(c.name))
        for c in declared.columns])
    table.time_partitioning = TimePartitioning(type_="DAY", field="run_date", expiration_ms=365 * 86_400_000)
    table.clustering_fields = ["processor_name", "success", "run_date"]
    table.description = "Phase 4 precompute processor runs"
    return table


def test_the_design_reads_as_the_schema_file_writes_it():
    assert table_design(_as_created(RUNS)) == TableDesign(
        "DATE(run_date)", ("processor_name", "success", "run_date"),
        (("description", "'Phase 4 precompute processor runs'"), ("partition_expiration_days", "365")),
        (("created_at", "CURRENT_TIMESTAMP()"),))
    by_date_column = Table(f"{PROJECT}.nba_raw.x", schema=[SchemaField("game_date", "DATE")])
    by_date_column.time_partitioning = TimePartitioning(type_="DAY", field="game_date")
    by_date_column.labels = {"phase": "all", "pattern": "circuit_breaker"}
    assert table_design(by_date_column) == TableDesign(
        "game_date", (), (("labels", "[pattern=circuit_breaker, phase=all]"),), ())


@pytest.fixture
def live_tables():
    """BigQuery (its hook and client patched where the backend imports them) holding ``tables``."""
    tables: dict[str, Table] = {}
    with mock.patch(HOOK) as hook_cls:
        hook = hook_cls.return_value
        hook.project_id, hook.location, hook.labels = PROJECT, "US", {}
        hook.get_client.return_value.get_table.side_effect = lambda ref: tables[ref]
        yield tables


def _drifts(name: str) -> list[Drift]:
    [report] = verify_schema(BigQueryWarehouse(gcp_conn_id="nba_gcp"), {name: declared_tables()[name]})
    return list(report.drifts)


def test_a_table_as_its_schema_file_creates_it_has_no_drift(live_tables):
    live_tables[f"{PROJECT}.{RUNS}"] = _as_created(RUNS)
    assert _drifts(RUNS) == []


def test_changed_clustering_partitioning_options_and_defaults_are_drift(live_tables):
    table = _as_created(RUNS)
    table.clustering_fields = ["processor_name"]
    table.time_partitioning = TimePartitioning(type_="DAY", field="run_date", expiration_ms=30 * 86_400_000)
    table.schema = [SchemaField(f.name, f.field_type, mode=f.mode) for f in table.schema]  # defaults dropped
    live_tables[f"{PROJECT}.{RUNS}"] = table
    assert _drifts(RUNS) == [
        Drift(RUNS, DriftKind.LIVE_CLUSTERING, None, "processor_name, success, run_date", "processor_name"),
        Drift(RUNS, DriftKind.LIVE_OPTIONS, "partition_expiration_days", "365", "30"),
        Drift(RUNS, DriftKind.LIVE_DEFAULTS, "created_at", "CURRENT_TIMESTAMP()", "none"),
    ]
    table.time_partitioning = TimePartitioning(type_="DAY", field="created_at", expiration_ms=365 * 86_400_000)
    [partitioning] = [d for d in _drifts(RUNS) if d.kind is DriftKind.LIVE_PARTITIONING]
    assert str(partitioning) == f"{RUNS}: PARTITION BY differs (declared DATE(run_date), live DATE(created_at))"
