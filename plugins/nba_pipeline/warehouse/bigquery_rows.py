"""BigQuery rows in and out: streamed rows as JSON with deterministic insert ids, their errors as
one readable line, and table schemas as the package's column types."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nba_pipeline.warehouse.base import ColumnSchema, QueryParam
from nba_pipeline.warehouse.bigquery_params import as_utc, float_text
from nba_pipeline.warehouse.translate import normalise_type

if TYPE_CHECKING:
    from google.cloud.bigquery import SchemaField

_ROW_ERRORS_SHOWN = 3


def json_value(value: Any) -> Any:
    """A row value as the streaming API takes it in JSON."""
    if isinstance(value, QueryParam):
        if value.type.upper() == "JSON" and value.value is not None and not isinstance(value.value, str):
            return json.dumps(value.value, sort_keys=True, default=str)
        return json_value(value.value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else float_text(value)
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(v) for v in value]
    return str(value)


def row_id(table: str, row: Mapping[str, Any]) -> str | None:
    """A deterministic insert id for rows with a run key, else None.

    The id hashes the table, the key and the row's content: the same row sent again is dropped
    by BigQuery's de-duplication, while two different rows for one run are both kept.
    """
    if row.get("run_id") is not None:
        key: list[Any] = ["run_id", row["run_id"]]
    elif row.get("request_id") is not None and row.get("player_lookup") is not None:
        key = ["request_id", row["request_id"], "player_lookup", row["player_lookup"]]
    else:
        return None
    canonical = json.dumps([table, key, row], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def row_errors(errors: Sequence[Mapping[str, Any]]) -> str:
    """The first rejected rows and why (rows only 'stopped' because another row failed come last)."""

    def reasons(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return list(entry.get("errors") or [])

    def only_stopped(entry: Mapping[str, Any]) -> bool:
        return all(e.get("reason") == "stopped" for e in reasons(entry))

    ordered = sorted(errors, key=only_stopped)
    shown = []
    for entry in ordered[:_ROW_ERRORS_SHOWN]:
        details = "; ".join(_row_error_text(e) for e in reasons(entry))
        shown.append(f"row {entry.get('index', '?')}: {details or 'no detail'}")
    more = len(errors) - len(shown)
    return "; ".join(shown) + (f" (and {more} more rows with errors)" if more > 0 else "")


def _row_error_text(error: Mapping[str, Any]) -> str:
    where = f" at {error['location']}" if error.get("location") else ""
    return f"{error.get('reason', '?')}{where}: {error.get('message', '')}"


_FIELD_TYPES = {
    "STRING": "STRING",
    "INTEGER": "INT64",
    "INT64": "INT64",
    "FLOAT": "FLOAT64",
    "FLOAT64": "FLOAT64",
    "BOOLEAN": "BOOL",
    "BOOL": "BOOL",
    "TIMESTAMP": "TIMESTAMP",
    "DATE": "DATE",
    "DATETIME": "DATETIME",
    "TIME": "TIME",
    "JSON": "JSON",
    "NUMERIC": "NUMERIC",
    "BIGNUMERIC": "BIGNUMERIC",
    "BYTES": "BYTES",
    "GEOGRAPHY": "GEOGRAPHY",
    "INTERVAL": "INTERVAL",
}
_SIMPLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def column_schema(field: SchemaField) -> ColumnSchema:
    mode = (field.mode or "NULLABLE").upper()
    return ColumnSchema(field.name, normalise_type(_field_type(field)), mode)


def _field_type(field: SchemaField) -> str:
    """The GoogleSQL type of a SchemaField, ``ARRAY<…>`` when it is REPEATED."""
    kind = (field.field_type or "").upper()
    if kind in ("RECORD", "STRUCT"):
        inner = ", ".join(f"{_quoted(sub.name)} {_field_type(sub)}" for sub in field.fields)
        type_ = f"STRUCT<{inner}>"
    elif kind == "RANGE" and field.range_element_type is not None:
        type_ = f"RANGE<{field.range_element_type.element_type}>"
    else:
        type_ = _FIELD_TYPES.get(kind, kind)
        if type_ in ("NUMERIC", "BIGNUMERIC") and field.precision is not None:
            type_ += f"({field.precision}, {field.scale or 0})"
        elif type_ in ("STRING", "BYTES") and field.max_length is not None:
            type_ += f"({field.max_length})"
    return f"ARRAY<{type_}>" if (field.mode or "").upper() == "REPEATED" else type_


def _quoted(name: str) -> str:
    return name if _SIMPLE_NAME.match(name) else f"`{name}`"
