"""Retry storm bound: permanent failures cost a bounded number of attempts per day, and the breaker
stops the processor that keeps failing.

Four daily runs (real ``dag.test()``) of the real scrapers and raw processors for three sources
(``tests/dags/reliability_retry_storm.py``), fetching over HTTP from a local NBA.com stand-in:

- the team box score endpoint answers 500 to every request (a source that is down for days);
- the injury report is served, but its raw table has drifted (a column dropped by hand), so the
  raw processor fails on every attempt.

Attempts are counted outside the code under test: HTTP requests at the server, task tries from
Airflow, failed attempts from the run table. The original ran one processor 7,139 times in 20 hours.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from nba_pipeline.scrapers.connections import API_CONNECTIONS
from tests.airflow_runs import load_dag, run_dag
from tests.conftest import PROJECT_ROOT
from tests.local_http import QuietHandler, serving
from tests.reliability import state
from tests.reliability.conftest import warehouse_path

pytestmark = pytest.mark.integration

DAYS = [dt.date(2025, 1, 15) + dt.timedelta(days=n) for n in range(4)]
MAX_ATTEMPTS = 2  # HTTP requests per scraper try (the connection's client setting)
SCRAPER_TRIES = 4  # retries=3 in the registry
RAW_TRIES = 3  # retries=2 in the registry
THRESHOLD = 5  # the registry's breaker threshold
BOX = "nbac_team_boxscore"
INJURY = "nbac_injury_report"


class NbaComStandIn(ThreadingHTTPServer):
    """NBA.com on 127.0.0.1: the simulated league's schedule and injury report, the team box score
    endpoint down (500). Counts every request per path."""

    daemon_threads = True

    def __init__(self) -> None:
        from nba_pipeline.scrapers.endpoints import endpoint_for
        from nba_pipeline.scrapers.sources import SimulatedSource

        super().__init__(("127.0.0.1", 0), _Handler)
        self.day = DAYS[0]
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.simulated = SimulatedSource()
        self.schedule_path = endpoint_for("nbac_schedule").request(self.day)[0]
        self.box_path = endpoint_for(BOX).request(self.day)[0]
        self.injury_path = re.compile(r"^/referee/injury/Injury-Report_(\d{4}-\d{2}-\d{2})_\w+\.pdf$")

    def reply(self, path: str) -> tuple[int, bytes]:
        with self.lock:
            self.hits[path] += 1
        if path == self.box_path:
            return 500, b'{"message": "internal error"}'
        if path == self.schedule_path:
            return 200, self.simulated.fetch("nbac_schedule", self.day).body
        match = self.injury_path.match(path)
        if match:
            return 200, self.simulated.fetch(INJURY, dt.date.fromisoformat(match.group(1))).body
        return 404, b'{"message": "unknown path"}'

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class _Handler(QuietHandler):
    server: NbaComStandIn

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        status, body = self.server.reply(urlsplit(self.path).path)
        self.answer(status, body)


@pytest.fixture
def nba_com() -> Iterator[NbaComStandIn]:
    with serving(NbaComStandIn()) as server:
        yield server


def _tries(dag_run, task_id: str) -> tuple[str, int]:
    ti = next(ti for ti in dag_run.get_task_instances() if ti.task_id == task_id)
    return ti.state, ti.try_number


def test_permanent_failures_are_bounded_per_day_and_the_breaker_stops_them(
    airflow_db, nba_com, use_folder, tmp_path
):
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import get_warehouse

    hosts = {  # NBA.com's three hosts, one stand-in
        f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(API_CONNECTIONS[conn_id].definition(
            host="127.0.0.1", port=nba_com.server_address[1], max_attempts=MAX_ATTEMPTS,
            backoff_base_seconds=0.01, backoff_cap_seconds=0.05, timeout_seconds=5,
        ))
        for conn_id in ("nba_cdn", "nba_stats", "nba_injury_report")
    }
    use_folder(tmp_path, NBA_SOURCE_MODE="http", **hosts)
    path = warehouse_path(tmp_path)
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        warehouse.execute(f"ALTER TABLE nba_raw.{INJURY} DROP COLUMN reason")  # drift made by hand
    dag = load_dag(PROJECT_ROOT / "tests" / "dags", "reliability_retry_storm")

    seen = []
    for number, day in enumerate(DAYS, start=1):
        if number == 4:  # the breaker's 30-minute timeout has passed: one trial is due
            with state.connect(path) as con:
                con.execute(f"UPDATE {state.BREAKER_TABLE} SET opened_at = opened_at - INTERVAL 2 HOUR "
                            "WHERE processor_name = ?", [INJURY])
        nba_com.day = day
        box_hits_before = nba_com.hits[nba_com.box_path]
        since = dt.datetime.now(dt.UTC)
        dag_run = run_dag(dag, day, {"game_date": day.isoformat()})
        rows = state.query(path, "SELECT processor_name, status, skip_reason, error_message "
                                 "FROM nba_processing.processor_runs WHERE started_at >= ?", [since])
        injury_rows = [r for r in rows if r["processor_name"] == INJURY]
        box_rows = [r for r in rows if r["processor_name"] == BOX]
        breaker = state.breakers(path)[INJURY]
        seen.append({
            "scraper": _tries(dag_run, f"phase_1_scrapers.scrape_{BOX}.run"),
            "http_requests": nba_com.hits[nba_com.box_path] - box_hits_before,
            "injury_task": _tries(dag_run, f"phase_2_raw.{INJURY}.run"),
            "injury_failed_rows": sum(r["status"] == "failed" for r in injury_rows),
            "injury_skips": [r["skip_reason"] for r in injury_rows if r["status"] == "skipped"],
            "breaker": (breaker["state"], breaker["failure_count"]),
            "box_raw": [(r["status"], r["skip_reason"]) for r in box_rows],
        })
        assert all("reason" in r["error_message"] for r in injury_rows if r["status"] == "failed"), injury_rows
        assert _tries(dag_run, "calendar.nbac_schedule.run") == ("success", 1), "the healthy source still loads"

    # the source that is down: every day the same bounded number of requests, never a storm
    assert [d["scraper"] for d in seen] == [("failed", SCRAPER_TRIES)] * 4
    assert [d["http_requests"] for d in seen] == [SCRAPER_TRIES * MAX_ATTEMPTS] * 4
    assert [d["box_raw"] for d in seen] == [[("skipped", "no_data")]] * 4, "no payload is a skip, not a failure"
    assert state.breakers(path).get(BOX, {}).get("failure_count", 0) == 0, "its breaker counted nothing"

    # the processor that keeps failing: retries + 1 on day 1, cut short when the breaker opens on
    # day 2, skipped while open on day 3, one trial without retries once the timeout has passed
    assert [d["injury_failed_rows"] for d in seen] == [RAW_TRIES, THRESHOLD - RAW_TRIES, 0, 1]
    assert [d["injury_task"] for d in seen] == [
        ("failed", RAW_TRIES), ("failed", THRESHOLD - RAW_TRIES), ("skipped", 0), ("failed", 1)
    ]
    assert [d["breaker"] for d in seen] == [("CLOSED", 3), ("OPEN", 5), ("OPEN", 5), ("OPEN", 6)]
    assert [d["injury_skips"] for d in seen] == [[], [], ["circuit_open"], []]
    assert all(d["injury_failed_rows"] <= RAW_TRIES for d in seen)
    total = sum(d["injury_failed_rows"] for d in seen)
    assert total == THRESHOLD + 1 < RAW_TRIES * len(DAYS), f"{total} attempts in {len(DAYS)} days"
