"""Warehouse access: :func:`get_warehouse` returns the configured backend.

Backends register here by name; the name comes from :mod:`nba_pipeline.settings`. DAGs and
processors only ever see :class:`Warehouse`.
"""

from __future__ import annotations

from collections.abc import Callable

from nba_pipeline.settings import Settings, get_settings
from nba_pipeline.warehouse.base import (
    STATS,
    ColumnSchema,
    DmlCounts,
    JobCost,
    QueryParam,
    TableRef,
    UnknownDatasetError,
    Warehouse,
    WarehouseError,
    activity,
    job_costs,
)

__all__ = [
    "STATS",
    "ColumnSchema",
    "DmlCounts",
    "JobCost",
    "QueryParam",
    "TableRef",
    "UnknownDatasetError",
    "Warehouse",
    "WarehouseError",
    "activity",
    "get_warehouse",
    "job_costs",
]


def _duckdb(settings: Settings) -> Warehouse:
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    # the configured file must exist: only the migrations create it (a mistyped path fails at once)
    return DuckDBWarehouse(settings.duckdb_path, lock_wait_seconds=settings.duckdb_lock_wait_seconds, create=False)


def _bigquery(settings: Settings) -> Warehouse:
    from nba_pipeline.warehouse.bigquery_backend import BigQueryWarehouse

    return BigQueryWarehouse(
        gcp_conn_id=settings.bigquery_conn_id,
        location=settings.bigquery_location,
        maximum_bytes_billed=settings.bigquery_maximum_bytes_billed,
        job_timeout_seconds=settings.bigquery_job_timeout_seconds,
    )


BACKENDS: dict[str, Callable[[Settings], Warehouse]] = {"duckdb": _duckdb, "bigquery": _bigquery}


def get_warehouse(settings: Settings | None = None) -> Warehouse:
    """A new handle on the configured warehouse (close it when done, or use ``with``)."""
    settings = settings or get_settings()
    try:
        factory = BACKENDS[settings.warehouse_backend]
    except KeyError:
        raise WarehouseError(
            f"NBA_WAREHOUSE_BACKEND={settings.warehouse_backend!r} is not a backend; "
            f"choose one of {', '.join(sorted(BACKENDS))}"
        ) from None
    return factory(settings)
