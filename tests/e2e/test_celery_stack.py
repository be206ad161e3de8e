"""The daily pipeline on a real deployment: API server, scheduler, DAG processor, triggerer and a
Celery worker on PostgreSQL and Redis. A run is triggered through the REST API as the UI's trigger
button does, and its results are read back from the warehouse and the project's UI pages."""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.e2e import browser
from tests.e2e.conftest import GAME_DAY
from tests.e2e.stack import (
    DAG_ID,
    PLUGIN_FILE,
    PROJECT_ROOT,
    Stack,
    database_exists,
    free_port,
    redis_db_size,
    unreachable,
)

pytestmark = pytest.mark.e2e

RUN_TIMEOUT_SECONDS = 360
FINISHED = {"success", "failed"}
NOT_OK = {"failed", "upstream_failed", "removed", None}


@dataclass
class FinishedRun:
    run_id: str
    state: str
    since: dt.datetime
    seconds: float
    tasks: dict[str, str | None]


@pytest.fixture(scope="module")
def finished_run(stack: Stack) -> FinishedRun | None:
    """Trigger ``nba_daily_pipeline`` for the game day with the UI's request and wait (bounded) for it;
    None when the stack did not come up (``running_stack`` reports why)."""
    if stack.setup_error:
        return None
    api = stack.api
    since = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    run = api.request("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", json={
        "conf": {"game_date": GAME_DAY.isoformat()},
        "logical_date": f"{GAME_DAY.isoformat()}T15:00:00+00:00",
        "data_interval_start": None,
        "data_interval_end": None,
        "partition_key": None,
    })
    run_id = run["dag_run_id"]
    state = run["state"]
    while state not in FINISHED and time.monotonic() - started < RUN_TIMEOUT_SECONDS:
        dead = stack.dead_processes()
        if dead:
            state = f"stack processes exited: {dead}"
            break
        time.sleep(3)
        state = api.run_state(DAG_ID, run_id) or state
    seconds = round(time.monotonic() - started, 1)
    stack.timings["run"] = seconds
    tasks = {ti["task_id"] + (f"[{ti['map_index']}]" if ti["map_index"] >= 0 else ""): ti["state"]
             for ti in api.task_instances(DAG_ID, run_id)}
    return FinishedRun(run_id, state, since, seconds, tasks)


def _explain(stack: Stack, run: FinishedRun) -> str:
    """What CI needs to see when the run did not succeed: bad tasks, their logs, the process logs."""
    bad = sorted(t for t, s in run.tasks.items() if s not in {"success", "skipped"})
    failed = sorted({t.partition("[")[0] for t in bad if run.tasks[t] == "failed"})
    return (
        f"run {run.run_id} ended {run.state!r} after {run.seconds}s; task states {dict(Counter(run.tasks.values()))}\n"
        f"not successful: {[(t, run.tasks[t]) for t in bad]}\n"
        f"===== failed task logs =====\n{stack.task_log_tails(failed) if failed else '(none failed)'}\n"
        f"===== process logs =====\n{stack.process_log_tails()}"
    )


def test_an_unreachable_service_is_reported_for_the_skip():
    """The reachability check behind the tier's skip names a port nothing listens on."""
    port = free_port()
    assert unreachable([("127.0.0.1", port)], timeout=1) == [f"127.0.0.1:{port}"]


def test_airflow_loads_only_plugin_files_from_the_plugins_folder():
    """Airflow imports every ``.py`` file it finds under plugins/ as a top-level module named after the
    file, so a package module such as ``nba_pipeline/guards/calendar.py`` would replace the standard
    library's ``calendar`` in the scheduler. The package must be excluded (``plugins/.airflowignore``)."""
    from airflow._shared.module_loading.file_discovery import find_path_from_directory

    plugins = PROJECT_ROOT / "plugins"
    loaded = sorted(Path(f).relative_to(plugins).as_posix() for f in find_path_from_directory(plugins, ".airflowignore")
                    if f.endswith(".py"))
    assert [f for f in loaded if "/" in f] == [], (
        "Airflow would import these package modules a second time under their bare file names "
        f"(shadowing: {sorted({Path(f).stem for f in loaded} & set(sys.stdlib_module_names))}); "
        "add 'nba_pipeline/' to plugins/.airflowignore"
    )


