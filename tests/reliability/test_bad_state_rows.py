"""Bad breaker rows, as an operator or a half-finished script leaves them: a state no breaker has,
a negative timeout, two rows for one key, a row of a processor that no longer exists.

Each is named (key, column, value) wherever the breakers are read; it affects its own breaker only
— the gate fails open or closed as ``NBA_BREAKER_FAIL_OPEN`` says, its outcomes are not counted —
while every other breaker and processor goes on; ``verify-schema`` reports a key two rows share,
and ``breakers repair`` / ``breakers delete`` put the table right.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration

DAY = dt.date(2025, 1, 15)
NOW = dt.datetime(2025, 1, 15, 15, tzinfo=dt.UTC)


def bad_row(warehouse: Any, key: str, *, state: str = "CLOSED", timeout_seconds: int = 1800, version: int = 1) -> None:
    """A breaker row written by hand, outside the store."""
    warehouse.execute(
        "INSERT INTO nba_orchestration.circuit_breaker_state (processor_name, state, failure_count, success_count, "
        "updated_at, failure_history, threshold, timeout_seconds, half_open_max_calls, version, half_open_calls) "
        "VALUES (@key, @state, 0, 0, @now, [], 5, @timeout, 1, @version, 0)",
        {"key": key, "state": state, "now": NOW, "timeout": timeout_seconds, "version": version},
    )


def rows_of(warehouse: Any, key: str) -> list[dict[str, Any]]:
    return warehouse.query(
        "SELECT state, timeout_seconds, failure_count FROM nba_orchestration.circuit_breaker_state "
        "WHERE processor_name = @key",
        {"key": key},
    )


@pytest.fixture
def store(migrated_warehouse):
    from nba_pipeline.registry.guard_tables import breaker_store

    bad_row(migrated_warehouse, "nbac_team_boxscore", state="BANANA")
    bad_row(migrated_warehouse, "nbac_schedule", timeout_seconds=-1)
    bad_row(migrated_warehouse, "espn_team_rosters")
    bad_row(migrated_warehouse, "espn_team_rosters", version=2)
    return breaker_store(migrated_warehouse)


def test_each_bad_row_is_named_and_only_its_key_is_set_apart(store):
    from nba_pipeline.guards.breaker_store import InvalidBreakerRowError
    from nba_pipeline.registry.catalog import breaker_settings

    scanned = store.scan(breaker_settings())
    assert sorted(scanned.invalid) == ["espn_team_rosters", "nbac_schedule", "nbac_team_boxscore"]
    assert len(scanned.breakers) == len(breaker_settings()) - 3
    messages = {key: str(error) for key, error in scanned.invalid.items()}
    assert messages["nbac_team_boxscore"] == (
        "breaker row 'nbac_team_boxscore' of nba_orchestration.circuit_breaker_state is invalid: "
        "state = 'BANANA': not one of CLOSED, OPEN, HALF_OPEN"
    )
    assert "timeout_seconds = -1: must be an integer of at least 0" in messages["nbac_schedule"]
    assert "processor_name = 'espn_team_rosters': 2 rows for one breaker" in messages["espn_team_rosters"]
    with pytest.raises(InvalidBreakerRowError, match="'espn_team_rosters'"):
        store.read(breaker_settings())  # the callers that need every key learn which one is bad


def test_a_bad_row_refuses_admission_and_drops_outcomes_without_touching_anything(store, caplog):
    from nba_pipeline.guards.breaker_store import InvalidBreakerRowError
    from nba_pipeline.registry.catalog import settings_for

    key = "nbac_team_boxscore"
    with pytest.raises(InvalidBreakerRowError, match="BANANA"):
        store.request(key, settings_for(key))
    before = rows_of(store.warehouse, key)
    unstored = store.record_failure(key, settings_for(key), "ValueError", "boom")
    assert unstored.version == 0 and rows_of(store.warehouse, key) == before
    assert "outcome of nbac_team_boxscore not recorded" in caplog.text and "breakers repair" in caplog.text
    healthy = ("nbac_injury_report", "bdl_player_boxscores")
    known = store.scan({k: settings_for(k) for k in healthy}).breakers
    store.record_successes({k: settings_for(k) for k in (*healthy, key)}, known)
    assert [r["state"] for k in healthy for r in rows_of(store.warehouse, k)] == ["CLOSED", "CLOSED"]
    assert rows_of(store.warehouse, key) == before


def test_verify_schema_reports_a_key_two_rows_share_and_repair_and_delete_fix_the_table(store):
    from nba_pipeline.breakers import BreakerAction, apply_action, list_breakers
    from nba_pipeline.registry.guard_tables import BREAKER_TABLE, UNIQUE_KEYS
    from nba_pipeline.schema.verify import DriftKind, verify_schema

    def breaker_drifts() -> list[str]:
        (report,) = [r for r in verify_schema(store.warehouse, unique_keys=UNIQUE_KEYS) if r.table == BREAKER_TABLE]
        return [str(d) for d in report.drifts if d.kind is DriftKind.DUPLICATE_KEY]

    assert breaker_drifts() == [
        "nba_orchestration.circuit_breaker_state.processor_name: duplicate key "
        "(declared 1 row, live 2 rows for ('espn_team_rosters',))"
    ]
    bad_row(store.warehouse, "retired_processor", state="BANANA")
    assert "retired_processor" in list_breakers(store.warehouse).invalid, "undeclared keys are listed too"
    for key in ("espn_team_rosters", "nbac_team_boxscore", "nbac_schedule"):
        (repaired,) = apply_action(store.warehouse, BreakerAction.REPAIR, key)
        assert (repaired.state, repaired.version) == ("CLOSED", 1)
        assert rows_of(store.warehouse, key) == [{"state": "CLOSED", "timeout_seconds": 1800, "failure_count": 0}]
    apply_action(store.warehouse, BreakerAction.DELETE, "retired_processor")
    assert rows_of(store.warehouse, "retired_processor") == []
    assert breaker_drifts() == [] and list_breakers(store.warehouse).invalid == {}
    assert store.request("nbac_team_boxscore", repaired.settings)[0] == "proceed"


def _cli(*args: str, pipe_to: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(PROJECT_ROOT / ".venv" / "bin" / "nba-pipeline"), *args]
    if pipe_to is None:
        return subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    shell = " ".join(command) + " | " + " ".join(pipe_to) + "; exit ${PIPESTATUS[0]}"
    return subprocess.run(["bash", "-c", shell], capture_output=True, text=True, env=os.environ.copy(), timeout=120)


def test_the_cli_lists_bad_rows_by_name_repairs_them_and_survives_a_closed_pipe(store):
    from nba_pipeline.registry.catalog import breaker_settings

    store.warehouse.close()  # the CLI opens the same file
    listed = _cli("breakers", "list")
    assert listed.returncode == 0, listed.stderr
    invalid = [line for line in listed.stdout.splitlines() if " INVALID " in line]
    assert len(invalid) == 3 and any("state = 'BANANA'" in line for line in invalid)
    assert len(listed.stdout.splitlines()) == len(breaker_settings()), "the 3 bad keys in place of their rows"
    piped = _cli("breakers", "list", pipe_to=["head", "-1"])
    assert (piped.returncode, piped.stderr) == (0, ""), "a reader that stops early is not an error"
    assert _cli("breakers", "repair", "nbac_team_boxscore").returncode == 0
    assert _cli("breakers", "delete", "nbac_schedule").returncode == 0
    after = _cli("breakers", "list")
    assert [line.split()[0] for line in after.stdout.splitlines() if " INVALID " in line] == ["espn_team_rosters"]
    assert _cli("verify-schema").returncode == 1, "the duplicate key is still there"
    assert _cli("breakers", "repair", "espn_team_rosters").returncode == 0
    verified = _cli("verify-schema")
    assert verified.returncode == 0, verified.stdout


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail_open", "fail_closed"])
def test_a_backfilled_date_goes_on_around_a_bad_row(store, settings_env, fail_open, tmp_path):
    """Phases 1-2 of a date with one bad breaker row: every other processor runs; the bad row's
    own processor runs (fail open) or is skipped naming the row (fail closed)."""
    from nba_pipeline.backfill import run_date
    from nba_pipeline.guards.spec import Phase
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.settings import get_settings

    settings_env.setenv("NBA_BREAKER_FAIL_OPEN", "true" if fail_open else "false")
    get_settings.cache_clear()
    store.warehouse.execute("DELETE FROM nba_orchestration.circuit_breaker_state WHERE processor_name <> @k",
                            {"k": "nbac_team_boxscore"})
    processors = [p for p in backfill_processors() if p.phase <= Phase.RAW]
    outcome = run_date(store.warehouse, processors, CALENDAR, DAY, dag_run_id="bad_rows")
    others = {k: v for k, v in outcome.outcome.items() if k != "nbac_team_boxscore"}
    assert set(others.values()) == {"success"}, others
    assert outcome.outcome["nbac_team_boxscore"] == ("success" if fail_open else "skipped:circuit_open")
    if not fail_open:
        (row,) = store.warehouse.query(
            "SELECT skip_reason, error_message FROM nba_processing.processor_runs "
            "WHERE processor_name = 'nbac_team_boxscore'"
        )
        assert row["skip_reason"] == "circuit_open"
        assert "breaker row 'nbac_team_boxscore'" in row["error_message"] and "BANANA" in row["error_message"]
    assert rows_of(store.warehouse, "nbac_team_boxscore")[0]["state"] == "BANANA", "left for the operator"
