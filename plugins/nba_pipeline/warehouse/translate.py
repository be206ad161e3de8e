"""GoogleSQL → DuckDB translation with sqlglot, cached per statement text.

sqlglot is imported on first use: the registry imports the processors, and parsing a DAG file
must not load a SQL parser.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlglot import exp

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class TranslationError(ValueError):
    """GoogleSQL that sqlglot cannot parse; the message has the line and column."""


@lru_cache(maxsize=4096)
def to_duckdb(sql: str) -> tuple[str, frozenset[str]]:
    """Translate one GoogleSQL statement; return the DuckDB text and the parameter names it uses.

    BigQuery-only table properties (partitioning, clustering, options) are dropped silently:
    DuckDB has no equivalent and the declared schema still carries them for BigQuery.
    ``FARM_FINGERPRINT(x)`` becomes DuckDB's ``HASH(x)``: another deterministic 64-bit hash (an
    unsigned one), so fingerprints compare within one backend only.
    """
    import sqlglot
    from sqlglot.errors import ParseError

    sqlglot_logger = logging.getLogger("sqlglot")
    previous = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)
    try:
        translated = [
            expression.transform(_duckdb_functions).sql(dialect="duckdb") if expression else ""
            for expression in sqlglot.parse(sql, read="bigquery")
        ]
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


def _duckdb_functions(node: exp.Expression) -> exp.Expression:
    """GoogleSQL functions sqlglot leaves as they are but DuckDB lacks, as DuckDB's equivalents."""
    from sqlglot import exp

    if isinstance(node, exp.FarmFingerprint):
        return exp.Anonymous(this="HASH", expressions=node.expressions)
    return node


def bigquery_type(duckdb_type: str) -> str:
    """The GoogleSQL spelling of a DuckDB column type (``BIGINT`` → ``INT64``)."""
    from sqlglot import exp

    return normalise_type(exp.DataType.build(duckdb_type, dialect="duckdb").sql("bigquery"))


def normalise_type(googlesql_type: str) -> str:
    """One spelling per GoogleSQL type (``INTEGER`` → ``INT64``, spacing of STRUCT fields)."""
    from sqlglot import exp

    return exp.DataType.build(googlesql_type, dialect="bigquery").sql("bigquery")
