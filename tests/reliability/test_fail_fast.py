"""A mistyped warehouse path fails at once, naming the path and how to create the warehouse,
instead of creating an empty one that fails minutes later; only the migrations create it, and a
missing table says to run them."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration
CLI = str(PROJECT_ROOT / ".venv" / "bin" / "nba-pipeline")


def _cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NBA_DUCKDB_PATH": str(path)}
    return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_mistyped_path_is_an_error_at_once_and_creates_nothing(tmp_path):
    mistyped = tmp_path / "wharehouse" / "warehouse.duckdb"
    started = time.monotonic()
    listed = _cli(mistyped, "breakers", "list")
    assert listed.returncode == 2 and time.monotonic() - started < 60
    assert f"no DuckDB warehouse at {mistyped}: create it with `nba-pipeline migrate`" in listed.stderr
    assert not mistyped.parent.exists(), "no folder, no empty warehouse"

    assert _cli(mistyped, "migrate").returncode == 0, "the migrations create it"
    assert mistyped.exists() and _cli(mistyped, "breakers", "list").returncode == 0


def test_the_configured_warehouse_is_not_created_by_a_reader_but_is_by_the_migrations(tmp_path, settings_env):
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import WarehouseError, get_warehouse

    path = tmp_path / "missing.duckdb"
    settings_env.setenv("NBA_DUCKDB_PATH", str(path))
    with get_warehouse() as warehouse, pytest.raises(WarehouseError, match="no DuckDB warehouse at"):
        warehouse.query("SELECT 1 AS one")
    assert not path.exists()
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        warehouse.execute("DROP TABLE nba_raw.nbac_schedule")
        with pytest.raises(WarehouseError) as missing:
            warehouse.query("SELECT COUNT(*) AS n FROM nba_raw.nbac_schedule")
    assert f"{path} lacks it: run `nba-pipeline migrate`" in str(missing.value)


def test_a_reader_that_stops_reading_is_not_an_error(tmp_path):
    """``nba-pipeline breakers list | head``: the pipe's reader is gone before the listing is written;
    the command exits 0 without a broken-pipe traceback."""
    path = tmp_path / "warehouse.duckdb"
    assert _cli(path, "migrate").returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails with EPIPE
    try:
        listed = subprocess.run([CLI, "breakers", "list"], stdout=write_end, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "NBA_DUCKDB_PATH": str(path)}, timeout=120)
    finally:
        os.close(write_end)
    assert (listed.returncode, listed.stderr) == (0, "")