def test_a_run_triggered_as_the_ui_does_succeeds(running_stack, finished_run):
    stack, run = running_stack, finished_run
    print(f"nba_daily_pipeline on Celery: {run.state} in {run.seconds}s, {len(run.tasks)} task instances")
    assert run.state == "success", _explain(stack, run)
    assert len(run.tasks) > 50
    runs = {t: s for t, s in run.tasks.items() if t.endswith(".run")}
    assert runs and set(runs.values()) == {"success"}, _explain(stack, run)
    assert not [t for t, s in run.tasks.items() if s in NOT_OK], _explain(stack, run)


def _query(stack: Stack, sql: str, params: dict | None = None) -> list[dict]:
    """Read the warehouse file from this process. The stack holds it only while a task (or a page
    request) runs, so with the run over this waits briefly at most."""
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    warehouse = DuckDBWarehouse(stack.duckdb_path, lock_wait_seconds=60)
    try:
        return warehouse.query(sql, params or {})
    finally:
        warehouse.close()


def _breaker_states(stack: Stack) -> dict[str, str]:
    rows = _query(stack, "SELECT processor_name, state FROM nba_orchestration.circuit_breaker_state")
    return {row["processor_name"]: row["state"] for row in rows}


def test_the_warehouse_holds_the_days_results(running_stack, finished_run):
    """Run rows for phases 2-4 written by this run, the feature store filled for the game day, and the
    breaker of every processor that ran closed."""
    stack = running_stack
    assert finished_run.state == "success", "the triggered run did not succeed (see the test above)"
    since = {"since": finished_run.since}
    raw = _query(stack, "SELECT processor_name, status FROM nba_processing.processor_runs "
                        "WHERE processed_at >= @since", since)
    analytics = _query(stack, "SELECT processor_name, success FROM nba_processing.analytics_processor_runs "
                              "WHERE created_at >= @since", since)
    precompute = _query(stack, "SELECT processor_name, success, data_completeness_pct "
                               "FROM nba_processing.precompute_processor_runs WHERE created_at >= @since", since)
    features = _query(stack, "SELECT COUNT(*) AS n, MIN(feature_count) AS k FROM nba_predictions.ml_feature_store_v2 "
                             "WHERE game_date = @d", {"d": GAME_DAY})[0]
    breakers = _breaker_states(stack)

    assert len({r["processor_name"] for r in raw}) == 11, raw
    assert {r["status"] for r in raw} == {"success"}, raw
    assert len({r["processor_name"] for r in analytics}) == 6, analytics
    assert all(r["success"] for r in analytics), analytics
    assert len({r["processor_name"] for r in precompute}) == 5, precompute
    assert all(r["success"] and r["data_completeness_pct"] >= 90 for r in precompute), precompute
    assert features["n"] > 100 and features["k"] == 25, features
    processors = {r["processor_name"] for r in (*raw, *analytics, *precompute)}
    assert {name: breakers.get(name) for name in processors} == dict.fromkeys(processors, "CLOSED"), breakers


# ----- the project's UI pages (the plugin mounted at /nba) -----------------------------------------
# Skipped only while plugins/nba_pipeline_plugin.py does not exist.
PLUGIN_PAGES = ("/nba/", "/nba/breakers", "/nba/breakers.json", "/nba/day", "/nba/day.json", "/nba/runs",
                "/nba/runs.json", "/nba/skips", "/nba/skips.json")


