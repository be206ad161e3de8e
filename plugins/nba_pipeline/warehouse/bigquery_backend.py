"""The production warehouse: BigQuery, reached only through the Google provider's ``BigQueryHook``.

Project, credentials and location come from one Airflow connection, so the same code runs on
Cloud Composer, Astronomer or a laptop with a key file. SQL is sent as written (GoogleSQL,
``useLegacySql`` off) with typed ``@name`` parameters; values never enter the SQL text. Every job
carries labels naming the app, the DAG and the task, so BigQuery's job history and billing export
can be traced back to the Airflow task that spent the bytes. Every query job also carries
``maximumBytesBilled`` (BigQuery refuses a job that would bill more, before it runs) and
``jobTimeoutMs``; each finished job's bytes processed, bytes billed and slot milliseconds are
counted in the open :func:`~nba_pipeline.warehouse.base.job_costs` blocks, which is how run rows
get their cost.

Batches of rows are appended with the streaming API rather than load jobs or DML: a streaming
insert counts against neither BigQuery's 1,500 load jobs per table per day nor its few concurrent
mutating DML statements per table, which is what the run log needs. Rows that carry a run key get
a deterministic insert id, so a retried batch is de-duplicated (best effort, about a minute).
Streamed rows sit in the streaming buffer for a while and cannot be changed by UPDATE, DELETE or
MERGE until they leave it: use :meth:`BigQueryWarehouse.insert_rows` for append-only tables.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook
from airflow.sdk.exceptions import AirflowException, AirflowNotFoundException
from google.api_core.exceptions import Forbidden, GoogleAPICallError, NotFound, RetryError
from google.auth.exceptions import DefaultCredentialsError, GoogleAuthError, RefreshError
from google.auth.exceptions import TransportError as AuthTransportError
from google.cloud.bigquery import QueryJobConfig
from requests.exceptions import ConnectionError as RequestsConnectionError

from nba_pipeline.warehouse.base import (
    STATS,
    ColumnSchema,
    DmlCounts,
    TableDesign,
    TableRef,
    Warehouse,
    WarehouseError,
    WriteConflictError,
    mutated_table,
    record_job_cost,
)
from nba_pipeline.warehouse.bigquery_design import table_design
from nba_pipeline.warehouse.bigquery_params import query_parameter, referenced_params
from nba_pipeline.warehouse.bigquery_rows import column_schema, json_value, row_errors, row_id

if TYPE_CHECKING:
    from google.cloud.bigquery import Client
    from google.cloud.bigquery.job import QueryJob

APP_LABEL = "nba_pipeline"

#: Environment variables Airflow's task runner exports before ``execute()`` (checked on 3.3).
DAG_ID_ENV = "AIRFLOW_CTX_DAG_ID"
TASK_ID_ENV = "AIRFLOW_CTX_TASK_ID"



class BigQueryWarehouse(Warehouse):
    """BigQuery backend.

    The hook is built on first use, not in ``__init__``, so creating a warehouse never touches a
    connection or the network. A missing connection, unusable credentials or an unreachable API
    become a :class:`WarehouseError` that names the connection and what to fix; a failed
    statement becomes a :class:`WarehouseError` that quotes it.

    :param gcp_conn_id: the Airflow connection holding credentials, project and (optionally) location.
    :param location: the BigQuery location of jobs and new datasets; overrides the connection's.
    :param labels: extra job labels. Every job is labelled ``app=nba_pipeline``, then the
        connection's labels, then ``airflow-dag`` and ``airflow-task`` of the running task, then
        these (later ones win); all are sanitised to BigQuery's label rules.
    :param maximum_bytes_billed: the most bytes one query job may bill (None: no limit).
    :param job_timeout_seconds: how long BigQuery lets one job run before cancelling it, and the
        client's timeout for each request while it waits for the job (None: no limit).
    """

    backend_name = "bigquery"

    def __init__(
        self,
        *,
        gcp_conn_id: str,
        location: str | None = None,
        labels: Mapping[str, str] | None = None,
        maximum_bytes_billed: int | None = None,
        job_timeout_seconds: float | None = None,
    ) -> None:
        self.gcp_conn_id = gcp_conn_id
        self.maximum_bytes_billed = maximum_bytes_billed
        self.job_timeout_seconds = job_timeout_seconds
        self._location_override = location
        self._extra_labels = dict(labels or {})
        self._hook: BigQueryHook | None = None
        self._client: Client | None = None
        self._project: str | None = None
        self._location: str | None = None
        self._connection_labels: dict[str, str] = {}
        self._init_lock = threading.Lock()

    # connection ------------------------------------------------------------

    def _get_hook(self) -> BigQueryHook:
        with self._init_lock:
            if self._hook is None:
                kwargs: dict[str, Any] = {"gcp_conn_id": self.gcp_conn_id, "use_legacy_sql": False}
                if self._location_override:
                    kwargs["location"] = self._location_override
                with self._translate_errors("opening the connection"):
                    hook = BigQueryHook(**kwargs)
                    project = hook.project_id
                if not project:
                    raise WarehouseError(
                        f"Airflow connection {self.gcp_conn_id!r} names no Google Cloud project and its "
                        "credentials carry none: set the connection's project (extra 'project')"
                    )
                self._project = project
                self._location = self._location_override or hook.location
                self._connection_labels = self._labels_of_connection(hook)
                self._hook = hook
            return self._hook

    def _get_client(self) -> Client:
        hook = self._get_hook()
        with self._init_lock:
            if self._client is None:
                with self._translate_errors("creating the BigQuery client"):
                    self._client = hook.get_client(project_id=self._project or hook.project_id, location=self._location)
            return self._client

    def _labels_of_connection(self, hook: BigQueryHook) -> dict[str, str]:
        labels = getattr(hook, "labels", None)
        if isinstance(labels, str) and labels.strip():
            try:
                labels = json.loads(labels)
            except ValueError as err:
                raise WarehouseError(
                    f"Airflow connection {self.gcp_conn_id!r} has labels that are not JSON: {err}"
                ) from err
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}

    def close(self) -> None:
        with self._init_lock:
            if self._client is not None:
                self._client.close()  # type: ignore[no-untyped-call]
            self._client = None
            self._hook = None

    def location(self) -> str:
        self._get_hook()
        return f"{self._project} ({self._location or 'location chosen by BigQuery'})"

    @contextmanager
    def _translate_errors(self, doing: str) -> Iterator[None]:
        """Turn connection, credential and API failures into a WarehouseError that says what to fix."""
        conn = self.gcp_conn_id
        try:
            yield
        except AirflowNotFoundException as err:
            raise WarehouseError(
                f"Airflow connection {conn!r} is not defined ({err}): create a Google Cloud connection "
                "with that id (project, key or workload identity, location), or set NBA_BIGQUERY_CONN_ID "
                "to an existing one"
            ) from err
        except AirflowException as err:
            raise WarehouseError(
                f"Airflow connection {conn!r} is misconfigured while {doing}: {err}"
            ) from err
        except DefaultCredentialsError as err:
            raise WarehouseError(
                f"no usable Google credentials for Airflow connection {conn!r}: {err}. Give the connection "
                "a service-account key (key_path or keyfile_dict), or run where Application Default "
                "Credentials exist (workload identity, or `gcloud auth application-default login`)"
            ) from err
        except RefreshError as err:
            raise WarehouseError(
                f"Google refused the credentials of Airflow connection {conn!r} while {doing}: {err}. "
                "Check that the key is valid, not revoked, and that its service account still exists"
            ) from err
        except (AuthTransportError, RetryError, RequestsConnectionError) as err:
            raise WarehouseError(
                f"cannot reach Google Cloud with Airflow connection {conn!r} while {doing}: "
                f"{type(err).__name__}: {err}. Check network access to bigquery.googleapis.com and "
                "oauth2.googleapis.com (proxy, firewall, private Google access)"
            ) from err
        except GoogleAuthError as err:
            raise WarehouseError(
                f"Google authentication failed for Airflow connection {conn!r} while {doing}: {err}"
            ) from err
        except Forbidden as err:
            raise WarehouseError(
                f"permission denied to the identity of Airflow connection {conn!r} in project "
                f"{self._project!r} while {doing}: {err}. Grant it BigQuery Job User on the project and "
                "BigQuery Data Editor on the datasets"
            ) from err
        except GoogleAPICallError as err:
            if "concurrent update" in str(err).lower():  # DML lost a race on the same rows
                raise WriteConflictError(f"write conflict: {err}\n  while {doing}") from err
            raise WarehouseError(f"{type(err).__name__}: {err}\n  while {doing}") from err

    # statements --------------------------------------------------------------

    def job_config(self) -> QueryJobConfig:
        """The configuration every query job gets: GoogleSQL, labels, byte limit, timeout."""
        config = QueryJobConfig(use_legacy_sql=False, labels=self._job_labels())
        if self.maximum_bytes_billed is not None:
            config.maximum_bytes_billed = self.maximum_bytes_billed
        if self.job_timeout_seconds is not None:
            config.job_timeout_ms = round(self.job_timeout_seconds * 1000)
        return config

    def _configuration(self, sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """A query job's API configuration: the statement with its named parameters typed."""
        names = referenced_params(sql)
        given = dict(params or {})
        missing = [name for name in names if name not in given]
        if missing:
            raise WarehouseError(f"missing query parameters {sorted(missing)} for: {_excerpt(sql)}")
        self._get_hook()  # reads the connection, whose labels every job carries
        configuration = self.job_config().to_api_repr()
        query: dict[str, Any] = {"query": sql, **configuration["query"]}
        if names:
            query["parameterMode"] = "NAMED"
            query["queryParameters"] = [query_parameter(name, given[name]) for name in names]
        configuration["query"] = query
        return configuration

    def dry_run(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """The bytes BigQuery would process for the statement, from a dry run (nothing runs, nothing
        is billed)."""
        configuration = {**self._configuration(sql, params), "dryRun": True}
        with self._translate_errors(f"dry-running: {_excerpt(sql)}"):
            job = cast("QueryJob", self._get_hook().insert_job(
                configuration=configuration, project_id=self._project, location=self._location, nowait=True))
        return int(job.total_bytes_processed or 0)

    def _run(self, sql: str, params: Mapping[str, Any] | None) -> QueryJob:
        configuration = self._configuration(sql, params)
        hook = self._get_hook()
        STATS.record(mutated_table(sql))
        with self._translate_errors(f"running: {_excerpt(sql)}"):
            job = cast(
                "QueryJob",
                hook.insert_job(
                    configuration=configuration,
                    project_id=self._project,
                    location=self._location,
                    timeout=self.job_timeout_seconds,
                ),
            )
        record_job_cost(job.total_bytes_processed, job.total_bytes_billed, job.slot_millis)
        return job

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        job = self._run(sql, params)
        with self._translate_errors(f"reading the result of: {_excerpt(sql)}"):
            return [dict(row.items()) for row in job.result()]

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        job = self._run(sql, params)
        return int(job.num_dml_affected_rows or 0)

    def execute_dml(self, sql: str, params: Mapping[str, Any] | None = None) -> DmlCounts:
        """The job's DML statistics; where a job reports none (an emulator), every changed row
        counts as updated."""
        job = self._run(sql, params)
        stats = job.dml_stats
        if stats is None:
            return DmlCounts(updated=int(job.num_dml_affected_rows or 0))
        return DmlCounts(
            inserted=int(stats.inserted_row_count or 0),
            updated=int(stats.updated_row_count or 0),
            deleted=int(stats.deleted_row_count or 0),
        )

    def run_script(self, statements: Sequence[str]) -> None:
        """Run the statements one by one, in order, each as its own job.

        BigQuery does not allow DDL on permanent tables inside a multi-statement transaction, so
        there is no transaction here: a failure stops the script and leaves the earlier statements
        applied. Migration statements are written to be idempotent (``IF NOT EXISTS``), so running
        the script again finishes the rest.
        """
        for statement in statements:
            self._run(statement, None)

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Stream a batch of rows into ``dataset.table`` with one ``insertAll`` request.

        Values are sent as JSON (timestamps and dates in ISO 8601, NUMERIC as strings,
        ``QueryParam(..., "JSON")`` as JSON text, dicts as STRUCTs). A row with ``run_id``, or with
        ``request_id`` and ``player_lookup``, gets an insert id derived from that key and its
        content, so the same batch sent twice is de-duplicated; other rows get none. If BigQuery
        rejects any row, nothing of the batch is written and a WarehouseError lists the first errors.
        """
        ref = TableRef.parse(table)
        if not rows:
            return 0
        client = self._get_client()
        table_id = f"{self._project}.{ref.dataset}.{ref.table}"
        json_rows = [{key: json_value(value) for key, value in row.items()} for row in rows]
        row_ids = [row_id(str(ref), row) for row in json_rows]
        STATS.record(str(ref))
        with self._translate_errors(f"inserting {len(rows)} rows into {ref}"):
            errors = client.insert_rows_json(table_id, json_rows, row_ids=row_ids)
        if errors:
            raise WarehouseError(
                f"BigQuery rejected the batch of {len(rows)} rows for {ref}: {row_errors(errors)}"
            )
        return len(rows)

    def table_schema(self, table: str) -> list[ColumnSchema] | None:
        live = self._live_table(table)
        return None if live is None else [column_schema(field) for field in live.schema]

    def table_design(self, table: str) -> TableDesign | None:
        live = self._live_table(table)
        return None if live is None else table_design(live)

    def _live_table(self, table: str) -> Any:
        """``tables.get`` of ``dataset.table``; None when it does not exist."""
        ref = TableRef.parse(table)
        client = self._get_client()
        STATS.record(None)
        with self._translate_errors(f"reading the definition of {ref}"):
            try:
                return client.get_table(f"{self._project}.{ref.dataset}.{ref.table}")
            except NotFound:
                return None

    def _list_tables(self, dataset: str) -> list[str]:
        client = self._get_client()
        STATS.record(None)
        with self._translate_errors(f"listing the tables of {dataset}"):
            try:
                return [t.table_id for t in client.list_tables(f"{self._project}.{dataset}")]
            except NotFound:
                return []

    def _ensure_dataset(self, dataset: str) -> None:
        hook = self._get_hook()
        STATS.record(None)
        with self._translate_errors(f"creating dataset {dataset}"):
            hook.create_empty_dataset(
                dataset_id=dataset, project_id=self._project, location=self._location, exists_ok=True
            )

    # labels ------------------------------------------------------------------

    def _job_labels(self) -> dict[str, str]:
        labels = {"app": APP_LABEL, **self._connection_labels}
        dag_id, task_id = running_task()
        if dag_id:
            labels["airflow-dag"] = dag_id
        if task_id:
            labels["airflow-task"] = task_id
        labels.update(self._extra_labels)
        return sanitise_labels(labels)


# --------------------------------------------------------------------------- labels

_LABEL_INVALID = re.compile(r"[^a-z0-9_-]")
_LABEL_MAX = 63


def running_task() -> tuple[str | None, str | None]:
    """DAG id and task id of the Airflow task running in this process, or None outside a task.

    Airflow's task runner exports ``AIRFLOW_CTX_DAG_ID`` and ``AIRFLOW_CTX_TASK_ID`` before it calls
    ``execute()`` (these are per-task runtime context, not configuration); the current task context
    is the fallback.
    """
    dag_id = os.environ.get(DAG_ID_ENV) or None
    task_id = os.environ.get(TASK_ID_ENV) or None
    if dag_id and task_id:
        return dag_id, task_id
    try:
        from airflow.sdk import get_current_context

        task_instance = get_current_context()["ti"]
    except (ImportError, RuntimeError, KeyError):  # not inside a task
        return dag_id, task_id
    return task_instance.dag_id, task_instance.task_id


def sanitise_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """Labels made valid for BigQuery: lowercase ``[a-z0-9_-]``, at most 63 characters, keys
    starting with a letter. Dots become hyphens (``group.task`` → ``group-task``); a value that
    had to be shortened keeps a short hash of the original so two long ids stay apart."""
    clean: dict[str, str] = {}
    for key, value in labels.items():
        k = _label_text(str(key))
        if not k:
            continue
        if not k[0].isalpha():
            k = _label_text(f"l{k}")
        clean[k] = _label_text("" if value is None else str(value))
    return clean


def _label_text(text: str) -> str:
    clean = _LABEL_INVALID.sub("_", text.lower().replace(".", "-"))
    if len(clean) > _LABEL_MAX:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        clean = f"{clean[: _LABEL_MAX - 9]}-{digest}"
    return clean


def _excerpt(sql: str, limit: int = 160) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
