"""The embedded backend: parameters, batches, schemas, errors, and the file lock."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time

import pytest

from nba_pipeline.warehouse import STATS, QueryParam, UnknownDatasetError, WarehouseError, activity
from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

UTC = dt.UTC


@pytest.fixture
def table(warehouse):
    warehouse.ensure_datasets()
    warehouse.execute(
        "CREATE TABLE nba_raw.sample (id STRING NOT NULL, n INT64, at TIMESTAMP, tags ARRAY<STRING>, "
        "events ARRAY<STRUCT<at TIMESTAMP, note STRING>>, body JSON)"
    )
    return "nba_raw.sample"


def test_values_travel_as_parameters_never_as_text(warehouse, table):
    hostile = "x'); DROP TABLE nba_raw.sample; --"
    warehouse.insert_rows(table, [{"id": hostile, "n": 1}])
    rows = warehouse.query("SELECT id, n FROM nba_raw.sample WHERE id = @id", {"id": hostile})
    assert rows == [{"id": hostile, "n": 1}]


def test_insert_batch_and_read_back_types(warehouse, table):
    at = dt.datetime(2025, 1, 15, 23, 30, tzinfo=UTC)
    count = warehouse.insert_rows(
        table,
        [
            {"id": "a", "n": 1, "at": at, "tags": ["x", "y"], "events": [{"at": at, "note": "n"}], "body": '{"k": 1}'},
            {"id": "b", "n": None},
        ],
    )
    assert count == 2
    rows = warehouse.query("SELECT * FROM nba_raw.sample ORDER BY id")
    assert rows[0]["at"] == at and rows[0]["tags"] == ["x", "y"] and rows[0]["events"][0]["note"] == "n"
    assert rows[1]["n"] is None and rows[1]["tags"] is None


def test_execute_returns_changed_rows_and_merge_is_a_compare_and_set(warehouse, table):
    warehouse.insert_rows(table, [{"id": "a", "n": 1}])
    cas = (
        "MERGE nba_raw.sample T USING (SELECT @id AS id) S ON T.id = S.id "
        "WHEN MATCHED AND T.n = @expected THEN UPDATE SET n = T.n + 1"
    )
    assert warehouse.execute(cas, {"id": "a", "expected": 1}) == 1
    assert warehouse.execute(cas, {"id": "a", "expected": 1}) == 0
    assert warehouse.query("SELECT n FROM nba_raw.sample")[0]["n"] == 2


def test_dml_counts_come_from_the_statement_itself(warehouse, table):
    """A MERGE reports what it inserted, updated and deleted (one statement, one round trip);
    INSERT, UPDATE and DELETE report by their kind."""
    from nba_pipeline.warehouse import DmlCounts

    warehouse.insert_rows(table, [{"id": "keep", "n": 1}, {"id": "change", "n": 1}, {"id": "gone", "n": 1}])
    merge = (
        "MERGE nba_raw.sample T USING (SELECT r.id, r.n FROM UNNEST(@rows) AS r) S ON T.id = S.id "
        "WHEN MATCHED AND S.n IS NULL THEN DELETE "
        "WHEN MATCHED AND T.n != S.n THEN UPDATE SET n = S.n "
        "WHEN NOT MATCHED THEN INSERT (id, n) VALUES (S.id, S.n)"
    )
    rows = QueryParam([{"id": "keep", "n": 1}, {"id": "change", "n": 2}, {"id": "gone", "n": None},
                       {"id": "new", "n": 3}, {"id": "new2", "n": 4}], "ARRAY<STRUCT<id STRING, n INT64>>")
    STATS.reset()
    counts = warehouse.execute_dml(f"/* one job */\n{merge}", {"rows": rows})
    assert counts == DmlCounts(inserted=2, updated=1, deleted=1) and counts.changed == 4
    assert sum(STATS.snapshot()["round_trips"].values()) == 1
    assert {r["id"]: r["n"] for r in warehouse.query("SELECT id, n FROM nba_raw.sample")} == {
        "keep": 1, "change": 2, "new": 3, "new2": 4}
    assert warehouse.execute_dml("MERGE nba_raw.sample T USING (SELECT 'keep' AS id) S ON T.id = S.id "
                                 "WHEN MATCHED AND T.n = 0 THEN DELETE;") == DmlCounts()
    assert warehouse.execute_dml("-- two rows\nINSERT INTO nba_raw.sample (id) VALUES ('x'), ('y')") == DmlCounts(
        inserted=2)
    assert warehouse.execute_dml("UPDATE nba_raw.sample SET n = 0 WHERE id = 'x'") == DmlCounts(updated=1)
    assert warehouse.execute_dml("DELETE FROM nba_raw.sample WHERE n = 0") == DmlCounts(deleted=1)


def test_array_parameter_with_in_unnest(warehouse, table):
    warehouse.insert_rows(table, [{"id": i} for i in "abc"])
    rows = warehouse.query("SELECT id FROM nba_raw.sample WHERE id IN UNNEST(@ids) ORDER BY id", {"ids": ["a", "c"]})
    assert [r["id"] for r in rows] == ["a", "c"]
    none = warehouse.query(
        "SELECT id FROM nba_raw.sample WHERE id IN UNNEST(@ids)", {"ids": QueryParam([], "ARRAY<STRING>")}
    )
    assert none == []


def test_missing_parameter_is_named(warehouse, table):
    with pytest.raises(WarehouseError, match=r"missing query parameters \['id'\]"):
        warehouse.query("SELECT * FROM nba_raw.sample WHERE id = @id", {})


def test_unknown_dataset_is_refused(warehouse):
    with pytest.raises(UnknownDatasetError, match="unknown dataset 'nba_secret'"):
        warehouse.insert_rows("nba_secret.t", [{"a": 1}])
    with pytest.raises(WarehouseError, match="not of the form dataset.table"):
        warehouse.table_schema("justatable")


def test_sql_errors_name_the_statement(warehouse):
    with pytest.raises(WarehouseError, match="nba_raw.nothing_here"):
        warehouse.query("SELECT * FROM nba_raw.nothing_here")


def test_round_trips_and_mutations_are_counted_by_activity(warehouse, table):
    STATS.reset()
    with activity("guards"):
        warehouse.query("SELECT COUNT(*) AS n FROM nba_raw.sample")
        warehouse.execute("UPDATE nba_raw.sample SET n = 1 WHERE id = @id", {"id": "z"})
    with activity("run_log"):
        warehouse.insert_rows(table, [{"id": "a"}, {"id": "b"}])
    snapshot = STATS.snapshot()
    assert snapshot["round_trips"] == {"guards": 2, "run_log": 1}
    assert snapshot["mutations"] == {"guards:nba_raw.sample": 1, "run_log:nba_raw.sample": 1}


def _hold_lock(path: str, ready, release) -> None:
    import duckdb

    connection = duckdb.connect(path)
    ready.set()
    release.wait(60)
    connection.close()


def test_a_second_process_waits_for_the_file_lock(tmp_path, monkeypatch):
    from nba_pipeline.warehouse import duckdb_backend

    path = tmp_path / "locked.duckdb"
    DuckDBWarehouse(path).close()
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(path), ready, release))
    waits: list[float] = []
    real_sleep = time.sleep

    def wait_then_release(seconds: float) -> None:
        waits.append(seconds)
        release.set()  # the lock was found held: let the holder go
        real_sleep(seconds)

    monkeypatch.setattr(duckdb_backend.time, "sleep", wait_then_release)
    holder.start()
    try:
        assert ready.wait(30)
        waiting = DuckDBWarehouse(path, lock_wait_seconds=30)
        assert waiting.query("SELECT 1 AS one") == [{"one": 1}]
        assert waits, "the lock was held, so the call must have waited"
        waiting.close()
    finally:
        release.set()
        holder.join(30)


def test_lock_wait_is_bounded_and_explained(tmp_path):
    path = tmp_path / "locked.duckdb"
    DuckDBWarehouse(path).close()
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(path), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(WarehouseError, match="waited 1s for another process's lock"):
            DuckDBWarehouse(path, lock_wait_seconds=1).query("SELECT 1")
    finally:
        release.set()
        holder.join(30)
