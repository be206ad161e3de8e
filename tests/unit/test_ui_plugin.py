"""The operations plugin: pages and their JSON twins on a DuckDB warehouse, escaping, authentication,
the AirflowPlugin class, and the app mounted by Airflow's own API server."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from nba_pipeline.guards.run_log import RunRecord, TaskInstanceRef, write_run_records
from nba_pipeline.registry.catalog import breaker_settings, settings_for
from nba_pipeline.registry.guard_tables import RUN_TABLES, breaker_store
from nba_pipeline.ui import app as ui
from tests.conftest import PROJECT_ROOT

T0 = dt.datetime(2025, 1, 15, 18, 0, tzinfo=dt.UTC)
XSS = "<script>alert(1)</script>"
ROUTES = ("/", "/breakers", "/breakers.json", "/day", "/day.json", "/skips", "/skips.json", "/runs", "/runs.json",
          "/static/airflow-links.js")
DAG_RUN = "scheduled__2025-01-15T17:00:00+00:00"


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


GAME_DAY = dt.date(2025, 1, 15)


def _run(processor: str, phase: int, status: str, run_id: str, game: dt.date = GAME_DAY, **extra) -> RunRecord:
    """A run row of ``game``'s run: its target date is the processor's (D - 1 for box scores)."""
    from nba_pipeline.registry.processors import daily_processors

    offset = {p.name: p.date_offset_days for p in daily_processors()}.get(processor, 0)
    now = dt.datetime.now(dt.UTC)
    return RunRecord(
        processor=processor, phase=phase, run_id=run_id, status=status, started_at=now,
        completed_at=now + dt.timedelta(seconds=1.5), target_date=game + dt.timedelta(days=offset),
        options={"game_date": game.isoformat()}, **extra,
    )


@pytest.fixture(scope="module")
def ops_template(tmp_path_factory) -> Path:
    """A warehouse file built once per module: breakers in all three states with history, and run
    rows of every phase (today and three days ago)."""
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    path = tmp_path_factory.mktemp("ops") / "warehouse.duckdb"
    with DuckDBWarehouse(path, lock_wait_seconds=5) as warehouse:
        apply_migrations(warehouse)
        _fill(warehouse)
    return path


@pytest.fixture
def ops_warehouse(ops_template: Path, tmp_path: Path, settings_env: pytest.MonkeyPatch) -> Path:
    """A copy of the template, configured as the warehouse the app opens."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(ops_template, path)
    settings_env.setenv("NBA_DUCKDB_PATH", str(path))
    settings_env.setenv("NBA_DATA_DIR", str(tmp_path))
    return path


