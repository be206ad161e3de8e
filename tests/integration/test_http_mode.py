"""HTTP mode against a stand-in for the real services gives what the simulated mode gives.

A local HTTP server plays every API host at once. It answers each endpoint's real path and query,
as the endpoint catalog builds them, with the simulated league's payload of that date, and behaves
as the real services do where the pipeline must cope: it refuses a request without the API's key
the way that API does (The Odds API's ``apiKey`` parameter, balldontlie's ``Authorization``
header, BettingPros' ``x-api-key`` header), answers the first request for every path 429 with
``Retry-After``, and sends The Odds API's ``x-requests-*`` quota headers. The connections are the
production definitions (:mod:`nba_pipeline.scrapers.connections`) with only the host pointed at
the stand-in. Two dates run through the backfill runner's ``run_date`` (the daily DAG's scrapers,
raw processors and guards) in each mode, each into its own warehouse and payload folder; every
raw table must hold the same rows. Then the daily DAG itself runs a game day in HTTP mode.

Not covered here (docs/real-endpoints.md §7): the sources that need several requests per date are
served as one response, and the scrapers neither read the quota headers nor keep a budget.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from email.message import Message
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from nba_pipeline.scrapers.connections import API_CONNECTIONS
from nba_pipeline.scrapers.endpoints import ENDPOINTS, Endpoint
from nba_pipeline.scrapers.sources import SimulatedSource
from nba_pipeline.settings import get_settings
from tests.local_http import QuietHandler, cursor_page, serving

pytestmark = pytest.mark.integration

DATES = (dt.date(2025, 1, 15), dt.date(2025, 1, 16))
KEYS = {"nba_odds_api": "odds-key/+=", "nba_balldontlie": "bdl-key", "nba_bettingpros": "bp-key"}
#: How each keyed API refuses a request without its key (status, body).
REFUSALS = {
    "nba_odds_api": (401, b'{"message": "API key is missing", "error_code": "MISSING_KEY"}'),
    "nba_balldontlie": (401, b'{"error": "Unauthorized"}'),
    "nba_bettingpros": (403, b'{"message": "Forbidden"}'),
}
UNPUBLISHED = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code></Error>"
PAGE_SIZE = 100  # balldontlie's per_page: a day of games is two or three pages
_KEY_PARAMS = {c.key_param for c in API_CONNECTIONS.values() if c.key_param}


class ApiStandIn(ThreadingHTTPServer):
    """Every API host on one port: real paths and queries, keys, a 429 first, quota headers."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.simulated = SimulatedSource()
        #: (path, query) -> {run date: (endpoint, date scraped)}; NBA.com's season schedule has one
        #: URL for every date, and the stand-in answers it as of the date being run (``today``).
        self.routes: dict[tuple[str, frozenset[tuple[str, str]]], dict[dt.date, tuple[Endpoint, dt.date]]] = {}
        self.unpublished: set[str] = set()
        for endpoint in ENDPOINTS.values():
            for day in DATES:
                scraped = day + dt.timedelta(days=endpoint.date_offset_days)
                slot = None
                if endpoint.slots is not None:  # the newest slot's file is not published yet: 403
                    newest, slot = endpoint.slots(endpoint.fetch_moment(scraped))[:2]
                    self.unpublished.add(endpoint.request(scraped, newest)[0])
                path, params = endpoint.request(scraped, slot)
                self.routes.setdefault((path, frozenset(params.items())), {})[day] = (endpoint, scraped)
        self.today = DATES[0]
        self.requests: Counter[str] = Counter()
        self.answers: Counter[tuple[str, int]] = Counter()  # (conn_id, status)
        self.lock = threading.Lock()

    def reply(self, target: str, headers: Message) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        if parts.path in self.unpublished:  # as S3 answers for a key that does not exist
            return self._answer("nba_injury_report", 403, {"Content-Type": "application/xml"}, UNPUBLISHED)
        query = dict(parse_qsl(parts.query))
        keys_in_query = {name: query.pop(name) for name in _KEY_PARAMS if name in query}
        cursor = query.pop("cursor", None)
        by_day = self.routes.get((parts.path, frozenset(query.items())), {})
        route = by_day.get(self.today) or (next(iter(by_day.values())) if len(by_day) == 1 else None)
        if route is None:
            return 404, {}, b'{"message": "no such path or query"}'
        endpoint, day = route
        connection = API_CONNECTIONS[endpoint.conn_id]
        if connection.key_param:
            supplied = keys_in_query.get(connection.key_param)
        else:
            supplied = headers.get(connection.key_header) if connection.key_header else None
        with self.lock:
            self.requests[target] += 1
            first = self.requests[target] == 1
        if connection.needs_key and supplied != KEYS[connection.conn_id]:
            status, body = REFUSALS[connection.conn_id]
            return self._answer(connection.conn_id, status, {}, body)
        if first:
            return self._answer(connection.conn_id, 429, {"Retry-After": "1"}, b'{"message": "slow down"}')
        body = self.simulated.fetch(endpoint.source, day).body
        if endpoint.paging is not None:
            body = cursor_page(body, int(cursor or 0), PAGE_SIZE)
        extra = {"Content-Type": endpoint.media_type}
        if connection.conn_id == "nba_odds_api":
            extra |= {"x-requests-used": "30", "x-requests-remaining": "19970", "x-requests-last": "30"}
        return self._answer(connection.conn_id, 200, extra, body)

    def _answer(self, conn_id: str, status: int, headers: dict[str, str], body: bytes) -> Any:
        with self.lock:
            self.answers[(conn_id, status)] += 1
        return status, headers, body


