"""BigQueryWarehouse with the hook patched where the backend imports it: exact calls, no network."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from airflow.sdk.exceptions import AirflowNotFoundException
from google.api_core.exceptions import BadRequest, Forbidden, NotFound, RetryError
from google.auth.exceptions import DefaultCredentialsError
from google.cloud.bigquery import QueryJobConfig, SchemaField
from google.cloud.bigquery.table import Row

from nba_pipeline.settings import DATASETS, DEFAULT_BIGQUERY_JOB_TIMEOUT_SECONDS, DEFAULT_BIGQUERY_MAXIMUM_BYTES_BILLED
from nba_pipeline.warehouse import get_warehouse
from nba_pipeline.warehouse.base import (
    STATS,
    ColumnSchema,
    JobCost,
    QueryParam,
    UnknownDatasetError,
    WarehouseError,
    activity,
    job_costs,
)
from nba_pipeline.warehouse.bigquery_backend import BigQueryWarehouse, sanitise_labels
from nba_pipeline.warehouse.bigquery_params import referenced_params

HOOK = "nba_pipeline.warehouse.bigquery_backend.BigQueryHook"
CONN_ID = "nba_gcp"
PROJECT = "nba-props-prod"

EXPECTED_LABELS = {
    "app": "nba_pipeline",
    "airflow-dag": "nba_daily-pipeline",
    "airflow-task": "phase_2-breaker_gate_nbac",
}


@pytest.fixture(autouse=True)
def _clean_stats():
    STATS.reset()
    yield
    STATS.reset()


@pytest.fixture
def task_env(monkeypatch):
    """What Airflow's task runner exports before execute(): mixed case, a dot, a space."""
    monkeypatch.setenv("AIRFLOW_CTX_DAG_ID", "NBA_Daily-Pipeline")
    monkeypatch.setenv("AIRFLOW_CTX_TASK_ID", "phase_2.Breaker Gate:NBAC")


@pytest.fixture
def hook_cls(task_env):
    with mock.patch(HOOK) as cls:
        hook = cls.return_value
        hook.project_id = PROJECT
        hook.location = "US"
        hook.labels = {}
        yield cls


@pytest.fixture
def hook(hook_cls):
    return hook_cls.return_value


@pytest.fixture
def client(hook):
    return hook.get_client.return_value


@pytest.fixture
def warehouse(hook_cls):
    return BigQueryWarehouse(gcp_conn_id=CONN_ID)


def _job(rows=(), dml=None, bytes_processed=None, bytes_billed=None, slot_millis=None):
    job = mock.MagicMock(name="QueryJob")
    job.result.return_value = list(rows)
    job.num_dml_affected_rows = dml
    job.total_bytes_processed = bytes_processed
    job.total_bytes_billed = bytes_billed
    job.slot_millis = slot_millis
    return job


# --------------------------------------------------------------------------- query