def _fill(migrated_warehouse) -> None:
    clock = Clock(T0)
    store = breaker_store(migrated_warehouse, clock=clock)
    schedule = settings_for("nbac_schedule")
    for i in range(12):  # opens at the 5th failure (T0 + 4 min); keeps counting while open
        clock.now = T0 + dt.timedelta(minutes=i)
        store.record_failure("nbac_schedule", schedule, "HTTPError", f"503 from schedule #{i}")
    clock.now = T0 + dt.timedelta(minutes=12)
    store.record_failure("nbac_schedule", schedule, "ValueError", XSS)
    for _ in range(2):
        store.record_failure("odds_api_game_lines", settings_for("odds_api_game_lines"), "TimeoutError", "slow")
    model = settings_for("xgboost_v1")
    for _ in range(3):
        store.record_failure("xgboost_v1", model, "FileNotFoundError", "model file missing")
    clock.now = T0 + dt.timedelta(hours=2)
    store.request("xgboost_v1", model)  # past its timeout: admitted as a trial, HALF_OPEN

    older = [
        _run("espn_team_rosters", 2, "success", "r2-old-success", rows_processed=30, rows_inserted=30,
             task_instance=TaskInstanceRef("nba_backfill", "manual__1", "backfill_date", 3, 1)),
        # the box-score summaries of 2025-01-13 (their target date), which the 2025-01-14 run processed
        _run("player_game_summary", 3, "skipped", "r3-skip-earlier", game=GAME_DAY - dt.timedelta(days=1),
             skip_reason="no_games"),
    ]
    newer = [
        _run("nbac_schedule", 2, "skipped", "r2-skip-a", skip_reason="no_games"),
        _run("bdl_player_boxscores", 2, "skipped", "r2-skip-b", skip_reason="no_games"),
        _run("nbac_injury_report", 2, "skipped", "r2-skip-c", skip_reason="circuit_open",
             error_message=f"breaker is OPEN {XSS}"),
        _run("odds_api_game_lines", 2, "failed", "r2-failed", error_type="TimeoutError", error_message="slow",
             task_instance=TaskInstanceRef("nba_daily_pipeline", DAG_RUN, "phase_2_raw.odds_api_game_lines.run",
                                           try_number=2)),
        _run("player_game_summary", 3, "skipped", "r3-skip", skip_reason="upstream_failed",
             task_instance=TaskInstanceRef("nba_daily_pipeline", DAG_RUN,
                                           "phase_3_analytics.player_game_summary.dependencies")),
        _run("team_offense_game_summary", 3, "failed", "r3-failed", error_type="ValueError", error_message="bad"),
        _run("player_daily_cache", 4, "skipped", "r4-skip", skip_reason="upstream_incomplete",
             error_message="incomplete: player_game_summary 3/10"),
    ]
    write_run_records(migrated_warehouse, older, RUN_TABLES)
    write_run_records(migrated_warehouse, newer, RUN_TABLES)
    write_run_records(
        migrated_warehouse,
        [_run("team_defense_game_summary", 3, "success", f"r3-bulk-{i:02d}") for i in range(55)],
        RUN_TABLES,
    )
    now = dt.datetime.now(dt.UTC)
    migrated_warehouse.insert_rows(
        "nba_predictions.prediction_worker_runs",
        [
            {"request_id": f"req-{player}", "run_date": now, "player_lookup": player, "game_date": dt.date(2025, 1, 15),
             "success": success, "skip_reason": reason, "duration_seconds": 0.2}
            for player, success, reason in [
                ("lebronjames", True, None), ("stephencurry", False, "no_features"), ("jokic", False, "no_features"),
            ]
        ],
    )
    # a skip of the game date before, written three days ago
    migrated_warehouse.insert_rows(
        "nba_processing.processor_runs",
        [{"run_id": "r2-ancient", "processor_name": "nbac_schedule", "started_at": now - dt.timedelta(days=3),
          "status": "skipped", "skip_reason": "offseason", "processed_at": now - dt.timedelta(days=3),
          "opts": '{"game_date": "2025-01-14"}'}],
    )


@pytest.fixture
def auth_manager() -> Iterator[object]:
    """Airflow's configured auth manager (SimpleAuthManager here), dropped again after the test."""
    from airflow.api_fastapi.app import create_auth_manager, purge_cached_app

    yield create_auth_manager()
    purge_cached_app()


def _viewer(role: str | None = "viewer"):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return SimpleAuthManagerUser(username="ops", role=role)


@pytest.fixture
def make_client(auth_manager) -> Callable[..., TestClient]:
    """A client of a fresh app; ``user`` replaces Airflow's ``get_user`` (None: no override)."""
    from airflow.api_fastapi.core_api.security import get_user

    def make(user: object | None = None) -> TestClient:
        app = ui.create_app()
        if user is not None:
            app.dependency_overrides[get_user] = lambda: user
        return TestClient(app)

    return make


@pytest.fixture
def client(ops_warehouse, make_client) -> TestClient:
    return make_client(_viewer())


# --------------------------------------------------------------------------- pages


