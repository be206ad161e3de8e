"""Split a GoogleSQL file into statements, each with the line it starts on, and parse-check it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType


class SqlFileError(ValueError):
    """A SQL file that cannot be split or parsed; the message names the file and line."""


@dataclass(frozen=True)
class Statement:
    """One statement of a file: its text and the 1-based line where it starts."""

    sql: str
    line: int


def split_statements(text: str, source: str) -> list[Statement]:
    """Statements of ``text`` in order, each parsed as GoogleSQL.

    :param source: the file name used in error messages.
    :raises SqlFileError: a statement does not parse; names ``source`` and the line.
    """
    try:
        tokens = sqlglot.tokenize(text, read="bigquery")
    except TokenError as err:
        raise SqlFileError(f"{source}: cannot tokenize: {err}") from err
    statements: list[Statement] = []
    start = 0
    for token in [*tokens, None]:
        if token is not None and token.token_type != TokenType.SEMICOLON:
            continue
        end = token.start if token is not None else len(text)
        chunk = text[start:end]
        lines = chunk.splitlines(keepends=True)
        leading = 0
        while leading < len(lines) and (not lines[leading].strip() or lines[leading].lstrip().startswith("--")):
            leading += 1
        if leading < len(lines):
            line = text.count("\n", 0, start) + leading + 1
            statements.append(Statement("".join(lines[leading:]).strip(), line))
        start = (token.end + 1) if token is not None else len(text)
    for statement in statements:
        _check_parses(statement, source)
    return statements


def _check_parses(statement: Statement, source: str) -> None:
    sqlglot_logger = logging.getLogger("sqlglot")
    previous = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)
    try:
        parsed = sqlglot.parse(statement.sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
    except ParseError as err:
        first = err.errors[0] if err.errors else {}
        line = statement.line + int(first.get("line", 1)) - 1
        raise SqlFileError(f"{source}, line {line}: {first.get('description', err)}") from err
    finally:
        sqlglot_logger.setLevel(previous)
    if any(isinstance(e, sqlglot.exp.Command) for e in parsed if e is not None):
        raise SqlFileError(f"{source}, line {statement.line}: not a statement GoogleSQL knows: {statement.sql[:60]!r}")


def read_statements(path: Path) -> list[Statement]:
    """The statements of a ``.sql`` file."""
    return split_statements(path.read_text(encoding="utf-8"), path.name)
