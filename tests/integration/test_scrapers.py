"""``scrape()`` end to end: real HTTP on 127.0.0.1 through Airflow connections, and the simulated league.

The HTTP tests run a ``tests.local_http.ScriptedServer`` that plays a script of replies per path and
records each request. Connections come from ``AIRFLOW_CONN_<ID>`` env vars in JSON form pointing at it, with
tiny backoff and timeouts so the whole file stays fast. Payloads land in a tmp ``NBA_PAYLOAD_ROOT``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nba_pipeline.guards.spec import Phase, ProcessorContext, ProcessorResult, ProcessorSpec
from nba_pipeline.scrapers.run import IncompleteFetchError, QuarantinedPayloadError, scrape
from nba_pipeline.scrapers.sources import SimulatedSource
from nba_pipeline.sources.http_client import (
    SourceClientError,
    SourceConfigError,
    SourceServerError,
    SourceTimeoutError,
)
from nba_pipeline.sources.simulation import BOX_SCORE_SOURCES, SOURCES, SimulatedLeague
from nba_pipeline.storage import PayloadStore
from tests.local_http import Reply, ScriptedServer, cursor_page, serving

API_KEY = "k3y-0dds/+="
GAME_DATE = dt.date(2025, 1, 15)
ODDS_PATH = "/v4/historical/sports/basketball_nba/odds"
ODDS_BODY = (
    b'{"timestamp": "2025-01-15T15:00:00Z",\n "data": [{"id": "abc", "home_team": "Indiana Pacers", '
    b'"away_team": "San Antonio Spurs", "bookmakers": [], "note": "Nikola Joki\xc4\x87"},\n'
    b' {"id": "def", "bookmakers": []}]}  \n'
)
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>cloudflare</p></body></html>"


@pytest.fixture
def source() -> Iterator[ScriptedServer]:
    with serving(ScriptedServer()) as local:
        yield local


@pytest.fixture
def payload_root(tmp_path: Path, settings_env: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "payloads"
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(root))
    return root


@pytest.fixture
def http_mode(
    settings_env: pytest.MonkeyPatch, source: ScriptedServer, payload_root: Path
) -> Callable[..., None]:
    """Switch to HTTP mode; ``connect(conn_id, **extra)`` points a connection at the local source."""
    settings_env.setenv("NBA_SOURCE_MODE", "http")

    def connect(conn_id: str, password: str | None = None, **extra: Any) -> None:
        conn: dict[str, Any] = {
            "conn_type": "http",
            "host": "127.0.0.1",
            "schema": "http",
            "port": source.port,
            "extra": {"timeout_seconds": 2, "max_attempts": 3, "backoff_base_seconds": 0.01, **extra},
        }
        if password:
            conn["password"] = password
        settings_env.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))

    return connect


def _context(source_name: str, date_offset_days: int = 0, game_date: dt.date = GAME_DATE) -> ProcessorContext:
    spec = ProcessorSpec(
        f"scrape_{source_name}",
        Phase.SCRAPERS,
        run=scrape,
        sources=(source_name,),
        breaker=None,
        date_offset_days=date_offset_days,
    )
    return ProcessorContext(
        warehouse=None,
        processor=spec,
        event_date=game_date,
        backfill=False,
        run_id="test-run",
        dag_run_id="manual__test",
        try_number=1,
    )


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _local_path(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


# --------------------------------------------------------------------------- HTTP mode


def test_success_stores_the_served_bytes_untouched(http_mode, source, payload_root):
    http_mode("nba_odds_api", password=API_KEY, api_key_param="apiKey")
    source.script(ODDS_PATH, Reply(body=ODDS_BODY))
    before = dt.datetime.now(dt.UTC)

    result = scrape(_context("odds_api_game_lines"))

    stored = _local_path(result.file_path)
    assert stored.read_bytes() == ODDS_BODY
    assert stored.parent == payload_root / "odds_api_game_lines" / "2025-01-15"
    fetched_at = dt.datetime.fromisoformat(result.details["fetched_at"])
    assert before <= fetched_at <= dt.datetime.now(dt.UTC)  # the real fetch time in HTTP mode
    assert stored.name == fetched_at.strftime("%Y%m%dT%H%M%S%fZ") + ".json"
    assert isinstance(result, ProcessorResult)
    assert (result.rows_processed, result.source_files, result.warnings) == (2, 1, [])
    assert result.load_seconds is not None and result.load_seconds >= 0
    (request,) = source.hits(ODDS_PATH)
    assert request.query == {
        "regions": "us",
        "markets": "h2h,spreads,totals",
        "oddsFormat": "american",
        "bookmakers": "draftkings,fanduel,betmgm,williamhill_us",
        "date": "2025-01-15T15:00:00Z",
        "commenceTimeFrom": "2025-01-15T05:00:00Z",
        "commenceTimeTo": "2025-01-16T04:59:59Z",
        "apiKey": API_KEY,
    }
    assert API_KEY not in json.dumps(result.details) and "apiKey" not in result.details["url"]


def test_results_source_fetches_the_day_before_and_stores_it_there(http_mode, source, payload_root):
    http_mode("nba_balldontlie", password=API_KEY, api_key_header="Authorization")
    body = b'{"data": [{"id": 1}], "meta": {"next_cursor": null, "per_page": 100}}'
    source.script("/v1/stats", Reply(body=body))

    result = scrape(_context("bdl_boxscores", date_offset_days=-1))

    assert _local_path(result.file_path).parent == payload_root / "bdl_boxscores" / "2025-01-14"
    (request,) = source.hits("/v1/stats")
    assert request.query == {"dates[]": "2025-01-14", "per_page": "100"}
    assert request.headers["Authorization"] == API_KEY
    assert result.rows_processed == 1


def test_nba_com_gets_its_headers_and_the_whole_season_document(http_mode, source, payload_root):
    http_mode("nba_cdn")
    season = b'{"meta": {}, "leagueSchedule": {"gameDates": [{"games": [{"gameId": "1"}]}, {"games": []}]}}'
    source.script("/static/json/staticData/scheduleLeagueV2.json", Reply(body=season))

    result = scrape(_context("nbac_schedule"))

    assert _local_path(result.file_path).read_bytes() == season and result.rows_processed == 1
    (request,) = source.hits("/static/json/staticData/scheduleLeagueV2.json")
    assert (
        request.headers["Referer"] == "https://www.nba.com/"
        and request.headers["Origin"] == "https://www.nba.com"
    )


def test_429_with_retry_after_waits_then_succeeds(http_mode, source, payload_root):
    http_mode("nba_odds_api", password=API_KEY, api_key_param="apiKey")
    limited = Reply(429, b'{"message": "quota"}', {"Content-Type": "application/json", "Retry-After": "0.3"})
    source.script(ODDS_PATH, limited, Reply(body=ODDS_BODY))

    result = scrape(_context("odds_api_game_lines"))

    first, second = source.hits(ODDS_PATH)
    assert second.at - first.at >= 0.3  # Retry-After, not the 0.01 s backoff
    assert _local_path(result.file_path).read_bytes() == ODDS_BODY
    assert result.details["attempts"] == 2


BP_EVENTS = b'{"_parameters": {"sport": "NBA", "date": "2025-01-15"}, "events": [{"id": 27207}, {"id": 27208}]}'


def _offers_page(page: int, total: int, offers: list[Any]) -> bytes:
    return json.dumps(
        {"_parameters": {"page": str(page)}, "markets": [156], "offers": offers,
         "_pagination": {"page": page, "total_pages": total, "total_items": 3}}
    ).encode()  # fmt: skip


def test_500_then_success(http_mode, source, payload_root):
    http_mode("nba_bettingpros")
    page = _offers_page(1, 1, [{"id": 1}, {"id": 2}, {"id": 3}])
    source.script("/v3/events", Reply(500, b"upstream error", {"Content-Type": "text/plain"}), Reply(body=BP_EVENTS))
    source.script("/v3/offers", Reply(body=page))

    result = scrape(_context("bettingpros_player_props"))

    assert len(source.hits("/v3/events")) == 2 and len(source.hits("/v3/offers")) == 1
    stored = json.loads(_local_path(result.file_path).read_bytes())
    assert stored == {"events": json.loads(BP_EVENTS), "offer_pages": [json.loads(page)]} and result.rows_processed == 3


def test_offer_pages_are_asked_for_every_event_at_once_and_stored_as_served(http_mode, source, payload_root):
    http_mode("nba_bettingpros", password="bp-key", api_key_header="x-api-key")
    pages = [_offers_page(1, 3, [{"id": 1}] * 10), _offers_page(2, 3, [{"id": 2}] * 10), _offers_page(3, 3, [])]
    source.script("/v3/events", Reply(body=BP_EVENTS))
    source.script("/v3/offers", *(Reply(body=page) for page in pages))

    result = scrape(_context("bettingpros_player_props"))

    assert source.requests[0].query == {"sport": "NBA", "date": "2025-01-15"}
    query = {"sport": "NBA", "market_id": "156", "event_id": "27207:27208", "location": "ALL", "limit": "10"}
    assert [r.query for r in source.hits("/v3/offers")] == [{**query, "page": str(n)} for n in (1, 2, 3)]
    assert all(r.headers.get("x-api-key") == "bp-key" for r in source.requests)
    stored = json.loads(_local_path(result.file_path).read_bytes())
    assert stored == {"events": json.loads(BP_EVENTS), "offer_pages": [json.loads(p) for p in pages]}
    assert result.rows_processed == 20 and result.details["attempts"] == 4


def test_a_day_without_bettingpros_events_asks_for_no_offers(http_mode, source, payload_root):
    http_mode("nba_bettingpros")
    source.script("/v3/events", Reply(body=b'{"_parameters": {"sport": "NBA", "date": "2025-01-15"}, "events": []}'))

    result = scrape(_context("bettingpros_player_props"))

    assert len(source.requests) == 1 and json.loads(_local_path(result.file_path).read_bytes())["offer_pages"] == []


@pytest.mark.parametrize(
    ("first_page", "detail"),
    [
        (b'{"offers": [], "_pagination": {"page": 1}}', "not a first page: no page count at _pagination/total_pages"),
        (_offers_page(1, 500, []), "500 pages announced at _pagination/total_pages, more than the 60 expected"),
    ],
    ids=["no_page_count", "too_many_pages"],
)
def test_a_first_page_without_a_sane_page_count_is_quarantined(http_mode, source, payload_root, first_page, detail):
    http_mode("nba_bettingpros")
    source.script("/v3/events", Reply(body=BP_EVENTS))
    source.script("/v3/offers", Reply(body=first_page))

    with pytest.raises(QuarantinedPayloadError) as info:
        scrape(_context("bettingpros_player_props"))

    assert detail in str(info.value) and "page=1" in str(info.value)
    assert _local_path(info.value.quarantine_uri).read_bytes() == first_page and len(source.requests) == 2


def test_persistent_500_propagates_and_stores_nothing(http_mode, source, payload_root):
    http_mode("nba_espn", max_attempts=2)
    source.script(
        "/apis/site/v2/sports/basketball/nba/teams/1/roster", Reply(503, b"down", {"Content-Type": "text/plain"})
    )

    with pytest.raises(
        SourceServerError, match=r"/apis/site/v2/sports/basketball/nba/teams/1/roster.*status 503.*2 attempt"
    ):
        scrape(_context("espn_rosters"))

    assert _files(payload_root) == [] and len(source.requests) == 2


ROSTER_PATH = "/apis/site/v2/sports/basketball/nba/teams/{}/roster"


def test_rosters_are_asked_per_team_and_the_answers_stored_as_served(http_mode, source, payload_root):
    http_mode("nba_espn")
    teams = json.loads(SimulatedSource().fetch("espn_rosters", GAME_DATE).body)["teams"]
    served = {body["team"]["id"]: json.dumps(body).encode() for body in teams}
    for team_id, body in served.items():
        source.script(ROSTER_PATH.format(team_id), Reply(body=body))

    result = scrape(_context("espn_rosters"))

    assert [r.path for r in source.requests] == [ROSTER_PATH.format(n) for n in range(1, 31)]
    assert all(r.query == {} for r in source.requests)
    stored = json.loads(_local_path(result.file_path).read_bytes())
    assert stored == {"teams": [json.loads(served[str(n)]) for n in range(1, 31)]}, "each body as served"
    assert result.rows_processed == 30


def test_a_team_that_fails_midway_stops_the_rosters_and_keeps_the_teams_received(http_mode, source, payload_root):
    http_mode("nba_espn", max_attempts=1)
    teams = json.loads(SimulatedSource().fetch("espn_rosters", GAME_DATE).body)["teams"]
    for body in teams[:4]:
        source.script(ROSTER_PATH.format(body["team"]["id"]), Reply(body=json.dumps(body).encode()))

    stopped = r"teams/5/roster.*status 404.*after 4 of the 30 items of espn_rosters"
    with pytest.raises(IncompleteFetchError, match=stopped):
        scrape(_context("espn_rosters"))

    assert PayloadStore(str(payload_root)).latest("espn_rosters", GAME_DATE) is None, "a partial day is not stored"
    kept = [p for p in _files(payload_root / "quarantine") if p.suffix == ".json"]
    assert len(kept) == 1
    assert [t["team"]["id"] for t in json.loads(kept[0].read_bytes())["teams"]] == ["1", "2", "3", "4"]


def test_timeout_then_success(http_mode, source, payload_root):
    http_mode("nba_odds_api", password=API_KEY, api_key_param="apiKey", timeout_seconds=0.3, max_attempts=2)
    path = "/v4/historical/sports/basketball_nba/events"
    source.script(path, Reply(body=ODDS_BODY, delay=1.0), Reply(body=ODDS_BODY))

    result = scrape(_context("odds_api_events"))

    assert len(source.hits(path)) == 2
    assert _local_path(result.file_path).read_bytes() == ODDS_BODY


def test_persistent_timeout_propagates_without_the_key(http_mode, source, payload_root):
    http_mode("nba_odds_api", password=API_KEY, api_key_param="apiKey", timeout_seconds=0.3, max_attempts=2)
    path = "/v4/historical/sports/basketball_nba/events"
    source.script(path, Reply(body=ODDS_BODY, delay=1.0))

    with pytest.raises(SourceTimeoutError) as info:
        scrape(_context("odds_api_events"))

    assert path in str(info.value) and "2 attempt" in str(info.value) and API_KEY not in str(info.value)
    assert _files(payload_root) == []


def test_html_error_page_is_quarantined_and_named(http_mode, source, payload_root):
    http_mode("nba_odds_api", password=API_KEY, api_key_param="apiKey")
    source.script(ODDS_PATH, Reply(body=HTML_PAGE, headers={"Content-Type": "text/html"}))

    with pytest.raises(QuarantinedPayloadError) as info:
        scrape(_context("odds_api_game_lines"))

    error = info.value
    message = str(error)
    assert "odds_api_game_lines" in message and "2025-01-15" in message
    assert f"http://127.0.0.1:{source.port}{ODDS_PATH}?" in message and "markets=h2h%2Cspreads%2Ctotals" in message
    assert API_KEY not in message and "apiKey" not in message
    assert error.quarantine_uri in message
    quarantined = _local_path(error.quarantine_uri)
    assert quarantined.parent == payload_root / "quarantine" / "odds_api_game_lines" / "2025-01-15"
    assert quarantined.read_bytes() == HTML_PAGE
    reason = quarantined.with_name(quarantined.name + ".error.txt").read_text()
    assert "invalid JSON" in reason and "text/html" in reason
    folder = payload_root / "odds_api_game_lines" / "2025-01-15"
    assert _files(folder) == []
    assert PayloadStore(str(payload_root)).latest("odds_api_game_lines", GAME_DATE) is None
    assert len(source.hits(ODDS_PATH)) == 1  # content errors are left to Airflow's retries


def test_truncated_json_is_quarantined(http_mode, source, payload_root):
    http_mode("nba_stats")
    truncated = b'{"meta": {"version": 1}, "scoreboard": {"gameDate": "2025-01-14", "games": [{"gameId": "00224'
    source.script("/stats/scoreboardv3", Reply(body=truncated))

    with pytest.raises(
        QuarantinedPayloadError, match=r"nbac_gamebook for 2025-01-14.*/stats/scoreboardv3\?GameDate=2025-01-14"
    ) as info:
        scrape(_context("nbac_gamebook", date_offset_days=-1))

    quarantined = _local_path(info.value.quarantine_uri)
    assert quarantined.read_bytes() == truncated
    assert "invalid JSON" in info.value.detail
    store = PayloadStore(str(payload_root))
    assert store.quarantined("nbac_gamebook", dt.date(2025, 1, 14)) == [info.value.quarantine_uri]
    assert store.latest("nbac_gamebook", dt.date(2025, 1, 14)) is None


def test_client_error_propagates_and_stores_nothing(http_mode, source, payload_root):
    http_mode("nba_injury_report")
    source.script("/referee/injury/Injury-Report_2025-01-15_09AM.pdf", Reply(401, b"<Error>Unauthorized</Error>"))

    with pytest.raises(SourceClientError, match="Injury-Report_2025-01-15_09AM.pdf.*status 401"):
        scrape(_context("nbac_injury_report"))

    assert _files(payload_root) == []
    assert len(source.requests) == 1, "only a 403 (not published) sends the scraper to the slot before"


def test_an_unpublished_injury_report_is_looked_for_at_the_slots_before(http_mode, source, payload_root):
    http_mode("nba_injury_report")
    report = SimulatedSource().fetch("nbac_injury_report", GAME_DATE).body
    missing = Reply(403, b"<Error>AccessDenied</Error>", {"Content-Type": "application/xml"})
    source.script("/referee/injury/Injury-Report_2025-01-15_09AM.pdf", missing)
    source.script("/referee/injury/Injury-Report_2025-01-15_08AM.pdf", missing)
    found = Reply(body=report, headers={"Content-Type": "application/pdf"})
    source.script("/referee/injury/Injury-Report_2025-01-15_07AM.pdf", found)

    result = scrape(_context("nbac_injury_report"))

    assert [r.path.rsplit("_", 1)[-1] for r in source.requests] == ["09AM.pdf", "08AM.pdf", "07AM.pdf"]
    assert result.details["url"].endswith("/referee/injury/Injury-Report_2025-01-15_07AM.pdf")
    assert _local_path(result.file_path).read_bytes() == report and result.rows_processed > 20


def test_no_injury_report_in_the_slots_looked_at_is_named(http_mode, source, payload_root):
    http_mode("nba_injury_report")
    missing = Reply(403, b"<Error>AccessDenied</Error>", {"Content-Type": "application/xml"})
    hours = ("09AM", "08AM", "07AM", "06AM", "05AM", "04AM", "03AM", "02AM", "01AM", "12AM", "11PM", "10PM")
    for hour in hours:  # back over midnight: the slots of the evening before carry that day's date
        day = "2025-01-15" if hour.endswith("AM") else "2025-01-14"
        source.script(f"/referee/injury/Injury-Report_{day}_{hour}.pdf", missing)

    with pytest.raises(SourceClientError) as caught:
        scrape(_context("nbac_injury_report"))

    assert "(status 403) after 12 attempt(s): no file published in the 12 slots from 2025-01-15_09AM back to " \
           "2025-01-14_10PM" in str(caught.value)
    assert len(source.requests) == 12 and _files(payload_root) == []


def _bdl_pages(per_page: int = 100) -> list[bytes]:
    """The simulated box scores of 2025-01-14 cut into balldontlie pages (cursor = offset)."""
    whole = SimulatedSource().fetch("bdl_boxscores", dt.date(2025, 1, 14)).body
    return [cursor_page(whole, start, per_page) for start in range(0, len(json.loads(whole)["data"]), per_page)]


def test_cursor_pages_are_followed_and_stored_merged(http_mode, source, payload_root):
    http_mode("nba_balldontlie", password="bdl-key", api_key_header="Authorization")
    pages = _bdl_pages()
    source.script("/v1/stats", *(Reply(body=page) for page in pages))

    result = scrape(_context("bdl_boxscores", date_offset_days=-1))

    assert len(pages) >= 2, "a day of games is more than one page of 100"
    assert [r.query.get("cursor") for r in source.requests] == [None] + [str(100 * n) for n in range(1, len(pages))]
    assert all(r.query["dates[]"] == "2025-01-14" and r.query["per_page"] == "100" for r in source.requests)
    stored = json.loads(_local_path(result.file_path).read_bytes())
    served = [row for page in pages for row in json.loads(page)["data"]]
    assert stored == {"data": served, "meta": {"next_cursor": None, "per_page": 100}}
    assert result.rows_processed == len(served) and result.details["attempts"] == len(pages)


def test_a_last_page_may_leave_the_cursor_out(http_mode, source, payload_root):
    http_mode("nba_balldontlie", password="bdl-key", api_key_header="Authorization")
    first, second, *_ = _bdl_pages()
    last = json.loads(second)
    del last["meta"]["next_cursor"]
    source.script("/v1/stats", Reply(body=first), Reply(body=json.dumps(last).encode()))

    result = scrape(_context("bdl_boxscores", date_offset_days=-1))

    assert len(source.requests) == 2
    assert json.loads(_local_path(result.file_path).read_bytes())["meta"] == {"next_cursor": None, "per_page": 100}


def test_a_broken_page_is_quarantined_with_its_cursor_and_nothing_is_stored(http_mode, source, payload_root):
    http_mode("nba_balldontlie", password="bdl-key", api_key_header="Authorization")
    first, *_ = _bdl_pages()
    source.script("/v1/stats", Reply(body=first), Reply(body=HTML_PAGE, headers={"Content-Type": "text/html"}))

    with pytest.raises(QuarantinedPayloadError, match=r"/v1/stats\?.*cursor=100") as info:
        scrape(_context("bdl_boxscores", date_offset_days=-1))

    assert _local_path(info.value.quarantine_uri).read_bytes() == HTML_PAGE
    assert PayloadStore(str(payload_root)).latest("bdl_boxscores", dt.date(2025, 1, 14)) is None


@pytest.mark.parametrize(
    ("second", "detail"),
    [
        (b'{"data": [], "meta": {"next_cursor": 100, "per_page": 100}}', "the cursor 100 came back after [100]"),
        (b'{"meta": {"next_cursor": null}}', "page 2 (cursor 100) is not a page: no data list"),
        (b'{"data": []}', "page 2 (cursor 100) is not a page: no data list or no meta/next_cursor"),
    ],
    ids=["cursor_loop", "page_without_data", "page_without_meta"],
)
def test_a_page_that_breaks_the_chain_is_named_and_kept(http_mode, source, payload_root, second, detail):
    http_mode("nba_balldontlie", password="bdl-key", api_key_header="Authorization")
    first, *_ = _bdl_pages()
    source.script("/v1/stats", Reply(body=first), Reply(body=second))

    with pytest.raises(QuarantinedPayloadError) as info:
        scrape(_context("bdl_boxscores", date_offset_days=-1))

    assert detail in str(info.value)
    assert _local_path(info.value.quarantine_uri).read_bytes() == second
    assert PayloadStore(str(payload_root)).latest("bdl_boxscores", dt.date(2025, 1, 14)) is None


EVENTS_PATH = "/v4/historical/sports/basketball_nba/events"
EVENT_IDS = ("a" * 32, "b" * 32)


def _event_answer(event_id: str) -> bytes:
    return json.dumps(
        {"timestamp": "2025-01-15T15:00:00Z", "previous_timestamp": "2025-01-15T14:55:00Z",
         "next_timestamp": "2025-01-15T15:05:00Z", "data": {"id": event_id, "bookmakers": []}}
    ).encode()  # fmt: skip


def _quota(last: int, remaining: int) -> dict[str, str]:
    return {"x-requests-last": str(last), "x-requests-remaining": str(remaining), "x-requests-used": "0"}


def test_player_props_are_asked_per_event_and_the_answers_stored_together(http_mode, source, payload_root):
    http_mode("nba_odds_api", password=API_KEY, api_key_param="apiKey")
    index = {"timestamp": "2025-01-15T15:00:00Z", "data": [{"id": EVENT_IDS[0]}, {"id": EVENT_IDS[1]}]}
    index["data"].insert(1, {"id": EVENT_IDS[0]})  # listed twice: asked for (and billed) once
    source.script(EVENTS_PATH, Reply(body=json.dumps(index).encode(), headers=_quota(1, 99)))
    for n, event_id in enumerate(EVENT_IDS):
        answer = Reply(body=_event_answer(event_id), headers=_quota(10, 89 - n * 10))
        source.script(f"{EVENTS_PATH}/{event_id}/odds", answer)

    result = scrape(_context("odds_api_player_points_props"))

    assert [r.path for r in source.requests] == [EVENTS_PATH, *(f"{EVENTS_PATH}/{e}/odds" for e in EVENT_IDS)]
    assert source.requests[0].query["commenceTimeFrom"] == "2025-01-15T05:00:00Z"
    for request in source.requests[1:]:
        assert request.query == {
            "regions": "us", "markets": "player_points", "oddsFormat": "american",
            "bookmakers": "draftkings,fanduel,betmgm,williamhill_us", "date": "2025-01-15T15:00:00Z", "apiKey": API_KEY,
        }  # fmt: skip
    stored = json.loads(_local_path(result.file_path).read_bytes())
    assert stored == {"events": [json.loads(_event_answer(e)) for e in EVENT_IDS]}, "each answer as received"
    assert result.rows_processed == 2
    assert (result.details["requests"], result.details["quota_used"], result.details["quota_remaining"]) == (3, 21, 79)


def test_a_day_without_events_asks_for_no_event_odds(http_mode, source, payload_root):
    http_mode("nba_odds_api", password=API_KEY, api_key_param="apiKey")
    source.script(EVENTS_PATH, Reply(body=b'{"timestamp": "2025-01-15T15:00:00Z", "data": []}', headers=_quota(0, 99)))

    result = scrape(_context("odds_api_player_points_props"))

    assert len(source.requests) == 1 and json.loads(_local_path(result.file_path).read_bytes()) == {"events": []}
    assert (result.rows_processed, result.details["quota_used"]) == (0, 0)


def test_an_events_answer_without_ids_is_quarantined(http_mode, source, payload_root):
    http_mode("nba_odds_api", password=API_KEY, api_key_param="apiKey")
    body = b'{"message": "maintenance"}'
    source.script(EVENTS_PATH, Reply(body=body))

    with pytest.raises(QuarantinedPayloadError, match="no list of ids at data/\\*/id") as info:
        scrape(_context("odds_api_player_points_props"))

    assert _local_path(info.value.quarantine_uri).read_bytes() == body and len(source.requests) == 1


def _board_game(game_id: str, status: int, text: str) -> dict[str, Any]:
    return {"gameId": game_id, "gameCode": "20250114/PHICLE", "gameStatus": status, "gameStatusText": text}


def test_box_scores_are_asked_for_the_final_games_of_the_scoreboard_only(http_mode, source, payload_root):
    """Scheduled, live and postponed games have no box score yet: only games in ``gameStatus`` 3 are
    asked for, in the scoreboard's order, and stored with the scoreboard, each body as received."""
    http_mode("nba_stats")
    games = [
        _board_game("0022400601", 3, "Final"), _board_game("0022400602", 1, "PPD"),
        _board_game("0022400603", 2, "Q4 0:00"), _board_game("0022400604", 3, "Final"),
        _board_game("0022400605", 1, "7:30 pm ET"),
    ]  # fmt: skip
    board = {"meta": {"version": 1}, "scoreboard": {"gameDate": "2025-01-14", "leagueId": "00", "games": games}}
    source.script("/stats/scoreboardv3", Reply(body=json.dumps(board).encode()))
    boxes = [{"boxScoreTraditional": {"gameId": game_id}} for game_id in ("0022400601", "0022400604")]
    source.script("/stats/boxscoretraditionalv3", *(Reply(body=json.dumps(box).encode()) for box in boxes))

    result = scrape(_context("nbac_gamebook", date_offset_days=-1))

    assert [r.path for r in source.requests] == ["/stats/scoreboardv3"] + ["/stats/boxscoretraditionalv3"] * 2
    assert source.requests[0].query == {"GameDate": "2025-01-14", "LeagueID": "00"}
    assert [r.query["GameID"] for r in source.requests[1:]] == ["0022400601", "0022400604"]
    assert source.requests[1].query == {
        "EndPeriod": "0", "EndRange": "0", "GameID": "0022400601", "RangeType": "0", "StartPeriod": "0",
        "StartRange": "0",
    }  # fmt: skip
    assert source.requests[0].headers["Referer"] == "https://www.nba.com/"
    stored = json.loads(_local_path(result.file_path).read_bytes())
    assert stored == {"scoreboard": board, "games": boxes} and result.rows_processed == 2