def test_breakers_json_lists_every_registry_key_not_closed_first(client):
    report = client.get("/breakers.json").json()
    keys = [b["key"] for b in report["breakers"]]
    assert sorted(keys) == sorted(breaker_settings())
    assert keys[:2] == ["nbac_schedule", "xgboost_v1"]  # OPEN, then HALF_OPEN
    assert report["counts"] == {"OPEN": 1, "HALF_OPEN": 1, "CLOSED": len(keys) - 2}
    by_key = {b["key"]: b for b in report["breakers"]}

    opened = by_key["nbac_schedule"]
    assert (opened["state"], opened["failure_count"], opened["threshold"]) == ("OPEN", 13, 5)
    assert opened["opened_at"] == "2025-01-15T18:04:00Z"
    assert opened["retry_at"] == "2025-01-15T18:34:00Z"  # opened_at + 1800 s
    assert opened["last_error_type"] == "ValueError" and opened["last_error_message"] == XSS
    # the last ten failures, newest first
    assert [f["error_message"] for f in opened["failures"]] == [XSS] + [
        f"503 from schedule #{i}" for i in range(11, 2, -1)
    ]
    assert opened["failures"][1] == {
        "failed_at": "2025-01-15T18:11:00Z", "error_type": "HTTPError", "error_message": "503 from schedule #11",
    }

    assert by_key["xgboost_v1"]["state"] == "HALF_OPEN" and by_key["xgboost_v1"]["retry_at"] is None
    closed = by_key["odds_api_game_lines"]
    assert (closed["state"], closed["failure_count"], closed["opened_at"]) == ("CLOSED", 2, None)
    assert len(closed["failures"]) == 2
    never = by_key["player_daily_cache"]  # no row yet: a fresh closed breaker
    assert (never["state"], never["failure_count"], never["failures"]) == ("CLOSED", 0, [])


def test_breakers_page_escapes_stored_error_messages(client):
    response = client.get("/breakers")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    body = response.text
    assert XSS not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    for key in breaker_settings():
        assert f">{key}<" in body
    assert "2025-01-15 18:04:00 UTC" in body  # opened_at, in Airflow's time zone (UTC unless configured)
    assert "2025-01-15 18:34:00 UTC" in body  # retry time
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_skips_json_groups_a_game_dates_skip_rows_by_phase_and_reason(client):
    """By game date, whenever the rows were written: phase 2 by the run's game date, phases 3-4 by the
    target date less the processor's offset (player_game_summary of 2025-01-14 is the 15th's run)."""
    report = client.get("/skips.json", params={"day": GAME_DAY.isoformat()}).json()
    assert report["day"] == GAME_DAY.isoformat() and report["timezone"] == "America/New_York"
    phases = {p["phase"]: p for p in report["phases"]}
    assert phases[2]["reasons"] == [
        {"reason": "no_games", "count": 2, "subjects": ["bdl_player_boxscores", "nbac_schedule"]},
        {"reason": "circuit_open", "count": 1, "subjects": ["nbac_injury_report"]},
    ]
    assert phases[3]["reasons"] == [{"reason": "upstream_failed", "count": 1, "subjects": ["player_game_summary"]}]
    assert phases[4]["reasons"] == [{"reason": "upstream_incomplete", "count": 1, "subjects": ["player_daily_cache"]}]
    assert phases[5]["reasons"] == [{"reason": "no_features", "count": 2, "subjects": ["jokic", "stephencurry"]}]
    assert report["total"] == 7  # the skips of 2025-01-14's run are not the 15th's


def test_skips_of_another_game_date(client):
    report = client.get("/skips.json", params={"day": "2025-01-14"}).json()
    phases = {p["phase"]: p["reasons"] for p in report["phases"]}
    assert phases[2] == [{"reason": "offseason", "count": 1, "subjects": ["nbac_schedule"]}]
    assert phases[3] == [{"reason": "no_games", "count": 1, "subjects": ["player_game_summary"]}]
    assert report["total"] == 2
    today = client.get("/skips.json").json()  # default: today's game date, in New York
    assert (today["day"], today["total"]) == (ui.local_today().isoformat(), 0)
    assert client.get("/skips.json", params={"day": "not-a-date"}).status_code == 422


