"""HTTP mode against a stand-in for the real services gives what the simulated mode gives.

A local HTTP server plays every API host at once. It answers each endpoint's real path and query,
as the endpoint catalog builds them, with the simulated league's payload of that date, and behaves
as the real services do where the pipeline must cope: it refuses a request without the API's key
the way that API does (The Odds API's ``apiKey`` parameter, balldontlie's ``Authorization``
header, BettingPros' ``x-api-key`` header), answers the first request for every path 429 with
``Retry-After``, and bills The Odds API's requests as the real one does (historical: 10 x markets
returned x regions, events 1; live: markets returned x regions, events free; nothing for an empty
answer), reporting each in the ``x-requests-*`` headers. The Odds API is served at its historical
paths and at its live ones (``/v4/sports/basketball_nba/...``, no ``date``), which the scrapers ask
for a date that is today on the package clock. Player points props are served per event
(``/v4/historical/sports/basketball_nba/events/{eventId}/odds``, each answer ``data`` one event;
live, ``/v4/sports/basketball_nba/events/{eventId}/odds``, the event itself),
ESPN's rosters per team (``/apis/site/v2/sports/basketball/nba/teams/{teamId}/roster``), and
BettingPros' day as its events (``/v3/events``) then the offers of all of them in pages of 10
(``/v3/offers?...&event_id=a:b:c&limit=10&page=n``), NBA.com's player box scores as the date's
scoreboard (``/stats/scoreboardv3?GameDate=...&LeagueID=00``) then each final game's box score
(``/stats/boxscoretraditionalv3?...&GameID=...``, nba_api's parameters), and NBA.com's play-by-play
as the same scoreboard (asked on the stats connection) then each final game's live feed and live box
score at the CDN's paths (``/static/json/liveData/playbyplay/playbyplay_{gameId}.json``,
``/static/json/liveData/boxscore/boxscore_{gameId}.json``).
The connections are the production definitions (:mod:`nba_pipeline.scrapers.connections`) with
only the host pointed at the stand-in. Two dates run through the backfill runner's ``run_date``
(the daily DAG's scrapers, raw processors and guards) in each mode, each into its own warehouse
and payload folder; every raw table must hold the same rows, and the quota the scrapers record is
what the stand-in billed. A daily budget smaller than a day's need stops the odds scrapers with
what they fetched kept. Then the daily DAG itself runs a game day in HTTP mode.

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
from nba_pipeline.scrapers.run import QUOTA_TABLE
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
FIRST = "(first request)"  # the route item of a request that comes before the pages (BettingPros' events)
ODDS_CREDITS = 20_000  # the stand-in's Odds API plan
_KEY_PARAMS = {c.key_param for c in API_CONNECTIONS.values() if c.key_param}


class ApiStandIn(ThreadingHTTPServer):
    """Every API host on one port: real paths and queries, keys, a 429 first, quota headers."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.simulated = SimulatedSource()
        #: (path, query) -> {run date: (endpoint, date scraped)}; NBA.com's season schedule has one
        #: URL for every date, and the stand-in answers it as of the date being run (``today``).
        self.routes: dict[
            tuple[str, frozenset[tuple[str, str]]], dict[dt.date, tuple[Endpoint, dt.date, str | None]]
        ] = {}
        self.unpublished: set[str] = set()
        variants = [variant for entry in ENDPOINTS.values() for variant in (entry, entry.live) if variant is not None]
        for endpoint in variants:  # The Odds API's live endpoints beside the historical ones
            for day in DATES:
                scraped = day + dt.timedelta(days=endpoint.date_offset_days)
                slot = None
                if endpoint.slots is not None:  # the newest slot's file is not published yet: 403
                    newest, slot = endpoint.slots(endpoint.fetch_moment(scraped))[:2]
                    self.unpublished.add(endpoint.request(scraped, newest)[0])
                items: list[str | None] = [None]
                if endpoint.per_item is not None and endpoint.per_item.index_path:  # NBA.com's scoreboard first
                    index_path, index_params = endpoint.index_request(scraped)
                    self.routes.setdefault((index_path, frozenset(index_params.items())), {})[day] = (
                        endpoint, scraped, FIRST,
                    )  # fmt: skip
                    items = list(_final_games(scraped))  # then each final game's box score
                elif endpoint.per_item is not None:  # one path per event of the day, per ESPN team
                    items = list(endpoint.per_item.ids) or [e["id"] for e in _events(scraped)]
                if endpoint.joined_ids is not None:  # BettingPros: the events, then the offers of all
                    first_path, first_params = endpoint.first_request(scraped)
                    self.routes.setdefault((first_path, frozenset(first_params.items())), {})[day] = (
                        endpoint, scraped, FIRST,
                    )  # fmt: skip
                    items = [":".join(str(e["id"]) for e in _bettingpros(scraped)["events"]["events"])]
                for item in items:
                    requests = [(None, *endpoint.request(scraped, slot, item))]
                    if endpoint.per_item is not None and item is not None:  # each list's request of the item
                        requests = [(key, path, query) for key, path, query in endpoint.item_requests(scraped, item)]
                    for stored_as, path, params in requests:
                        routed = f"{stored_as}/{item}" if stored_as else item
                        self.routes.setdefault((path, frozenset(params.items())), {})[day] = (endpoint, scraped, routed)
        self.today = DATES[0]
        self.requests: Counter[str] = Counter()
        self.answers: Counter[tuple[str, int]] = Counter()  # (conn_id, status)
        self.billed: Counter[str] = Counter()  # source -> Odds API credits
        self.lock = threading.Lock()

    def reply(self, target: str, headers: Message) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        if parts.path in self.unpublished:  # as S3 answers for a key that does not exist
            return self._answer("nba_injury_report", 403, {"Content-Type": "application/xml"}, UNPUBLISHED)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))  # NBA.com sends empty values (`Active=`)
        keys_in_query = {name: query.pop(name) for name in _KEY_PARAMS if name in query}
        cursor, page = query.pop("cursor", None), query.pop("page", None)
        by_day = self.routes.get((parts.path, frozenset(query.items())), {})
        route = by_day.get(self.today) or (next(iter(by_day.values())) if len(by_day) == 1 else None)
        if route is None:
            return 404, {}, b'{"message": "no such path or query"}'
        endpoint, day, item = route
        conn_id = endpoint.conn_id
        if item == FIRST and endpoint.per_item is not None and endpoint.per_item.index_conn_id:
            conn_id = endpoint.per_item.index_conn_id  # the play-by-play's scoreboard, on the stats host
        connection = API_CONNECTIONS[conn_id]
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
        if endpoint.pages is not None:  # the events answer, or the offer page asked for
            document = json.loads(body)
            body = json.dumps(document["events"] if item == FIRST else document["offer_pages"][int(page or 0) - 1])
            body = body.encode()
        if endpoint.per_item is not None and item == FIRST:  # the scoreboard the box scores' games come from
            body = json.dumps(json.loads(body)[endpoint.per_item.index_stored_as]).encode()
        elif endpoint.per_item is not None and item is not None:  # this item's answer, as the real API serves it
            stored_as, _, item_id = item.partition("/")  # which list: the box score or a game's feed
            answers = json.loads(body)[stored_as]
            body = json.dumps(next(a for a in answers if _item_id(a) == item_id)).encode()
        extra = {"Content-Type": endpoint.media_type}
        if connection.conn_id == "nba_odds_api":
            extra |= self.bill(endpoint.source, json.loads(body), query)
        return self._answer(connection.conn_id, 200, extra, body)

    def bill(self, source: str, answer: Any, query: dict[str, str]) -> dict[str, str]:
        """The Odds API's cost of an answer and its quota headers: historical event lists 1, odds
        10 x markets returned x regions; live (an answer without the snapshot wrapper) event lists
        free, odds markets returned x regions; an answer without events costs nothing."""
        live = not (isinstance(answer, dict) and "data" in answer)
        data = answer if live else answer["data"]
        events = data if isinstance(data, list) else [data]
        if not events:
            cost = 0
        elif "markets" not in query:
            cost = 0 if live else 1
        else:
            returned = {m["key"] for e in events for b in e.get("bookmakers", []) for m in b["markets"]}
            cost = (1 if live else 10) * len(returned) * len(query["regions"].split(","))
        with self.lock:
            self.billed[source] += cost
            used = sum(self.billed.values())
        remaining = ODDS_CREDITS - used
        return {"x-requests-used": str(used), "x-requests-remaining": str(remaining), "x-requests-last": str(cost)}

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
    from nba_pipeline.warehouse import get_warehouse

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
    events = {day: len(_events(day)) for day in DATES}
    assert sum("/events/" in url and url.split("?")[0].endswith("/odds") for url in stand_in.requests) == sum(
        events.values()
    ), "player points props: one request per event of each date"
    rosters = ENDPOINTS["espn_rosters"].per_item
    assert rosters is not None and all(
        stand_in.requests[f"/apis/site/v2/sports/basketball/nba/teams/{team}/roster"] == len(DATES) + 1
        for team in rosters.ids
    ), "ESPN: one roster request per team and date (one URL for every date; its first answered 429)"
    box_scores = sum(len(_final_games(day - dt.timedelta(days=1))) for day in DATES)
    assert box_scores > 2 * len(DATES) and sum("/stats/boxscoretraditionalv3?" in url for url in stand_in.requests) == (
        box_scores
    ), "NBA.com: one box score request per final game of the day before (after its scoreboard)"
    assert sum("/stats/scoreboardv3?" in url for url in stand_in.requests) == len(DATES)
    for live in ("/static/json/liveData/playbyplay/playbyplay_", "/static/json/liveData/boxscore/boxscore_"):
        assert sum(url.startswith(live) for url in stand_in.requests) == box_scores, (
            "NBA.com's CDN: one feed and one live box score per final game (after the stats scoreboard)"
        )
    offer_pages = sum(len(_bettingpros(day)["offer_pages"]) for day in DATES)
    assert offer_pages > 2 * len(DATES) and sum("/v3/offers?" in url for url in stand_in.requests) == offer_pages
    offer_urls = [url for url in stand_in.requests if "/v3/offers?" in url]
    asked_pages = sorted(int(dict(parse_qsl(urlsplit(url).query))["page"]) for url in offer_urls)
    assert asked_pages == sorted(n for day in DATES for n in range(1, len(_bettingpros(day)["offer_pages"]) + 1))
    assert answered[200] == (len(ENDPOINTS) + len(rosters.ids) - 1) * len(DATES) + later_pages + sum(
        events.values()
    ) + offer_pages + 3 * box_scores, (
        "each source and date fetched, every page, every event (the props' first answer is the events), every "
        "team, BettingPros' events and every offer page, NBA.com's scoreboard (once per source) and every final "
        "game's box score, live feed and live box score"
    )
    assert answered[403] == len(DATES), "the newest injury report was not out: the slot before was fetched"
    # each URL's first request was answered 429 and retried (the season schedule's one URL serves both dates)
    assert answered[429] == len(stand_in.requests) and min(stand_in.requests.values()) == 2
    assert set(answered) == {200, 403, 429}, "no request without its key, none to an unknown path"
    assert {conn_id for conn_id, _ in stand_in.answers} == set(API_CONNECTIONS), "every host was asked"

    # every billed scraper attempt recorded what it used: what the stand-in billed, no more, no less
    with get_warehouse() as warehouse:
        recorded = warehouse.query(
            f"SELECT source, target_date, status, requests, quota_used, quota_remaining FROM {QUOTA_TABLE}"
        )
    want = {
        (source, day): cost
        for day in DATES
        for source, cost in (
            ("odds_api_events", (1, 1)),
            ("odds_api_game_lines", (1, 30)),
            ("odds_api_player_points_props", (1 + events[day], 1 + 10 * events[day])),
        )
    }
    assert {(r["source"], r["target_date"]): (r["requests"], r["quota_used"]) for r in recorded} == want
    assert {r["status"] for r in recorded} == {"success"} and len(recorded) == len(want)
    total = sum(stand_in.billed.values())
    assert sum(r["quota_used"] for r in recorded) == total == sum(used for _, used in want.values())
    assert min(r["quota_remaining"] for r in recorded) == ODDS_CREDITS - total


