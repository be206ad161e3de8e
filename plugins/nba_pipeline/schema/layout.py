"""Partitioning, clustering, table options and column defaults: each schema file against the table
its migrations create (static), and against the live table where the backend has them (BigQuery).

None is visible through :meth:`Warehouse.table_schema` (DuckDB has neither partitioning nor
clustering, and a column check cannot see them), and BigQuery cannot change a table's partitioning,
nor its clustering in DDL, after it is created, so a schema file whose ``PARTITION BY`` or ``CLUSTER
BY`` drifted from the migrations describes a layout no warehouse has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nba_pipeline.schema.declared import TableSchema, declared_tables
from nba_pipeline.schema.migrations import Migration, load_migrations
from nba_pipeline.schema.verify import Drift, DriftKind
from nba_pipeline.warehouse.base import TableDesign, option_text


@dataclass(frozen=True)
class TableLayout:
    """A table's ``PARTITION BY`` expression and ``CLUSTER BY`` columns, as normalised GoogleSQL."""

    partition_by: str | None
    cluster_by: tuple[str, ...]


@dataclass(frozen=True)
class TableOptions:
    """A table's ``OPTIONS`` (name → normalised value text) and its columns' ``DEFAULT`` expressions."""

    options: tuple[tuple[str, str], ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()


def table_options(ddl: str) -> TableOptions:
    """The options and column defaults a ``CREATE TABLE`` statement declares."""
    import sqlglot
    from sqlglot import exp

    create = sqlglot.parse_one(ddl, read="bigquery")
    options: dict[str, str] = {}
    properties = create.args.get("properties")
    for prop in properties.expressions if properties else ():
        if type(prop) is not exp.Property:
            continue
        name, value = prop.name.lower(), prop.args.get("value")
        if isinstance(value, exp.Array):  # labels: [('key', 'value'), ...]
            pairs = [t.expressions for t in value.expressions if isinstance(t, exp.Tuple)]
            options[name] = option_text({key.name: label.name for key, label in pairs})
        elif isinstance(value, exp.Literal):
            options[name] = option_text(float(value.this) if not value.is_string else value.this)
    defaults = {}
    schema = create.this if isinstance(create.this, exp.Schema) else None
    for column in schema.expressions if schema else ():
        for constraint in column.args.get("constraints") or ():
            if isinstance(constraint.kind, exp.DefaultColumnConstraint):
                defaults[column.name] = constraint.kind.this.sql("bigquery")
    return TableOptions(tuple(sorted(options.items())), tuple(sorted(defaults.items())))


def design_drifts(name: str, declared_ddl: str, layout: TableLayout, options: TableOptions,
                  kinds: tuple[DriftKind, DriftKind, DriftKind, DriftKind]) -> list[Drift]:
    """What differs between a declared ``CREATE TABLE`` and another table's layout and options
    (``kinds``: the drift kinds for partitioning, clustering, options and defaults)."""
    mine_layout, mine_options = table_layout(declared_ddl), table_options(declared_ddl)
    pairs = [
        (kinds[0], mine_layout.partition_by or "none", layout.partition_by or "none"),
        (kinds[1], ", ".join(mine_layout.cluster_by) or "none", ", ".join(layout.cluster_by) or "none"),
    ]
    drifts = [Drift(name, kind, None, mine, theirs) for kind, mine, theirs in pairs if mine != theirs]
    for kind, mine_map, their_map in ((kinds[2], dict(mine_options.options), dict(options.options)),
                                      (kinds[3], dict(mine_options.defaults), dict(options.defaults))):
        for key in sorted(mine_map.keys() | their_map.keys()):
            if mine_map.get(key) != their_map.get(key):
                drifts.append(Drift(name, kind, key, mine_map.get(key, "none"), their_map.get(key, "none")))
    return drifts


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
    """Every declared table whose partitioning, clustering, options or defaults differ from its
    migrated ``CREATE``.

    A table no migration creates (the migration ledger, which :func:`apply_migrations` creates from
    its schema file) has nothing to differ from.
    """
    tables = tables if tables is not None else declared_tables()
    created = migrated_ddl(migrations if migrations is not None else load_migrations())
    drifts = []
    for name in sorted(tables.keys() & created.keys()):
        drifts += design_drifts(name, tables[name].ddl, table_layout(created[name]), table_options(created[name]),
                                STATIC_KINDS)
    return drifts


STATIC_KINDS = (DriftKind.PARTITIONING, DriftKind.CLUSTERING, DriftKind.OPTIONS, DriftKind.DEFAULTS)
LIVE_KINDS = (DriftKind.LIVE_PARTITIONING, DriftKind.LIVE_CLUSTERING, DriftKind.LIVE_OPTIONS, DriftKind.LIVE_DEFAULTS)


def live_drifts(name: str, declared_ddl: str, live: TableDesign) -> list[Drift]:
    """What differs between a schema file and the live table's partitioning, clustering, options and
    defaults (BigQuery)."""
    return design_drifts(name, declared_ddl, TableLayout(live.partition_by, live.cluster_by),
                         TableOptions(live.options, live.defaults), LIVE_KINDS)