def test_a_box_score_that_fails_midway_keeps_the_scoreboard_and_the_games_received(http_mode, source, payload_root):
    http_mode("nba_stats")
    games = [_board_game(f"002240060{n}", 3, "Final") for n in (1, 2, 3)]
    board = {"meta": {"version": 1}, "scoreboard": {"gameDate": "2025-01-14", "games": games}}
    source.script("/stats/scoreboardv3", Reply(body=json.dumps(board).encode()))
    first = {"boxScoreTraditional": {"gameId": "0022400601"}}
    source.script(
        "/stats/boxscoretraditionalv3",
        Reply(body=json.dumps(first).encode()),
        Reply(404, b'{"message": "no such game"}'),
    )

    with pytest.raises(IncompleteFetchError, match=r"GameID=0022400602.*after 1 of the 3 items") as info:
        scrape(_context("nbac_gamebook", date_offset_days=-1))

    kept = json.loads(_local_path(info.value.kept_uri).read_bytes())
    assert kept == {"scoreboard": board, "games": [first]}, "what came before the failure, in the stored shape"
    assert PayloadStore(str(payload_root)).latest("nbac_gamebook", dt.date(2025, 1, 14)) is None


_FEED = "/static/json/liveData/playbyplay/playbyplay_{}.json"
_LIVE_BOX = "/static/json/liveData/boxscore/boxscore_{}.json"