class _Handler(QuietHandler):
    server: ApiStandIn

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        status, headers, body = self.server.reply(self.path, self.headers)
        self.answer(status, body, headers)


@pytest.fixture
def stand_in() -> Iterator[ApiStandIn]:
    with serving(ApiStandIn()) as server:
        yield server


def _connect(settings_env: pytest.MonkeyPatch, port: int, keys: dict[str, str]) -> None:
    """The production connections, pointed at the stand-in; Retry-After is honoured up to 50 ms."""
    for conn_id, connection in API_CONNECTIONS.items():
        definition = connection.definition(
            keys.get(conn_id) if connection.needs_key else None,
            host="127.0.0.1",
            port=port,
            timeout_seconds=10,
            max_attempts=3,
            backoff_cap_seconds=0.05,
        )
        settings_env.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(definition))


def _raw_tables_after_phases_1_and_2(
    settings_env: pytest.MonkeyPatch,
    folder: Path,
    stand_in: ApiStandIn | None = None,
    dates: tuple[dt.date, ...] = DATES,
) -> dict[str, list[str]]:
    from nba_pipeline.backfill import run_date
    from nba_pipeline.registry.processors import CALENDAR, RAW_TABLES, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import get_warehouse

    settings_env.setenv("NBA_DATA_DIR", str(folder))
    settings_env.setenv("NBA_DUCKDB_PATH", str(folder / "warehouse.duckdb"))
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(folder / "payloads"))
    get_settings.cache_clear()
    processors = [spec for spec in backfill_processors() if spec.phase.value <= 2]
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        for day in dates:
            if stand_in is not None:
                stand_in.today = day
            outcome = run_date(warehouse, processors, CALENDAR, day, dag_run_id=f"http_mode__{folder.name}")
            assert outcome.count("failed") == 0, outcome.outcome
        tables = {}
        for spec in RAW_TABLES.values():
            rows = warehouse.query(f"SELECT * FROM {spec.table}")
            tables[spec.table] = sorted(_content(row) for row in rows)
    return tables


