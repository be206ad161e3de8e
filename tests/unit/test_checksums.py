"""Table checksums (nba_pipeline.warehouse.checksums) on the embedded warehouse."""

from __future__ import annotations

import datetime as dt

import pytest

from nba_pipeline.warehouse.base import WarehouseError
from nba_pipeline.warehouse.checksums import (
    EXCLUDED_COLUMNS,
    checksum_sql,
    differing_tables,
    table_checksum,
    warehouse_checksums,
)
from nba_pipeline.warehouse.translate import to_duckdb

TABLE = "nba_raw.checksum_probe"
T0 = dt.datetime(2025, 1, 15, 15, 0, tzinfo=dt.UTC)
ROWS = [
    {"game_id": "20250115_BOS_LAL", "points": 31, "pace": 98.35, "tags": ["a", "b"], "loaded_at": T0},
    {"game_id": "20250115_MIA_NYK", "points": None, "pace": 101.0, "tags": [], "loaded_at": T0},
    {"game_id": "20250116_DEN_PHX", "points": 12, "pace": None, "tags": ["c"], "loaded_at": T0},
]


@pytest.fixture
def probe(warehouse):
    """A function filling a fresh copy of the probe table with rows, returning its checksum."""
    warehouse.ensure_datasets()

    def fill(rows: list[dict]) -> str:
        warehouse.execute(f"DROP TABLE IF EXISTS {TABLE}")
        warehouse.execute(
            f"CREATE TABLE {TABLE} (game_id STRING NOT NULL, points INT64, pace FLOAT64, tags ARRAY<STRING>, "
            "loaded_at TIMESTAMP)"
        )
        warehouse.insert_rows(TABLE, rows)
        return table_checksum(warehouse, TABLE).digest

    return fill


def test_the_same_rows_in_another_order_give_the_same_checksum(probe):
    assert probe(ROWS) == probe(list(reversed(ROWS))) == probe([ROWS[1], ROWS[2], ROWS[0]])
    assert probe([]) == probe([]) != probe(ROWS)


@pytest.mark.parametrize(
    ("column", "value"),
    [("points", 32), ("points", None), ("pace", 98.35000000000001), ("tags", ["b", "a"]), ("game_id", "x")],
)
def test_one_changed_value_changes_the_checksum(probe, column, value):
    changed = [dict(ROWS[0], **{column: value}), *ROWS[1:]]
    assert probe(changed) != probe(ROWS)


def test_an_excluded_column_is_left_out(probe):
    assert "loaded_at" in EXCLUDED_COLUMNS
    later = [dict(row, loaded_at=T0 + dt.timedelta(hours=3)) for row in ROWS]
    assert probe(later) == probe(ROWS)


def test_duplicate_rows_count_although_xor_cancels_them(probe):
    first, second = ROWS[0], ROWS[1]
    assert probe([first, first]) != probe([second, second])
    assert probe([first, first, second]) != probe([second])


def test_every_table_of_two_warehouses_compared_by_name(warehouse, probe, tmp_path):
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    probe(ROWS)
    with DuckDBWarehouse(tmp_path / "other.duckdb") as other:
        other.ensure_datasets()
        other.execute(
            f"CREATE TABLE {TABLE} (game_id STRING NOT NULL, points INT64, pace FLOAT64, tags ARRAY<STRING>, "
            "loaded_at TIMESTAMP)"
        )
        other.insert_rows(TABLE, list(reversed(ROWS)))
        assert differing_tables(warehouse_checksums(warehouse), warehouse_checksums(other)) == {}
        other.execute(f"UPDATE {TABLE} SET pace = 98.36 WHERE game_id = '20250115_BOS_LAL'")
        other.execute("CREATE TABLE nba_raw.only_here (x INT64)")
        assert set(differing_tables(warehouse_checksums(warehouse), warehouse_checksums(other))) == {
            TABLE,
            "nba_raw.only_here",
        }


def test_the_checksum_query_is_googlesql_that_duckdb_runs_with_its_own_hash():
    sql = checksum_sql(TABLE, ["pace", "game_id"])
    assert "FARM_FINGERPRINT(TO_JSON_STRING(STRUCT(t.`game_id` AS `game_id`, t.`pace` AS `pace`)))" in sql
    text, _ = to_duckdb(sql)
    assert "FARM_FINGERPRINT" not in text and "HASH(CAST(TO_JSON({'game_id': t.\"game_id\"" in text
    with pytest.raises(WarehouseError, match="plain identifier"):
        checksum_sql(TABLE, ["pace; DROP TABLE x"])


def test_a_missing_table_is_an_error(warehouse):
    warehouse.ensure_datasets()
    with pytest.raises(WarehouseError, match="no such table"):
        table_checksum(warehouse, "nba_raw.nothing_here")
