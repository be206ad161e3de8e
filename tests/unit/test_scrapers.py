"""The scrapers' endpoint catalog, fetch moments, the simulated source and the mode selection.

No network here: the simulated source is real, the HTTP source gets a recording client factory.
The HTTP path against a real local server is in ``tests/integration/test_scrapers.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nba_pipeline.scrapers.connections import API_CONNECTIONS
from nba_pipeline.scrapers.endpoints import (
    ENDPOINTS,
    ItemRequest,
    PerItem,
    UnknownSourceError,
    endpoint_for,
    season_label,
)
from nba_pipeline.scrapers.run import QuarantinedPayloadError
from nba_pipeline.scrapers.sources import HttpSource, SimulatedSource, payload_source
from nba_pipeline.sources.http_client import FetchedPayload
from nba_pipeline.sources.simulation import BOX_SCORE_SOURCES, SOURCES, SimulatedLeague

ET = ZoneInfo("America/New_York")
GAME_DATE = dt.date(2025, 1, 15)


@pytest.fixture(scope="module")
def league() -> SimulatedLeague:
    return SimulatedLeague(seed=2024)


def _et(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ET)


def _schedule_dates(body: bytes) -> list[tuple[dt.date, list[dict[str, Any]]]]:
    document = json.loads(body)
    return [
        (dt.datetime.strptime(entry["gameDate"], "%m/%d/%Y %H:%M:%S").date(), entry["games"])
        for entry in document["leagueSchedule"]["gameDates"]
    ]


# --------------------------------------------------------------------------- catalog


def test_catalog_has_exactly_one_endpoint_per_source_in_source_order():
    assert tuple(ENDPOINTS) == SOURCES
    assert all(endpoint.source == source for source, endpoint in ENDPOINTS.items())


def test_results_sources_are_the_box_score_sources_and_look_back_one_day():
    assert {s for s, e in ENDPOINTS.items() if e.results} == BOX_SCORE_SOURCES
    assert {e.date_offset_days for s, e in ENDPOINTS.items() if s in BOX_SCORE_SOURCES} == {-1}
    assert {e.date_offset_days for s, e in ENDPOINTS.items() if s not in BOX_SCORE_SOURCES} == {0}


def test_every_endpoint_names_a_known_api_connection_and_only_keyed_apis_take_keys():
    assert {endpoint.conn_id for endpoint in ENDPOINTS.values()} == set(API_CONNECTIONS)
    odds = API_CONNECTIONS["nba_odds_api"].definition("k", host="127.0.0.1", port=8080, max_attempts=2)
    assert odds == {
        "conn_type": "http", "host": "127.0.0.1", "schema": "http", "port": 8080, "password": "k",
        "extra": {"api_key_param": "apiKey", "max_attempts": 2},
    }  # fmt: skip
    assert API_CONNECTIONS["nba_espn"].definition() == {
        "conn_type": "http", "host": "site.api.espn.com", "schema": "https"
    }  # fmt: skip
    with pytest.raises(ValueError, match="'nba_balldontlie' needs the API key"):
        API_CONNECTIONS["nba_balldontlie"].definition()


def test_the_env_example_shows_each_api_connection_as_defined():
    example = (Path(__file__).resolve().parents[2] / "docker" / "env.example").read_text()
    shown = {
        line.split("=", 1)[0].removeprefix("# AIRFLOW_CONN_").lower(): json.loads(line.split("=", 1)[1].strip("'"))
        for line in example.splitlines()
        if line.startswith("# AIRFLOW_CONN_NBA_")
    }
    assert shown == {
        conn_id: connection.definition("<key>" if connection.needs_key else None)
        for conn_id, connection in API_CONNECTIONS.items()
    }


def test_connections_group_the_sources_by_api():
    by_conn: dict[str, set[str]] = {}
    for source, endpoint in ENDPOINTS.items():
        by_conn.setdefault(endpoint.conn_id, set()).add(source)
    assert by_conn == {
        "nba_cdn": {"nbac_schedule", "nbac_play_by_play"},
        "nba_stats": {"nbac_gamebook", "nbac_team_boxscore", "nbac_player_list"},
        "nba_injury_report": {"nbac_injury_report"},
        "nba_balldontlie": {"bdl_boxscores"},
        "nba_odds_api": {"odds_api_events", "odds_api_player_points_props", "odds_api_game_lines"},
        "nba_bettingpros": {"bettingpros_player_props"},
        "nba_espn": {"espn_rosters"},
    }


def test_requests_for_a_date_follow_the_real_apis():
    assert endpoint_for("nbac_schedule").request(GAME_DATE) == (
        "/static/json/staticData/scheduleLeagueV2.json",
        {},
    )
    assert endpoint_for("bdl_boxscores").request(dt.date(2025, 1, 14)) == (
        "/v1/stats",
        {"dates[]": "2025-01-14", "per_page": "100"},
    )
    # player props: per event (the real API answers /historical/.../odds?markets=player_points with 422)
    props = endpoint_for("odds_api_player_points_props")
    path, params = props.request(GAME_DATE, item="24ce49efc264e1ffd5bdaad7a8d0a937")
    assert path == "/v4/historical/sports/basketball_nba/events/24ce49efc264e1ffd5bdaad7a8d0a937/odds"
    assert params["markets"] == "player_points" and params["regions"] == "us"
    assert params["date"] == "2025-01-15T15:00:00Z"  # the snapshot at 10:00 ET
    assert props.request(GAME_DATE)[0] == "/v4/historical/sports/basketball_nba/events/{event_id}/odds"
    assert props.per_item is not None and props.per_item.index == "odds_api_events"
    # the ET day, in UTC: a 7 pm ET tip-off (00:00Z next day) is inside it
    for source in ("odds_api_events", "odds_api_game_lines"):
        params = endpoint_for(source).request(GAME_DATE)[1]
        assert (params["commenceTimeFrom"], params["commenceTimeTo"]) == (
            "2025-01-15T05:00:00Z",
            "2025-01-16T04:59:59Z",
        )
    lines = endpoint_for("odds_api_game_lines")
    assert lines.request(GAME_DATE)[1]["markets"] == "h2h,spreads,totals"
    # what a request may cost: historical 10 x markets x regions, the events 1
    assert [endpoint_for(s).quota.cost for s in ("odds_api_events", "odds_api_game_lines")] == [1, 30]  # type: ignore[union-attr]
    assert props.quota is not None and props.quota.cost == 10
    # NBA.com box scores: the date's scoreboard, then each final game's box score, as nba_api asks
    gamebook = endpoint_for("nbac_gamebook")
    assert gamebook.index_request(dt.date(2025, 1, 14)) == (
        "/stats/scoreboardv3",
        {"GameDate": "2025-01-14", "LeagueID": "00"},
    )
    assert gamebook.request(dt.date(2025, 1, 14), item="0022400600") == (
        "/stats/boxscoretraditionalv3",
        {"EndPeriod": "0", "EndRange": "0", "GameID": "0022400600", "RangeType": "0", "StartPeriod": "0",
         "StartRange": "0"},
    )  # fmt: skip
    assert gamebook.per_item is not None and gamebook.per_item.only == ("gameStatus", 3)
    with pytest.raises(ValueError, match="declare one of"):
        PerItem(field="x", stored_as="y", index="odds_api_events", index_path="/stats/scoreboardv3")
    # NBA.com play-by-play: the date's scoreboard on the stats host, then each final game's live
    # feed and live box score on the CDN
    play_by_play = endpoint_for("nbac_play_by_play")
    assert play_by_play.per_item is not None and play_by_play.per_item.index_conn_id == "nba_stats"
    assert (play_by_play.conn_id, play_by_play.per_item.only) == ("nba_cdn", ("gameStatus", 3))
    assert play_by_play.index_request(dt.date(2025, 1, 14)) == gamebook.index_request(dt.date(2025, 1, 14))
    assert play_by_play.item_requests(dt.date(2025, 1, 14), "0022400600") == [
        ("games", "/static/json/liveData/playbyplay/playbyplay_0022400600.json", {}),
        ("boxscores", "/static/json/liveData/boxscore/boxscore_0022400600.json", {}),
    ]
    assert gamebook.item_requests(dt.date(2025, 1, 14), "0022400600") == [
        ("games", *gamebook.request(dt.date(2025, 1, 14), item="0022400600"))
    ]
    with pytest.raises(ValueError, match="index_conn_id names the connection of an index_path"):
        PerItem(field="x", stored_as="y", index="odds_api_events", index_conn_id="nba_stats")
    with pytest.raises(ValueError, match="its own key"):
        PerItem(field="x", stored_as="y", index_path="/i", also=(ItemRequest("/z/{x}", stored_as="y"),))
    with pytest.raises(ValueError, match="its own key"):
        PerItem(field="x", stored_as="y", index_path="/i", index_stored_as="z", also=(ItemRequest("/z", "z"),))
    # fetched at 10:00 ET: the hourly report of 09:30 until 2025-12-22, a quarter-hourly one after
    # ESPN rosters: one request per team, for the 30 declared team ids, no query
    rosters = endpoint_for("espn_rosters")
    assert rosters.request(GAME_DATE, item="26") == ("/apis/site/v2/sports/basketball/nba/teams/26/roster", {})
    assert rosters.per_item is not None and rosters.per_item.index is None
    assert rosters.per_item.ids == tuple(str(n) for n in range(1, 31))
    # BettingPros: the day's events, then the points offers of all of them, 10 a page
    offers = endpoint_for("bettingpros_player_props")
    assert offers.first_request(GAME_DATE) == ("/v3/events", {"sport": "NBA", "date": "2025-01-15"})
    assert offers.request(GAME_DATE, item="27207:27208") == (
        "/v3/offers",
        {"sport": "NBA", "market_id": "156", "event_id": "27207:27208", "location": "ALL", "limit": "10"},
    )
    assert offers.pages is not None and (offers.pages.param, offers.pages.total_at) == (
        "page", ("_pagination", "total_pages")
    )
    report = endpoint_for("nbac_injury_report")
    assert report.request(GAME_DATE)[0] == "/referee/injury/Injury-Report_2025-01-15_09AM.pdf"
    assert report.request(dt.date(2026, 1, 15))[0] == "/referee/injury/Injury-Report_2026-01-15_10_00AM.pdf"
    assert report.request(GAME_DATE, "2025-01-14_09PM")[0] == "/referee/injury/Injury-Report_2025-01-14_09PM.pdf"


def _slots(*moment: int) -> list[str]:
    from nba_pipeline.sources.injury_report import report_slots

    return report_slots(dt.datetime(*moment, tzinfo=ET))


def test_injury_report_slots_look_back_twelve_hours_with_each_slots_own_date():
    hourly = _slots(2025, 1, 15, 10)
    assert hourly[:2] == ["2025-01-15_09AM", "2025-01-15_08AM"] and len(hourly) == 12
    assert hourly[-3:] == ["2025-01-15_12AM", "2025-01-14_11PM", "2025-01-14_10PM"]  # back over midnight
    # across the switch from hourly (:30) to quarter-hourly reports at 2025-12-22 09:00 ET
    assert _slots(2025, 12, 22, 10)[:7] == [
        "2025-12-22_10_00AM", "2025-12-22_09_45AM", "2025-12-22_09_30AM", "2025-12-22_09_15AM",
        "2025-12-22_09_00AM", "2025-12-22_08AM", "2025-12-22_07AM",
    ]  # fmt: skip
    assert len(_slots(2026, 1, 15, 10)) == 49  # 12 hours of quarter hours, both ends included
    # the hour skipped in March is not asked for; the hour repeated in November is asked for once
    march = _slots(2025, 3, 9, 4)
    assert march[:3] == ["2025-03-09_03AM", "2025-03-09_01AM", "2025-03-09_12AM"] and len(march) == 12
    november = _slots(2025, 11, 2, 3)
    assert november[:3] == ["2025-11-02_02AM", "2025-11-02_01AM", "2025-11-02_12AM"]
    assert len(november) == len(set(november)) == 11  # 12 real hours, 12 slots; the two 01:30s share a name


def test_no_request_carries_a_key_and_every_template_resolves():
    for endpoint in ENDPOINTS.values():
        # a per-event path needs its event, an offers query its events
        item = "0" * 32 if endpoint.per_item is not None or endpoint.joined_ids is not None else None
        requests = [endpoint.request(GAME_DATE, item=item)]
        if endpoint.per_item is not None:
            requests += [(path, params) for _, path, params in endpoint.item_requests(GAME_DATE, "0" * 32)]
        for path, params in requests:
            text = path + "".join(params.values())
            assert "{" not in text and "}" not in text
            assert not {"apikey", "api_key", "key"} & {name.lower() for name in params}


def test_season_labels_turn_in_october():
    assert [
        season_label(d) for d in (dt.date(2024, 10, 22), dt.date(2025, 6, 20), dt.date(2025, 10, 21))
    ] == [
        "2024-25",
        "2024-25",
        "2025-26",
    ]


def test_unknown_source_names_the_known_ones():
    with pytest.raises(UnknownSourceError, match="'nbac_boxscore'.*nbac_schedule, nbac_gamebook"):
        endpoint_for("nbac_boxscore")


def test_item_counts_follow_the_declared_path_and_refuse_other_shapes():
    schedule = endpoint_for("nbac_schedule")
    document = {"leagueSchedule": {"gameDates": [{"games": [1, 2]}, {"games": []}, {"games": [3]}]}}
    assert schedule.count_items(document) == 3
    assert schedule.count_items({"leagueSchedule": {"gameDates": [{"games": 5}]}}) is None
    play_by_play = endpoint_for("nbac_play_by_play")
    assert play_by_play.count_items({"scoreboard": {}, "games": [{}, {}], "boxscores": [{}, {}]}) == 2
    assert play_by_play.count_items({"resultSets": []}) is None
    assert endpoint_for("bdl_boxscores").count_items([{"data": []}]) is None


# --------------------------------------------------------------------------- fetch moments


def test_results_sources_fetch_the_day_before_at_ten_the_next_morning():
    gamebook = endpoint_for("nbac_gamebook")
    target = GAME_DATE + dt.timedelta(days=gamebook.date_offset_days)
    assert target == dt.date(2025, 1, 14)
    assert gamebook.fetch_moment(target) == _et(GAME_DATE, 10)


def test_pre_game_sources_fetch_at_ten_on_the_day_in_either_offset():
    props = endpoint_for("odds_api_player_points_props")
    assert props.fetch_moment(GAME_DATE) == _et(GAME_DATE, 10)
    assert props.fetch_moment(GAME_DATE).astimezone(dt.UTC).hour == 15  # EST
    assert props.fetch_moment(dt.date(2025, 4, 1)).astimezone(dt.UTC).hour == 14  # EDT


def test_simulated_box_scores_of_d_are_fetched_on_d_plus_one_with_every_game_in(league):
    fetched = SimulatedSource().fetch("nbac_gamebook", dt.date(2025, 1, 14))

    assert fetched.fetched_at == _et(GAME_DATE, 10)
    assert fetched.fetched_at.tzinfo is dt.UTC
    assert fetched.body == league.payload("nbac_gamebook", dt.date(2025, 1, 14), as_of=_et(GAME_DATE, 10))
    games = json.loads(fetched.body)["games"]
    assert len(games) == len(league.games_on(dt.date(2025, 1, 14))) > 0


def test_simulated_pre_game_sources_are_fetched_at_ten_on_the_day_not_the_wall_clock(league):
    fetched = SimulatedSource().fetch("odds_api_player_points_props", GAME_DATE)

    assert fetched.fetched_at == _et(GAME_DATE, 10)
    answers = json.loads(fetched.body)["events"]  # one historical event-odds answer per event
    assert answers and all(
        (a["timestamp"], a["previous_timestamp"], a["next_timestamp"])
        == ("2025-01-15T15:00:00Z", "2025-01-15T14:55:00Z", "2025-01-15T15:05:00Z")
        for a in answers
    )
    # at 10:00 every book shows its opening line, posted at 09:MM ET
    last_updates = {b["last_update"] for answer in answers for b in answer["data"]["bookmakers"]}
    assert last_updates and all(stamp.startswith("2025-01-15T14:") for stamp in last_updates)


def test_simulated_rosters_are_the_answers_of_the_declared_team_ids_in_order():
    rosters = endpoint_for("espn_rosters").per_item
    assert rosters is not None
    document = json.loads(SimulatedSource().fetch("espn_rosters", GAME_DATE).body)
    assert tuple(body["team"]["id"] for body in document[rosters.stored_as]) == rosters.ids


def test_simulated_urls_say_simulated_and_show_the_request_they_stand_for():
    fetched = SimulatedSource().fetch("bdl_boxscores", dt.date(2025, 1, 14))
    assert fetched.url == "simulated://nba_balldontlie/v1/stats?dates%5B%5D=2025-01-14&per_page=100"
    assert (fetched.status_code, fetched.content_type, fetched.attempts) == (200, "application/json", 1)


# --------------------------------------------------------------------------- schedule window


def test_schedule_window_lists_the_dates_with_games_from_date_minus_one_to_plus_sixty(league):
    fetched = SimulatedSource().fetch("nbac_schedule", GAME_DATE)
    dates = _schedule_dates(fetched.body)

    window = [GAME_DATE + dt.timedelta(days=n) for n in range(-1, 61)]
    assert [day for day, _ in dates] == [day for day in window if league.games_on(day)]
    assert [len(games) for _, games in dates] == [len(league.games_on(day)) for day, _ in dates]
    document = json.loads(fetched.body)
    assert document["meta"]["time"] == "2025-01-15T10:00:00-05:00"
    assert document["leagueSchedule"]["seasonYear"] == "2024-25"
    # seen at 10:00 ET on the 15th: yesterday's games are final, today's and later scheduled
    assert {g["gameStatus"] for g in dates[0][1]} == {3}
    assert {g["gameStatus"] for _, games in dates[1:] for g in games} == {1}


def test_schedule_window_keeps_the_single_date_shape(league):
    window = json.loads(SimulatedSource().fetch("nbac_schedule", GAME_DATE).body)
    single = json.loads(league.payload("nbac_schedule", GAME_DATE, as_of=_et(GAME_DATE, 10)))

    assert window.keys() == single.keys() and window["meta"] == single["meta"]
    assert window["leagueSchedule"].keys() == single["leagueSchedule"].keys()
    assert single["leagueSchedule"]["gameDates"][0] in window["leagueSchedule"]["gameDates"]


def test_schedule_window_over_the_all_star_break_shows_the_next_games_on_the_20th():
    dates = _schedule_dates(SimulatedSource().fetch("nbac_schedule", dt.date(2025, 2, 16)).body)

    assert dates[0][0] == dt.date(2025, 2, 20), "no games from the 15th (date-1) to the 19th"
    # the regular season's last day; the playoffs start on the 19th, after the window
    assert dates[-1][0] == dt.date(2025, 4, 13)
    assert all(games for _, games in dates)


def test_schedule_window_in_the_offseason_has_no_games():
    assert _schedule_dates(SimulatedSource().fetch("nbac_schedule", dt.date(2025, 7, 15)).body) == []


def test_imperfections_apply_to_every_date_of_the_window(league):
    fetched = SimulatedSource(imperfections=frozenset({"game_postponed"})).fetch("nbac_schedule", GAME_DATE)

    for _, games in _schedule_dates(fetched.body):
        if games:
            assert games[-1]["postponedStatus"] == "P"
            assert {g["postponedStatus"] for g in games[:-1]} <= {"A"}


# --------------------------------------------------------------------------- determinism, imperfections


@pytest.mark.parametrize("source", ["nbac_schedule", "nbac_gamebook", "odds_api_player_points_props"])
def test_simulated_source_is_deterministic(source):
    from nba_pipeline.scrapers import sources

    first = SimulatedSource(seed=2024).fetch(source, GAME_DATE)
    sources._league.cache_clear()  # a fresh league, as in another process
    second = SimulatedSource(seed=2024).fetch(source, GAME_DATE)

    assert first == second
    assert SimulatedSource(seed=7).fetch(source, GAME_DATE).body != first.body  # the seed matters


def test_imperfections_reach_the_simulated_league():
    day = dt.date(2025, 1, 14)
    clean = json.loads(SimulatedSource().fetch("nbac_gamebook", day).body)["games"]
    late = json.loads(
        SimulatedSource(imperfections=frozenset({"late_boxscores"})).fetch("nbac_gamebook", day).body
    )

    assert [g["boxScoreTraditional"]["gameId"] for g in late["games"]] == [
        g["boxScoreTraditional"]["gameId"] for i, g in enumerate(clean) if i % 3 != 0
    ]


def test_unknown_imperfection_is_refused_up_front():
    with pytest.raises(ValueError, match="'late_box_scores'.*NBA_SIMULATION_IMPERFECTIONS"):
        SimulatedSource(imperfections=frozenset({"late_box_scores"}))


# --------------------------------------------------------------------------- HTTP source (recorded client)


class _RecordingClient:
    def __init__(self, calls: list[dict[str, Any]], conn_id: str, overrides: dict[str, Any]) -> None:
        self.calls = calls
        self.record: dict[str, Any] = {"conn_id": conn_id, "overrides": overrides, "closed": False}
        calls.append(self.record)

    def __enter__(self) -> _RecordingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.record["closed"] = True

    def fetch(self, path: str, params: dict[str, str], media_type: str) -> FetchedPayload:
        self.record.update(path=path, params=params, media_type=media_type)
        return FetchedPayload("http://x" + path, 200, "application/json", b"{}", dt.datetime.now(dt.UTC), 1)


def test_http_source_asks_the_endpoints_connection_for_the_catalog_request():
    calls: list[dict[str, Any]] = []
    source = HttpSource(client_factory=lambda conn_id, **kw: _RecordingClient(calls, conn_id, kw))

    source.fetch("bdl_boxscores", dt.date(2025, 1, 14))
    source.fetch("nbac_schedule", GAME_DATE)
    source.fetch("nbac_injury_report", GAME_DATE)

    assert calls[0] == {
        "conn_id": "nba_balldontlie",
        "overrides": {},
        "closed": True,
        "path": "/v1/stats",
        "params": {"dates[]": "2025-01-14", "per_page": "100"},
        "media_type": "application/json",
    }
    assert calls[1]["conn_id"] == "nba_cdn" and calls[1]["closed"]
    assert calls[1]["overrides"]["extra_headers"]["Referer"] == "https://www.nba.com/"
    assert (calls[2]["path"], calls[2]["media_type"]) == (
        "/referee/injury/Injury-Report_2025-01-15_09AM.pdf", "application/pdf"
    )


class _ServingClient(_RecordingClient):
    """A client of one connection that answers each path with the body ``bodies`` holds for it."""

    def __init__(self, calls: list[dict[str, Any]], conn_id: str, bodies: dict[str, bytes]) -> None:
        super().__init__(calls, conn_id, {})
        self.bodies = bodies
        self.record["paths"] = []

    def fetch(self, path: str, params: dict[str, str], media_type: str) -> FetchedPayload:
        self.record["paths"].append(path)
        return FetchedPayload(f"http://{self.record['conn_id']}{path}", 200, media_type, self.bodies[path], _NOW, 1)


_NOW = dt.datetime(2025, 1, 15, 15, tzinfo=dt.UTC)


def test_http_play_by_play_asks_the_stats_scoreboard_and_stores_what_the_simulation_renders():
    """The scoreboard through a client of ``nba_stats``, every final game's feed and live box score
    through one of ``nba_cdn``: the stored document is byte for byte the simulated one."""
    day = dt.date(2025, 1, 14)
    simulated = json.loads(SimulatedSource().fetch("nbac_play_by_play", day).body)
    bodies = {"/stats/scoreboardv3": json.dumps(simulated["scoreboard"]).encode()}
    for feed, box in zip(simulated["games"], simulated["boxscores"], strict=True):
        game_id = feed["game"]["gameId"]
        bodies[f"/static/json/liveData/playbyplay/playbyplay_{game_id}.json"] = json.dumps(feed).encode()
        bodies[f"/static/json/liveData/boxscore/boxscore_{game_id}.json"] = json.dumps(box).encode()
    calls: list[dict[str, Any]] = []
    source = HttpSource(client_factory=lambda conn_id, **kw: _ServingClient(calls, conn_id, bodies))

    fetched = source.fetch("nbac_play_by_play", day)

    by_conn = {call["conn_id"]: call for call in calls}
    assert set(by_conn) == {"nba_cdn", "nba_stats"} and all(call["closed"] for call in calls)
    assert by_conn["nba_stats"]["paths"] == ["/stats/scoreboardv3"]
    game_ids = [feed["game"]["gameId"] for feed in simulated["games"]]
    assert len(game_ids) > 2 and by_conn["nba_cdn"]["paths"] == [
        path
        for game_id in game_ids
        for path in (
            f"/static/json/liveData/playbyplay/playbyplay_{game_id}.json",
            f"/static/json/liveData/boxscore/boxscore_{game_id}.json",
        )
    ]
    assert fetched.url == "http://nba_stats/stats/scoreboardv3" and fetched.attempts == 1 + 2 * len(game_ids)
    assert fetched.body == SimulatedSource().fetch("nbac_play_by_play", day).body


# --------------------------------------------------------------------------- selection by settings


def test_settings_choose_the_simulated_source_by_default(settings_env):
    for name in ("NBA_SOURCE_MODE", "NBA_SIMULATION_SEED", "NBA_SIMULATION_IMPERFECTIONS"):
        settings_env.delenv(name, raising=False)

    source = payload_source()

    assert type(source) is SimulatedSource
    assert (source.seed, source.imperfections) == (2024, frozenset())


def test_settings_configure_the_simulation(settings_env):
    settings_env.setenv("NBA_SOURCE_MODE", " Simulated ")
    settings_env.setenv("NBA_SIMULATION_SEED", "7")
    settings_env.setenv("NBA_SIMULATION_IMPERFECTIONS", "late_boxscores, duplicate_rows,")

    source = payload_source()

    assert type(source) is SimulatedSource
    assert (source.seed, source.imperfections) == (7, frozenset({"late_boxscores", "duplicate_rows"}))


def test_settings_choose_the_http_source(settings_env):
    settings_env.setenv("NBA_SOURCE_MODE", "http")
    assert type(payload_source()) is HttpSource


def test_unknown_mode_names_the_variable_and_the_choices(settings_env):
    settings_env.setenv("NBA_SOURCE_MODE", "live")
    with pytest.raises(ValueError, match="NBA_SOURCE_MODE='live'.*simulated, http"):
        payload_source()


def test_quarantine_error_survives_pickling():
    error = QuarantinedPayloadError(
        "odds_api_events", GAME_DATE, "http://h/v4?x=1", "file:///q/a.json", "empty body"
    )
    clone = pickle.loads(pickle.dumps(error))
    assert str(clone) == str(error) and clone.quarantine_uri == "file:///q/a.json"


def test_the_daily_odds_quota_is_a_whole_number_or_unset(settings_env):
    from nba_pipeline.settings import get_settings

    settings_env.delenv("NBA_ODDS_DAILY_QUOTA", raising=False)
    get_settings.cache_clear()
    assert get_settings().odds_daily_quota is None, "no budget unless one is set"
    for value, expected in (("250", 250), (" 0 ", 0), ("", None)):
        settings_env.setenv("NBA_ODDS_DAILY_QUOTA", value)
        get_settings.cache_clear()
        assert get_settings().odds_daily_quota == expected
    for bad in ("ten", "-5", "2.5"):
        settings_env.setenv("NBA_ODDS_DAILY_QUOTA", bad)
        get_settings.cache_clear()
        with pytest.raises(ValueError, match="NBA_ODDS_DAILY_QUOTA"):
            get_settings()


# --------------------------------------------------------------------------- The Odds API: live or historical

_ODDS = ("odds_api_events", "odds_api_player_points_props", "odds_api_game_lines")
_BOOKS = "draftkings,fanduel,betmgm,williamhill_us"
_DAY_UTC = {"commenceTimeFrom": "2025-01-15T05:00:00Z", "commenceTimeTo": "2025-01-16T04:59:59Z"}


def test_odds_of_today_and_later_on_the_package_clock_are_fetched_live_and_the_past_historically():
    from nba_pipeline import clock
    from nba_pipeline.scrapers.endpoints import fetches_live

    day_before = GAME_DATE - dt.timedelta(days=1)
    with clock.shifted_to(_et(GAME_DATE, 10)):
        assert (fetches_live(day_before), fetches_live(GAME_DATE), fetches_live(GAME_DATE + dt.timedelta(days=1))) == (
            False, True, True,
        )  # fmt: skip
        for source in _ODDS:
            entry = endpoint_for(source)
            assert entry.live is not None and entry.live.is_live and entry.live.live is None
            assert entry.for_date(GAME_DATE) is entry.live and entry.for_date(day_before) is entry
        schedule = endpoint_for("nbac_schedule")
        assert schedule.live is None and schedule.for_date(GAME_DATE) is schedule
    with clock.shifted_to(_et(GAME_DATE, 0) - dt.timedelta(minutes=30)):  # 04:30 UTC on the 15th: still the 14th in ET
        assert fetches_live(day_before)
    assert all(endpoint_for(s).for_date(GAME_DATE) is endpoint_for(s) for s in _ODDS), "2025 is the past today"


def test_live_odds_requests_are_the_live_endpoints_without_a_date_at_their_own_prices():
    events, props, lines = (endpoint_for(source).live for source in _ODDS)
    assert events is not None and props is not None and lines is not None
    assert events.request(GAME_DATE) == ("/v4/sports/basketball_nba/events", _DAY_UTC)
    assert lines.request(GAME_DATE) == (
        "/v4/sports/basketball_nba/odds",
        {"regions": "us", "markets": "h2h,spreads,totals", "oddsFormat": "american", "bookmakers": _BOOKS, **_DAY_UTC},
    )
    assert props.request(GAME_DATE, item="e1") == (
        "/v4/sports/basketball_nba/events/e1/odds",
        {"regions": "us", "markets": "player_points", "oddsFormat": "american", "bookmakers": _BOOKS},
    )
    assert [entry.quota.cost if entry.quota else None for entry in (events, lines, props)] == [0, 3, 1]
    assert props.per_item is not None
    assert (props.per_item.index, props.per_item.ids_at) == ("odds_api_events", ("*", "id"))
    assert {(entry.source, entry.conn_id) for entry in (events, props, lines)} == {
        (source, "nba_odds_api") for source in _ODDS
    }
    assert events.count_items([{"id": "a"}, {"id": "b"}]) == 2 and lines.count_items({"data": []}) is None


def test_simulated_live_odds_are_the_bare_answers_as_of_the_clock_never_newer_than_the_fetch():
    from nba_pipeline import clock

    moment = _et(GAME_DATE, 14) + dt.timedelta(minutes=20, seconds=30)  # three of the four books have moved
    with clock.shifted_to(moment):
        fetched = {source: SimulatedSource().fetch(source, GAME_DATE) for source in _ODDS}
        again = {source: SimulatedSource().fetch(source, GAME_DATE).body for source in _ODDS}
    assert {source: f.body for source, f in fetched.items()} == again, "deterministic for the seed"
    historical = json.loads(SimulatedSource().fetch("odds_api_events", GAME_DATE).body)["data"]
    events = json.loads(fetched["odds_api_events"].body)
    lines = json.loads(fetched["odds_api_game_lines"].body)
    props = json.loads(fetched["odds_api_player_points_props"].body)["events"]
    assert events == historical, "the live list holds the events the historical snapshot wraps"
    assert [e["id"] for e in lines] == [e["id"] for e in props] == [e["id"] for e in events]
    for source, answer in fetched.items():
        assert answer.url.startswith("simulated://nba_odds_api/v4/sports/basketball_nba/"), source
        assert answer.fetched_at.second == 0 and moment - dt.timedelta(seconds=30) <= answer.fetched_at <= moment
    stamps = {
        dt.datetime.fromisoformat(node["last_update"])
        for event in (*lines, *props)
        for book in event["bookmakers"]
        for node in (book, *book["markets"])
    }
    moved = {_et(GAME_DATE, 14) + dt.timedelta(minutes=m) for m in (5, 12, 20)}
    assert stamps == moved | {_et(GAME_DATE, 9) + dt.timedelta(minutes=31)}, "the last book moves at 14:31"
    assert "timestamp" not in fetched["odds_api_player_points_props"].body.decode()