def test_times_follow_airflows_configured_time_zone(client, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "America/New_York")
    body = client.get("/breakers").text
    assert "2025-01-15 13:04:00 EST" in body and "times in America/New_York (Airflow's time zone)" in body
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "utc")
    assert "2025-01-15 18:04:00 UTC" in client.get("/breakers").text
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "system")  # the machine's zone, as Airflow reads it
    assert client.get("/breakers").status_code == 200 and ui.display_timezone()
    monkeypatch.setenv("AIRFLOW__CORE__DEFAULT_TIMEZONE", "Mars/Olympus_Mons")
    assert ui.display_timezone() == "UTC" and client.get("/breakers").status_code == 200


def test_local_today_is_new_york_time():
    assert ui.local_today(dt.datetime(2025, 1, 16, 3, tzinfo=dt.UTC)) == dt.date(2025, 1, 15)


def test_skips_page_shows_reasons(client):
    body = client.get("/skips", params={"day": GAME_DAY.isoformat()}).text
    assert "no_games" in body and "bdl_player_boxscores, nbac_schedule" in body and "no_features" in body


def test_runs_json_has_the_newest_fifty_per_phase_newest_first(client):
    phases = {p["phase"]: p["rows"] for p in client.get("/runs.json").json()["phases"]}
    assert len(phases[3]) == 50  # 57 rows written
    assert all(r["subject"] == "team_defense_game_summary" for r in phases[3])  # the last batch
    raw = phases[2]
    assert [r["run_id"] for r in raw][-2:] == ["r2-old-success", "r2-ancient"]
    written = [r["written_at"] for r in raw]
    assert written == sorted(written, reverse=True)
    by_id = {r["run_id"]: r for r in raw}
    assert by_id["r2-failed"]["status"] == "failed" and by_id["r2-failed"]["detail"] == "slow"
    assert by_id["r2-skip-a"]["status"] == "skipped" and by_id["r2-skip-a"]["skip_reason"] == "no_games"
    assert by_id["r2-old-success"]["duration_seconds"] == 1.5
    pre = phases[4][0]
    assert (pre["status"], pre["detail"]) == ("skipped", "incomplete: player_game_summary 3/10")
    predictions = {r["subject"]: r["status"] for r in phases[5]}
    assert predictions == {"lebronjames": "success", "stephencurry": "skipped", "jokic": "skipped"}


def test_runs_filter_by_game_date_phase_processor_and_outcome_and_page(client):
    """Game dates as the skips page reads them (player_game_summary of 2025-01-13 is the 14th's run);
    the filters combine; a page of 50 past the first shows the rest; the total counts every match."""
    def phases(**query) -> dict[int, dict]:
        return {p["phase"]: p for p in client.get("/runs.json", params=query).json()["phases"]}

    analytics = phases(day="2025-01-15", phase=3)
    assert set(analytics) == {3} and analytics[3]["total"] == 57 and analytics[3]["pages"] == 2
    assert {r["game_date"] for r in analytics[3]["rows"]} == {"2025-01-15"}
    rest = phases(day="2025-01-15", phase=3, page=2)[3]["rows"]
    assert len(rest) == 7 and {r["run_id"] for r in rest} >= {"r3-skip", "r3-failed"}
    earlier = phases(day="2025-01-14", phase=3)[3]["rows"]
    assert [(r["run_id"], r["game_date"]) for r in earlier] == [("r3-skip-earlier", "2025-01-14")]
    failed = phases(outcome="failed")
    assert {p: [r["run_id"] for r in v["rows"]] for p, v in failed.items()} == {
        2: ["r2-failed"], 3: ["r3-failed"], 4: [], 5: []}
    schedule = phases(processor="nbac_schedule", phase=2)[2]["rows"]
    assert [(r["run_id"], r["game_date"]) for r in schedule] == [
        ("r2-skip-a", "2025-01-15"), ("r2-ancient", "2025-01-14")]
    assert phases(processor="espn_team_rosters", phase=2)[2]["rows"][0]["rows"] == 30
    assert client.get("/runs.json", params={"outcome": "maybe"}).status_code == 422
    assert client.get("/runs.json", params={"phase": 1}).status_code == 422


