"""Migrations and schema verification on the embedded warehouse."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nba_pipeline.schema.declared import baseline_tables, declared_tables
from nba_pipeline.schema.migrations import (
    LEDGER_TABLE,
    MigrationError,
    apply_migrations,
    load_migrations,
)
from nba_pipeline.schema.verify import DriftKind, verify_schema
from nba_pipeline.settings import MIGRATIONS_DIR
from tests.conftest import PROJECT_ROOT

SEED_TABLES = {
    "nba_processing.processor_runs",
    "nba_processing.analytics_processor_runs",
    "nba_processing.precompute_processor_runs",
    "nba_orchestration.circuit_breaker_state",
    "nba_predictions.prediction_worker_runs",
}


def _snapshot(warehouse) -> dict:
    """Every declared table's live schema and row count."""
    return {
        name: (warehouse.table_schema(name), warehouse.query(f"SELECT COUNT(*) AS n FROM {name}")[0]["n"])
        for name in declared_tables()
        if warehouse.table_schema(name) is not None
    }


def _copy_migrations(tmp_path: Path, upto: str | None = None) -> Path:
    target = tmp_path / "migrations"
    target.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if upto is None or path.stem <= upto:
            shutil.copy(path, target / path.name)
    return target


def test_fresh_warehouse_gets_every_declared_table_without_drift(migrated_warehouse):
    reports = verify_schema(migrated_warehouse)
    assert {r.table for r in reports} >= SEED_TABLES
    assert [str(d) for r in reports for d in r.drifts] == []
    for table in ("nba_processing.processor_runs", "nba_processing.analytics_processor_runs"):
        column = next(c for c in migrated_warehouse.table_schema(table) if c.name == "skip_reason")
        assert (column.type, column.mode) == ("STRING", "NULLABLE")


def test_applying_twice_changes_nothing(migrated_warehouse):
    before = _snapshot(migrated_warehouse)
    ledger_before = migrated_warehouse.query(f"SELECT * FROM {LEDGER_TABLE} ORDER BY id")
    report = apply_migrations(migrated_warehouse)
    assert report.applied == []
    assert report.already_applied == [m.id for m in load_migrations()]
    assert _snapshot(migrated_warehouse) == before
    assert migrated_warehouse.query(f"SELECT * FROM {LEDGER_TABLE} ORDER BY id") == ledger_before


def test_warehouse_with_first_migrations_gets_the_rest(warehouse, tmp_path):
    first = apply_migrations(warehouse, _copy_migrations(tmp_path, upto="0002_add_skip_reason_column"))
    assert first.applied[-1] == "0002_add_skip_reason_column"
    assert warehouse.table_schema("nba_processing.precompute_processor_runs") is None
    rest = apply_migrations(warehouse)
    assert rest.applied == [m.id for m in load_migrations()][3:]
    assert rest.applied[:4] == [
        "0003_create_precompute_processor_runs_table",
        "0004_circuit_breaker_state_table",
        "0005_create_prediction_worker_runs_table",
        "0006_add_circuit_breaker_version",
    ]
    assert all(not r.drifts for r in verify_schema(warehouse))


def test_pre_migration_warehouse_keeps_its_rows_and_gains_skip_reason(warehouse):
    """The seed's starting point: the run tables exist without skip_reason, and no ledger."""
    warehouse.ensure_datasets()
    for table in baseline_tables().values():
        warehouse.execute(table.ddl)
    warehouse.execute(
        "INSERT INTO nba_processing.processor_runs (run_id, processor_name, started_at, status) "
        "VALUES ('r1', 'nbac_schedule', CURRENT_TIMESTAMP(), 'success')"
    )
    report = apply_migrations(warehouse)
    assert len(report.applied) == len(load_migrations())
    assert all(not r.drifts for r in verify_schema(warehouse))
    rows = warehouse.query("SELECT run_id, skip_reason FROM nba_processing.processor_runs")
    assert rows == [{"run_id": "r1", "skip_reason": None}]


def test_half_migrated_by_hand_finishes_the_rest(warehouse):
    """Migration 1 was run by hand (as the seed did with bq), not recorded: it is re-run harmlessly."""
    warehouse.ensure_datasets()
    for table in baseline_tables().values():
        warehouse.execute(table.ddl)
    warehouse.execute("ALTER TABLE nba_processing.processor_runs ADD COLUMN skip_reason STRING")
    apply_migrations(warehouse)
    assert all(not r.drifts for r in verify_schema(warehouse))


def test_changed_migration_is_refused_by_name(warehouse, tmp_path):
    directory = _copy_migrations(tmp_path)
    apply_migrations(warehouse, directory)
    edited = directory / "0001_add_skip_reason_to_processor_runs.sql"
    edited.write_text(edited.read_text() + "\n-- an afterthought\n")
    (directory / "9990_extra.sql").write_text("CREATE TABLE IF NOT EXISTS nba_raw.extra (a STRING);\n")
    with pytest.raises(MigrationError, match="0001_add_skip_reason_to_processor_runs.sql was changed"):
        apply_migrations(warehouse, directory)
    assert warehouse.table_schema("nba_raw.extra") is None, "nothing runs after a refused migration"


