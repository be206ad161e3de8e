"""Compare the live warehouse with the declared schemas and report drift per table.

The seed checked its migration with ``bq show <table> | grep skip_reason``; this is that check for
every declared table and column, as one command that exits non-zero on drift.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from nba_pipeline.schema.declared import TableSchema, declared_tables
from nba_pipeline.warehouse.base import Warehouse


class DriftKind(enum.StrEnum):
    MISSING_TABLE = "missing table"
    MISSING_COLUMN = "missing column"
    WRONG_TYPE = "wrong type"
    MODE_DRIFT = "REQUIRED/NULLABLE drift"
    EXTRA_COLUMN = "extra column"


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
    return TableReport(name, len(live), tuple(drifts), tuple(live_by_name))


def verify_schema(warehouse: Warehouse, tables: dict[str, TableSchema] | None = None) -> list[TableReport]:
    """One report per declared table, in name order."""
    tables = tables if tables is not None else declared_tables()
    return [compare_table(warehouse, tables[name]) for name in sorted(tables)]