def test_a_submitted_form_with_empty_fields_filters_by_the_filled_ones(client):
    """A browser sends every field of the form, the empty ones as ``name=``: no filter, not a 422."""
    query = "day=&phase=&processor=odds_api_game_lines&outcome="
    answer = client.get(f"/runs.json?{query}")
    assert answer.status_code == 200, answer.text
    assert {r["subject"] for p in answer.json()["phases"] for r in p["rows"]} == {"odds_api_game_lines"}
    assert client.get(f"/runs?{query}").status_code == 200
    assert client.get("/skips.json?day=").json()["day"] == ui.local_today().isoformat()
    assert client.get("/day.json?day=").status_code == 200
    assert client.get("/runs.json?phase=7").status_code == 422 and client.get("/runs.json?day=soon").status_code == 422


def test_runs_page_links_its_pages_with_the_filters_kept(client):
    body = client.get("/runs", params={"day": "2025-01-15", "phase": 3}).text
    assert "57 rows, page 1 of 2" in body and '<option value="3" selected>' in body
    assert 'href="/runs?day=2025-01-15&amp;phase=3&amp;page=2">older</a>' in body
    assert "<td class=\"time\">2025-01-15</td>" in body


def test_runs_page_renders_and_escapes(client):
    body = client.get("/runs").text
    assert "r2-skip-c" in body and XSS not in body and "breaker is OPEN &lt;script&gt;" in body


def test_run_rows_link_to_their_dag_run_and_task_instance_in_airflow(client, monkeypatch):
    """The try's log of an attempt, the deciding guard of a skip (latest try), a mapped backfill date;
    none for a row written outside Airflow. Airflow served under a path prefix keeps it in the links."""
    def links(**query) -> dict[str, dict]:
        phases = client.get("/runs.json", params=query).json()["phases"]
        return {r["run_id"]: r["links"] for p in phases for r in p["rows"]}

    run = "/dags/nba_daily_pipeline/runs/scheduled__2025-01-15T17%3A00%3A00%2B00%3A00"
    found = links(day="2025-01-15")
    assert found["r2-failed"] == {
        "dag_run": run, "task_instance": f"{run}/tasks/phase_2_raw.odds_api_game_lines.run?try_number=2"}
    guard = links(processor="player_game_summary")["r3-skip"]["task_instance"]
    assert guard == f"{run}/tasks/phase_3_analytics.player_game_summary.dependencies"
    backfilled = found["r2-old-success"]["task_instance"]
    assert backfilled == "/dags/nba_backfill/runs/manual__1/tasks/backfill_date/mapped/3?try_number=1"
    assert found["r2-skip-a"] == {"dag_run": None, "task_instance": None}
    assert found["req-jokic"] == {"dag_run": None, "task_instance": None}  # a phase 5 row written outside Airflow
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://ops.example.com/airflow/")
    assert links(day="2025-01-15")["r2-failed"]["dag_run"] == f"/airflow{run}"
    body = client.get("/runs", params={"processor": "odds_api_game_lines"}).text
    assert f'href="/airflow{run}/tasks/phase_2_raw.odds_api_game_lines.run?try_number=2" data-airflow' in body


