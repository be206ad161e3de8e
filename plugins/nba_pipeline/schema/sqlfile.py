"""Split a GoogleSQL file into statements, each with the line it starts on, and parse-check it.

Shared SQL is written once, as a fragment: a file holding one query (``include/sql/fragments/``),
typically the body of a CTE. A line ``-- @include fragments/<name>.sql`` (path relative to the SQL
root) is followed, before the file is split, by that fragment's code: its header comment left out,
indented like the directive. Fragments may include fragments; a cycle is an error. The result is
plain GoogleSQL, one statement a person can run in the BigQuery console, and the same on DuckDB.
Errors name the file and line where the fault is, inside a fragment too, with the include chain.
sqlglot is imported on first use, so that importing the processors (as the registry does) loads no
SQL parser.

    scheduled AS (
      -- @include fragments/scheduled_games.sql
    ),
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from nba_pipeline.settings import SQL_ROOT

_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)--[ \t]*@include\b(?P<target>.*)$")
_TARGET = re.compile(r"[\w.-]+(?:/[\w.-]+)*\.sql")

#: Where one line of an expanded text comes from: (file, line) pairs, innermost first; the last one
#: is the line of the file that was read (the include directive, for a fragment's line).
Origin = tuple[tuple[str, int], ...]


class SqlFileError(ValueError):
    """A SQL file that cannot be split or parsed; the message names the file and line."""


@dataclass(frozen=True)
class Statement:
    """One statement of a file: its text and the 1-based line where it starts."""

    sql: str
    line: int


@dataclass(frozen=True)
class _Line:
    text: str
    origin: Origin


def _describe(origin: Origin) -> str:
    """``file, line N``, followed by the include chain that leads there."""
    (name, line), *chain = origin
    where = f"{name}, line {line}"
    return f"{where} (included at {'; '.join(f'{f}, line {n}' for f, n in chain)})" if chain else where


def split_statements(text: str, source: str, origins: list[Origin] | None = None) -> list[Statement]:
    """Statements of ``text`` in order, each parsed as GoogleSQL.

    :param source: the file name used in error messages.
    :param origins: where each line of ``text`` comes from, when it holds expanded fragments.
    :raises SqlFileError: a statement does not parse; names the file and the line.
    """
    lines_of: list[Origin] = (
        origins if origins is not None else [((source, n),) for n in range(1, text.count("\n") + 2)]
    )
    import sqlglot
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType  # type: ignore[attr-defined]  # re-exported, not in __all__

    try:
        tokens = sqlglot.tokenize(text, read="bigquery")
    except TokenError as err:
        raise SqlFileError(f"{source}: cannot tokenize: {err}") from err
    statements: list[tuple[Statement, int]] = []
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
            first = text.count("\n", 0, start) + leading + 1
            statement = Statement("".join(lines[leading:]).strip(), lines_of[first - 1][-1][1])
            statements.append((statement, first))
        start = (token.end + 1) if token is not None else len(text)
    for statement, first in statements:
        _check_parses(statement, first, lines_of)
    return [statement for statement, _ in statements]


def _check_parses(statement: Statement, first: int, lines_of: list[Origin]) -> None:
    import sqlglot
    from sqlglot.errors import ParseError

    sqlglot_logger = logging.getLogger("sqlglot")
    previous = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)
    try:
        parsed = sqlglot.parse(statement.sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
    except ParseError as err:
        detail = err.errors[0] if err.errors else {}
        line = min(first + int(detail.get("line", 1)) - 1, len(lines_of))
        raise SqlFileError(f"{_describe(lines_of[line - 1])}: {detail.get('description', err)}") from err
    finally:
        sqlglot_logger.setLevel(previous)
    if any(isinstance(e, sqlglot.exp.Command) for e in parsed if e is not None):
        raise SqlFileError(f"{_describe(lines_of[first - 1])}: not a statement GoogleSQL knows: {statement.sql[:60]!r}")


def _expand(path: Path, name: str, root: Path, chain: tuple[tuple[Path, str], ...], at: Origin) -> list[_Line]:
    """The lines of ``path`` with each include directive followed by its fragment's code.

    :param chain: the files being expanded, outermost first (``path`` last), to find cycles.
    :param at: the origin of the directive that includes ``path``; empty for the file read.
    """
    content = path.read_text(encoding="utf-8")
    raw = [line + "\n" for line in content.split("\n")[: -1 if content.endswith("\n") or not content else None]]
    first, last = 0, len(raw)
    if at:  # a fragment: leave out its header comment and trailing blank lines; one query, no ';'
        while first < last and (not raw[first].strip() or _is_comment(raw[first])):
            first += 1
        while last > first and not raw[last - 1].strip():
            last -= 1
        _check_fragment_is_one_query(content, name, at)
    lines: list[_Line] = []
    for number in range(first + 1, last + 1):
        text = raw[number - 1]
        origin: Origin = ((name, number), *at)
        lines.append(_Line(text, origin))
        match = _DIRECTIVE.match(text)
        if match is None:
            continue
        target = match["target"].strip()
        if not _TARGET.fullmatch(target):
            raise SqlFileError(
                f"{_describe(origin)}: malformed include {text.strip()!r}: expected '-- @include fragments/<name>.sql'"
            )
        fragment = (root / target).resolve()
        if not fragment.is_relative_to(root.resolve()):
            raise SqlFileError(f"{_describe(origin)}: fragment {target} is outside the SQL root {root}")
        if not fragment.is_file():
            raise SqlFileError(f"{_describe(origin)}: unknown fragment {target} (no file {fragment})")
        paths = [seen for seen, _ in chain]
        if fragment in paths:
            cycle = [seen for _, seen in chain[paths.index(fragment) :]]
            raise SqlFileError(f"{_describe(origin)}: include cycle {' -> '.join([*cycle, target])}")
        for line in _expand(fragment, target, root, (*chain, (fragment, target)), origin):
            indented = match["indent"] + line.text if line.text.strip() else line.text
            lines.append(_Line(indented, line.origin))
    return lines


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("--") and _DIRECTIVE.match(line) is None


def _check_fragment_is_one_query(text: str, name: str, at: Origin) -> None:
    import sqlglot
    from sqlglot.errors import TokenError
    from sqlglot.tokens import TokenType  # type: ignore[attr-defined]  # re-exported, not in __all__

    try:
        tokens = sqlglot.tokenize(text, read="bigquery")
    except TokenError:
        return  # reported with its line when the expanded statement is split
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            raise SqlFileError(f"{_describe(((name, token.line), *at))}: a fragment is one query, without ';'")


def _read(path: Path, root: Path | None) -> list[_Line]:
    return _expand(path, path.name, root or SQL_ROOT, ((path.resolve(), path.name),), ())


def expand_includes(path: Path, root: Path | None = None) -> str:
    """The text of ``path`` with its includes expanded: what is split into statements and run.

    :param root: the folder include paths are relative to; by default the SQL root.
    """
    return "".join(line.text for line in _read(path, root))


def read_statements(path: Path, root: Path | None = None, *, includes: bool = True) -> list[Statement]:
    """The statements of a ``.sql`` file, includes expanded; a statement's line is in ``path``.

    :param root: the folder include paths are relative to; by default the SQL root.
    :param includes: False refuses include directives (a migration must be whole in its own file, so
        that its checksum covers everything it runs).
    """
    if not includes:
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if _DIRECTIVE.match(line):
                raise SqlFileError(f"{path.name}, line {number}: includes are not allowed in this file")
        return split_statements(text, path.name)
    lines = _read(path, root)
    return split_statements("".join(line.text for line in lines), path.name, [line.origin for line in lines])


if __name__ == "__main__":  # print a file as it runs: python -m nba_pipeline.schema.sqlfile FILE.sql
    for argument in sys.argv[1:]:
        print(";\n\n".join(statement.sql for statement in read_statements(Path(argument))))