def test_query_sends_typed_scalar_params_and_returns_rows_as_dicts(warehouse, hook_cls, hook):
    hook.insert_job.return_value = _job(
        [
            Row(("lebron_james", 31), {"player_lookup": 0, "points": 1}),
            Row(("stephen_curry", 28), {"player_lookup": 0, "points": 1}),
        ]
    )
    sql = (
        "SELECT player_lookup, points FROM nba_analytics.player_game_summary\n"
        "WHERE game_date = @game_date AND updated_at >= @since AND minutes > @min_minutes\n"
        "  AND is_starter = @starter AND usage_rate > @usage AND team_abbr = @team\n"
        "  AND note != 'mail@example.com' -- @commented_out\n"
        "  AND opponent = @team"
    )
    since = dt.datetime(2025, 1, 15, 14, 30, tzinfo=ZoneInfo("America/New_York"))

    rows = warehouse.query(
        sql,
        {
            "game_date": dt.date(2025, 1, 15),
            "since": since,
            "min_minutes": 10,
            "starter": True,
            "usage": 0.25,
            "team": QueryParam(None, "STRING"),
            "not_in_sql": "ignored",
        },
    )

    assert rows == [
        {"player_lookup": "lebron_james", "points": 31},
        {"player_lookup": "stephen_curry", "points": 28},
    ]
    assert all(type(row) is dict for row in rows)
    hook_cls.assert_called_once_with(gcp_conn_id=CONN_ID, use_legacy_sql=False)
    hook.insert_job.assert_called_once_with(
        configuration={
            "query": {
                "query": sql,
                "useLegacySql": False,
                "parameterMode": "NAMED",
                "queryParameters": [
                    {
                        "name": "game_date",
                        "parameterType": {"type": "DATE"},
                        "parameterValue": {"value": "2025-01-15"},
                    },
                    {
                        "name": "since",
                        "parameterType": {"type": "TIMESTAMP"},
                        "parameterValue": {"value": "2025-01-15T19:30:00+00:00"},
                    },
                    {
                        "name": "min_minutes",
                        "parameterType": {"type": "INT64"},
                        "parameterValue": {"value": "10"},
                    },
                    {
                        "name": "starter",
                        "parameterType": {"type": "BOOL"},
                        "parameterValue": {"value": "true"},
                    },
                    {
                        "name": "usage",
                        "parameterType": {"type": "FLOAT64"},
                        "parameterValue": {"value": "0.25"},
                    },
                    {
                        "name": "team",
                        "parameterType": {"type": "STRING"},
                        "parameterValue": {"value": None},
                    },
                ],
            },
            "labels": EXPECTED_LABELS,
        },
        project_id=PROJECT,
        location="US",
        timeout=None,
    )
    assert STATS.snapshot() == {"round_trips": {"processor": 1}, "mutations": {}}


def test_array_and_array_of_struct_params(warehouse, hook):
    hook.insert_job.return_value = _job()
    failed_at = dt.datetime(2025, 1, 15, 3, 0, tzinfo=dt.UTC)
    sql = (
        "SELECT * FROM UNNEST(@history) AS h "
        "WHERE h.error_message IN UNNEST(@messages) AND ARRAY_LENGTH(@lines) = @n_lines"
    )

    warehouse.query(
        sql,
        {
            "history": [
                {"failed_at": failed_at, "error_message": "timeout"},
                {"failed_at": failed_at + dt.timedelta(hours=1), "error_message": None},
            ],
            "messages": ["timeout", "HTTP 503"],
            "lines": QueryParam([], "ARRAY<FLOAT64>"),
            "n_lines": 0,
        },
    )

    query = hook.insert_job.call_args.kwargs["configuration"]["query"]
    assert query["queryParameters"] == [
        {
            "name": "history",
            "parameterType": {
                "type": "ARRAY",
                "arrayType": {
                    "type": "STRUCT",
                    "structTypes": [
                        {"name": "failed_at", "type": {"type": "TIMESTAMP"}},
                        {"name": "error_message", "type": {"type": "STRING"}},
                    ],
                },
            },
            "parameterValue": {
                "arrayValues": [
                    {
                        "structValues": {
                            "failed_at": {"value": "2025-01-15T03:00:00+00:00"},
                            "error_message": {"value": "timeout"},
                        }
                    },
                    {
                        "structValues": {
                            "failed_at": {"value": "2025-01-15T04:00:00+00:00"},
                            "error_message": {"value": None},
                        }
                    },
                ]
            },
        },
        {
            "name": "messages",
            "parameterType": {"type": "ARRAY", "arrayType": {"type": "STRING"}},
            "parameterValue": {"arrayValues": [{"value": "timeout"}, {"value": "HTTP 503"}]},
        },
        {
            "name": "lines",
            "parameterType": {"type": "ARRAY", "arrayType": {"type": "FLOAT64"}},
            "parameterValue": {"arrayValues": []},
        },
        {"name": "n_lines", "parameterType": {"type": "INT64"}, "parameterValue": {"value": "0"}},
    ]


def test_json_and_numeric_params(warehouse, hook):
    hook.insert_job.return_value = _job()

    warehouse.query(
        "SELECT @opts AS opts, @errors AS errors, @line AS line",
        {
            "opts": QueryParam({"season": "2024-25", "dry_run": False}, "JSON"),
            "errors": QueryParam(None, "JSON"),
            "line": Decimal("24.50"),
        },
    )

    parameters = hook.insert_job.call_args.kwargs["configuration"]["query"]["queryParameters"]
    assert parameters == [
        {
            "name": "opts",
            "parameterType": {"type": "JSON"},
            "parameterValue": {"value": '{"dry_run": false, "season": "2024-25"}'},
        },
        {"name": "errors", "parameterType": {"type": "JSON"}, "parameterValue": {"value": None}},
        {"name": "line", "parameterType": {"type": "NUMERIC"}, "parameterValue": {"value": "24.50"}},
    ]


