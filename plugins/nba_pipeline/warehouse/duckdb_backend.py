"""The embedded warehouse: one DuckDB file, BigQuery datasets as schemas, GoogleSQL translated.

DuckDB lets one process hold a file's write lock at a time. Under ``dag.test()`` every task runs
in one process and shares one database instance; under a parallel executor a task waits (bounded)
for another process's lock instead of failing, and releases it when the task closes the warehouse.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from nba_pipeline.warehouse.base import (
    STATS,
    ColumnSchema,
    DmlCounts,
    QueryParam,
    TableRef,
    Warehouse,
    WarehouseError,
    WriteConflictError,
    mutated_table,
)
from nba_pipeline.warehouse.translate import bigquery_type, to_duckdb

_LOCK_MESSAGES = ("Could not set lock", "Conflicting lock")
_FIRST_KEYWORD = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(\w+)", re.DOTALL)


def _first_keyword(sql: str) -> str:
    """The statement's first keyword, upper case, after any whitespace and comments."""
    match = _FIRST_KEYWORD.match(sql)
    return match.group(1).upper() if match else ""


class DuckDBWarehouse(Warehouse):
    """DuckDB backend.

    :param path: the database file.
    :param lock_wait_seconds: how long to wait for another process holding the file.
    :param create: create the file (and its folder) when it is missing; otherwise a missing file
        is an error at once, naming the path and how to create it. Applying the migrations
        (:meth:`ensure_datasets`) always creates it.
    """

    backend_name = "duckdb"

    def __init__(self, path: Path, *, lock_wait_seconds: float = 120.0, create: bool = True) -> None:
        self.path = Path(path)
        self.lock_wait_seconds = lock_wait_seconds
        self.create = create
        self._root: duckdb.DuckDBPyConnection | None = None
        self._local = threading.local()
        self._open_lock = threading.Lock()
        # DuckDB detects update-update conflicts but not two inserts of the same key: serialising
        # MERGE within the process (the only writer of the file) makes insert-if-absent safe.
        self._merge_lock = threading.Lock()

    # connection ------------------------------------------------------------

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if not self.path.exists():
            if not self.create:  # a mistyped path would otherwise become an empty warehouse
                raise WarehouseError(
                    f"no DuckDB warehouse at {self.path}: create it with `nba-pipeline migrate` (or the "
                    "nba_schema_migrations DAG), or point NBA_DUCKDB_PATH at the existing file"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_wait_seconds
        delay = 0.05
        while True:
            try:
                connection = duckdb.connect(str(self.path))
                connection.execute("SET TimeZone = 'UTC'")
                return connection
            except duckdb.IOException as err:
                locked = any(m in str(err) for m in _LOCK_MESSAGES)
                if not locked or time.monotonic() >= deadline:
                    waited = f" (waited {self.lock_wait_seconds:g}s for another process's lock)" if locked else ""
                    raise WarehouseError(f"cannot open DuckDB warehouse {self.path}: {err}{waited}") from err
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB connections are not shared across threads)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._open_lock:
                if self._root is None:
                    self._root = self._connect()
                cursor = self._root.cursor()
            self._local.cursor = cursor
        return cursor

    def close(self) -> None:
        with self._open_lock:
            if self._root is not None:
                self._root.close()
                self._root = None
            self._local = threading.local()

    def location(self) -> str:
        return str(self.path)

    # statements --------------------------------------------------------------

    def _run(
        self, sql: str, params: Mapping[str, Any] | None, returning: str | None = None
    ) -> tuple[list[str] | None, list[tuple[Any, ...]]]:
        """Execute one statement; return its column names (None for statements without rows) and
        rows. ``returning``: a DML statement's RETURNING list, added to its DuckDB text."""
        text, names = to_duckdb(sql)
        if returning:
            text = f"{text.rstrip().rstrip(';')} RETURNING {returning}"
        given = dict(params or {})
        missing = names - given.keys()
        if missing:
            raise WarehouseError(f"missing query parameters {sorted(missing)} for: {_excerpt(sql)}")
        bound = {name: _duckdb_value(given[name]) for name in names}
        STATS.record(mutated_table(sql))
        cursor = self._cursor()
        try:
            if text.lstrip()[:5].upper() == "MERGE":
                with self._merge_lock:
                    cursor.execute(text, bound or None)
                    return _fetch(cursor)
            cursor.execute(text, bound or None)
            return _fetch(cursor)
        except (duckdb.TransactionException, duckdb.ConstraintException) as err:
            raise WriteConflictError(f"write conflict: {err}\n  in: {_excerpt(sql)}") from err
        except duckdb.CatalogException as err:
            hint = f"\n  {self.path} lacks it: run `nba-pipeline migrate`" if "does not exist" in str(err) else ""
            raise WarehouseError(f"{type(err).__name__}: {err}\n  in: {_excerpt(sql)}{hint}") from err
        except duckdb.Error as err:
            raise WarehouseError(f"{type(err).__name__}: {err}\n  in: {_excerpt(sql)}") from err

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        columns, rows = self._run(sql, params)
        if columns is None:
            return []
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        _, rows = self._run(sql, params)
        # DML returns one row with the changed-row count; DDL returns nothing useful.
        if len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], int) and mutated_table(sql):
            return int(rows[0][0])
        return 0

    def execute_dml(self, sql: str, params: Mapping[str, Any] | None = None) -> DmlCounts:
        """A MERGE runs with ``RETURNING merge_action`` (DuckDB's DML statistics, in the same
        statement); an INSERT, UPDATE or DELETE counts by its kind."""
        kind = _first_keyword(sql)
        if kind == "MERGE":
            _, rows = self._run(sql, params, returning="merge_action")
            actions = Counter(str(row[0]).upper() for row in rows)
            return DmlCounts(inserted=actions["INSERT"], updated=actions["UPDATE"], deleted=actions["DELETE"])
        changed = self.execute(sql, params)
        if kind == "INSERT":
            return DmlCounts(inserted=changed)
        if kind == "DELETE":
            return DmlCounts(deleted=changed)
        return DmlCounts(updated=changed)

    def run_script(self, statements: Sequence[str]) -> None:
        cursor = self._cursor()
        cursor.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                self._run(statement, None)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        ref = TableRef.parse(table)
        if not rows:
            return 0
        columns = list(dict.fromkeys(key for row in rows for key in row))
        placeholders = ", ".join("?" for _ in columns)
        column_list = ", ".join(f'"{c}"' for c in columns)
        text = f'INSERT INTO {ref.dataset}."{ref.table}" ({column_list}) VALUES ({placeholders})'
        values = [[_duckdb_value(row.get(c)) for c in columns] for row in rows]
        STATS.record(str(ref))
        try:
            self._cursor().executemany(text, values)
        except duckdb.Error as err:
            raise WarehouseError(f"{type(err).__name__} inserting {len(rows)} rows into {ref}: {err}") from err
        return len(rows)

    def table_schema(self, table: str) -> list[ColumnSchema] | None:
        ref = TableRef.parse(table)
        STATS.record(None)
        rows = self._cursor().execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [ref.dataset, ref.table],
        ).fetchall()
        if not rows:
            return None
        columns = []
        for name, data_type, nullable in rows:
            gsql = bigquery_type(data_type)
            mode = "REPEATED" if gsql.startswith("ARRAY<") else ("NULLABLE" if nullable == "YES" else "REQUIRED")
            columns.append(ColumnSchema(name, gsql, mode))
        return columns

    def _list_tables(self, dataset: str) -> list[str]:
        STATS.record(None)
        rows = self._cursor().execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [dataset]
        ).fetchall()
        return [r[0] for r in rows]

    def ensure_datasets(self) -> None:
        """Migrations create the warehouse they bring up to date, whatever ``create`` says."""
        self.create = True
        super().ensure_datasets()

    def _ensure_dataset(self, dataset: str) -> None:
        STATS.record(None)
        self._cursor().execute(f"CREATE SCHEMA IF NOT EXISTS {dataset}")


def _fetch(cursor: duckdb.DuckDBPyConnection) -> tuple[list[str] | None, list[tuple[Any, ...]]]:
    if cursor.description is None:
        return None, []
    return [d[0] for d in cursor.description], cursor.fetchall()


def _duckdb_value(value: Any) -> Any:
    if isinstance(value, QueryParam):
        if value.type == "JSON" and value.value is not None and not isinstance(value.value, str):
            return json.dumps(value.value, sort_keys=True, default=str)
        return value.value
    if isinstance(value, dict):
        return {k: _duckdb_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_duckdb_value(v) for v in value]
    return value


def _excerpt(sql: str, limit: int = 160) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
