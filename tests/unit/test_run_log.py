"""Run rows: one builder per phase table, typed skip reasons, idempotent batched writes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from nba_pipeline.guards.run_log import RunRecord, TaskInstanceRef, make_run_id, write_run_records
from nba_pipeline.registry.guard_tables import RUN_TABLES
from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.warehouse import STATS, activity

T0 = dt.datetime(2025, 1, 15, 13, 0, tzinfo=dt.UTC)


def _record(phase: int, status: str = "success", **overrides) -> RunRecord:
    values = dict(
        processor=f"p{phase}",
        phase=phase,
        run_id=make_run_id("manual__1", f"p{phase}", status),
        status=status,
        started_at=T0,
        completed_at=T0 + dt.timedelta(seconds=2.5),
        target_date=dt.date(2025, 1, 15),
        rows_processed=10,
        rows_inserted=8,
        rows_updated=2,
    )
    values.update(overrides)
    return RunRecord(**values)


def test_a_skip_needs_a_known_reason():
    with pytest.raises(ValueError, match="needs a known skip_reason"):
        _record(2, status="skipped", skip_reason="felt_like_it")
    with pytest.raises(ValueError, match="status 'maybe'"):
        _record(2, status="maybe")


def test_json_round_trip():
    record = _record(4, dependency_check_passed=True, data_completeness_pct=95.0, warnings=("w",))
    assert RunRecord.from_json(record.to_json()) == record
    placed = _record(2, task_instance=TaskInstanceRef("nba_daily_pipeline", "manual__1", "a.run", 3, 2))
    assert RunRecord.from_json(json.loads(json.dumps(placed.to_json()))) == placed  # as the outbox keeps it


@pytest.mark.parametrize("phase", [2, 3, 4])
def test_every_run_table_names_the_task_instance_that_wrote_the_row(migrated_warehouse, phase):
    ref = TaskInstanceRef("nba_daily_pipeline", "scheduled__2025-01-15T17:00:00+00:00", "p.x.run", -1, 2)
    write_run_records(migrated_warehouse, [_record(phase, task_instance=ref), _record(phase, "failed")], RUN_TABLES)
    rows = migrated_warehouse.query(
        f"SELECT dag_id, dag_run_id, task_id, map_index, try_number, run_id FROM {RUN_TABLES[phase].name} "
        "ORDER BY dag_id NULLS LAST"
    )
    assert [tuple(r.values())[:5] for r in rows] == [
        ("nba_daily_pipeline", "scheduled__2025-01-15T17:00:00+00:00", "p.x.run", -1, 2),
        (None, None, None, None, None),  # written outside Airflow
    ]


def test_rows_land_in_each_phase_table_with_declared_columns_only(migrated_warehouse):
    records = [
        _record(2, file_path="gs://b/x.json", target_date=dt.date(2025, 1, 14), options={"game_date": "2025-01-15"}),
        _record(3, status="skipped", skip_reason="no_games", rows_processed=None),
        _record(
            4,
            status="failed",
            error_type="ValueError",
            error_message="bad",
            dependency_check_passed=False,
            data_completeness_pct=87.5,
            upstream_data_age_hours=5.0,
        ),
    ]
    assert write_run_records(migrated_warehouse, records, RUN_TABLES) == 3
    raw = migrated_warehouse.query(
        "SELECT status, total_runtime_seconds, file_path, opts FROM nba_processing.processor_runs"
    )
    assert (
        raw[0]["status"] == "success"
        and raw[0]["total_runtime_seconds"] == 2.5
        and raw[0]["file_path"] == "gs://b/x.json"
    )
    # the run's game date and the processor's target date (the box scores of the day before) apart
    assert json.loads(raw[0]["opts"]) == {"game_date": "2025-01-15", "target_date": "2025-01-14"}
    analytics = migrated_warehouse.query(
        "SELECT success, skip_reason, date_range_start FROM nba_processing.analytics_processor_runs"
    )
    assert analytics == [{"success": None, "skip_reason": "no_games", "date_range_start": dt.date(2025, 1, 15)}]
    pre = migrated_warehouse.query(
        "SELECT success, dependency_check_passed, data_completeness_pct, upstream_data_age_hours, errors_json "
        "FROM nba_processing.precompute_processor_runs"
    )[0]
    assert pre["success"] is False and pre["data_completeness_pct"] == 87.5 and '"ValueError"' in pre["errors_json"]
    assert declared_tables()  # the rows above were accepted by tables created from the declared schemas


def test_rewriting_a_batch_adds_nothing_and_costs_one_statement_per_table(migrated_warehouse):
    records = [_record(2, processor=f"p{i}", run_id=f"r{i}") for i in range(10)]
    STATS.reset()
    with activity("run_log"):
        assert write_run_records(migrated_warehouse, records, RUN_TABLES) == 10
    assert STATS.snapshot()["mutations"] == {"run_log:nba_processing.processor_runs": 1}
    assert write_run_records(migrated_warehouse, records, RUN_TABLES) == 0
    assert migrated_warehouse.query("SELECT COUNT(*) AS n FROM nba_processing.processor_runs")[0]["n"] == 10


class _RecordingWarehouse:
    """Passes every call to the real warehouse and keeps each query's SQL and parameters."""

    def __init__(self, inner) -> None:
        self.inner, self.queries = inner, []

    def query(self, sql, params=None):
        self.queries.append((sql, params))
        return self.inner.query(sql, params)

    def insert_rows(self, table, rows):
        return self.inner.insert_rows(table, rows)


