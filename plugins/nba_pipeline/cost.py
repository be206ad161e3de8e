"""What one date of the daily pipeline would bill on BigQuery's on-demand pricing, statement by statement.

``nba-pipeline cost --date D`` runs phases 1-4 of date D (the backfill's path: every processor behind
its guards, in one process) on a throw-away copy of the embedded warehouse and its payloads, and
prices every statement before it runs:

- **bytes processed**: for each table the statement reads or merges into, the logical size of the
  columns it names, by BigQuery's data-size rules (8 bytes per INT64, FLOAT64, DATE, TIMESTAMP,
  DATETIME or TIME value; 1 per BOOL; 16 per NUMERIC; 2 + UTF-8 length per STRING, BYTES or JSON
  value; NULL 0; arrays and structs approximated by their JSON text). Whole tables are counted:
  partition pruning is not applied, so this is an upper bound.
- **bytes billed**: per table read, the bytes rounded up to a MiB with a 10 MiB minimum; a statement
  that reads no column data (``COUNT(*)``, DDL, streaming inserts) bills nothing.

Streaming inserts (run rows, some raw loads) are not query jobs; they are counted as rows. Phase 5
(predictions) is not part of this replay of the date.

On BigQuery nothing is copied or run: each SQL transform's statements (phases 3-4, where the reads
are) are dry-run for the date, which gives the bytes BigQuery would process; billed is estimated
from that with the same 10 MiB minimum per table named. What real runs billed is in the run
tables' ``bytes_billed``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nba_pipeline.warehouse.base import ColumnSchema, DmlCounts, Warehouse

MIB = 1024**2
TIB = 1024**4
#: on-demand query price, USD per TiB billed (BigQuery's list price in most US and EU locations)
ON_DEMAND_USD_PER_TIB = 6.25
MINIMUM_BILLED_PER_TABLE = 10 * MIB
OUTSIDE_PROCESSORS = "(guards and run log)"

_FIXED = {"INT64": 8, "FLOAT64": 8, "DATE": 8, "TIMESTAMP": 8, "DATETIME": 8, "TIME": 8, "BOOL": 1,
          "NUMERIC": 16, "BIGNUMERIC": 32}


def column_size_sql(column: ColumnSchema) -> str:
    """GoogleSQL summing the logical bytes of one column over a table."""
    name = f"`{column.name}`"
    base = column.type.split("<")[0].split("(")[0].upper()
    if base in _FIXED:
        return f"{_FIXED[base]} * COUNT({name})"
    if base in ("STRING", "BYTES"):
        return f"SUM(2 + BYTE_LENGTH(CAST({name} AS STRING)))"
    return f"SUM(BYTE_LENGTH(CAST(TO_JSON_STRING({name}) AS STRING)))"  # JSON, ARRAY, STRUCT: their JSON text


def billed(bytes_processed: int) -> int:
    """What BigQuery bills for reading ``bytes_processed`` of one table."""
    if bytes_processed <= 0:
        return 0
    return max(MINIMUM_BILLED_PER_TABLE, math.ceil(bytes_processed / MIB) * MIB)


def referenced(sql: str) -> tuple[dict[str, set[str] | None], bool]:
    """The tables a statement names (``dataset.table`` → the column names it mentions, None for
    every column when it selects ``*``) and whether it reads them (a plain INSERT … VALUES or DDL
    does not)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="bigquery")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    tables = {f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db and t.name not in ctes}
    names = {c.name for c in tree.find_all(exp.Column)}
    star = any(isinstance(s, exp.Star) and not isinstance(s.parent, exp.Count) for s in tree.find_all(exp.Star))
    reads = isinstance(tree, (exp.Select, exp.Merge, exp.Update, exp.Delete, exp.Union)) or (
        isinstance(tree, exp.Insert) and tree.find(exp.Select) is not None)
    return {table: None if star else names for table in tables}, reads


@dataclasses.dataclass
class StatementCost:
    """One statement as priced: the processor it ran for, its first keyword, what BigQuery would
    process and bill for it, and the tables it names."""

    processor: str
    kind: str
    bytes_processed: int
    bytes_billed: int
    tables: tuple[str, ...]


