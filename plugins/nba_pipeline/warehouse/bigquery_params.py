"""BigQuery query parameters: GoogleSQL ``@name`` references found in SQL, and Python values
encoded as the REST API's typed ``queryParameters`` (scalars, arrays and structs)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from nba_pipeline.warehouse.base import QueryParam, WarehouseError, infer_param_type

# String literals, quoted identifiers and comments: '@' inside them is not a parameter.
_NOT_CODE = re.compile(
    r"'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"|`[^`]*`|--[^\n]*|#[^\n]*|/\*.*?\*/",
    re.DOTALL,
)
_PARAM_REF = re.compile(r"(?<![@\w])@([A-Za-z_][A-Za-z0-9_]*)")

_SCALAR_ALIASES = {
    "INTEGER": "INT64",
    "INT": "INT64",
    "SMALLINT": "INT64",
    "BIGINT": "INT64",
    "TINYINT": "INT64",
    "BYTEINT": "INT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "DECIMAL": "NUMERIC",
    "BIGDECIMAL": "BIGNUMERIC",
}
_SCALARS = frozenset(
    {
        "BOOL",
        "INT64",
        "FLOAT64",
        "NUMERIC",
        "BIGNUMERIC",
        "STRING",
        "BYTES",
        "DATE",
        "DATETIME",
        "TIME",
        "TIMESTAMP",
        "JSON",
        "GEOGRAPHY",
        "INTERVAL",
    }
)


@lru_cache(maxsize=4096)
def referenced_params(sql: str) -> tuple[str, ...]:
    """The ``@name`` parameters a statement uses, in order of first use (``@@system`` variables and
    ``@`` inside literals, quoted identifiers or comments excluded)."""
    code = _NOT_CODE.sub(" ", sql)
    return tuple(dict.fromkeys(_PARAM_REF.findall(code)))


def query_parameter(name: str, value: Any) -> dict[str, Any]:
    """One named parameter in the REST form of ``QueryParameter``, typed by :func:`infer_param_type`."""
    type_ = infer_param_type(value)
    parameter_type = parse_parameter_type(type_)
    return {
        "name": name,
        "parameterType": parameter_type,
        "parameterValue": _parameter_value(parameter_type, value, f"@{name} ({type_})"),
    }


def parse_parameter_type(type_: str) -> dict[str, Any]:
    """A GoogleSQL type (``INT64``, ``ARRAY<STRUCT<a DATE, b STRING>>``) as a REST ``QueryParameterType``."""
    text = type_.strip()
    upper = text.upper()
    if upper.startswith("ARRAY<") and text.endswith(">"):
        return {"type": "ARRAY", "arrayType": parse_parameter_type(text[6:-1])}
    if upper.startswith("STRUCT<") and text.endswith(">"):
        fields = []
        for part in _split_top_level(text[7:-1]):
            pieces = part.strip().split(None, 1)
            if len(pieces) != 2:
                raise WarehouseError(f"STRUCT field {part.strip()!r} of {type_!r} needs a name and a type")
            fields.append({"name": pieces[0].strip("`"), "type": parse_parameter_type(pieces[1])})
        if not fields:
            raise WarehouseError(f"query parameter type {type_!r} has no fields")
        return {"type": "STRUCT", "structTypes": fields}
    base = re.sub(r"\(.*\)$", "", upper).strip()  # STRING(10), NUMERIC(10, 2)
    base = _SCALAR_ALIASES.get(base, base)
    if base not in _SCALARS:
        raise WarehouseError(f"unsupported query parameter type {type_!r}")
    return {"type": base}


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:])
    return parts


def _parameter_value(parameter_type: Mapping[str, Any], value: Any, where: str) -> dict[str, Any]:
    """A Python value in the REST form of ``QueryParameterValue`` for ``parameter_type``."""
    if isinstance(value, QueryParam):
        value = value.value
    kind = parameter_type["type"]
    if kind == "ARRAY":
        if value is None:
            return {}
        if not isinstance(value, (list, tuple)):
            raise WarehouseError(f"query parameter {where} needs a list, got {type(value).__name__}")
        element_type = parameter_type["arrayType"]
        return {"arrayValues": [_parameter_value(element_type, v, where) for v in value]}
    if kind == "STRUCT":
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise WarehouseError(f"query parameter {where} needs a dict, got {type(value).__name__}")
        field_types = {f["name"]: f["type"] for f in parameter_type["structTypes"]}
        unknown = sorted(set(value) - field_types.keys())
        if unknown:
            raise WarehouseError(f"query parameter {where} has keys {unknown} that its STRUCT type lacks")
        return {
            "structValues": {
                name: _parameter_value(t, value.get(name), where) for name, t in field_types.items()
            }
        }
    return {"value": None if value is None else _scalar_text(kind, value, where)}


def _scalar_text(kind: str, value: Any, where: str) -> str:
    if isinstance(value, str) and kind != "JSON":
        return value  # already GoogleSQL literal text
    if kind == "BOOL" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "INT64" and isinstance(value, int):
        return str(int(value))
    if kind == "FLOAT64" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float_text(float(value))
    if kind in ("NUMERIC", "BIGNUMERIC") and isinstance(value, (Decimal, int, float)):
        return format(Decimal(str(value)) if isinstance(value, float) else Decimal(value), "f")
    if kind in ("TIMESTAMP", "DATETIME", "DATE", "TIME"):
        text = _temporal_text(kind, value)
        if text is not None:
            return text
    if kind == "JSON":
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if kind == "BYTES" and isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if kind in ("STRING", "GEOGRAPHY", "INTERVAL"):
        return str(value)
    raise WarehouseError(f"query parameter {where} cannot take a {type(value).__name__} value {value!r}")


def _temporal_text(kind: str, value: Any) -> str | None:
    """A date or time value as the literal text of ``kind``; None if it is not one."""
    if kind == "TIMESTAMP" and isinstance(value, dt.date):
        return as_utc(value).isoformat()
    if kind == "DATETIME" and isinstance(value, dt.datetime):
        naive = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        return naive.isoformat()
    if kind == "DATE" and isinstance(value, dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    if kind == "TIME" and isinstance(value, dt.time):
        return value.isoformat()
    return None


def as_utc(value: dt.date) -> dt.datetime:
    """A date or datetime as an aware UTC datetime (naive datetimes are taken as UTC)."""
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)