def test_presence_check_reads_only_partitions_from_written_since(migrated_warehouse):
    from nba_pipeline.warehouse import QueryParam

    first = [_record(2), _record(3)]
    assert write_run_records(migrated_warehouse, first, RUN_TABLES, written_since=T0) == 2
    recording = _RecordingWarehouse(migrated_warehouse)
    # the same rows again, with a bound late in the day they were written: still found, nothing added
    assert write_run_records(recording, first, RUN_TABLES, written_since=T0 + dt.timedelta(hours=10)) == 0
    midnight = QueryParam(dt.datetime(2025, 1, 15, tzinfo=dt.UTC), "TIMESTAMP")
    assert [(sql, params["since"]) for sql, params in recording.queries] == [
        ("SELECT run_id FROM nba_processing.analytics_processor_runs WHERE run_id IN UNNEST(@ids) "
         "AND run_date >= @since", midnight),
        ("SELECT run_id FROM nba_processing.processor_runs WHERE run_id IN UNNEST(@ids) "
         "AND started_at >= @since", midnight),
    ]
    unbounded = _RecordingWarehouse(migrated_warehouse)
    assert write_run_records(unbounded, first, RUN_TABLES) == 0
    assert all("@since" not in sql and "since" not in params for sql, params in unbounded.queries)


# outbox -------------------------------------------------------------------------------------------


def test_outbox_keeps_claims_settles_and_releases(tmp_path):
    from nba_pipeline.guards.run_log import RunLogOutbox

    box = RunLogOutbox(tmp_path / "outbox")
    assert box.claim() == [], "a missing folder is an empty outbox"
    failed = _record(2, status="failed", error_type="WarehouseError", error_message="locked")
    path = box.keep(failed)
    assert box.keep(failed) == path, "the same run_id overwrites"
    claimed = box.claim()
    assert [record for _, record in claimed] == [failed]
    assert box.claim() == [], "a claimed row belongs to its claimer"
    box.release(claimed)
    again = box.claim()
    assert [record for _, record in again] == [failed]
    box.settle(again)
    assert list(box.directory.iterdir()) == []


def test_outbox_takes_over_a_stale_claim_and_sets_aside_an_unreadable_file(tmp_path):
    import os

    from nba_pipeline.guards.run_log import RunLogOutbox

    box = RunLogOutbox(tmp_path / "outbox", stale_after=dt.timedelta(minutes=15))
    failed = _record(3, status="failed", error_message="down")
    box.keep(failed)
    (abandoned,) = box.claim()  # its claimer died before writing it
    assert box.claim() == []
    hour_ago = dt.datetime.now().timestamp() - 3600
    os.utime(abandoned[0], (hour_ago, hour_ago))
    assert [record for _, record in box.claim()] == [failed]
    (box.directory / "broken.json").write_text("{not json")
    assert box.claim() == []
    assert sorted(p.name.split(".claimed-")[0] for p in box.directory.iterdir() if p.name.endswith(".bad")) == [
        "broken.json"
    ]