def test_game_date_page_shows_the_calendar_and_each_processors_latest_outcome(client):
    empty = client.get("/day.json", params={"day": GAME_DAY.isoformat()}).json()["calendar"]
    assert [(c["date"], c["offset_days"], c["proceed"]) for c in empty] == [  # no schedule loaded: undecided
        ("2025-01-15", 0, None), ("2025-01-14", -1, None)]
    assert "has no events at all" in empty[0]["detail"]
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:  # two games on the 15th, the last before on the 12th
        warehouse.insert_rows("nba_raw.nbac_schedule", [
            {"game_id": f"{day:%Y%m%d}_{away}_{home}", "nba_game_id": f"00224006{n:02d}", "game_date": day,
             "season_year": 2024, "season_type": "Regular Season", "game_status": 1, "is_postponed": False,
             "home_team_abbr": home, "away_team_abbr": away, "loaded_at": T0}
            for n, (day, away, home) in enumerate([(dt.date(2025, 1, 12), "BOS", "NYK"), (GAME_DAY, "LAL", "DEN"),
                                                   (GAME_DAY, "MIA", "CHI")])])
    report = client.get("/day.json", params={"day": GAME_DAY.isoformat()}).json()
    assert [(c["date"], c["proceed"], c["reason"], c["events_on_date"]) for c in report["calendar"]] == [
        ("2025-01-15", True, None, 2), ("2025-01-14", False, "no_games", 0)]
    phases = {p["phase"]: p for p in report["phases"]}
    raw = {e["name"]: e for e in phases[2]["processors"]}
    assert raw["odds_api_game_lines"]["latest"]["status"] == "failed"
    assert raw["odds_api_game_lines"]["latest"]["links"]["task_instance"].endswith("run?try_number=2")
    assert raw["nbac_injury_report"]["latest"]["skip_reason"] == "circuit_open"
    assert raw["nbac_team_boxscore"] == {"name": "nbac_team_boxscore", "rows_written": 0, "latest": None}
    analytics = {e["name"]: e for e in phases[3]["processors"]}
    assert analytics["team_defense_game_summary"]["rows_written"] == 55
    assert analytics["player_game_summary"]["latest"]["skip_reason"] == "upstream_failed"  # not the 14th's row
    assert sorted((c["status"], c["skip_reason"], c["n"]) for c in phases[5]["players"]) == [
        ("skipped", "no_features", 2), ("success", None, 1)]
    assert report["outcomes"]["failed"] == 2 and report["outcomes"]["no row"] > 0
    body = client.get("/day", params={"day": GAME_DAY.isoformat()}).text
    assert "Game date 2025-01-15" in body and XSS not in body
    assert 'href="/runs?day=2025-01-15&amp;processor=odds_api_game_lines"' in body
    assert "no run row for this game date" in body


def test_breakers_page_points_to_the_admin_dag_with_the_configuration_to_trigger(client):
    body = client.get("/breakers").text
    assert 'href="/dags/nba_breaker_admin" data-airflow' in body
    assert '{"action": "reset", "breaker": "nbac_schedule"}' in body  # OPEN
    assert '{"action": "open", "breaker": "odds_api_game_lines"}' in body  # CLOSED