def test_http_mode_fills_every_raw_table_as_the_simulated_mode_does(settings_env, stand_in, tmp_path):
    settings_env.setenv("NBA_SOURCE_MODE", "simulated")
    simulated = _raw_tables_after_phases_1_and_2(settings_env, tmp_path / "simulated")

    settings_env.setenv("NBA_SOURCE_MODE", "http")
    _connect(settings_env, stand_in.server_address[1], KEYS)
    over_http = _raw_tables_after_phases_1_and_2(settings_env, tmp_path / "http", stand_in)

    assert over_http == simulated
    assert all(simulated.values()), "every raw table got rows"
    answered = Counter()
    for (_, status), n in stand_in.answers.items():
        answered[status] += n
    later_pages = sum(  # balldontlie's pages after the first, followed by their cursors
        -(-len(json.loads(SimulatedSource().fetch("bdl_boxscores", day - dt.timedelta(days=1)).body)["data"])
          // PAGE_SIZE) - 1
        for day in DATES
    )
    assert later_pages >= len(DATES) and sum("cursor=" in url for url in stand_in.requests) == later_pages
    assert answered[200] == len(ENDPOINTS) * len(DATES) + later_pages, "each source and date fetched, every page"
    assert answered[403] == len(DATES), "the newest injury report was not out: the slot before was fetched"
    # each URL's first request was answered 429 and retried (the season schedule's one URL serves both dates)
    assert answered[429] == len(stand_in.requests) and min(stand_in.requests.values()) == 2
    assert set(answered) == {200, 403, 429}, "no request without its key, none to an unknown path"
    assert {conn_id for conn_id, _ in stand_in.answers} == set(API_CONNECTIONS), "every host was asked"


@pytest.mark.parametrize("conn_id", sorted(KEYS))
def test_a_wrong_key_is_refused_as_the_api_refuses_it(settings_env, stand_in, tmp_path, conn_id):
    from nba_pipeline.guards.spec import Phase, ProcessorContext, ProcessorSpec
    from nba_pipeline.scrapers.run import scrape
    from nba_pipeline.sources.fetch_results import SourceClientError

    settings_env.setenv("NBA_SOURCE_MODE", "http")
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(tmp_path / "payloads"))
    _connect(settings_env, stand_in.server_address[1], {**KEYS, conn_id: "wrong"})
    source = next(s for s, endpoint in ENDPOINTS.items() if endpoint.conn_id == conn_id)
    spec = ProcessorSpec(f"scrape_{source}", Phase.SCRAPERS, run=scrape, sources=(source,), breaker=None)
    ctx = ProcessorContext(
        warehouse=None, processor=spec, event_date=DATES[0], backfill=False,
        run_id="http-mode", dag_run_id="manual__http_mode", try_number=1,
    )  # fmt: skip

    status = REFUSALS[conn_id][0]
    with pytest.raises(SourceClientError, match=f"status {status}") as refused:
        scrape(ctx)
    assert "wrong" not in str(refused.value), "the key never appears in the error"
    assert not (tmp_path / "payloads").exists() or not any((tmp_path / "payloads").rglob("*.*"))


def test_the_daily_dag_runs_a_game_day_in_http_mode(airflow_db, settings_env, stand_in, tmp_path):
    """``nba_daily_pipeline`` under ``dag.test()`` for the second date, in HTTP mode, after the first
    date ran in simulated mode: every task ends success or skipped, every scraper fetched over
    HTTP, and each raw table's rows for the date are what the raw processors read from the
    simulated payloads."""
    from nba_pipeline.registry.processors import RAW_TABLES
    from nba_pipeline.warehouse import get_warehouse
    from tests.airflow_runs import load_dag, run_dag, task_states
    from tests.conftest import PROJECT_ROOT

    settings_env.setenv("NBA_SOURCE_MODE", "simulated")
    _raw_tables_after_phases_1_and_2(settings_env, tmp_path, dates=DATES[:1])
    settings_env.setenv("NBA_SOURCE_MODE", "http")
    settings_env.setenv("NBA_DEPENDENCY_POKE_SECONDS", "1")
    settings_env.setenv("NBA_DEPENDENCY_TIMEOUT_SECONDS", "2")
    _connect(settings_env, stand_in.server_address[1], KEYS)
    get_settings.cache_clear()
    day = stand_in.today = DATES[1]

    dag_run = run_dag(load_dag(PROJECT_ROOT / "dags", "nba_daily_pipeline"), day, {"game_date": day.isoformat()})

    states = task_states(dag_run)
    assert dag_run.state == "success", {t: s for t, s in states.items() if s not in ("success", "skipped")}
    scrapers = {t for t in states if t.endswith(".run") and t.rsplit(".", 2)[-2].startswith("scrape_")}
    assert len(scrapers) == len(ENDPOINTS) and {states[t] for t in scrapers} == {"success"}
    assert sum(n for (_, status), n in stand_in.answers.items() if status == 200) > len(ENDPOINTS)  # + pages
    simulated = SimulatedSource()
    with get_warehouse() as warehouse:
        for spec in RAW_TABLES.values():
            scraped = day + dt.timedelta(days=ENDPOINTS[spec.source].date_offset_days)
            body = simulated.fetch(spec.source, scraped).body
            want = {_content(p.row) for p in spec.parse(spec.decode(body), scraped)}
            loaded = {_content(row) for row in warehouse.query(f"SELECT * FROM {spec.table}")}
            assert want and want <= loaded, spec.table


def _content(row: dict[str, Any]) -> str:
    """A row without its bookkeeping columns (when and from which file it was loaded), as JSON."""
    kept = {key: value for key, value in row.items() if key not in ("loaded_at", "source_file_path")}
    return json.dumps(kept, default=str, sort_keys=True)