def test_a_daily_budget_smaller_than_a_days_need_stops_the_odds_scrapers_cleanly(settings_env, stand_in, tmp_path):
    """``NBA_ODDS_DAILY_QUOTA`` covers the events, the game lines and three events' props: the props
    scraper stops before the fourth event, naming the budget, the use and the next request's cost;
    the three answers are kept (in quarantine, never loaded), the use is recorded, and a retry
    the same day sends nothing."""
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.scrapers.run import IncompleteFetchError
    from nba_pipeline.storage import PayloadStore
    from nba_pipeline.warehouse import get_warehouse

    day = stand_in.today = DATES[0]
    budget = 1 + 30 + 1 + 3 * 10
    assert len(_events(day)) > 3, "the day needs more than the budget"
    settings_env.setenv("NBA_SOURCE_MODE", "http")
    settings_env.setenv("NBA_ODDS_DAILY_QUOTA", str(budget))
    settings_env.setenv("NBA_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(tmp_path / "payloads"))
    _connect(settings_env, stand_in.server_address[1], KEYS)
    get_settings.cache_clear()
    store = PayloadStore()
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        for source in ("odds_api_events", "odds_api_game_lines"):
            assert _scrape(warehouse, source, day).details["quota_used"] in (1, 30)
        with pytest.raises(IncompleteFetchError) as stopped:
            _scrape(warehouse, "odds_api_player_points_props", day)
        message = str(stopped.value)
        for fragment in (
            "daily quota budget reached",
            f"the daily budget of {budget} (NBA_ODDS_DAILY_QUOTA)",
            f"{budget} of the daily budget",
            "the next request would cost up to 10 credits",
            "after 3 of the",
        ):
            assert fragment in message, (fragment, message)
        kept = Path(stopped.value.kept_uri.removeprefix("file://"))
        assert kept.parent == tmp_path / "payloads" / "quarantine" / "odds_api_player_points_props" / day.isoformat()
        answers = json.loads(kept.read_bytes())["events"]
        assert [a["data"]["id"] for a in answers] == [e["id"] for e in _events(day)[:3]]
        assert "daily quota budget reached" in kept.with_name(kept.name + ".error.txt").read_text()
        assert store.latest("odds_api_player_points_props", day) is None, "a partial day is not loaded"
        asked = sum(stand_in.requests.values())

        # a retry the same day asks for nothing: the day's use is read back from the recorded attempts
        with pytest.raises(IncompleteFetchError, match="nothing was received"):
            _scrape(warehouse, "odds_api_player_points_props", day)
        assert sum(stand_in.requests.values()) == asked
        rows = warehouse.query(f"SELECT source, status, quota_used FROM {QUOTA_TABLE} ORDER BY recorded_at")
    assert [(r["source"], r["status"], r["quota_used"]) for r in rows] == [
        ("odds_api_events", "success", 1),
        ("odds_api_game_lines", "success", 30),
        ("odds_api_player_points_props", "stopped", 31),
        ("odds_api_player_points_props", "stopped", 0),
    ]
    assert sum(r["quota_used"] for r in rows) == budget == sum(stand_in.billed.values())


ODDS_SOURCES = ("odds_api_events", "odds_api_game_lines", "odds_api_player_points_props")


def test_the_odds_of_the_day_being_run_come_from_the_live_endpoints_at_their_prices(settings_env, stand_in, tmp_path):
    """With the package clock at a date's fetch moment, the odds scrapers ask The Odds API's live
    endpoints (no ``date``, none of the historical paths), in HTTP mode as in the simulated one: the
    stored payloads read to the same raw rows, and the quota rows record the live prices: the
    events free, the game lines 3 (markets x regions), each event's props 1."""
    from nba_pipeline import clock
    from nba_pipeline.registry.processors import RAW_TABLES
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.storage import PayloadStore
    from nba_pipeline.warehouse import get_warehouse

    day = stand_in.today = DATES[0]
    event_ids = [event["id"] for event in _events(day)]
    _connect(settings_env, stand_in.server_address[1], KEYS)
    rows: dict[str, dict[str, list[str]]] = {}
    recorded: dict[str, list[dict[str, Any]]] = {}
    for mode in ("http", "simulated"):
        settings_env.setenv("NBA_SOURCE_MODE", mode)
        settings_env.setenv("NBA_DUCKDB_PATH", str(tmp_path / mode / "warehouse.duckdb"))
        settings_env.setenv("NBA_PAYLOAD_ROOT", str(tmp_path / mode / "payloads"))
        get_settings.cache_clear()
        with clock.shifted_to(ENDPOINTS["odds_api_events"].fetch_moment(day)), get_warehouse() as warehouse:
            apply_migrations(warehouse)
            for source in ODDS_SOURCES:
                assert _scrape(warehouse, source, day).details["url"].split("/v4/")[1].startswith("sports/")
            store = PayloadStore()
            rows[mode] = {
                spec.table: sorted(
                    _content(parsed.row)
                    for parsed in spec.parse(spec.decode(store.read(store.latest(spec.source, day) or "")), day)
                )
                for spec in RAW_TABLES.values()
                if spec.source in ODDS_SOURCES
            }
            recorded[mode] = warehouse.query(
                f"SELECT source, usage_date, requests, quota_used, quota_remaining FROM {QUOTA_TABLE}"
            )

    asked = [urlsplit(target) for target in stand_in.requests]
    assert {url.path for url in asked} == {
        "/v4/sports/basketball_nba/events",
        "/v4/sports/basketball_nba/odds",
        *(f"/v4/sports/basketball_nba/events/{event_id}/odds" for event_id in event_ids),
    }, "the live paths, no historical one"
    assert not any("date" in dict(parse_qsl(url.query)) for url in asked)
    assert rows["http"] == rows["simulated"] and len(rows["http"]) == 2 and all(rows["http"].values())
    snapshots = {json.loads(row)["snapshot_time"] for row in rows["http"]["nba_raw.odds_api_player_points_props"]}
    assert snapshots == {"2025-01-15 14:31:00+00:00"}, "the newest last_update: the last book's opening post, 09:31 ET"
    assert {r["source"]: (r["requests"], r["quota_used"]) for r in recorded["http"]} == {
        "odds_api_events": (1, 0),
        "odds_api_game_lines": (1, 3),
        "odds_api_player_points_props": (1 + len(event_ids), len(event_ids)),
    }
    assert {r["usage_date"] for r in recorded["http"]} == {day} and recorded["simulated"] == []
    assert min(r["quota_remaining"] for r in recorded["http"]) == ODDS_CREDITS - 3 - len(event_ids)
    assert sum(stand_in.billed.values()) == 3 + len(event_ids)


def _item_id(answer: dict[str, Any]) -> str:
    """The id a per-item answer is for: an Odds API event's, an ESPN roster's team, a box score's or a
    live answer's (play-by-play feed, live box score) game."""
    if "boxScoreTraditional" in answer:
        return str(answer["boxScoreTraditional"]["gameId"])
    if "game" in answer:
        return str(answer["game"]["gameId"])
    if "bookmakers" in answer:  # a live event-odds answer: the event itself
        return str(answer["id"])
    return str(answer["data"]["id"] if "data" in answer else answer["team"]["id"])


def _final_games(day: dt.date) -> list[str]:
    """The NBA.com ids of the games of ``day`` its simulated scoreboard marks final, in order."""
    games = json.loads(SimulatedSource().fetch("nbac_gamebook", day).body)["scoreboard"]["scoreboard"]["games"]
    return [game["gameId"] for game in games if game["gameStatus"] == 3]


def _bettingpros(day: dt.date) -> dict[str, Any]:
    """The simulated BettingPros payload of ``day``: the events answer and the offer pages."""
    document: dict[str, Any] = json.loads(SimulatedSource().fetch("bettingpros_player_props", day).body)
    return document


def _events(day: dt.date) -> list[dict[str, Any]]:
    """The simulated Odds API events of ``day`` (historical or live, as the package clock has it)."""
    answer = json.loads(SimulatedSource().fetch("odds_api_events", day).body)
    events: list[dict[str, Any]] = answer["data"] if isinstance(answer, dict) else answer
    return events


def _scrape(warehouse: Any, source: str, day: dt.date) -> Any:
    """The scraper of ``source`` for ``day``, as the run task calls it, with ``warehouse``."""
    from nba_pipeline.guards.spec import Phase, ProcessorContext, ProcessorSpec
    from nba_pipeline.scrapers.run import scrape

    spec = ProcessorSpec(f"scrape_{source}", Phase.SCRAPERS, run=scrape, sources=(source,), breaker=None)
    ctx = ProcessorContext(
        warehouse=warehouse, processor=spec, event_date=day, backfill=False,
        run_id=f"budget-{source}", dag_run_id="manual__budget", try_number=1,
    )  # fmt: skip
    return scrape(ctx)


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
