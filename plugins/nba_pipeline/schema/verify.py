"""Compare the live warehouse with the declared schemas and report drift per table.

The seed checked its migration with ``bq show <table> | grep skip_reason``; this is that check for
every declared table and column, as one command that exits non-zero on drift.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace

from nba_pipeline.schema.declared import TableSchema, declared_tables
from nba_pipeline.warehouse.base import Warehouse


class DriftKind(enum.StrEnum):
    MISSING_TABLE = "missing table"
    MISSING_COLUMN = "missing column"
    WRONG_TYPE = "wrong type"
    MODE_DRIFT = "REQUIRED/NULLABLE drift"
    EXTRA_COLUMN = "extra column"
    DUPLICATE_KEY = "duplicate key"
    # static: the schema file against the CREATE TABLE of its migrations (nba_pipeline.schema.layout)
    PARTITIONING = "PARTITION BY differs from the migrations' (live: as migrated)"
    CLUSTERING = "CLUSTER BY differs from the migrations' (live: as migrated)"
    OPTIONS = "OPTIONS differ from the migrations' (live: as migrated)"
    DEFAULTS = "DEFAULT differs from the migrations' (live: as migrated)"
    # live, where the backend has them (BigQuery): the schema file against the table itself
    LIVE_PARTITIONING = "PARTITION BY differs"
    LIVE_CLUSTERING = "CLUSTER BY differs"
    LIVE_OPTIONS = "OPTIONS differ"
    LIVE_DEFAULTS = "DEFAULT differs"


@dataclass(frozen=True)
class Drift:
    table: str
    kind: DriftKind
    column: str | None = None
    declared: str | None = None
    live: str | None = None

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        detail = f" (declared {self.declared}, live {self.live})" if self.declared or self.live else ""
        return f"{where}: {self.kind}{detail}"


@dataclass(frozen=True)
class TableReport:
    table: str
    columns: int
    drifts: tuple[Drift, ...]
    live_columns: tuple[str, ...] = ()


def compare_table(warehouse: Warehouse, declared: TableSchema) -> TableReport:
    name = str(declared.table)
    live = warehouse.table_schema(name)
    if live is None:
        return TableReport(name, 0, (Drift(name, DriftKind.MISSING_TABLE),))
    live_by_name = {c.name: c for c in live}
    drifts: list[Drift] = []
    for column in declared.columns:
        found = live_by_name.get(column.name)
        if found is None:
            drifts.append(Drift(name, DriftKind.MISSING_COLUMN, column.name, column.type, None))
        elif found.type != column.type:
            drifts.append(Drift(name, DriftKind.WRONG_TYPE, column.name, column.type, found.type))
        elif found.mode != column.mode:
            drifts.append(Drift(name, DriftKind.MODE_DRIFT, column.name, column.mode, found.mode))
    declared_names = {c.name for c in declared.columns}
    for column in live:
        if column.name not in declared_names:
            drifts.append(Drift(name, DriftKind.EXTRA_COLUMN, column.name, None, column.type))
    design = warehouse.table_design(name)
    if design is not None:  # BigQuery: partitioning, clustering, options and defaults too
        from nba_pipeline.schema.layout import live_drifts  # it imports this module

        drifts += live_drifts(name, declared.ddl, design)
    return TableReport(name, len(live), tuple(drifts), tuple(live_by_name))


def verify_schema(
    warehouse: Warehouse,
    tables: dict[str, TableSchema] | None = None,
    unique_keys: Mapping[str, tuple[str, ...]] | None = None,
) -> list[TableReport]:
    """One report per declared table, in name order.

    :param unique_keys: table → the columns no two rows may share (a state table's key, which
        neither backend enforces); each key value held by several rows is a drift.
    """
    tables = tables if tables is not None else declared_tables()
    reports = [compare_table(warehouse, tables[name]) for name in sorted(tables)]
    for i, report in enumerate(reports):
        key = (unique_keys or {}).get(report.table)
        if key and not any(d.kind is DriftKind.MISSING_TABLE for d in report.drifts):
            reports[i] = replace(report, drifts=(*report.drifts, *duplicate_keys(warehouse, report.table, key)))
    return reports


def duplicate_keys(warehouse: Warehouse, table: str, key: tuple[str, ...]) -> list[Drift]:
    """One drift per key value that several rows of ``table`` share."""
    columns = ", ".join(key)
    rows = warehouse.query(
        f"SELECT {columns}, COUNT(*) AS n FROM {table} GROUP BY {columns} HAVING COUNT(*) > 1 ORDER BY {columns}"
    )
    return [
        Drift(table, DriftKind.DUPLICATE_KEY, columns, "1 row", f"{r['n']} rows for {tuple(r[c] for c in key)}")
        for r in rows
    ]
