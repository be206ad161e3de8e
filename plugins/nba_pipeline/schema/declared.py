"""The declared schemas: ``include/sql/schemas/<dataset>.<table>.sql``, one CREATE TABLE each."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nba_pipeline.schema.sqlfile import SqlFileError, read_statements
from nba_pipeline.settings import SCHEMAS_DIR
from nba_pipeline.warehouse.base import ColumnSchema, TableRef
from nba_pipeline.warehouse.translate import normalise_type


@dataclass(frozen=True)
class TableSchema:
    """A table as declared: its name, columns, and the DDL that creates it."""

    table: TableRef
    columns: tuple[ColumnSchema, ...]
    ddl: str
    path: Path

    def column(self, name: str) -> ColumnSchema | None:
        return next((c for c in self.columns if c.name == name), None)


def parse_table_file(path: Path) -> TableSchema:
    """Read one schema file; its name must match the table it creates."""
    import sqlglot  # on first use: the registry, and with it every DAG file, imports this module
    from sqlglot import exp

    statements = read_statements(path)
    if len(statements) != 1:
        raise SqlFileError(f"{path.name}: expected one CREATE TABLE, found {len(statements)} statements")
    create = sqlglot.parse_one(statements[0].sql, read="bigquery")
    if not isinstance(create, exp.Create) or not isinstance(create.this, exp.Schema):
        raise SqlFileError(f"{path.name}, line {statements[0].line}: not a CREATE TABLE with columns")
    target = create.this.this
    table = TableRef.parse(f"{target.db}.{target.name}")
    if path.stem != str(table):
        raise SqlFileError(f"{path.name}: creates {table}, but the file must be named {table}.sql")
    columns = []
    for definition in create.this.expressions:
        if not isinstance(definition, exp.ColumnDef):
            continue
        gsql = normalise_type(definition.args["kind"].sql("bigquery"))
        required = any(isinstance(c.kind, exp.NotNullColumnConstraint) for c in definition.constraints)
        mode = "REPEATED" if gsql.startswith("ARRAY<") else ("REQUIRED" if required else "NULLABLE")
        columns.append(ColumnSchema(definition.name, gsql, mode))
    return TableSchema(table, tuple(columns), statements[0].sql, path)


@cache
def declared_tables(directory: Path = SCHEMAS_DIR) -> dict[str, TableSchema]:
    """Every table declared in ``directory`` (not its subfolders), by ``dataset.table``."""
    tables = [parse_table_file(p) for p in sorted(directory.glob("*.sql"))]
    return {str(t.table): t for t in tables}


def baseline_tables() -> dict[str, TableSchema]:
    """The run tables as they stood before the seed's migrations."""
    return declared_tables(SCHEMAS_DIR / "baseline")
