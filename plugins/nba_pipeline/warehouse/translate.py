"""GoogleSQL → DuckDB translation with sqlglot, cached per statement text."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class TranslationError(ValueError):
    """GoogleSQL that sqlglot cannot parse; the message has the line and column."""


@lru_cache(maxsize=4096)
def to_duckdb(sql: str) -> tuple[str, frozenset[str]]:
    """Translate one GoogleSQL statement; return the DuckDB text and the parameter names it uses.

    BigQuery-only table properties (partitioning, clustering, options) are dropped silently:
    DuckDB has no equivalent and the declared schema still carries them for BigQuery.
    """
    sqlglot_logger = logging.getLogger("sqlglot")
    previous = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)
    try:
        translated = sqlglot.transpile(sql, read="bigquery", write="duckdb")
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        raise TranslationError(
            f"cannot parse GoogleSQL at line {first.get('line', '?')}, column {first.get('col', '?')}: "
            f"{first.get('description', err)}"
        ) from err
    finally:
        sqlglot_logger.setLevel(previous)
    if len(translated) != 1:
        raise TranslationError(f"expected one statement, got {len(translated)}")
    text = translated[0]
    return text, frozenset(_PARAM.findall(text))


def bigquery_type(duckdb_type: str) -> str:
    """The GoogleSQL spelling of a DuckDB column type (``BIGINT`` → ``INT64``)."""
    return normalise_type(exp.DataType.build(duckdb_type, dialect="duckdb").sql("bigquery"))


def normalise_type(googlesql_type: str) -> str:
    """One spelling per GoogleSQL type (``INTEGER`` → ``INT64``, spacing of STRUCT fields)."""
    return exp.DataType.build(googlesql_type, dialect="bigquery").sql("bigquery")
