"""A game day's predictions on the embedded warehouse: the daily DAG reads its mapped prediction
batches without XCom errors in its log, and the noon deadline check (``nba_predictions_deadline``)
alerts exactly when a date with games has no predictions.

The season (the 20 dates before 2025-01-15, the same history as the daily pipeline module's, built
once per test run: ``tests.seasons``) is copied once per module and the game day is run once
(``airflow dags test``, as ``make run`` does); the deadline DAG runs under ``dag.test()``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.airflow_runs import load_dag, run_dag
from tests.conftest import PROJECT_ROOT
from tests.seasons import backfilled_history

pytestmark = pytest.mark.integration

GAME_DAY = dt.date(2025, 1, 15)
XCOM_ERROR = "XCom not found"


def _query(sql: str, params: dict | None = None) -> list[dict]:
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        return warehouse.query(sql, params or {})


@pytest.fixture(scope="module")
def season(airflow_db, tmp_path_factory) -> Iterator[None]:
    """A warehouse with 20 backfilled dates before the game day (no model: xgboost_v1 skips)."""
    from nba_pipeline.settings import environment

    folder = backfilled_history(tmp_path_factory, GAME_DAY - dt.timedelta(days=20), GAME_DAY - dt.timedelta(days=1),
                                "test_backfill", tmp_path_factory.mktemp("game_day"))
    with environment({
        "NBA_DATA_DIR": str(folder), "NBA_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "NBA_PAYLOAD_ROOT": str(folder / "payloads"), "NBA_DEPENDENCY_POKE_SECONDS": "1",
        "NBA_DEPENDENCY_TIMEOUT_SECONDS": "2",
    }):
        yield


def _lineage_file() -> Path:
    return Path(os.environ["NBA_DATA_DIR"]) / "lineage.jsonl"


@pytest.fixture(scope="module")
def game_day_log(season) -> str:
    """``airflow dags test`` of the daily DAG for the game day: its whole log, at INFO. The
    OpenLineage provider writes its events to :func:`_lineage_file`, as a data team would configure
    a file transport."""
    env = {
        **os.environ, "PYTHONPATH": str(PROJECT_ROOT / "plugins"), "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(_lineage_file()), "append": True}),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "nba_test",
    }
    run = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", "nba_daily_pipeline", GAME_DAY.isoformat(),
         "-c", json.dumps({"game_date": GAME_DAY.isoformat()})],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=900,
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    return log


def test_a_game_day_reads_its_prediction_batches_without_xcom_errors(game_day_log):
    """The game day's log has no ``XCom not found`` line (iterating the SDK's lazy sequence of the
    batches' results asked for one offset past the last batch), and ``record_successes`` still reads
    the result of every batch."""
    from nba_pipeline.predictions.coordinator import eligible_players, make_batches
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    log = game_day_log
    assert XCOM_ERROR not in log, [line for line in log.splitlines() if XCOM_ERROR in line]

    with get_warehouse() as warehouse:
        players = eligible_players(warehouse, GAME_DAY)
    eligible = {p.player_lookup for p in players}
    batches = len(make_batches(players, get_settings().prediction_batch_size))
    assert batches > 1 and len(eligible) > 100
    # the log holds the mapped tasks' own lines: one per batch predicted, and the reader's summary
    assert len(set(re.findall(r"batch (\d+): \d+ players: \d+ predicted", log))) == batches
    assert re.search(rf"breaker successes of {batches} batches: recorded \[", log), "every batch's result was read"
    workers = _query("SELECT player_lookup FROM nba_predictions.prediction_worker_runs WHERE game_date = @d",
                     {"d": GAME_DAY})
    assert {r["player_lookup"] for r in workers} == eligible


def test_the_five_phases_are_one_lineage_graph_ending_in_the_predictions(game_day_log):
    """The events the OpenLineage provider wrote for the game day join up: from a source's payload
    folder (phase 1) through raw, analytics and precompute tables and the feature store to the
    predictions. Each batch reports the tables its SQL reads and the rows it wrote."""
    from nba_pipeline.predictions.worker.inputs import TABLES_READ
    from nba_pipeline.settings import get_settings

    namespace = f"duckdb://{get_settings().duckdb_path.resolve()}"
    completed = [e for e in map(json.loads, _lineage_file().read_text().splitlines()) if e["eventType"] == "COMPLETE"]
    edges: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for event in completed:
        for source in event.get("inputs", []):
            for target in event.get("outputs", []):
                edges.setdefault((source["namespace"], source["name"]), set()).add(
                    (target["namespace"], target["name"]))

    def reachable(start: tuple[str, str]) -> set[tuple[str, str]]:
        seen, todo = set(), [start]
        while todo:
            for node in edges.get(todo.pop(), ()):
                if node not in seen:
                    seen.add(node)
                    todo.append(node)
        return seen

    predictions = (namespace, "nba_predictions.player_prop_predictions")
    payloads = Path(get_settings().payload_root).resolve()
    assert predictions in reachable(("file", str(payloads / "nbac_gamebook")))
    for phase_table in ("nba_raw.nbac_gamebook_player_stats", "nba_analytics.player_game_summary",
                        "nba_precompute.player_daily_cache", "nba_predictions.ml_feature_store_v2"):
        assert predictions in reachable((namespace, phase_table)), phase_table

    batches = [e for e in completed if e["job"]["name"].endswith(".phase_5_predictions.predict")]
    assert len(batches) > 1
    written = {"nba_predictions.player_prop_predictions": 0, "nba_predictions.prediction_worker_runs": 0}
    for event in batches:
        assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [(namespace, t) for t in TABLES_READ]
        for output in event["outputs"]:
            written[output["name"]] += output["outputFacets"]["outputStatistics"]["rowCount"]
        facet = event["run"]["facets"]["nbaPredictionBatch"]
        assert facet["gameDate"] == GAME_DAY.isoformat() and facet["workerId"].startswith("map-")
    for table, rows in written.items():
        assert rows == _query(f"SELECT COUNT(*) AS n FROM {table} WHERE game_date = @d", {"d": GAME_DAY})[0]["n"] > 0


# --------------------------------------------------------------------------- the predictions deadline


class Recorder:
    def __init__(self) -> None:
        self.events: list = []

    def notify(self, event) -> None:
        self.events.append(event)


def _deadline_run(day: dt.date, monkeypatch: pytest.MonkeyPatch) -> tuple[object, dict | None, list]:
    """``nba_predictions_deadline`` for ``day`` (scheduled at noon ET; the package clock is long past
    it): the task instance, its returned check, and the alerts sent."""
    from nba_pipeline import alerts

    recorder = Recorder()
    monkeypatch.setattr(alerts, "get_notifier", lambda: recorder)
    dag_run = run_dag(load_dag(PROJECT_ROOT / "dags", "nba_predictions_deadline"), day)
    assert dag_run.state == "success"
    [ti] = dag_run.get_task_instances()
    return ti, ti.xcom_pull(task_ids=ti.task_id), recorder.events


def test_a_game_day_with_predictions_alerts_nothing(game_day_log, monkeypatch):
    ti, check, events = _deadline_run(GAME_DAY, monkeypatch)
    assert ti.state == "success" and events == []
    assert check["games"] > 0 and check["predictions"] > 0 and check["missing"] is False


def test_a_day_with_games_and_no_predictions_alerts_once_naming_the_date(season, monkeypatch):
    day = GAME_DAY + dt.timedelta(days=1)
    ti, check, events = _deadline_run(day, monkeypatch)
    assert ti.state == "success"
    assert check["games"] > 0 and check["predictions"] == 0 and check["missing"] is True
    [event] = events
    assert (event.kind, event.key, event.dag_id) == ("predictions_missing", day.isoformat(), "nba_predictions_deadline")
    assert f"game date {day} has no predictions at its deadline 12:00 EST ({check['games']} games" in event.text()


@pytest.mark.parametrize(("day", "reason"), [(dt.date(2025, 2, 16), "no_games"), (dt.date(2025, 7, 15), "offseason")])
def test_a_day_without_games_alerts_nothing(season, monkeypatch, day, reason):
    ti, check, events = _deadline_run(day, monkeypatch)
    assert ti.state == "skipped" and check is None and events == []
    assert ti.xcom_pull(task_ids=ti.task_id, key="skip_reason")["reason"] == reason
