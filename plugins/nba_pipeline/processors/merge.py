"""Idempotent writes to declared tables: one read, then at most one MERGE per call.

Rows go in as one ``ARRAY<STRUCT<…>>`` query parameter typed from the declared schema, so values
never enter the SQL text, and column names come only from the declared schema (an allow-list),
never from a payload. ``loaded_at`` is set when a row is inserted or when its content changes;
an identical rerun writes nothing, so row counts, content and ``loaded_at`` stay as they were.
``source_file_path`` is bookkeeping: it is written with new or changed content but a later file
that repeats the same content does not count as a change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nba_pipeline import clock
from nba_pipeline.schema.declared import TableSchema, declared_tables
from nba_pipeline.warehouse.base import QueryParam, Warehouse

LOADED_AT = "loaded_at"
SOURCE_FILE_PATH = "source_file_path"
#: Columns that record where and when a row came from, not what it says.
BOOKKEEPING_COLUMNS = (LOADED_AT, SOURCE_FILE_PATH)


class MergeError(ValueError):
    """Rows that do not fit the declared table (unknown column, missing key, wrong type, duplicate key)."""


@dataclass(frozen=True)
class MergeCounts:
    """What a write did, counted against the rows passed in."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0  # rows left out: older news than the stored row (``never_lowered``)

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def merge_rows(
    warehouse: Warehouse,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    key_columns: Sequence[str],
    *,
    partition_column: str | None = None,
    loaded_at: dt.datetime | None = None,
    never_lowered: Sequence[str] = (),
) -> MergeCounts:
    """Insert new keys and update keys whose content differs; leave identical rows alone.

    :param table: ``dataset.table``, declared under ``include/sql/schemas``.
    :param rows: one mapping per row; keys must be declared columns (missing ones are NULL).
    :param key_columns: the columns that identify a row; none may be NULL, no two rows may share them.
    :param partition_column: a DATE column fixed by the key; reads and the MERGE are limited to the
        partitions the rows touch (BigQuery scans only those).
    :param loaded_at: the load time written to new and changed rows; now when None.
    :param never_lowered: columns that only move forward (a game's status, a line's update time):
        a row whose value is lower than the stored one, or NULL where one is stored, is older news
        and leaves the stored row alone (counted as ``stale``).
    :raises MergeError: before anything is written, when the rows do not fit the table.
    """
    return _write(warehouse, table, rows, key_columns, partition_column, loaded_at, update=True,
                  never_lowered=tuple(never_lowered))


def insert_absent(
    warehouse: Warehouse,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    key_columns: Sequence[str],
    *,
    partition_column: str | None = None,
    loaded_at: dt.datetime | None = None,
) -> MergeCounts:
    """Append the rows whose key is not in the table yet (append-only snapshots, deduplicated).

    A key already present is never changed: a snapshot, once recorded, is history.
    Same parameters as :func:`merge_rows`.
    """
    return _write(warehouse, table, rows, key_columns, partition_column, loaded_at, update=False)


# --------------------------------------------------------------------------- internals


def _write(
    warehouse: Warehouse,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    key_columns: Sequence[str],
    partition_column: str | None,
    loaded_at: dt.datetime | None,
    *,
    update: bool,
    never_lowered: tuple[str, ...] = (),
) -> MergeCounts:
    schema = _schema(table)
    keys = tuple(key_columns)
    prepared = _prepare(schema, rows, keys, partition_column)
    if not prepared:
        return MergeCounts()
    columns = [c.name for c in schema.columns if c.name != LOADED_AT]
    content = [c for c in columns if c not in keys and c not in BOOKKEEPING_COLUMNS]
    unknown = sorted(set(never_lowered) - set(content))
    if unknown:
        raise MergeError(f"{table} has no content column {unknown} to keep from moving back")
    existing = _existing(warehouse, schema, prepared, keys, content if update else [], partition_column)
    new_rows, changed_rows, unchanged, stale = [], [], 0, 0
    for row in prepared:
        current = existing.get(tuple(row[k] for k in keys))
        if current is None:
            new_rows.append(row)
        elif update and _older(current, row, never_lowered):
            stale += 1
        elif update and any(not _same(current[c], row[c]) for c in content):
            changed_rows.append(row)
        else:
            unchanged += 1
    to_write = new_rows + changed_rows
    if to_write:
        sql = _merge_sql(schema, columns, keys, content if update else [], partition_column)
        params: dict[str, Any] = {
            "rows": QueryParam(to_write, _struct_array_type(schema, columns)),
            "loaded_at": QueryParam(loaded_at or clock.now(), "TIMESTAMP"),
        }
        if partition_column:
            params["partitions"] = QueryParam(sorted({r[partition_column] for r in to_write}), "ARRAY<DATE>")
        warehouse.execute(sql, params)
    return MergeCounts(inserted=len(new_rows), updated=len(changed_rows), unchanged=unchanged, stale=stale)


def _older(current: Mapping[str, Any], row: Mapping[str, Any], never_lowered: tuple[str, ...]) -> bool:
    """True when ``row`` would move one of the ``never_lowered`` columns back."""
    for column in never_lowered:
        stored, new = current[column], row[column]
        if isinstance(stored, dt.datetime) and stored.tzinfo is None:
            stored = stored.replace(tzinfo=dt.UTC)
        if stored is not None and (new is None or new < stored):
            return True
    return False