@pytest.fixture
def cdn(http_mode: Callable[..., None], settings_env: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """A second local server, for NBA.com's CDN (``nba_cdn``); the stats host (``nba_stats``) is ``source``."""
    http_mode("nba_stats")
    with serving(ScriptedServer()) as local:
        conn = {"conn_type": "http", "host": "127.0.0.1", "schema": "http", "port": local.port,
                "extra": {"timeout_seconds": 2, "max_attempts": 3, "backoff_base_seconds": 0.01}}  # fmt: skip
        settings_env.setenv("AIRFLOW_CONN_NBA_CDN", json.dumps(conn))
        yield local


def test_play_by_play_asks_the_stats_scoreboard_then_each_final_games_feed_and_box_score_on_the_cdn(
    cdn, source, payload_root
):
    games = [
        _board_game("0022400601", 3, "Final"), _board_game("0022400602", 1, "PPD"),
        _board_game("0022400604", 3, "Final"),
    ]  # fmt: skip
    board = {"meta": {"version": 1}, "scoreboard": {"gameDate": "2025-01-14", "leagueId": "00", "games": games}}
    source.script("/stats/scoreboardv3", Reply(body=json.dumps(board).encode()))
    feeds = [{"meta": {"code": 200}, "game": {"gameId": g, "actions": []}} for g in ("0022400601", "0022400604")]
    boxes = [{"meta": {"code": 200}, "game": {"gameId": g, "homeTeam": {}}} for g in ("0022400601", "0022400604")]
    for feed, box in zip(feeds, boxes, strict=True):
        cdn.script(_FEED.format(feed["game"]["gameId"]), Reply(body=json.dumps(feed).encode()))
        cdn.script(_LIVE_BOX.format(box["game"]["gameId"]), Reply(body=json.dumps(box).encode()))

    result = scrape(_context("nbac_play_by_play", date_offset_days=-1))

    assert [(r.path, r.query) for r in source.requests] == [
        ("/stats/scoreboardv3", {"GameDate": "2025-01-14", "LeagueID": "00"})
    ]
    assert [r.path for r in cdn.requests] == [
        _FEED.format("0022400601"), _LIVE_BOX.format("0022400601"),
        _FEED.format("0022400604"), _LIVE_BOX.format("0022400604"),
    ]  # fmt: skip
    assert all(r.headers["Referer"] == "https://www.nba.com/" for r in [*source.requests, *cdn.requests])
    stored = json.loads(_local_path(result.file_path).read_bytes())
    assert stored == {"scoreboard": board, "games": feeds, "boxscores": boxes} and result.rows_processed == 2
    assert list(stored) == ["scoreboard", "games", "boxscores"]


def test_a_live_box_score_that_fails_midway_keeps_the_scoreboard_and_the_answers_received(
    cdn, source, payload_root
):
    games = [_board_game(f"002240060{n}", 3, "Final") for n in (1, 2, 3)]
    board = {"meta": {"version": 1}, "scoreboard": {"gameDate": "2025-01-14", "games": games}}
    source.script("/stats/scoreboardv3", Reply(body=json.dumps(board).encode()))
    feeds = [{"game": {"gameId": f"002240060{n}", "actions": []}} for n in (1, 2)]
    first_box = {"game": {"gameId": "0022400601"}}
    for feed in feeds:
        cdn.script(_FEED.format(feed["game"]["gameId"]), Reply(body=json.dumps(feed).encode()))
    cdn.script(_LIVE_BOX.format("0022400601"), Reply(body=json.dumps(first_box).encode()))
    cdn.script(_LIVE_BOX.format("0022400602"), Reply(403, b"<Error><Code>AccessDenied</Code></Error>"))

    with pytest.raises(IncompleteFetchError, match=r"boxscore_0022400602\.json.*after 1 of the 3 items") as info:
        scrape(_context("nbac_play_by_play", date_offset_days=-1))

    kept = json.loads(_local_path(info.value.kept_uri).read_bytes())
    assert kept == {"scoreboard": board, "games": feeds, "boxscores": [first_box]}, "what came before the failure"
    assert PayloadStore(str(payload_root)).latest("nbac_play_by_play", dt.date(2025, 1, 14)) is None
    assert [r.path for r in cdn.requests][-1] == _LIVE_BOX.format("0022400602"), "nothing asked after the failure"


def test_missing_connection_is_named(http_mode, settings_env, payload_root):
    settings_env.delenv("AIRFLOW_CONN_NBA_ESPN", raising=False)

    with pytest.raises(SourceConfigError, match="'nba_espn'.*AIRFLOW_CONN_NBA_ESPN"):
        scrape(_context("espn_rosters"))


# --------------------------------------------------------------------------- simulated mode


def test_simulated_mode_scrapes_every_source_of_a_game_day(settings_env, payload_root):
    settings_env.setenv("NBA_SOURCE_MODE", "simulated")
    results = {
        name: scrape(_context(name, date_offset_days=-1 if name in BOX_SCORE_SOURCES else 0))
        for name in SOURCES
    }

    for name, result in results.items():
        stored = _local_path(result.file_path)
        day = "2025-01-14" if name in BOX_SCORE_SOURCES else "2025-01-15"
        assert stored.parent == payload_root / name / day, name
        # fetched at 10:00 ET on the 15th (15:00 UTC), never at the wall clock
        if name == "nbac_injury_report":
            assert stored.name == "20250115T150000000000Z.pdf"
            assert result.rows_processed == len(SimulatedLeague().injury_report(GAME_DATE)) > 20
        else:
            assert stored.name == "20250115T150000000000Z.json", name
            json.loads(stored.read_bytes())
        assert result.rows_processed > 0 and result.warnings == [], name
        assert result.details["url"].startswith("simulated://"), name
    assert len(_files(payload_root)) == len(SOURCES)
    schedule = json.loads(_local_path(results["nbac_schedule"].file_path).read_bytes())
    window = [dt.date(2025, 1, 15) + dt.timedelta(days=n) for n in range(-1, 61)]
    with_games = [day for day in window if SimulatedLeague().is_game_day(day)]
    assert len(schedule["leagueSchedule"]["gameDates"]) == len(with_games)


def test_simulated_rerun_rewrites_the_same_bytes_at_the_same_place(settings_env, payload_root):
    settings_env.setenv("NBA_SOURCE_MODE", "simulated")

    first = scrape(_context("nbac_team_boxscore", date_offset_days=-1))
    body = _local_path(first.file_path).read_bytes()
    second = scrape(_context("nbac_team_boxscore", date_offset_days=-1))

    assert second.file_path == first.file_path and _local_path(second.file_path).read_bytes() == body
    assert len(_files(payload_root)) == 1


def test_simulated_imperfections_come_from_the_settings(settings_env, payload_root):
    settings_env.setenv("NBA_SOURCE_MODE", "simulated")
    clean = scrape(_context("nbac_gamebook", date_offset_days=-1)).rows_processed
    settings_env.setenv("NBA_SIMULATION_IMPERFECTIONS", "late_boxscores")
    from nba_pipeline.settings import get_settings

    get_settings.cache_clear()
    late = scrape(_context("nbac_gamebook", date_offset_days=-1)).rows_processed

    assert 0 < late < clean


def test_simulated_off_season_day_gives_empty_but_valid_payloads(settings_env, payload_root):
    settings_env.setenv("NBA_SOURCE_MODE", "simulated")

    result = scrape(_context("odds_api_events", game_date=dt.date(2025, 7, 15)))

    assert json.loads(_local_path(result.file_path).read_bytes())["data"] == []
    assert result.rows_processed == 0 and result.warnings == []
