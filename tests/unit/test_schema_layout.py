"""Static partitioning and clustering drift: each schema file against the CREATE its migrations run."""

from __future__ import annotations

import shutil
from pathlib import Path

from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.schema.layout import TableLayout, layout_drifts, migrated_ddl, table_layout
from nba_pipeline.schema.migrations import load_migrations
from nba_pipeline.schema.verify import Drift, DriftKind
from nba_pipeline.settings import SCHEMAS_DIR

RUNS = "nba_processing.processor_runs"


def _schemas_with(tmp_path: Path, table: str, old: str, new: str) -> Path:
    """A copy of the schema files with one edit in ``table``'s file."""
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, folder, ignore=shutil.ignore_patterns("baseline"))
    path = folder / f"{table}.sql"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return folder


def test_the_schema_files_match_the_migrations():
    assert layout_drifts() == []


def test_table_layout_reads_partitioning_and_clustering():
    assert table_layout(declared_tables()[RUNS].ddl) == TableLayout("DATE(started_at)", ("processor_name", "status"))
    assert table_layout("CREATE TABLE nba_raw.t (a INT64)") == TableLayout(None, ())


def test_a_changed_cluster_by_in_a_schema_file_is_drift(tmp_path):
    folder = _schemas_with(tmp_path, RUNS, "CLUSTER BY processor_name, status", "CLUSTER BY status, processor_name")

    assert layout_drifts(declared_tables(folder)) == [
        Drift(RUNS, DriftKind.CLUSTERING, None, "status, processor_name", "processor_name, status")
    ]


def test_a_changed_partition_by_in_a_schema_file_is_drift(tmp_path):
    folder = _schemas_with(tmp_path, RUNS, "PARTITION BY DATE(started_at)", "PARTITION BY DATE(completed_at)")

    [drift] = layout_drifts(declared_tables(folder))
    assert (drift.table, drift.kind, drift.declared, drift.live) == (
        RUNS,
        DriftKind.PARTITIONING,
        "DATE(completed_at)",
        "DATE(started_at)",
    )
    assert "PARTITION BY differs" in str(drift)


def test_the_migrated_create_follows_if_not_exists_replace_and_drop(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0000_first.sql").write_text(
        "CREATE TABLE IF NOT EXISTS nba_raw.a (x DATE) PARTITION BY x;\n"
        "CREATE TABLE IF NOT EXISTS nba_raw.b (x DATE) CLUSTER BY x;\n"
        "CREATE TABLE IF NOT EXISTS nba_raw.c (x DATE);\n"
    )
    (folder / "0001_second.sql").write_text(
        "CREATE TABLE IF NOT EXISTS nba_raw.a (x DATE);\n"  # a no-op: a exists
        "CREATE OR REPLACE TABLE nba_raw.b (x DATE, y STRING) CLUSTER BY y;\n"
        "DROP TABLE IF EXISTS nba_raw.c;\n"
    )

    created = migrated_ddl(load_migrations(folder))

    assert sorted(created) == ["nba_raw.a", "nba_raw.b"]
    assert table_layout(created["nba_raw.a"]).partition_by == "x"
    assert table_layout(created["nba_raw.b"]).cluster_by == ("y",)