def test_pages_load_the_link_script_and_only_scripts_of_their_own(client):
    """Links into Airflow go through static/airflow-links.js (Airflow's frame may not navigate the
    window); the pages allow no other script."""
    response = client.get("/breakers")
    assert '<script src="/static/airflow-links.js" defer></script>' in response.text
    assert "script-src 'self';" in response.headers["content-security-policy"]
    script = client.get("/static/airflow-links.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "a[data-airflow]" in script.text and "popstate" in script.text


def test_root_redirects_to_the_breaker_page(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/breakers"


def test_each_request_opens_and_closes_its_own_warehouse(ops_warehouse, make_client, monkeypatch):
    opened = []
    real = ui.get_warehouse

    def counting(settings=None):
        warehouse = real(settings)
        close = warehouse.close
        record = {"closed": 0, "lock_wait": warehouse.lock_wait_seconds}

        def counted_close() -> None:
            record["closed"] += 1
            close()

        warehouse.close = counted_close
        opened.append(record)
        return warehouse

    monkeypatch.setattr(ui, "get_warehouse", counting)
    client = make_client(_viewer())
    for path in ("/breakers", "/runs.json", "/skips"):
        assert client.get(path).status_code == 200
    assert opened == [{"closed": 1, "lock_wait": ui.UI_LOCK_WAIT_SECONDS}] * 3


def test_an_unreadable_warehouse_is_a_503_in_plain_text(warehouse, make_client):
    response = make_client(_viewer()).get("/breakers")  # the tables were never created
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("warehouse unavailable:")


# --------------------------------------------------------------------------- authentication


def test_anonymous_requests_are_refused_before_the_warehouse_is_opened(ops_warehouse, make_client, monkeypatch):
    monkeypatch.setattr(ui, "get_warehouse", lambda *a, **k: pytest.fail("warehouse opened for an anonymous request"))
    client = make_client()
    login = ui_login_url()
    for path in ROUTES:
        response = client.get(path, params={"day": "2025-01-15"} if path == "/skips" else None, follow_redirects=False)
        if path.endswith(".json"):  # for scripts: 401, as the REST API answers
            assert response.status_code == 401, path
            assert response.json() == {"detail": "Not authenticated"}
        else:  # a page: Airflow's login, then back here
            back = "/skips?day=2025-01-15" if path == "/skips" else path
            assert response.status_code == 303, path
            assert response.headers["location"] == f"{login}?{urlencode({'next': back})}", path


def ui_login_url() -> str:
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_url_login()


def test_a_forged_token_is_refused(ops_warehouse, make_client):
    client = make_client()
    assert client.get("/breakers", headers={"Authorization": "Bearer not.a.jwt"}).status_code == 403
    client.cookies.set("_token", "not.a.jwt")
    assert client.get("/breakers.json").status_code == 403


def test_a_user_without_ui_access_is_forbidden(ops_warehouse, make_client):
    response = make_client(_viewer(role=None)).get("/breakers.json")
    assert response.status_code == 403


def test_documentation_routes_are_not_exposed(ops_warehouse, make_client):
    client = make_client(_viewer())
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


@pytest.mark.integration  # needs the Airflow metadata DB (revoked-token check) and the full API app
def test_mounted_by_airflows_api_server_with_real_tokens(ops_warehouse, airflow_db):
    """The plugin loader mounts the app at /nba; Airflow's JWT (header or cookie) opens it, nothing else does."""
    from airflow.api_fastapi.app import create_app, get_auth_manager, purge_cached_app

    try:
        client = TestClient(create_app(apps="core"))
        assert client.get("/nba/breakers.json").status_code == 401
        anonymous = client.get("/nba/breakers", follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].endswith("next=%2Fnba%2Fbreakers")
        token = get_auth_manager().generate_jwt(_viewer())
        response = client.get("/nba/breakers", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert 'href="/nba/runs"' in response.text and "&lt;script&gt;" in response.text
        client.cookies.set("_token", token)
        assert client.get("/nba/skips.json", params={"day": GAME_DAY.isoformat()}).json()["total"] == 7
        assert client.get("/nba/", follow_redirects=False).headers["location"] == "/nba/breakers"
        plugins = {p["name"]: p for p in client.get("/api/v2/plugins").json()["plugins"]}
        view = plugins["nba_pipeline"]["external_views"][0]
        assert (view["name"], view["href"], view["destination"]) == ("NBA pipeline", "/nba/breakers", "nav")
    finally:
        purge_cached_app()


# --------------------------------------------------------------------------- the plugin class


def test_plugin_declares_the_app_and_the_nav_view():
    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse
    from airflow.plugins_manager import is_valid_plugin
    from nba_pipeline_plugin import NbaPipelinePlugin

    assert is_valid_plugin(NbaPipelinePlugin) and NbaPipelinePlugin.name == "nba_pipeline"
    [entry] = NbaPipelinePlugin.fastapi_apps
    assert entry["url_prefix"] == "/nba" and entry["name"]
    assert isinstance(entry["app"], FastAPI)
    assert NbaPipelinePlugin.fastapi_apps[0]["app"] is entry["app"]  # built once
    paths = {route.path for route in entry["app"].routes}
    assert {"/breakers", "/breakers.json", "/skips", "/skips.json", "/runs", "/runs.json"} <= paths
    [view] = NbaPipelinePlugin.external_views
    parsed = ExternalViewResponse.model_validate(view)
    assert (parsed.name, parsed.destination, parsed.href, parsed.category) == (
        "NBA pipeline", "nav", "/nba/breakers", "browse",
    )


def test_importing_the_plugin_is_cheap():
    """Once Airflow's plugin manager is loaded, the plugin module adds neither FastAPI nor the warehouse."""
    script = (
        "import json, sys\n"
        "import airflow.plugins_manager\n"
        "before = set(sys.modules)\n"
        "import nba_pipeline_plugin\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        cwd=PROJECT_ROOT / "plugins",
    )
    added = json.loads(result.stdout.strip().splitlines()[-1])
    assert added == ["nba_pipeline_plugin"]