def test_statement_without_params_sends_no_parameter_mode(warehouse, hook):
    hook.insert_job.return_value = _job()
    sql = "SELECT '@not_a_param' AS s, @@project_id AS p"

    warehouse.query(sql)

    assert hook.insert_job.call_args.kwargs["configuration"]["query"] == {"query": sql, "useLegacySql": False}


def test_referenced_params_ignore_literals_comments_and_system_variables():
    sql = (
        "SELECT @a, '@b', \"@c\", @@dataset_id, x@d, `@e` -- @f\n"
        "# @g\n/* @h */ WHERE y = @a AND z = @i AND t = '''@j''' AND u = 'it\\'s @k'"
    )
    assert referenced_params(sql) == ("a", "i")


def test_missing_param_raises_before_touching_bigquery(warehouse, hook_cls):
    with pytest.raises(WarehouseError, match=r"missing query parameters \['game_date', 'team'\]"):
        warehouse.query("SELECT 1 FROM t WHERE d = @game_date AND t = @team", {"other": 1})
    hook_cls.assert_not_called()
    assert STATS.snapshot()["round_trips"] == {}


# --------------------------------------------------------------------------- execute / scripts


def test_execute_returns_dml_count_and_records_the_mutated_table(warehouse, hook):
    hook.insert_job.return_value = _job(dml=3)
    sql = (
        "-- move the breaker\n"
        "UPDATE nba_orchestration.circuit_breaker_state SET state = @state WHERE processor_name = @name"
    )

    with activity("guards"):
        changed = warehouse.execute(sql, {"state": "OPEN", "name": "nbac_gamebook"})

    assert changed == 3
    assert STATS.snapshot() == {
        "round_trips": {"guards": 1},
        "mutations": {"guards:nba_orchestration.circuit_breaker_state": 1},
    }


def test_execute_dml_reads_the_jobs_dml_statistics(warehouse, hook):
    """One job; the counts are BigQuery's ``dmlStats``; a job without them (an emulator) counts every
    changed row as updated."""
    from google.cloud.bigquery.job.query import DmlStats

    from nba_pipeline.warehouse import DmlCounts

    sql = "MERGE nba_analytics.player_game_summary AS T USING (SELECT 1 AS k) AS S ON TRUE WHEN MATCHED THEN DELETE"
    job = _job(dml=6)
    job.dml_stats = DmlStats(inserted_row_count=3, deleted_row_count=1, updated_row_count=2)
    hook.insert_job.return_value = job
    assert warehouse.execute_dml(sql) == DmlCounts(inserted=3, updated=2, deleted=1)
    assert hook.insert_job.call_count == 1

    emulated = _job(dml=6)
    emulated.dml_stats = None
    hook.insert_job.return_value = emulated
    assert warehouse.execute_dml(sql) == DmlCounts(updated=6)


def test_execute_returns_zero_for_ddl(warehouse, hook):
    hook.insert_job.return_value = _job(dml=None)

    changed = warehouse.execute("CREATE SCHEMA IF NOT EXISTS nba_raw")

    assert changed == 0
    assert STATS.snapshot()["mutations"] == {"processor:nba_raw": 1}


def test_run_script_runs_statements_one_by_one_and_stops_at_the_first_failure(warehouse, hook):
    statements = [
        "ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS skip_reason STRING",
        "CREATE TABLE IF NOT EXISTS nba_processing.precompute_processor_runs (run_id STRING NOT NULL)",
        "ALTER TABLE nba_processing.analytics_processor_runs ADD COLUMN IF NOT EXISTS skip_reason STRING",
    ]
    hook.insert_job.side_effect = [
        _job(),
        BadRequest("Not found: Dataset nba-props-prod:nba_processing"),
        _job(),
    ]

    with pytest.raises(WarehouseError, match="precompute_processor_runs") as raised:
        warehouse.run_script(statements)

    assert [c.kwargs["configuration"]["query"] for c in hook.insert_job.call_args_list] == [
        {"query": statements[0], "useLegacySql": False},
        {"query": statements[1], "useLegacySql": False},
    ]
    assert isinstance(raised.value.__cause__, BadRequest)