def _schema(table: str) -> TableSchema:
    schema = declared_tables().get(table)
    if schema is None:
        raise MergeError(f"{table} is not a declared table")
    if schema.column(LOADED_AT) is None:
        raise MergeError(f"{table} has no {LOADED_AT} column")
    return schema


def _prepare(
    schema: TableSchema,
    rows: Sequence[Mapping[str, Any]],
    keys: tuple[str, ...],
    partition_column: str | None,
) -> list[dict[str, Any]]:
    """Rows as dicts over every declared column (but loaded_at), values coerced to the column types."""
    declared = {c.name: c for c in schema.columns}
    for name in (*keys, *([partition_column] if partition_column else [])):
        if name not in declared or name == LOADED_AT:
            raise MergeError(f"{schema.table} has no column {name!r} to key on")
    if not keys:
        raise MergeError("at least one key column is needed")
    prepared: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for index, row in enumerate(rows):
        unknown = sorted(set(row) - declared.keys() - {LOADED_AT})
        if unknown:
            raise MergeError(f"row {index} has columns {unknown} that {schema.table} does not declare")
        out: dict[str, Any] = {}
        for column in schema.columns:
            if column.name == LOADED_AT:
                continue
            value = _coerce(row.get(column.name), column.type, f"row {index}.{column.name}")
            if value is None and column.mode == "REQUIRED":
                raise MergeError(f"row {index}: {schema.table}.{column.name} is REQUIRED but NULL")
            out[column.name] = value
        key = tuple(out[k] for k in keys)
        if any(v is None for v in key):
            raise MergeError(f"row {index}: key {dict(zip(keys, key, strict=True))} has a NULL part")
        if key in seen:
            raise MergeError(f"row {index}: key {dict(zip(keys, key, strict=True))} appears twice")
        seen.add(key)
        prepared.append(out)
    return prepared


def _coerce(value: Any, type_: str, where: str) -> Any:
    if value is None:
        return None
    if type_ == "INT64" and isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if type_ == "FLOAT64" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if type_ == "BOOL" and isinstance(value, bool):
        return value
    if type_ == "STRING" and isinstance(value, str):
        return value
    if type_ == "DATE" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if type_ == "TIMESTAMP" and isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    raise MergeError(f"{where}: a {type(value).__name__} value {value!r} does not fit {type_}")


def _same(current: Any, new: Any) -> bool:
    """Equality as the warehouse sees it (instants for timestamps, numbers by value)."""
    if current is None or new is None:
        return current is None and new is None
    if isinstance(new, dt.datetime) and isinstance(current, dt.datetime):
        if current.tzinfo is None:
            current = current.replace(tzinfo=dt.UTC)
        return bool(current == new)
    return bool(current == new)


def _struct_array_type(schema: TableSchema, columns: Sequence[str]) -> str:
    types = {c.name: c.type for c in schema.columns}
    return "ARRAY<STRUCT<" + ", ".join(f"{name} {types[name]}" for name in columns) + ">>"


def _existing(
    warehouse: Warehouse,
    schema: TableSchema,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
    content: Sequence[str],
    partition_column: str | None,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The stored key and content of every row whose key is among ``rows``, in one query."""
    selected = ", ".join(f"T.{c}" for c in (*keys, *content))
    on = " AND ".join(f"T.{k} = k.{k}" for k in keys)
    sql = f"SELECT {selected} FROM {schema.table} AS T JOIN UNNEST(@keys) AS k ON {on}"
    params: dict[str, Any] = {
        "keys": QueryParam([{k: row[k] for k in keys} for row in rows], _struct_array_type(schema, keys))
    }
    if partition_column:
        sql += f" WHERE T.{partition_column} IN UNNEST(@partitions)"
        params["partitions"] = QueryParam(sorted({r[partition_column] for r in rows}), "ARRAY<DATE>")
    return {tuple(found[k] for k in keys): found for found in warehouse.query(sql, params)}


def _merge_sql(
    schema: TableSchema,
    columns: Sequence[str],
    keys: tuple[str, ...],
    content: Sequence[str],
    partition_column: str | None,
) -> str:
    selected = ", ".join(f"r.{c}" for c in columns)
    on = " AND ".join(f"T.{k} = S.{k}" for k in keys)
    if partition_column:
        on += f" AND T.{partition_column} IN UNNEST(@partitions)"
    inserted = ", ".join((*columns, LOADED_AT))
    values = ", ".join((*(f"S.{c}" for c in columns), "@loaded_at"))
    sql = f"MERGE {schema.table} AS T USING (SELECT {selected} FROM UNNEST(@rows) AS r) AS S ON {on}"
    if content:
        differs = " OR ".join(f"T.{c} IS DISTINCT FROM S.{c}" for c in content)
        updates = ", ".join(
            (*(f"{c} = S.{c}" for c in content), *(f"{c} = S.{c}" for c in columns if c == SOURCE_FILE_PATH))
        )
        sql += f" WHEN MATCHED AND ({differs}) THEN UPDATE SET {updates}, {LOADED_AT} = @loaded_at"
    sql += f" WHEN NOT MATCHED THEN INSERT ({inserted}) VALUES ({values})"
    return sql