class PricedWarehouse(Warehouse):
    """Delegates to a warehouse, pricing each statement on the data as it is just before it runs."""

    backend_name = "priced"

    def __init__(self, inner: Warehouse) -> None:
        from nba_pipeline.schema.declared import declared_tables

        self.inner = inner
        self.declared = declared_tables()
        self.processor = OUTSIDE_PROCESSORS
        self.statements: list[StatementCost] = []
        self.streamed_rows: dict[str, int] = defaultdict(int)

    def price(self, sql: str) -> StatementCost:
        """What BigQuery would process and bill for ``sql`` on the data as it is now."""
        tables, reads = referenced(sql)
        processed = billed_total = 0
        for table, names in sorted(tables.items()):
            schema = self.declared.get(table)
            if schema is None or not reads:
                continue
            columns = [c for c in schema.columns if names is None or c.name in names]
            if not columns:
                continue
            sizes = ", ".join(f"{column_size_sql(c)} AS `{c.name}`" for c in columns)
            row = self.inner.query(f"SELECT {sizes} FROM {table}")[0]
            size = sum(int(v or 0) for v in row.values())
            processed += size
            billed_total += billed(size)
        kind = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        return StatementCost(self.processor, kind, processed, billed_total, tuple(sorted(tables)))

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        self.statements.append(self.price(sql))
        return self.inner.query(sql, params)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        self.statements.append(self.price(sql))
        return self.inner.execute(sql, params)

    def execute_dml(self, sql: str, params: Mapping[str, Any] | None = None) -> DmlCounts:
        self.statements.append(self.price(sql))
        return self.inner.execute_dml(sql, params)

    def run_script(self, statements: Sequence[str]) -> None:
        self.statements.extend(self.price(s) for s in statements)
        self.inner.run_script(statements)

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        self.streamed_rows[self.processor] += len(rows)
        return self.inner.insert_rows(table, rows)

    def table_schema(self, table: str) -> list[ColumnSchema] | None:
        return self.inner.table_schema(table)

    def location(self) -> str:
        return self.inner.location()

    def close(self) -> None:
        self.inner.close()

    def _list_tables(self, dataset: str) -> list[str]:
        return self.inner.list_tables(dataset)

    def ensure_datasets(self) -> None:
        self.inner.ensure_datasets()

    def _ensure_dataset(self, dataset: str) -> None:  # not reached: ensure_datasets delegates as a whole
        self.inner.ensure_datasets()


@contextmanager
def throwaway_copy() -> Iterator[Path]:
    """The configured embedded warehouse and payload store copied to a temporary folder, and the
    process's settings pointed there (scrapers write payloads; nothing touches the originals)."""
    from nba_pipeline.settings import environment, get_settings

    settings = get_settings()
    if settings.warehouse_backend != "duckdb":
        raise ValueError("a throw-away copy needs the embedded warehouse (NBA_WAREHOUSE_BACKEND=duckdb)")
    if not settings.duckdb_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.duckdb_path}: run `make run` (or a backfill) first")
    with tempfile.TemporaryDirectory(prefix="nba-cost-") as folder:
        work = Path(folder)
        shutil.copyfile(settings.duckdb_path, work / "warehouse.duckdb")
        payloads = str(settings.payload_root)
        if "://" not in payloads and Path(payloads).is_dir():
            shutil.copytree(payloads, work / "payloads")
        with environment({"NBA_DUCKDB_PATH": str(work / "warehouse.duckdb"), "NBA_PAYLOAD_ROOT": str(work / "payloads"),
                          "NBA_RUN_LOG_OUTBOX": str(work / "outbox")}):
            yield work


def _attributed(spec: Any, priced: PricedWarehouse) -> Any:
    """The processor with its statements counted under its name."""
    run: Callable[[Any], Any] = spec.run

    def counted(ctx: Any) -> Any:
        priced.processor = spec.name
        try:
            return run(ctx)
        finally:
            priced.processor = OUTSIDE_PROCESSORS

    return dataclasses.replace(spec, run=counted)