# --------------------------------------------------------------------------- labels


def test_labels_come_from_the_task_context_when_the_env_vars_are_absent(hook_cls, hook, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CTX_DAG_ID")
    monkeypatch.delenv("AIRFLOW_CTX_TASK_ID")
    hook.insert_job.return_value = _job()
    hook.labels = '{"Team": "Data Eng"}'  # the connection form stores labels as JSON text
    ti = mock.Mock(dag_id="nba_backfill", task_id="run.odds_api_props")

    with mock.patch("airflow.sdk.get_current_context", return_value={"ti": ti}):
        BigQueryWarehouse(gcp_conn_id=CONN_ID).query("SELECT 1")

    assert hook.insert_job.call_args.kwargs["configuration"]["labels"] == {
        "app": "nba_pipeline",
        "team": "data_eng",
        "airflow-dag": "nba_backfill",
        "airflow-task": "run-odds_api_props",
    }


def test_labels_outside_a_task_name_only_the_app_and_explicit_labels_win(hook_cls, hook, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CTX_DAG_ID")
    monkeypatch.delenv("AIRFLOW_CTX_TASK_ID")
    hook.insert_job.return_value = _job()

    BigQueryWarehouse(gcp_conn_id=CONN_ID).query("SELECT 1")
    BigQueryWarehouse(gcp_conn_id=CONN_ID, labels={"App": "NBA Backfill", "env": "Prod"}).query("SELECT 1")

    first, second = (c.kwargs["configuration"]["labels"] for c in hook.insert_job.call_args_list)
    assert first == {"app": "nba_pipeline"}
    assert second == {"app": "nba_backfill", "env": "prod"}


def test_sanitise_labels_follows_bigquery_rules():
    long_a = "phase_4." + "player_composite_factors_" * 3 + "a"
    long_b = "phase_4." + "player_composite_factors_" * 3 + "b"

    labels = sanitise_labels({"9lives": "X", "task_a": long_a, "task_b": long_b, "": "dropped"})

    assert labels["l9lives"] == "x"
    assert len(labels["task_a"]) == 63 and len(labels["task_b"]) == 63
    assert labels["task_a"] != labels["task_b"]
    assert labels["task_a"].startswith("phase_4-player_composite_factors_")
    assert set(labels) == {"l9lives", "task_a", "task_b"}
    assert all(set(v) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-") for v in labels.values())


# --------------------------------------------------------------------------- insert_rows


def test_insert_rows_streams_serialised_rows_with_deterministic_row_ids(warehouse, hook, client):
    client.insert_rows_json.return_value = []
    started = dt.datetime(2025, 1, 15, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    rows = [
        {
            "run_id": "run-1",
            "processor_name": "nbac_gamebook",
            "started_at": started,
            "status": "success",
            "total_runtime_seconds": 1.5,
            "opts": QueryParam({"date": "2025-01-15"}, "JSON"),
        },
        {
            "run_id": "run-2",
            "processor_name": "odds_api_props",
            "started_at": started,
            "status": "skipped",
            "total_runtime_seconds": None,
            "opts": None,
        },
    ]

    assert warehouse.insert_rows("nba_processing.processor_runs", rows) == 2

    hook.get_client.assert_called_once_with(project_id=PROJECT, location="US")
    client.insert_rows_json.assert_called_once()
    (table_id, json_rows), kwargs = client.insert_rows_json.call_args
    assert table_id == f"{PROJECT}.nba_processing.processor_runs"
    assert json_rows == [
        {
            "run_id": "run-1",
            "processor_name": "nbac_gamebook",
            "started_at": "2025-01-15T17:00:00+00:00",
            "status": "success",
            "total_runtime_seconds": 1.5,
            "opts": '{"date": "2025-01-15"}',
        },
        {
            "run_id": "run-2",
            "processor_name": "odds_api_props",
            "started_at": "2025-01-15T17:00:00+00:00",
            "status": "skipped",
            "total_runtime_seconds": None,
            "opts": None,
        },
    ]
    json.dumps(json_rows)  # the streaming API gets plain JSON
    row_ids = kwargs["row_ids"]
    assert set(kwargs) == {"row_ids"}
    assert len(row_ids) == 2 and row_ids[0] != row_ids[1]
    assert all(isinstance(i, str) and len(i) == 64 for i in row_ids)

    # the same batch again (a retry) carries the same ids, so BigQuery drops the duplicates
    warehouse.insert_rows("nba_processing.processor_runs", rows)
    assert client.insert_rows_json.call_args.kwargs["row_ids"] == row_ids
    assert STATS.snapshot()["mutations"] == {"processor:nba_processing.processor_runs": 2}


def test_insert_rows_row_ids_from_request_and_player_else_none(warehouse, client):
    client.insert_rows_json.return_value = []
    rows = [
        {
            "request_id": "req-7",
            "player_lookup": "lebron_james",
            "game_date": dt.date(2025, 1, 15),
            "line_values_requested": [Decimal("24.5"), 25.5],
            "feature_quality_score": Decimal("87.50"),
        },
        {"request_id": "req-7", "player_lookup": None, "game_date": dt.date(2025, 1, 15)},
    ]

    warehouse.insert_rows("nba_predictions.prediction_worker_runs", rows)

    (_, json_rows), kwargs = client.insert_rows_json.call_args
    assert json_rows[0] == {
        "request_id": "req-7",
        "player_lookup": "lebron_james",
        "game_date": "2025-01-15",
        "line_values_requested": ["24.5", 25.5],
        "feature_quality_score": "87.50",
    }
    first_id, second_id = kwargs["row_ids"]
    assert isinstance(first_id, str) and len(first_id) == 64
    assert second_id is None


def test_insert_rows_reports_row_errors(warehouse, client):
    client.insert_rows_json.return_value = [
        {"index": 0, "errors": [{"reason": "stopped", "location": "", "message": ""}]},
        {
            "index": 1,
            "errors": [{"reason": "invalid", "location": "status", "message": "Missing required field"}],
        },
    ]

    with pytest.raises(WarehouseError) as raised:
        warehouse.insert_rows("nba_processing.processor_runs", [{"run_id": "a"}, {"run_id": "b"}])

    message = str(raised.value)
    assert "nba_processing.processor_runs" in message
    assert message.index("row 1: invalid at status: Missing required field") < message.index("row 0: stopped")


def test_insert_rows_unknown_dataset(warehouse, hook_cls):
    with pytest.raises(UnknownDatasetError, match="nba_scratch"):
        warehouse.insert_rows("nba_scratch.runs", [{"run_id": "a"}])
    hook_cls.assert_not_called()


def test_insert_rows_empty_batch_makes_no_round_trip(warehouse, hook_cls):
    assert warehouse.insert_rows("nba_raw.odds_api_player_points_props", []) == 0
    hook_cls.assert_not_called()
    assert STATS.snapshot()["round_trips"] == {}


# --------------------------------------------------------------------------- schema and datasets


def test_table_schema_maps_legacy_and_nested_types(warehouse, client):
    client.get_table.return_value.schema = [
        SchemaField("run_id", "STRING", mode="REQUIRED"),
        SchemaField("rows_processed", "INTEGER"),
        SchemaField("duration_seconds", "FLOAT"),
        SchemaField("success", "BOOLEAN"),
        SchemaField("systems_attempted", "STRING", mode="REPEATED"),
        SchemaField(
            "failure_history",
            "RECORD",
            mode="REPEATED",
            fields=(
                SchemaField("failed_at", "TIMESTAMP"),
                SchemaField("error_message", "STRING"),
                SchemaField("tags", "STRING", mode="REPEATED"),
            ),
        ),
        SchemaField("config", "STRUCT", fields=(SchemaField("threshold", "INT64"),)),
        SchemaField("system_errors", "JSON"),
        SchemaField("analysis_date", "DATE"),
        SchemaField("points_line", "NUMERIC"),
    ]

    columns = warehouse.table_schema("nba_orchestration.circuit_breaker_state")

    client.get_table.assert_called_once_with(f"{PROJECT}.nba_orchestration.circuit_breaker_state")
    assert columns == [
        ColumnSchema("run_id", "STRING", "REQUIRED"),
        ColumnSchema("rows_processed", "INT64", "NULLABLE"),
        ColumnSchema("duration_seconds", "FLOAT64", "NULLABLE"),
        ColumnSchema("success", "BOOL", "NULLABLE"),
        ColumnSchema("systems_attempted", "ARRAY<STRING>", "REPEATED"),
        ColumnSchema(
            "failure_history",
            "ARRAY<STRUCT<failed_at TIMESTAMP, error_message STRING, tags ARRAY<STRING>>>",
            "REPEATED",
        ),
        ColumnSchema("config", "STRUCT<threshold INT64>", "NULLABLE"),
        ColumnSchema("system_errors", "JSON", "NULLABLE"),
        ColumnSchema("analysis_date", "DATE", "NULLABLE"),
        ColumnSchema("points_line", "NUMERIC", "NULLABLE"),
    ]


def test_table_schema_returns_none_when_the_table_is_missing(warehouse, client):
    client.get_table.side_effect = NotFound("Not found: Table nba-props-prod:nba_raw.nope")

    assert warehouse.table_schema("nba_raw.nope") is None


def test_list_tables_and_ensure_datasets(warehouse, hook, client):
    client.list_tables.side_effect = [
        [mock.Mock(table_id="processor_runs"), mock.Mock(table_id="analytics_processor_runs")],
        NotFound("Not found: Dataset nba-props-prod:nba_precompute"),
    ]

    assert warehouse.list_tables("nba_processing") == ["analytics_processor_runs", "processor_runs"]
    assert warehouse.list_tables("nba_precompute") == []
    warehouse.ensure_datasets()

    assert client.list_tables.call_args_list == [
        mock.call(f"{PROJECT}.nba_processing"),
        mock.call(f"{PROJECT}.nba_precompute"),
    ]
    assert hook.create_empty_dataset.call_args_list == [
        mock.call(dataset_id=name, project_id=PROJECT, location="US", exists_ok=True) for name in DATASETS
    ]


# --------------------------------------------------------------------------- connection and errors


def test_hook_is_built_lazily_and_once(hook_cls, hook):
    hook.insert_job.return_value = _job()
    warehouse = BigQueryWarehouse(gcp_conn_id=CONN_ID)
    hook_cls.assert_not_called()

    warehouse.query("SELECT 1")
    warehouse.query("SELECT 2")

    hook_cls.assert_called_once_with(gcp_conn_id=CONN_ID, use_legacy_sql=False)


def test_location_comes_from_the_connection(warehouse, hook):
    assert warehouse.location() == f"{PROJECT} (US)"


def test_location_override_beats_the_connection(hook_cls, hook):
    hook.insert_job.return_value = _job()
    warehouse = BigQueryWarehouse(gcp_conn_id=CONN_ID, location="us-east1")

    warehouse.query("SELECT 1")

    hook_cls.assert_called_once_with(gcp_conn_id=CONN_ID, use_legacy_sql=False, location="us-east1")
    assert hook.insert_job.call_args.kwargs["location"] == "us-east1"
    assert warehouse.location() == f"{PROJECT} (us-east1)"


def test_missing_connection_names_the_conn_id(hook_cls):
    hook_cls.side_effect = AirflowNotFoundException(f"The conn_id `{CONN_ID}` isn't defined")

    with pytest.raises(
        WarehouseError, match=rf"connection '{CONN_ID}' is not defined.*NBA_BIGQUERY_CONN_ID"
    ) as err:
        BigQueryWarehouse(gcp_conn_id=CONN_ID).query("SELECT 1")
    assert isinstance(err.value.__cause__, AirflowNotFoundException)


def test_bad_credentials_say_what_to_fix(hook_cls, hook):
    type(hook).project_id = mock.PropertyMock(
        side_effect=DefaultCredentialsError("File key.json was not found.")
    )

    with pytest.raises(
        WarehouseError, match=rf"no usable Google credentials for Airflow connection '{CONN_ID}'"
    ):
        BigQueryWarehouse(gcp_conn_id=CONN_ID).table_schema("nba_raw.nbac_schedule")


def test_connection_without_project(hook_cls, hook):
    hook.project_id = None

    with pytest.raises(WarehouseError, match=rf"connection '{CONN_ID}' names no Google Cloud project"):
        BigQueryWarehouse(gcp_conn_id=CONN_ID).query("SELECT 1")


def test_unreachable_api(warehouse, hook):
    hook.insert_job.side_effect = RetryError("Deadline of 600.0s exceeded", cause=ConnectionError("refused"))

    with pytest.raises(
        WarehouseError, match=rf"cannot reach Google Cloud with Airflow connection '{CONN_ID}'"
    ):
        warehouse.query("SELECT 1")


def test_permission_denied(warehouse, client):
    client.insert_rows_json.side_effect = Forbidden("Access Denied: Table nba_raw.nbac_schedule")

    with pytest.raises(WarehouseError, match="permission denied.*BigQuery Data Editor"):
        warehouse.insert_rows("nba_raw.nbac_schedule", [{"game_id": "20250115_BOS_LAL"}])


def test_failed_statement_quotes_the_sql(warehouse, hook):
    hook.insert_job.side_effect = BadRequest("Syntax error: Unexpected keyword FORM at [1:10]")

    with pytest.raises(
        WarehouseError, match=r"(?s)BadRequest: 400 Syntax error.*SELECT x FORM nba_raw\.t"
    ) as err:
        warehouse.query("SELECT x FORM nba_raw.t")
    assert isinstance(err.value.__cause__, BadRequest)


# --------------------------------------------------------------------------- job limits and cost


def test_every_query_job_carries_the_byte_limit_and_timeout_from_the_settings(hook_cls, hook, settings_env):
    """The warehouse as production builds it (settings from the environment): the configuration
    sent is a QueryJobConfig's, with maximumBytesBilled and jobTimeoutMs, and the client waits no
    longer than the job may run."""
    settings_env.setenv("NBA_WAREHOUSE_BACKEND", "bigquery")
    settings_env.setenv("NBA_BIGQUERY_CONN_ID", CONN_ID)
    settings_env.setenv("NBA_BIGQUERY_MAXIMUM_BYTES_BILLED", "5000000000")
    settings_env.setenv("NBA_BIGQUERY_JOB_TIMEOUT_SECONDS", "90.5")
    hook.insert_job.return_value = _job()
    sql = "SELECT points FROM nba_analytics.player_game_summary WHERE game_date = @d"

    with get_warehouse() as warehouse:
        warehouse.query(sql, {"d": dt.date(2025, 1, 15)})
        warehouse.execute("DELETE FROM nba_raw.nbac_schedule WHERE TRUE")

    first, second = hook.insert_job.call_args_list
    config = QueryJobConfig.from_api_repr(first.kwargs["configuration"])
    assert config.maximum_bytes_billed == 5_000_000_000
    assert int(config.job_timeout_ms) == 90_500  # the client library reads it back as the REST string
    assert config.use_legacy_sql is False
    assert config.labels == EXPECTED_LABELS
    assert config.query_parameters[0].to_api_repr() == {
        "name": "d",
        "parameterType": {"type": "DATE"},
        "parameterValue": {"value": "2025-01-15"},
    }
    assert first.kwargs == {
        "configuration": {
            "query": {
                "query": sql,
                "useLegacySql": False,
                "maximumBytesBilled": "5000000000",
                "parameterMode": "NAMED",
                "queryParameters": [
                    {"name": "d", "parameterType": {"type": "DATE"}, "parameterValue": {"value": "2025-01-15"}}
                ],
            },
            "labels": EXPECTED_LABELS,
            "jobTimeoutMs": "90500",
        },
        "project_id": PROJECT,
        "location": "US",
        "timeout": 90.5,
    }
    assert QueryJobConfig.from_api_repr(second.kwargs["configuration"]).maximum_bytes_billed == 5_000_000_000


def test_default_byte_limit_and_timeout(hook_cls, hook, settings_env):
    settings_env.setenv("NBA_WAREHOUSE_BACKEND", "bigquery")
    for name in ("NBA_BIGQUERY_MAXIMUM_BYTES_BILLED", "NBA_BIGQUERY_JOB_TIMEOUT_SECONDS"):
        settings_env.delenv(name, raising=False)
    hook.insert_job.return_value = _job()

    with get_warehouse() as warehouse:
        warehouse.query("SELECT 1")

    config = QueryJobConfig.from_api_repr(hook.insert_job.call_args.kwargs["configuration"])
    assert config.maximum_bytes_billed == DEFAULT_BIGQUERY_MAXIMUM_BYTES_BILLED == 10 * 1024**3
    assert int(config.job_timeout_ms) == DEFAULT_BIGQUERY_JOB_TIMEOUT_SECONDS * 1000 == 600_000


def test_an_empty_byte_limit_sends_none(hook_cls, hook, settings_env):
    settings_env.setenv("NBA_WAREHOUSE_BACKEND", "bigquery")
    settings_env.setenv("NBA_BIGQUERY_MAXIMUM_BYTES_BILLED", "")
    hook.insert_job.return_value = _job()

    with get_warehouse() as warehouse:
        warehouse.query("SELECT 1")

    assert "maximumBytesBilled" not in hook.insert_job.call_args.kwargs["configuration"]["query"]


def test_job_costs_sum_what_each_job_reported(warehouse, hook):
    hook.insert_job.side_effect = [
        _job(dml=3, bytes_processed=10_485_760, bytes_billed=10_485_760, slot_millis=42),
        _job(bytes_processed=2048, bytes_billed=10_485_760, slot_millis=7),
        _job(bytes_processed=None, bytes_billed=None, slot_millis=None),  # a cached or DDL job reports nothing
    ]

    with job_costs() as outer:
        warehouse.execute("DELETE FROM nba_raw.nbac_schedule WHERE game_date = @d", {"d": dt.date(2025, 1, 15)})
        with job_costs() as inner:
            warehouse.query("SELECT 1")
        warehouse.execute("CREATE SCHEMA IF NOT EXISTS nba_raw")

    assert inner == JobCost(jobs=1, bytes_processed=2048, bytes_billed=10_485_760, slot_ms=7)
    assert outer == JobCost(jobs=3, bytes_processed=10_487_808, bytes_billed=20_971_520, slot_ms=49)


def test_job_costs_stay_unmeasured_when_no_job_reports(warehouse, hook):
    hook.insert_job.return_value = _job()

    with job_costs() as cost:
        warehouse.query("SELECT 1")

    assert cost == JobCost(jobs=1, bytes_processed=None, bytes_billed=None, slot_ms=None)


@pytest.mark.parametrize("phase", [2, 3, 4])
def test_every_run_table_row_carries_the_attempts_job_cost(phase):
    from nba_pipeline.guards.run_log import RunRecord
    from nba_pipeline.registry.guard_tables import RUN_TABLES

    started = dt.datetime(2025, 1, 16, 9, 0, tzinfo=dt.UTC)
    record = RunRecord(
        processor="player_game_summary",
        phase=phase,
        run_id="r-1",
        status="success",
        started_at=started,
        completed_at=started + dt.timedelta(seconds=3),
        target_date=dt.date(2025, 1, 15),
        bytes_processed=1234,
        bytes_billed=10_485_760,
        slot_ms=56,
    )

    row = RUN_TABLES[phase].build_row(record)

    assert (row["bytes_processed"], row["bytes_billed"], row["slot_ms"]) == (1234, 10_485_760, 56)
    assert RunRecord.from_json(record.to_json()) == record  # the outbox keeps the figures


def test_a_dry_run_sends_the_typed_statement_with_dry_run_set_and_returns_its_bytes(warehouse, hook):
    hook.insert_job.return_value = _job(bytes_processed=123_456)
    sql = "SELECT points FROM nba_analytics.player_game_summary WHERE game_date = @target_date"

    assert warehouse.dry_run(sql, {"target_date": dt.date(2025, 1, 14)}) == 123_456

    call = hook.insert_job.call_args
    assert call.kwargs["nowait"] is True and call.kwargs["project_id"] == PROJECT
    configuration = call.kwargs["configuration"]
    assert configuration["dryRun"] is True
    assert configuration["query"]["query"] == sql and configuration["query"]["useLegacySql"] is False
    assert configuration["query"]["queryParameters"] == [{
        "name": "target_date", "parameterType": {"type": "DATE"}, "parameterValue": {"value": "2025-01-14"}}]
    assert STATS.snapshot()["round_trips"] == {}, "a dry run is not a statement of the run"
