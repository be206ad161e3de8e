"""SQL fragments: ``-- @include fragments/<name>.sql`` expanded before a file is split and parsed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nba_pipeline.processors.transform import TRANSFORMS_DIR, transform_statements
from nba_pipeline.schema.sqlfile import SqlFileError, expand_includes, read_statements
from nba_pipeline.settings import SQL_ROOT

FRAGMENTS_DIR = SQL_ROOT / "fragments"


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_fragment_code_follows_the_directive_indented_and_without_its_header(tmp_path):
    write(
        tmp_path, "fragments/today.sql", "-- what it computes\n-- Parameters: @game_date.\n\nSELECT 1 AS x\nFROM t\n\n"
    )
    main = write(
        tmp_path,
        "transforms/main.sql",
        "-- header\nSELECT * FROM (\n  WITH\n  today AS (\n    -- @include fragments/today.sql\n  )\n"
        "  SELECT x FROM today\n)\n",
    )
    assert expand_includes(main, tmp_path) == (
        "-- header\nSELECT * FROM (\n  WITH\n  today AS (\n    -- @include fragments/today.sql\n"
        "    SELECT 1 AS x\n    FROM t\n  )\n  SELECT x FROM today\n)\n"
    )
    [statement] = read_statements(main, tmp_path)
    assert statement.line == 2
    assert "    SELECT 1 AS x\n    FROM t\n  )" in statement.sql


def test_fragments_include_fragments_and_statement_lines_stay_in_the_file_read(tmp_path):
    write(tmp_path, "fragments/inner.sql", "-- inner\nSELECT 1 AS x\n")
    write(tmp_path, "fragments/outer.sql", "-- outer\nSELECT x FROM (\n  -- @include fragments/inner.sql\n)\n")
    main = write(
        tmp_path,
        "main.sql",
        "WITH a AS (\n  -- @include fragments/outer.sql\n)\nSELECT * FROM a;\n\n-- second\nSELECT 2;\n",
    )
    first, second = read_statements(main, tmp_path)
    assert "SELECT x FROM (\n    -- @include fragments/inner.sql\n    SELECT 1 AS x\n  )" in first.sql
    assert (first.line, second.line) == (1, 7)


def test_a_fragment_may_be_included_twice_in_one_statement(tmp_path):
    write(tmp_path, "fragments/one.sql", "SELECT 1 AS x\n")
    main = write(
        tmp_path,
        "main.sql",
        "WITH a AS (\n  -- @include fragments/one.sql\n), b AS (\n  -- @include fragments/one.sql\n)\n"
        "SELECT * FROM a, b\n",
    )
    assert read_statements(main, tmp_path)[0].sql.count("SELECT 1 AS x") == 2


def test_an_unknown_fragment_names_the_file_and_line_of_the_directive(tmp_path):
    main = write(tmp_path, "transforms/main.sql", "-- x\nWITH a AS (\n  -- @include fragments/nope.sql\n)\nSELECT 1\n")
    with pytest.raises(SqlFileError, match=r"^main\.sql, line 3: unknown fragment fragments/nope\.sql"):
        read_statements(main, tmp_path)


def test_an_unknown_fragment_inside_a_fragment_names_the_include_chain(tmp_path):
    write(tmp_path, "fragments/outer.sql", "-- outer\nSELECT x FROM (\n  -- @include fragments/gone.sql\n)\n")
    main = write(tmp_path, "main.sql", "WITH a AS (\n  -- @include fragments/outer.sql\n)\nSELECT 1\n")
    with pytest.raises(SqlFileError) as err:
        read_statements(main, tmp_path)
    assert str(err.value).startswith(
        "fragments/outer.sql, line 3 (included at main.sql, line 2): unknown fragment fragments/gone.sql"
    )


@pytest.mark.parametrize(
    "directive", ["-- @include", "-- @include fragments/a.sql extra", "-- @include 'fragments/a.sql'"]
)
def test_a_malformed_directive_is_an_error(tmp_path, directive):
    main = write(tmp_path, "main.sql", f"SELECT 1\n{directive}\n")
    with pytest.raises(SqlFileError, match=r"^main\.sql, line 2: malformed include"):
        read_statements(main, tmp_path)


def test_a_fragment_outside_the_sql_root_is_refused(tmp_path):
    write(tmp_path, "elsewhere.sql", "SELECT 1\n")
    main = write(tmp_path, "root/main.sql", "WITH a AS (\n  -- @include ../elsewhere.sql\n)\nSELECT 1\n")
    with pytest.raises(SqlFileError, match=r"^main\.sql, line 2: fragment \.\./elsewhere\.sql is outside"):
        read_statements(main, tmp_path / "root")


def test_an_include_cycle_is_an_error_that_shows_the_cycle(tmp_path):
    write(tmp_path, "fragments/a.sql", "SELECT * FROM (\n  -- @include fragments/b.sql\n)\n")
    write(tmp_path, "fragments/b.sql", "-- b\nSELECT * FROM (\n  -- @include fragments/a.sql\n)\n")
    main = write(tmp_path, "main.sql", "WITH x AS (\n  -- @include fragments/a.sql\n)\nSELECT 1\n")
    with pytest.raises(SqlFileError) as err:
        read_statements(main, tmp_path)
    message = str(err.value)
    assert message.startswith("fragments/b.sql, line 3 (included at fragments/a.sql, line 2; main.sql, line 2): ")
    assert message.endswith("include cycle fragments/a.sql -> fragments/b.sql -> fragments/a.sql")


def test_a_fragment_including_itself_is_a_cycle(tmp_path):
    write(tmp_path, "fragments/self.sql", "SELECT * FROM (\n  -- @include fragments/self.sql\n)\n")
    main = write(tmp_path, "main.sql", "WITH x AS (\n  -- @include fragments/self.sql\n)\nSELECT 1\n")
    with pytest.raises(SqlFileError, match=r"include cycle fragments/self\.sql -> fragments/self\.sql$"):
        read_statements(main, tmp_path)


def test_a_parse_error_in_a_fragment_names_the_fragment_line_and_where_it_is_included(tmp_path):
    write(tmp_path, "fragments/bad.sql", "-- header\n-- more header\nSELECT x\nFROM t\nWHERE x = = 1\n")
    main = write(tmp_path, "main.sql", "-- top\n\nWITH a AS (\n  -- @include fragments/bad.sql\n)\nSELECT 1\n")
    with pytest.raises(SqlFileError, match=r"^fragments/bad\.sql, line 5 \(included at main\.sql, line 4\): "):
        read_statements(main, tmp_path)


def test_a_parse_error_after_an_include_names_the_line_of_the_file_read(tmp_path):
    write(tmp_path, "fragments/long.sql", "SELECT 1 AS x\nFROM t\nWHERE TRUE\nAND TRUE\n")
    main = write(
        tmp_path, "main.sql", "WITH a AS (\n  -- @include fragments/long.sql\n)\nSELECT x\nFROM a\nWHERE x = = 1\n"
    )
    with pytest.raises(SqlFileError, match=r"^main\.sql, line 6: "):
        read_statements(main, tmp_path)


def test_a_fragment_holds_one_query(tmp_path):
    write(tmp_path, "fragments/two.sql", "-- two\nSELECT 1;\nSELECT 2\n")
    main = write(tmp_path, "main.sql", "WITH a AS (\n  -- @include fragments/two.sql\n)\nSELECT 1\n")
    with pytest.raises(
        SqlFileError, match=r"^fragments/two\.sql, line 2 \(included at main\.sql, line 2\): a fragment"
    ):
        read_statements(main, tmp_path)


def test_a_file_without_includes_reads_as_before(tmp_path):
    main = write(tmp_path, "main.sql", "-- one\nSELECT 1;\n\n-- two\nSELECT\n  2\n")
    assert [(s.sql, s.line) for s in read_statements(main, tmp_path)] == [("SELECT 1", 2), ("SELECT\n  2", 5)]


# --------------------------------------------------------------------------- the project's files


def _includes(path: Path) -> set[str]:
    return set(re.findall(r"^\s*--\s*@include\s+(\S+)\s*$", path.read_text(encoding="utf-8"), re.M))


def test_every_transform_expands_to_one_merge_that_uses_only_the_processor_parameters():
    for path in sorted(TRANSFORMS_DIR.glob("*.sql")):
        [statement] = transform_statements(path.stem)
        assert statement.sql.startswith("MERGE "), path.name
        assert set(re.findall(r"@(\w+)", re.sub(r"--[^\n]*", "", statement.sql))) <= {"target_date", "loaded_at"}


def test_every_fragment_is_used_and_reads_only_the_target_date_parameter():
    used = {name for path in [*TRANSFORMS_DIR.glob("*.sql"), *FRAGMENTS_DIR.glob("*.sql")] for name in _includes(path)}
    fragments = sorted(FRAGMENTS_DIR.glob("*.sql"))
    assert fragments, "no fragments"
    assert {f"fragments/{path.name}" for path in fragments} == used
    for path in fragments:
        code = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        assert set(re.findall(r"@(\w+)", code)) <= {"target_date"}, path.name
        assert path.read_text(encoding="utf-8").startswith("-- "), f"{path.name} has no header comment"


def test_a_migration_may_not_include_a_fragment(tmp_path):
    """A migration's checksum covers its own bytes only, so it must not pull in a fragment."""
    from nba_pipeline.schema.migrations import MigrationError, load_migrations

    (tmp_path / "0000_first.sql").write_text(
        "CREATE TABLE nba_raw.t AS\n-- @include fragments/final_games.sql\n", encoding="utf-8"
    )
    with pytest.raises(MigrationError, match=r"0000_first.sql, line 2: includes are not allowed"):
        load_migrations(tmp_path)