def test_malformed_migration_names_file_and_line_and_runs_nothing(warehouse, tmp_path):
    directory = _copy_migrations(tmp_path)
    (directory / "9990_broken.sql").write_text(
        "-- a new table\nCREATE TABLE IF NOT EXISTS nba_raw.ok (a STRING);\n\n"
        "CREATE TABLE nba_raw.broken (\n  a STRING,\n  b INT64\n;\n"
    )
    with pytest.raises(MigrationError, match=r"9990_broken\.sql, line \d+"):
        apply_migrations(warehouse, directory)
    assert warehouse.table_schema(LEDGER_TABLE) is None
    assert warehouse.table_schema("nba_processing.processor_runs") is None


def test_failing_migration_is_rolled_back_and_not_recorded(migrated_warehouse, tmp_path):
    directory = _copy_migrations(tmp_path)
    (directory / "9990_fails.sql").write_text(
        "CREATE TABLE IF NOT EXISTS nba_raw.first_half (a STRING);\n"
        "ALTER TABLE nba_raw.no_such_table ADD COLUMN b STRING;\n"
    )
    with pytest.raises(MigrationError, match="9990_fails.sql failed and was not recorded"):
        apply_migrations(migrated_warehouse, directory)
    ids = {r["id"] for r in migrated_warehouse.query(f"SELECT id FROM {LEDGER_TABLE}")}
    assert "9990_fails" not in ids
    assert migrated_warehouse.table_schema("nba_raw.first_half") is None, "half a migration was left behind"


def test_migration_file_names_are_checked(warehouse, tmp_path):
    directory = _copy_migrations(tmp_path)
    (directory / "7_Bad Name.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="7_Bad Name.sql"):
        apply_migrations(warehouse, directory)


@pytest.mark.parametrize(
    ("damage", "kind", "column"),
    [
        ("DROP TABLE nba_predictions.prediction_worker_runs", DriftKind.MISSING_TABLE, None),
        ("ALTER TABLE nba_processing.processor_runs DROP COLUMN skip_reason", DriftKind.MISSING_COLUMN, "skip_reason"),
        (
            "ALTER TABLE nba_processing.precompute_processor_runs ALTER COLUMN data_completeness_pct TYPE VARCHAR",
            DriftKind.WRONG_TYPE,
            "data_completeness_pct",
        ),
        (
            "ALTER TABLE nba_processing.analytics_processor_runs ALTER COLUMN processor_name DROP NOT NULL",
            DriftKind.MODE_DRIFT,
            "processor_name",
        ),
        (
            "ALTER TABLE nba_orchestration.circuit_breaker_state ADD COLUMN surprise BIGINT",
            DriftKind.EXTRA_COLUMN,
            "surprise",
        ),
    ],
)
def test_each_kind_of_drift_is_reported(migrated_warehouse, damage, kind, column):
    migrated_warehouse._cursor().execute(damage)  # raw DuckDB: drift made behind the project's back
    drifts = [d for r in verify_schema(migrated_warehouse) for d in r.drifts]
    assert [(d.kind, d.column) for d in drifts] == [(kind, column)]


def _cli(*args: str, env_path: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "NBA_DUCKDB_PATH": str(env_path)}
    return subprocess.run(
        [sys.executable, "-m", "nba_pipeline.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
    )


def test_cli_migrate_then_verify_reports_the_seed_tables(tmp_path):
    path = tmp_path / "cli.duckdb"
    migrate = _cli("migrate", env_path=path)
    assert migrate.returncode == 0, migrate.stderr
    assert "0005_create_prediction_worker_runs_table" in migrate.stdout
    verify = _cli("verify-schema", env_path=path)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for table in SEED_TABLES:
        assert f"OK    {table}" in verify.stdout
    assert verify.stdout.count("skip_reason") >= 4


def test_cli_verify_exits_nonzero_on_drift(tmp_path):
    path = tmp_path / "drift.duckdb"
    assert _cli("migrate", env_path=path).returncode == 0
    import duckdb

    with duckdb.connect(str(path)) as connection:
        connection.execute("ALTER TABLE nba_processing.processor_runs DROP COLUMN skip_reason")
    verify = _cli("verify-schema", env_path=path)
    assert verify.returncode == 1
    assert "nba_processing.processor_runs.skip_reason: missing column" in verify.stdout


def test_cli_reports_a_bad_backend_clearly(tmp_path):
    import os

    result = subprocess.run(
        [sys.executable, "-m", "nba_pipeline.cli", "info"],
        capture_output=True,
        text=True,
        env={**os.environ, "NBA_WAREHOUSE_BACKEND": "oracle"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "NBA_WAREHOUSE_BACKEND='oracle' is not a backend" in result.stderr