def test_the_plugin_pages_need_an_airflow_login(running_stack, finished_run):
    """Anonymous requests are refused on every route; with the UI's token (header or ``_token`` cookie)
    the pages answer and show this run's breakers and run rows."""
    stack = running_stack
    if not stack.plugin_loaded:
        pytest.skip(f"{PLUGIN_FILE.relative_to(PROJECT_ROOT)} was absent when the stack started: no plugin pages")
    api = stack.api
    plugins = api.request("GET", "/api/v2/plugins")["plugins"]
    assert any(app.get("url_prefix") == "/nba" for p in plugins for app in p.get("fastapi_apps", [])), plugins
    for page in PLUGIN_PAGES:
        anonymous = api.http.get(page)  # a page goes to Airflow's login and back; a JSON twin is a 401
        if page.endswith(".json"):
            assert anonymous.status_code == 401, (page, anonymous.status_code, anonymous.text[:300])
        else:
            assert anonymous.status_code == 303, (page, anonymous.status_code, anonymous.text[:300])
            assert "login" in anonymous.headers["location"] and "next=%2Fnba%2F" in anonymous.headers["location"]
        forged = api.http.get(page, headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code in (401, 403), (page, forged.status_code)
    for page in PLUGIN_PAGES[1:]:
        answer = api.http.get(page, headers=api.headers)
        assert answer.status_code == 200, (page, answer.status_code, answer.text[:500])

    shown = {b["key"]: b["state"] for b in api.http.get("/nba/breakers.json", headers=api.headers).json()["breakers"]}
    stored = _breaker_states(stack)
    assert stored and {key: shown.get(key) for key in stored} == stored, (shown, stored)
    assert shown["ml_feature_store"] == "CLOSED"
    page = api.http.get("/nba/breakers", headers={"Cookie": f"_token={api.token}"})  # as the UI's iframe sends it
    assert page.status_code == 200 and "ml_feature_store" in page.text and "CLOSED" in page.text, page.text[:500]
    runs = api.http.get("/nba/runs.json", headers=api.headers).json()
    precompute = {row["subject"]: row["status"] for p in runs["phases"] if p["phase"] == 4 for row in p["rows"]}
    assert precompute.get("ml_feature_store") == "success", precompute
    feature_store = next(row for p in runs["phases"] if p["phase"] == 4 for row in p["rows"]
                         if row["subject"] == "ml_feature_store")
    run_path = f"/dags/{DAG_ID}/runs/{quote(finished_run.run_id, safe='')}"
    task_id = "phase_4_precompute.ml_feature_store.run"
    assert feature_store["links"] == {  # the exact task instance of the run that wrote the row
        "dag_run": run_path, "task_instance": f"{run_path}/tasks/{task_id}?try_number=1"}
    instance = api.request("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{quote(finished_run.run_id, safe='')}"
                                  f"/taskInstances/{task_id}")
    assert (instance["state"], instance["try_number"]) == ("success", 1), instance


# ----- Airflow's own UI ------------------------------------------------------------------------------
DAG_IDS = sorted(path.stem for path in (PROJECT_ROOT / "dags").glob("*.py"))  # each file is named after its DAG


def _leaves(nodes: list[dict], kind: str | None = None) -> set[str]:
    """Ids of the nodes without children (tasks), optionally only those of this ``type``."""
    found = set()
    for node in nodes:
        if node.get("children"):
            found |= _leaves(node["children"], kind)
        elif kind is None or node.get("type") == kind:
            found.add(node["id"])
    return found


def test_the_ui_can_draw_every_dag(running_stack, finished_run):
    """The Graph and Grid views' requests answer 200 with every task of every DAG. A cycle between task
    groups is a 500 there and an empty canvas, with no message in the UI. Requested after the daily
    run, so the grid also merges the DAG version that run used."""
    stack = running_stack
    api = stack.api
    for dag_id in DAG_IDS:
        api.wait_for_dag(stack, dag_id, timeout=60)
    listed = api.request("GET", "/api/v2/dags", params={"limit": 100})["dags"]
    assert sorted(d["dag_id"] for d in listed) == DAG_IDS
    for dag_id in DAG_IDS:
        tasks = {t["task_id"] for t in api.request("GET", f"/api/v2/dags/{dag_id}/tasks")["tasks"]}
        assert tasks, dag_id
        graph = api.http.get("/ui/structure/structure_data", params={"dag_id": dag_id}, headers=api.headers)
        assert graph.status_code == 200, (dag_id, graph.status_code, graph.text[:500])
        assert _leaves(graph.json()["nodes"], kind="task") == tasks, dag_id
        grid = api.http.get(f"/ui/grid/structure/{dag_id}", headers=api.headers)
        assert grid.status_code == 200, (dag_id, grid.status_code, grid.text[:500])
        assert _leaves(grid.json()) == tasks, dag_id


def _allowed(key: str) -> list[str]:
    from nba_pipeline.dag.builder import known_sources
    from nba_pipeline.registry.catalog import breaker_settings
    from nba_pipeline.registry.processors import daily_processors

    return {
        "force_processors": [p.name for p in daily_processors()],
        "sources": known_sources(daily_processors()),
    }.get(key) or list(breaker_settings())


@pytest.mark.parametrize(
    ("dag_id", "key", "value", "wrong"),
    [
        ("nba_daily_pipeline", "force_processors", ["player_game_summary", "player_game"], "player_game"),
        ("nba_daily_pipeline", "ignore_breakers", ["xgboost"], "xgboost"),
        ("nba_daily_pipeline", "sources", ["nba_com"], "nba_com"),
        ("nba_breaker_admin", "breaker", "xgboost", "xgboost"),
    ],
)
def test_a_name_the_params_do_not_allow_is_refused_with_a_readable_message(
    running_stack, finished_run, dag_id, key, value, wrong
):
    """The trigger form's request with a wrong name: 400, no run, and the detail the form shows names
    the Param, the wrong value and every allowed one (not a regular expression)."""
    api = running_stack.api
    runs_before = api.request("GET", f"/api/v2/dags/{dag_id}/dagRuns")["total_entries"]
    response = api.http.post(f"/api/v2/dags/{dag_id}/dagRuns", headers=api.headers, json={
        "conf": {key: value}, "logical_date": None, "data_interval_start": None, "data_interval_end": None,
        "partition_key": None, "note": None,
    })
    assert response.status_code == 400, (response.status_code, response.text[:500])
    first_line = response.json()["detail"].splitlines()[0]
    assert first_line.startswith(f"Invalid input for param {key}: {wrong!r} is not one of ["), first_line
    assert all(repr(name) in first_line for name in _allowed(key)), first_line
    assert api.request("GET", f"/api/v2/dags/{dag_id}/dagRuns")["total_entries"] == runs_before


# ----- in a real browser (the system's Chromium; skipped, with the reason, where it cannot run) --------


@pytest.fixture(scope="module")
def chromium() -> Iterator[browser.Browser]:
    reason = browser.unavailable()
    if reason:
        pytest.skip(reason)
    with browser.launch() as launched:
        yield launched


def _run_processors(stack: Stack, run: FinishedRun) -> set[str]:
    """The processors that wrote a run row (phases 2-4) during this run."""
    tables = {"processor_runs": "processed_at", "analytics_processor_runs": "created_at",
              "precompute_processor_runs": "created_at"}
    return {row["processor_name"] for table, written in tables.items() for row in _query(
        stack, f"SELECT processor_name FROM nba_processing.{table} WHERE {written} >= @since", {"since": run.since})}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_plugin_pages_in_airflows_frame(running_stack, finished_run, chromium, scheme):
    """Browse → "NBA pipeline" shows the pages inside Airflow's frame: this run's breakers closed, its
    processors on the runs page, the game day's skips; every page reachable from the pages' own
    navigation, on a background as light or dark as the browser prefers. Screenshots nba-<page>-<scheme>."""
    from playwright.sync_api import expect

    processors = _run_processors(running_stack, finished_run)
    with browser.logged_in(chromium, running_stack, scheme) as page:
        failed = browser.failed_requests(page)
        frame = browser.plugin_view(page, running_stack)
        expect(frame.locator("nav.pages a[aria-current=page]")).to_have_text("Circuit breakers")
        breakers = dict(zip(browser.table_cells(frame, 0), browser.table_cells(frame, 1), strict=True))
        assert breakers.get("ml_feature_store") == "CLOSED", breakers
        assert processors and {p: breakers.get(p) for p in processors} == dict.fromkeys(processors, "CLOSED")
        luminance = browser.background_luminance(frame)
        assert luminance is not None and (luminance > 0.5 if scheme == "light" else luminance < 0.1), luminance

        links = frame.locator("nav.pages a").evaluate_all("links => links.map(a => [a.textContent, a.pathname])")
        assert {"Circuit breakers", "Skips", "Runs"} <= {label for label, _ in links}, links
        for label, path in links:
            with frame.expect_navigation():
                frame.get_by_role("link", name=label, exact=True).click()
            expect(frame.locator("nav.pages a[aria-current=page]")).to_have_text(label)
            if label == "Skips":
                frame.get_by_label("Game date").fill(GAME_DAY.isoformat())
                frame.get_by_role("button", name="Show").click()
                expect(frame.get_by_role("heading", name=f"Skips of game date {GAME_DAY}")).to_be_visible()
            if label == "Game date":
                frame.get_by_label("Game date").fill(GAME_DAY.isoformat())
                frame.get_by_role("button", name="Show").click()
                expect(frame.get_by_role("heading", name=f"Game date {GAME_DAY}", exact=True)).to_be_visible()
                outcomes = dict(zip(browser.table_cells(frame, 0), browser.table_cells(frame, 1), strict=True))
                assert {p: outcomes.get(p) for p in processors} == dict.fromkeys(processors, "success"), outcomes
            if label == "Runs":
                assert processors <= set(browser.table_cells(frame, 1)), browser.table_cells(frame, 1)
            browser.screenshot(page, f"nba-{path.rstrip('/').rsplit('/', 1)[-1]}-{scheme}")
        assert not failed, failed


def test_the_runs_page_filters_by_processor(running_stack, finished_run, chromium):
    """The runs page's form, submitted as a browser does (its empty fields too), shows only the chosen
    processor's rows, the game day's among them; a row's log link opens that task instance in Airflow.
    Screenshots nba-runs-filtered-light, nba-runs-task-log-light."""
    from playwright.sync_api import expect

    with browser.logged_in(chromium, running_stack) as page:
        frame = browser.plugin_view(page, running_stack)
        with frame.expect_navigation():
            frame.get_by_role("link", name="Runs", exact=True).click()
        frame.get_by_label("Processor or player").fill("ml_feature_store")
        with frame.expect_navigation() as submitted:
            frame.get_by_role("button", name="Show").click()
        browser.screenshot(page, "nba-runs-filtered-light")
        answer = submitted.value
        assert answer is not None and answer.status == 200, (frame.url, answer and answer.text()[:500])
        subjects = browser.table_cells(frame, 1)
        assert subjects and set(subjects) == {"ml_feature_store"}, subjects
        assert GAME_DAY.isoformat() in browser.table_cells(frame, 0)
        # a row's log link opens its task instance in Airflow's whole window (not in the frame), at its try
        frame.get_by_role("link", name="task log").first.click()
        page.wait_for_url(re.compile(r"/tasks/phase_4_precompute\.ml_feature_store\.run\?try_number=1$"))
        expect(page.locator("iframe")).to_have_count(0)  # Airflow's own page now, not the plugin's frame
        expect(page.get_by_text("ml_feature_store.run").first).to_be_visible()
        expect(page.get_by_text("No Task Instance found")).to_have_count(0)  # the instance loads, not a miss
        expect(page.get_by_text("ml_feature_store done in").first).to_be_visible()  # the try's log itself
        browser.screenshot(page, "nba-runs-task-log-light")


def test_every_dag_draws_in_the_grid_and_graph_views(running_stack, finished_run, chromium):
    """Each DAG's Grid lists its top-level tasks and groups (the daily DAG with a cell of this run for
    each) and its Graph draws them as nodes, then every task once the groups are expanded; no request
    of the page fails. Screenshots <dag_id>-grid and <dag_id>-graph."""
    from playwright.sync_api import expect

    stack, api = running_stack, running_stack.api
    with browser.logged_in(chromium, stack) as page:
        failed = browser.failed_requests(page)
        for dag_id in DAG_IDS:
            top = {n["id"] for n in api.request("GET", f"/ui/structure/structure_data?dag_id={dag_id}")["nodes"]}
            tasks = {t["task_id"] for t in api.request("GET", f"/api/v2/dags/{dag_id}/tasks")["tasks"]}
            page.goto(f"{stack.api_url}/dags/{dag_id}")
            page.get_by_role("button", name="Show Grid").click()
            cells = [f"task-{n}" for n in top] + [f"grid-{finished_run.run_id}-{n}" for n in top if dag_id == DAG_ID]
            for cell in cells:
                expect(page.get_by_test_id(cell)).to_be_visible()
            browser.screenshot(page, f"{dag_id}-grid")
            page.get_by_role("button", name="Show Graph").click()
            assert browser.wait_for_nodes(page, len(top), failed) == top, dag_id
            browser.screenshot(page, f"{dag_id}-graph")
            if tasks != top:
                page.get_by_role("button", name="Expand all task groups").click()
                missing = tasks - browser.wait_for_nodes(page, len(tasks), failed)
                assert not missing, (dag_id, sorted(missing))
        assert not failed, failed


def test_the_stack_stops_without_leftovers(stack):
    """Every process ends on SIGTERM, nothing carrying the stack's marker survives, the metadata
    database is dropped and the Redis database emptied."""
    stack.close()
    assert stack.leftovers == []
    assert not database_exists(stack.database)
    assert stack.redis_db is None or redis_db_size(stack.redis_db) == 0
