"""The daily pipeline on a real deployment: API server, scheduler, DAG processor, triggerer and a
Celery worker on PostgreSQL and Redis. A run is triggered through the REST API as the UI's trigger
button does, and its results are read back from the warehouse and the project's UI pages."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

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
PLUGIN_PAGES = ("/nba/", "/nba/breakers", "/nba/breakers.json", "/nba/runs", "/nba/runs.json", "/nba/skips",
                "/nba/skips.json")


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


def test_the_stack_stops_without_leftovers(stack):
    """Every process ends on SIGTERM, nothing carrying the stack's marker survives, the metadata
    database is dropped and the Redis database emptied."""
    stack.close()
    assert stack.leftovers == []
    assert not database_exists(stack.database)
    assert stack.redis_db is None or redis_db_size(stack.redis_db) == 0