def test_a_running_mark_is_claimed_only_once_its_process_is_gone(tmp_path):
    """A mark of a live process on this host stays; one whose process ended is claimed at once as a
    waiting row; one from another host only once it is older than ``lost_after``."""
    import os
    import socket
    import subprocess
    import sys

    from nba_pipeline.guards.run_log import RunLogOutbox

    box = RunLogOutbox(tmp_path / "outbox", lost_after=dt.timedelta(hours=2))
    alive = box.mark_running(_record(2, status="failed", run_id="alive"))
    assert alive.name == f"alive.running@{socket.gethostname()}@{os.getpid()}"
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = alive.with_name(f"dead.running@{socket.gethostname()}@{int(ended.stdout)}")
    box.keep(_record(2, status="failed", run_id="dead")).rename(dead)
    remote = alive.with_name("remote.running@another-host@1")
    box.keep(_record(2, status="failed", run_id="remote")).rename(remote)

    assert [record.run_id for _, record in box.claim()] == ["dead"]
    three_hours_ago = dt.datetime.now().timestamp() - 3 * 3600
    os.utime(remote, (three_hours_ago, three_hours_ago))
    assert [record.run_id for _, record in box.claim()] == ["remote"]
    assert [p.name for p in box.directory.iterdir() if ".claimed-" not in p.name] == [alive.name]


def test_a_replayed_run_reads_its_own_rows_not_those_written_at_the_real_time(migrated_warehouse):
    """With the package clock set back (a replay), rows that a run at the real time wrote into the
    same warehouse are later than the replayed run: the window's end leaves them out."""
    from nba_pipeline import clock
    from nba_pipeline.summary import run_rows

    replayed = dt.datetime(2025, 2, 14, 15, 0, tzinfo=dt.UTC)
    write_run_records(migrated_warehouse, [_record(2, processor="real_time", run_id="r-now")], RUN_TABLES)
    with clock.shifted_to(replayed):
        since = clock.now()
        write_run_records(migrated_warehouse, [_record(2, processor="replayed", run_id="r-then")], RUN_TABLES)
        until = clock.now()

    def names(rows: dict[int, list[dict]]) -> list[str]:
        return [row["processor_name"] for row in rows[2]]

    assert names(run_rows(migrated_warehouse, since, until)) == ["replayed"]
    assert names(run_rows(migrated_warehouse, since)) == ["real_time", "replayed"]


def test_the_summary_counts_a_table_only_when_its_processor_writes_that_table_alone(migrated_warehouse, settings_env,
                                                                                    tmp_path):
    """A run row counts a processor's writes together: a single-table processor's counts stand
    beside its table; a processor writing several tables (the player registry) gets "-" there."""
    from nba_pipeline.summary import summarise_run

    settings_env.setenv("NBA_PAYLOAD_ROOT", str(tmp_path / "payloads"))
    since = T0 - dt.timedelta(minutes=1)
    write_run_records(migrated_warehouse, [
        _record(3, processor="player_game_summary", run_id="r-summary", rows_inserted=150, rows_updated=3),
        _record(3, processor="player_registry", run_id="r-registry", rows_inserted=1280, rows_updated=0),
    ], RUN_TABLES)
    lines = {line.split()[0]: line.split()[1:] for line in summarise_run(
        migrated_warehouse, dt.date(2025, 1, 15), since).splitlines() if line.startswith("  nba_")}
    assert lines["nba_analytics.player_game_summary"][1:] == ["150", "3"]
    for table in ("nba_analytics.player_registry", "nba_analytics.player_identity_resolutions",
                  "nba_analytics.unresolved_player_names"):
        assert lines[table][1:] == ["-", "-"], table


def test_the_summary_says_how_each_run_chose_its_game_date(migrated_warehouse, settings_env, tmp_path):
    """The reason each run's options recorded for the game date, once per distinct reason, under
    the header; a run of another game date says nothing here."""
    from nba_pipeline.summary import summarise_run

    settings_env.setenv("NBA_PAYLOAD_ROOT", str(tmp_path / "payloads"))
    scheduled = ("game date 2025-01-15: no game_date given, so the day of the run's logical date "
                 "(2025-01-15T15:00:00+00:00) in America/New_York")
    given = "game date 2025-01-15: given (the game_date Param or the task's game_date)"
    other = "game date 2025-01-14: given (the game_date Param or the task's game_date)"
    write_run_records(migrated_warehouse, [
        _record(2, processor="a", run_id="r-a", options={"game_date": "2025-01-15", "game_date_reason": scheduled}),
        _record(2, processor="b", run_id="r-b", options={"game_date": "2025-01-15", "game_date_reason": scheduled}),
        _record(2, processor="a", run_id="r-c", options={"game_date": "2025-01-15", "game_date_reason": given}),
        _record(2, processor="a", run_id="r-d", options={"game_date": "2025-01-14", "game_date_reason": other}),
    ], RUN_TABLES)
    lines = summarise_run(migrated_warehouse, dt.date(2025, 1, 15), T0 - dt.timedelta(minutes=1)).splitlines()
    assert lines[:4] == ["NBA pipeline run for game date 2025-01-15 (results of 2025-01-14)",
                         f"  {given}", f"  {scheduled}", ""]
