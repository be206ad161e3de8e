"""Partitioning and clustering: each schema file against the table its migrations create.

Neither is visible through :meth:`Warehouse.table_schema` (DuckDB has neither, and a column check
cannot see them), and BigQuery cannot change a table's partitioning, nor its clustering in DDL,
after it is created, so a schema file whose ``PARTITION BY`` or ``CLUSTER BY`` drifted from the
migrations describes a layout no warehouse has. The check is static: it reads the SQL files only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nba_pipeline.schema.declared import TableSchema, declared_tables
from nba_pipeline.schema.migrations import Migration, load_migrations
from nba_pipeline.schema.verify import Drift, DriftKind


@dataclass(frozen=True)
class TableLayout:
    """A table's ``PARTITION BY`` expression and ``CLUSTER BY`` columns, as normalised GoogleSQL."""

    partition_by: str | None
    cluster_by: tuple[str, ...]


def table_layout(ddl: str) -> TableLayout:
    """The layout a ``CREATE TABLE`` statement declares."""
    import sqlglot  # on first use, as in nba_pipeline.schema.declared
    from sqlglot import exp

    create = sqlglot.parse_one(ddl, read="bigquery")
    properties = create.args.get("properties")
    partition, cluster = None, ()
    for prop in properties.expressions if properties else ():
        if isinstance(prop, exp.PartitionedByProperty):
            partition = prop.this.sql("bigquery")
        elif isinstance(prop, exp.Cluster | exp.ClusterProperty):
            cluster = tuple(e.sql("bigquery") for e in prop.expressions)
    return TableLayout(partition, cluster)


def migrated_ddl(migrations: Iterable[Migration]) -> dict[str, str]:
    """``dataset.table`` → the ``CREATE TABLE`` that leaves it as the migrations run in order on an
    empty warehouse (``IF NOT EXISTS`` keeps an earlier one, ``OR REPLACE`` and ``DROP`` do not)."""
    import sqlglot
    from sqlglot import exp

    created: dict[str, str] = {}
    for migration in migrations:
        for statement in migration.statements:
            parsed = sqlglot.parse_one(statement.sql, read="bigquery")
            if not isinstance(parsed, exp.Create | exp.Drop) or str(parsed.args.get("kind", "")).upper() != "TABLE":
                continue
            target = parsed.find(exp.Table)
            if target is None:
                continue
            name = f"{target.db}.{target.name}"
            if isinstance(parsed, exp.Drop):
                created.pop(name, None)
            elif parsed.args.get("replace") or not (parsed.args.get("exists") and name in created):
                created[name] = statement.sql
    return created


def layout_drifts(
    tables: dict[str, TableSchema] | None = None, migrations: Iterable[Migration] | None = None
) -> list[Drift]:
    """Every declared table whose partitioning or clustering differs from its migrated ``CREATE``.

    A table no migration creates (the migration ledger, which :func:`apply_migrations` creates from
    its schema file) has nothing to differ from.
    """
    tables = tables if tables is not None else declared_tables()
    created = migrated_ddl(migrations if migrations is not None else load_migrations())
    drifts = []
    for name in sorted(tables.keys() & created.keys()):
        declared, migrated = table_layout(tables[name].ddl), table_layout(created[name])
        pairs = (
            (DriftKind.PARTITIONING, declared.partition_by or "none", migrated.partition_by or "none"),
            (DriftKind.CLUSTERING, ", ".join(declared.cluster_by) or "none", ", ".join(migrated.cluster_by) or "none"),
        )
        drifts += [Drift(name, kind, None, mine, theirs) for kind, mine, theirs in pairs if mine != theirs]
    return drifts
