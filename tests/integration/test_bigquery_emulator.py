"""The BigQuery backend against a BigQuery emulator, compared row for row with the embedded warehouse.

One emulator (``bqemulator``, tests/bigquery_emulator.py) serves the module. The backend is configured
as in production: ``NBA_WAREHOUSE_BACKEND=bigquery``, an Airflow connection from the environment
(anonymous credentials, a project) and ``BIGQUERY_EMULATOR_HOST``. Every migration is applied, then
phases 1-4 run for one simulated game date (``backfill.run_date``) on the emulator and on DuckDB;
the tables they wrote must hold the same rows. Further tests race two breaker writers, stream rows
and check the cost figures the run rows record.

Checksums (``warehouse.checksums``) compare within one backend only (``FARM_FINGERPRINT`` against
DuckDB's ``hash``), so the tables are compared by their rows, read through the same interface.

Where the emulator differs from BigQuery, the set-up works around it; each workaround says why.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from nba_pipeline.backfill import DateOutcome, run_date
from nba_pipeline.guards.breaker import BreakerSettings
from nba_pipeline.guards.breaker_store import BreakerConflictError
from nba_pipeline.registry.guard_tables import BREAKER_TABLE, breaker_store
from nba_pipeline.registry.processors import CALENDAR, backfill_processors
from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.schema.migrations import MigrationReport, apply_migrations, load_migrations
from nba_pipeline.schema.verify import DriftKind, verify_schema
from nba_pipeline.settings import get_settings
from nba_pipeline.warehouse import Warehouse, get_warehouse, job_costs
from nba_pipeline.warehouse.checksums import EXCLUDED_COLUMNS
from tests.bigquery_emulator import Emulator, environ_with, restore, running_emulator

pytestmark = pytest.mark.integration

GAME_DATE = dt.date(2025, 1, 15)
DAG_RUN_ID = "bigquery_emulator"

#: Tables compared row for row: what phases 2-4 wrote for the date.
COMPARED_TABLES = (
    "nba_raw.nbac_schedule",
    "nba_raw.nbac_gamebook_player_stats",
    "nba_raw.nbac_team_boxscore",
    "nba_raw.nbac_play_by_play",
    "nba_raw.nbac_injury_report",
    "nba_raw.nbac_player_list",
    "nba_raw.bdl_player_boxscores",
    "nba_raw.odds_api_player_points_props",
    "nba_raw.odds_api_game_lines",
    "nba_raw.bettingpros_player_points_props",
    "nba_raw.espn_team_rosters",
    "nba_analytics.player_registry",
    "nba_analytics.player_game_summary",
    "nba_analytics.team_offense_game_summary",
    "nba_analytics.team_defense_game_summary",
    "nba_analytics.upcoming_team_game_context",
    "nba_analytics.upcoming_player_game_context",
    "nba_precompute.team_defense_zone_analysis",
    "nba_precompute.player_shot_zone_analysis",
    "nba_precompute.player_composite_factors",
    "nba_precompute.player_daily_cache",
    "nba_predictions.ml_feature_store_v2",
)

#: The columns of the run tables that must agree (the rest are times, ids and costs).
RUN_COLUMNS = {
    "nba_processing.processor_runs": ("processor_name", "status", "skip_reason", "rows_processed", "rows_inserted"),
    "nba_processing.analytics_processor_runs": ("processor_name", "success", "skip_reason", "records_processed"),
    "nba_processing.precompute_processor_runs": ("processor_name", "success", "skip_reason", "records_processed"),
}

NEVER_OPENS = BreakerSettings(threshold=1_000_000, timeout_seconds=1800)


@dataclass
class Side:
    """One backend after the date's run: its warehouse, the date's outcome, the migrations applied."""

    warehouse: Warehouse
    outcome: DateOutcome
    migrations: MigrationReport


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with running_emulator(tmp_path_factory.mktemp("bqemulator")) as running:
        yield running


@pytest.fixture(scope="module")
def sides(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Side]]:
    """The same date run on DuckDB, then on the emulator (the emulator's environment stays set)."""
    root = tmp_path_factory.mktemp("sides")
    saved = environ_with(
        {
            **emulator.environment(),
            "NBA_WAREHOUSE_BACKEND": "duckdb",
            "NBA_DATA_DIR": str(root / "duckdb"),
            "NBA_DUCKDB_PATH": str(root / "duckdb" / "warehouse.duckdb"),
            "NBA_PAYLOAD_ROOT": str(root / "duckdb" / "payloads"),
        }
    )
    opened: list[Warehouse] = []
    try:
        result = {}
        for backend in ("duckdb", "bigquery"):
            os.environ.update(
                {
                    "NBA_WAREHOUSE_BACKEND": backend,
                    "NBA_DATA_DIR": str(root / backend),
                    "NBA_PAYLOAD_ROOT": str(root / backend / "payloads"),
                }
            )
            get_settings.cache_clear()
            warehouse = get_warehouse()
            opened.append(warehouse)
            report = apply_migrations(warehouse)
            if backend == "bigquery":
                recreate_tables_altered_by_migrations(warehouse)
            outcome = run_date(warehouse, backfill_processors(), CALENDAR, GAME_DATE, dag_run_id=DAG_RUN_ID)
            result[backend] = Side(warehouse, outcome, report)
        yield result
    finally:
        for warehouse in opened:
            warehouse.close()
        restore(saved)
        get_settings.cache_clear()


def recreate_tables_altered_by_migrations(warehouse: Warehouse) -> list[str]:
    """Emulator difference: ``ALTER TABLE … ADD COLUMN`` succeeds but the emulator's catalog keeps
    the old columns, and a streaming insert that names a new column then fails with HTTP 500, which
    the client retries for 10 minutes. BigQuery adds the column. Workaround (set-up only): every
    table the migrations left short of a declared column is still empty here, so it is dropped and
    created again from its schema file. Returns the tables recreated."""
    declared = declared_tables()
    recreated = []
    for report in verify_schema(warehouse):
        if any(drift.kind is DriftKind.MISSING_COLUMN for drift in report.drifts):
            warehouse.execute(f"DROP TABLE {report.table}")
            warehouse.execute(declared[report.table].ddl)
            recreated.append(report.table)
    return recreated


# --------------------------------------------------------------------------- rows


def _value(value: Any) -> Any:
    """A value as both backends' rows can be compared: JSON text parsed, decimals normalised."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return _value(json.loads(value))
        except ValueError:
            return value
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def table_rows(warehouse: Warehouse, table: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The rows of ``columns``, normalised and sorted."""
    names = ", ".join(f"`{c}`" for c in columns)
    rows = [tuple(_value(row[c]) for c in columns) for row in warehouse.query(f"SELECT {names} FROM {table}")]
    return sorted(rows, key=repr)


def compared_columns(sides: dict[str, Side], table: str) -> tuple[str, ...]:
    schema = sides["duckdb"].warehouse.table_schema(table)
    assert schema is not None, table
    return tuple(c.name for c in schema if c.name not in EXCLUDED_COLUMNS)


# --------------------------------------------------------------------------- tests


def test_every_migration_applies(sides: dict[str, Side]) -> None:
    expected = [m.id for m in load_migrations()]
    assert sides["bigquery"].migrations.applied == expected
    assert sides["duckdb"].migrations.applied == expected
    live = sides["bigquery"].warehouse
    for report in verify_schema(live):
        # Emulator differences: a JSON column reads back as STRING (the values stay JSON text); the
        # emulator keeps no clustering, labels or column defaults, and a partitioning by DATE(timestamp)
        # comes back as none or as ingestion time (BigQuery keeps them all). Its descriptions,
        # expirations and DATE-column partitions are compared.
        for drift in report.drifts:
            emulator_drops = drift.live == "none" and drift.kind in (
                DriftKind.LIVE_CLUSTERING, DriftKind.LIVE_DEFAULTS) or (
                drift.kind is DriftKind.LIVE_PARTITIONING and drift.live in ("none", "_PARTITIONDATE")) or (
                drift.kind is DriftKind.LIVE_OPTIONS and drift.column == "labels" and drift.live == "none")
            assert emulator_drops or (drift.kind is DriftKind.WRONG_TYPE and drift.declared == "JSON"), drift
            if drift.kind is DriftKind.LIVE_PARTITIONING:
                assert drift.declared.startswith("DATE("), drift
    design = live.table_design("nba_processing.precompute_processor_runs")
    assert design is not None and dict(design.options) == {
        "description": "'Phase 4 precompute processor runs'", "partition_expiration_days": "365"}
    assert live.table_design("nba_analytics.player_game_summary").partition_by == "game_date"


def test_every_processor_succeeds_on_both_backends(sides: dict[str, Side]) -> None:
    """Every processor of phases 1-4 succeeds for the date on the emulator as on DuckDB. (The
    emulator first found a division by zero inside ``OR`` in upcoming_player_game_context, which
    DuckDB answers with NULL and GoogleSQL may raise: the transform now uses SAFE_DIVIDE.)"""
    duckdb_outcome, emulator_outcome = sides["duckdb"].outcome.outcome, sides["bigquery"].outcome.outcome
    assert set(duckdb_outcome.values()) == {"success"}, duckdb_outcome
    assert emulator_outcome == duckdb_outcome


@pytest.mark.parametrize("table", COMPARED_TABLES)
def test_tables_hold_the_same_rows(sides: dict[str, Side], table: str) -> None:
    columns = compared_columns(sides, table)
    expected = table_rows(sides["duckdb"].warehouse, table, columns)
    assert expected, f"{table} is empty: the comparison would prove nothing"
    assert table_rows(sides["bigquery"].warehouse, table, columns) == expected


@pytest.mark.parametrize("table", sorted(RUN_COLUMNS))
def test_run_rows_are_streamed_alike(sides: dict[str, Side], table: str) -> None:
    columns = RUN_COLUMNS[table]
    rows = {
        backend: table_rows(side.warehouse, table, columns)
        for backend, side in sides.items()
    }
    assert rows["duckdb"], table
    assert rows["bigquery"] == rows["duckdb"]


def test_run_rows_record_what_the_jobs_reported(sides: dict[str, Side]) -> None:
    """Emulator difference: a job reports 0 bytes processed and no bytes billed or slot time (BigQuery
    reports all three). A processor that ran jobs records exactly that; DuckDB records nothing."""
    costs = "bytes_processed, bytes_billed, slot_ms"
    for table in sorted(RUN_COLUMNS):
        on_emulator = sides["bigquery"].warehouse.query(f"SELECT processor_name, {costs} FROM {table}")
        assert on_emulator
        for row in on_emulator:
            figures = (row["bytes_processed"], row["bytes_billed"], row["slot_ms"])
            assert figures in {(0, None, None), (None, None, None)}, row  # None: the processor ran no job
        ran_jobs = [r for r in on_emulator if r["processor_name"] == "player_game_summary"]
        if table == "nba_processing.analytics_processor_runs":
            assert [(r["bytes_processed"], r["bytes_billed"], r["slot_ms"]) for r in ran_jobs] == [(0, None, None)]
        on_duckdb = sides["duckdb"].warehouse.query(f"SELECT DISTINCT {costs} FROM {table}")
        assert on_duckdb == [{"bytes_processed": None, "bytes_billed": None, "slot_ms": None}]


def test_job_costs_count_the_emulators_figures(sides: dict[str, Side]) -> None:
    warehouse = sides["bigquery"].warehouse
    with job_costs() as cost:
        warehouse.query("SELECT COUNT(*) AS n FROM nba_analytics.player_game_summary")
        warehouse.execute("UPDATE nba_raw.nbac_schedule SET game_status = game_status WHERE FALSE")
    assert (cost.jobs, cost.bytes_processed, cost.bytes_billed, cost.slot_ms) == (2, 0, None, None)


def test_every_transform_dry_runs_through_the_real_client(sides: dict[str, Side]) -> None:
    """``nba-pipeline cost`` on BigQuery: each transform statement is accepted as a dry run and
    changes nothing. Emulator difference: a dry run reports 0 bytes (BigQuery reports what it would
    read), so the figures themselves are shown by the unit tests against the hook."""
    from nba_pipeline.cost import dry_run_transforms
    from nba_pipeline.registry.processors import daily_processors

    warehouse = sides["bigquery"].warehouse
    before = table_rows(warehouse, "nba_analytics.player_game_summary", ("game_id", "player_lookup"))
    costs = dry_run_transforms(warehouse, dt.date(2025, 1, 15))
    assert {c.processor for c in costs} == {p.name for p in daily_processors() if p.sql}
    assert all(c.bytes_processed == 0 and c.bytes_billed == 0 for c in costs)
    assert table_rows(warehouse, "nba_analytics.player_game_summary", ("game_id", "player_lookup")) == before


def test_two_writers_race_the_breaker_compare_and_set(sides: dict[str, Side]) -> None:
    """Two threads, each with its own warehouse handle (own hook and client), record 6 failures
    each on one new key: every write lands once, each with its own version."""
    per_writer, writers = 6, 2
    barrier = threading.Barrier(writers)
    versions: list[list[int]] = [[] for _ in range(writers)]
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            with get_warehouse() as warehouse:
                store = breaker_store(warehouse)
                barrier.wait(timeout=30)
                for n in range(per_writer):
                    while True:
                        try:
                            breaker = store.record_failure("emulator_race", NEVER_OPENS, "E", f"{i}-{n}")
                        except BreakerConflictError:  # every compare-and-set lost: nothing written, try again
                            continue
                        versions[i].append(breaker.version)
                        break
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    assert get_settings().warehouse_backend == "bigquery"
    threads = [threading.Thread(target=write, args=(i,), daemon=True) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    total = per_writer * writers
    assert sorted(v for vs in versions for v in vs) == list(range(1, total + 1))
    rows = sides["bigquery"].warehouse.query(
        f"SELECT failure_count, version FROM {BREAKER_TABLE} WHERE processor_name = 'emulator_race'"
    )
    assert rows == [{"failure_count": total, "version": total}]


def test_streamed_rows_read_back_typed(sides: dict[str, Side]) -> None:
    warehouse = sides["bigquery"].warehouse
    started = dt.datetime(2025, 1, 15, 17, 0, tzinfo=dt.UTC)
    row = {
        "run_id": "streamed-1",
        "processor_name": "streaming_probe",
        "started_at": started,
        "completed_at": started + dt.timedelta(seconds=2),
        "status": "success",
        "rows_processed": 3,
        "total_runtime_seconds": 2.0,
        "opts": json.dumps({"game_date": "2025-01-15"}),
        "bytes_processed": 10,
        "bytes_billed": 20,
        "slot_ms": 30,
    }
    assert warehouse.insert_rows("nba_processing.processor_runs", [row]) == 1
    assert warehouse.insert_rows("nba_processing.processor_runs", [row]) == 1  # a retried batch: same insert id
    first, second = warehouse.query(
        "SELECT run_id, started_at, rows_processed, total_runtime_seconds, opts, bytes_billed "
        "FROM nba_processing.processor_runs WHERE run_id = @id",
        {"id": "streamed-1"},
    )  # Emulator difference: it keeps a repeated insert id; BigQuery drops it (best effort, about a minute)
    assert first == second
    assert {**first, "opts": _value(first["opts"])} == {
        "run_id": "streamed-1",
        "started_at": started,
        "rows_processed": 3,
        "total_runtime_seconds": 2.0,
        "opts": {"game_date": "2025-01-15"},
        "bytes_billed": 20,
    }


def test_the_emulator_answers_as_configured(sides: dict[str, Side], emulator: Emulator) -> None:
    warehouse = sides["bigquery"].warehouse
    assert warehouse.backend_name == "bigquery"
    assert warehouse.location().startswith("nba-emulator")
    assert os.environ["BIGQUERY_EMULATOR_HOST"] == emulator.rest_url