def dry_run_transforms(warehouse: Any, game_date: dt.date) -> list[StatementCost]:
    """Each SQL transform's statements for ``game_date``, dry-run on BigQuery."""
    from nba_pipeline import clock
    from nba_pipeline.processors.transform import sql_statements
    from nba_pipeline.registry.processors import daily_processors
    from nba_pipeline.settings import SQL_ROOT

    costs = []
    for spec in daily_processors():
        if spec.sql is None:
            continue
        params = {"target_date": spec.target_date(game_date), "loaded_at": clock.now()}
        for statement in sql_statements(SQL_ROOT / spec.sql):
            processed = warehouse.dry_run(statement.sql, params)
            tables, _ = referenced(statement.sql)
            floor = MINIMUM_BILLED_PER_TABLE * len(tables) if processed else 0
            costs.append(StatementCost(spec.name, statement.sql.split(None, 1)[0].upper(), processed,
                                       max(floor, math.ceil(processed / MIB) * MIB), tuple(sorted(tables))))
    return costs


def price_date(game_date: dt.date) -> dict[str, Any]:
    """Price ``game_date``'s statements: on BigQuery by dry-running its transforms; on the embedded
    warehouse by running phases 1-4 on a copy and pricing every statement."""
    from nba_pipeline.backfill import run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    if get_settings().warehouse_backend == "bigquery":
        with get_warehouse() as bigquery:
            return _report(game_date, "dry run of the SQL transforms (phases 3-4)",
                           dry_run_transforms(bigquery, game_date), {}, {})
    with throwaway_copy(), get_warehouse() as warehouse:
        priced = PricedWarehouse(warehouse)
        processors = [_attributed(spec, priced) for spec in backfill_processors()]
        outcome = run_date(priced, processors, CALENDAR, game_date, dag_run_id=f"cost-{game_date}")
    return _report(game_date, "phases 1-4 run on a copy of the embedded warehouse (upper bound: whole tables, "
                   "no partition pruning)", priced.statements, priced.streamed_rows, outcome.outcome)


def _report(game_date: dt.date, method: str, statements: Sequence[StatementCost], streamed: Mapping[str, int],
            outcome: Mapping[str, str]) -> dict[str, Any]:
    by_processor: dict[str, dict[str, int]] = defaultdict(lambda: {"statements": 0, "bytes_processed": 0,
                                                                   "bytes_billed": 0, "streamed_rows": 0})
    for statement in statements:
        entry = by_processor[statement.processor]
        entry["statements"] += 1
        entry["bytes_processed"] += statement.bytes_processed
        entry["bytes_billed"] += statement.bytes_billed
    for name, rows in streamed.items():
        by_processor[name]["streamed_rows"] += rows
    billed_total = sum(s.bytes_billed for s in statements)
    return {
        "game_date": game_date.isoformat(),
        "method": method,
        "outcome": dict(outcome),
        "processors": dict(sorted(by_processor.items(), key=lambda kv: -kv[1]["bytes_billed"])),
        "statements": len(statements),
        "bytes_processed": sum(s.bytes_processed for s in statements),
        "bytes_billed": billed_total,
        "usd_per_day": billed_total / TIB * ON_DEMAND_USD_PER_TIB,
        "usd_per_30_days": 30 * billed_total / TIB * ON_DEMAND_USD_PER_TIB,
    }


def render(report: Mapping[str, Any]) -> str:
    """The report as a table for people."""
    lines = [f"On-demand BigQuery cost for game date {report['game_date']}: {report['method']}; "
             "10 MiB minimum per table read",
             f"{'processor':34} {'statements':>10} {'MiB processed':>14} {'MiB billed':>11} {'rows streamed':>14}"]
    for name, entry in report["processors"].items():
        lines.append(f"{name:34} {entry['statements']:>10} {entry['bytes_processed'] / MIB:>14.2f} "
                     f"{entry['bytes_billed'] / MIB:>11.0f} {entry['streamed_rows']:>14}")
    lines.append(f"{'total':34} {report['statements']:>10} {report['bytes_processed'] / MIB:>14.2f} "
                 f"{report['bytes_billed'] / MIB:>11.0f}")
    lines.append(f"at {ON_DEMAND_USD_PER_TIB} USD per TiB: {report['usd_per_day']:.4f} USD for this date, "
                 f"{report['usd_per_30_days']:.2f} USD for 30 dates like it")
    return "\n".join(lines)
