"""The simulated payloads as the real endpoints' public clients read them (contract tests).

A payload is served by a real local HTTP server at the path the client asks for; the client's own
request and parsing code runs unchanged, and what it reads must be what the raw processor loads.
So far NBA.com's schedule, team game logs, scoreboard and per-game box scores (nba_api),
balldontlie's box scores (the official SDK) and The Odds API's per-event player points props, events
and game lines, historical and live (the-odds-api-sdk); ``docs/real-endpoints.md`` lists what the
other sources still lack.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import pytest
from balldontlie import BalldontlieAPI
from nba_api.stats.endpoints import BoxScoreTraditionalV3, ScheduleLeagueV2, ScoreboardV3, TeamGameLogs
from nba_api.stats.library.http import NBAStatsHTTP
from nba_api.stats.static import players as real_players
from the_odds_api_sdk import OddsAPIClient

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw import BDL_BOXSCORES, GAME_LINES, GAMEBOOK, ODDS_PROPS, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.processors.raw.json_node import decode
from nba_pipeline.scrapers.endpoints import ENDPOINTS
from nba_pipeline.scrapers.sources import SimulatedSource
from nba_pipeline.sources.simulation import GAME_POSTPONED, PLAYER_MISSING_FROM_BOOK, SimulatedLeague
from tests.reliability.payload_corpus import LocalSource, local_source

GAME_DAY = dt.date(2025, 1, 14)


@pytest.fixture
def nba_stats(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSource]:
    """A local server standing in for stats.nba.com, where nba_api's endpoint classes send their requests."""
    with local_source() as served:
        monkeypatch.setattr(NBAStatsHTTP, "base_url", f"{served.url}/stats/{{endpoint}}")
        yield served


@pytest.mark.parametrize("imperfections", [frozenset(), frozenset({GAME_POSTPONED})], ids=["clean", "postponed"])
def test_nba_api_reads_every_scheduled_game_the_raw_processor_loads(nba_stats, imperfections) -> None:
    body = SimulatedSource(imperfections=imperfections).fetch("nbac_schedule", GAME_DAY).body
    nba_stats.serve("/stats/scheduleleaguev2", body)
    schedule = ScheduleLeagueV2(league_id="00", season="2024-25", timeout=5)

    ((target, _),) = nba_stats.requests
    assert target == "/stats/scheduleleaguev2?LeagueID=00&Season=2024-25"
    games = schedule.season_games.get_data_frame().to_dict("records")
    rows = {parsed.row["nba_game_id"]: parsed.row for parsed in SCHEDULE.parse(decode(body), GAME_DAY)}
    assert len(games) == len(rows) > 300, "the window date-1..date+60 holds a few hundred games"
    for game in games:
        row = rows[game["gameId"]]
        assert ids.from_game_code(game["gameCode"]) == row["game_id"]
        assert game["gameDate"] == f"{row['game_date']:%m/%d/%Y} 00:00:00"
        assert (game["homeTeam_teamTricode"], game["awayTeam_teamTricode"]) == (
            row["home_team_abbr"],
            row["away_team_abbr"],
        )
        assert (game["gameStatus"], game["gameStatusText"]) == (row["game_status"], row["game_status_text"])
        assert ids.parse_utc_z(game["gameDateTimeUTC"]) == row["start_time_utc"]
        if row["game_status"] == 3:
            assert (game["homeTeam_score"], game["awayTeam_score"]) == (row["home_score"], row["away_score"])
            assert game["pointsLeaders_points"] >= 20.0
    postponed = [game for game in games if game["gameStatusText"] == "PPD"]
    game_dates = {game["gameDate"] for game in games}
    assert len(postponed) == (len(game_dates) if imperfections else 0), "the fault postpones one game a date"
    assert all(rows[game["gameId"]]["is_postponed"] for game in postponed)

    weeks = schedule.season_weeks.get_data_frame().to_dict("records")
    assert [week["weekNumber"] for week in weeks] == list(range(1, len(weeks) + 1))
    (this_week,) = [w for w in weeks if w["startDate"][:10] <= GAME_DAY.isoformat() <= w["endDate"][:10]]
    assert {game["weekNumber"] for game in games if game["gameDate"].startswith("01/14/2025")} == {
        this_week["weekNumber"]
    }


def test_nba_api_reads_every_team_game_log_row_the_raw_processor_loads(nba_stats) -> None:
    body = SimulatedSource().fetch("nbac_team_boxscore", GAME_DAY).body
    nba_stats.serve("/stats/teamgamelogs", body)
    logs = TeamGameLogs(
        date_from_nullable="01/14/2025", date_to_nullable="01/14/2025", season_nullable="2024-25", timeout=5
    )

    ((target, headers),) = nba_stats.requests
    assert "DateFrom=01%2F14%2F2025" in target and "Season=2024-25" in target
    assert headers["Referer"] == "https://www.nba.com/"
    frame = logs.team_game_logs.get_data_frame()
    assert len(frame.columns) == 57 and frame.columns[-1] == "AVAILABLE_FLAG"
    rows = {(p.row["game_id"], p.row["team_abbr"]): p.row for p in TEAM_BOXSCORE.parse(decode(body), GAME_DAY)}
    assert len(frame) == len(rows) == 2 * 7, "seven games on 2025-01-14, two teams each"
    for log in frame.to_dict("records"):
        team, opponent = log["MATCHUP"].replace(" vs. ", " @ ").split(" @ ")
        away, home = (opponent, team) if " vs. " in log["MATCHUP"] else (team, opponent)
        row = rows[(ids.canonical_game_id(GAME_DAY, away, home), log["TEAM_ABBREVIATION"])]
        assert (log["PTS"], log["FGM"], log["FG3A"], log["REB"], log["TOV"], log["PLUS_MINUS"]) == (
            row["points"],
            row["fg_makes"],
            row["three_pt_attempts"],
            row["total_rebounds"],
            row["turnovers"],
            row["plus_minus"],
        )
        assert log["WL"] == ("W" if row["plus_minus"] > 0 else "L") and row["home_game"] == (team == home)
        assert log["FG_PCT"] == round(row["fg_makes"] / row["fg_attempts"], 3)
        assert log["MIN"] * 5 == row["minutes"] == 240


@pytest.mark.parametrize("imperfections", [frozenset(), frozenset({GAME_POSTPONED})], ids=["clean", "postponed"])
def test_nba_api_reads_the_scoreboard_and_every_box_score_row_the_raw_processor_loads(nba_stats, imperfections) -> None:
    """The stored document's parts, served at their real paths, are what nba_api's ``ScoreboardV3`` and
    ``BoxScoreTraditionalV3`` ask for and read; every player row they yield is a row the raw processor
    loads, with the same values."""
    endpoint = ENDPOINTS["nbac_gamebook"]
    body = SimulatedSource(imperfections=imperfections).fetch("nbac_gamebook", GAME_DAY).body
    document = json.loads(body)
    nba_stats.serve("/stats/scoreboardv3", json.dumps(document["scoreboard"]).encode())
    nba_stats.serve("/stats/boxscoretraditionalv3", *(json.dumps(box).encode() for box in document["games"]))

    board = ScoreboardV3(game_date=GAME_DAY.isoformat(), league_id="00", timeout=5)
    games = board.game_header.get_data_frame().to_dict("records")
    finals = [game["gameId"] for game in games if game["gameStatus"] == 3]
    postponed = [game for game in games if game["gameStatusText"] == "PPD"]
    assert len(games) == 7 and len(postponed) == (1 if imperfections else 0)
    assert all(game["gameStatus"] == 1 for game in postponed) and len(finals) == len(games) - len(postponed)
    line_scores = board.line_score.get_data_frame().to_dict("records")
    assert len(line_scores) == 2 * len(games)

    rows = {(p.row["nba_game_id"], p.row["nba_player_id"]): p.row for p in GAMEBOOK.parse(decode(body), GAME_DAY)}
    read = 0
    for game_id in finals:
        box = BoxScoreTraditionalV3(game_id=game_id, timeout=5)
        players = box.player_stats.get_data_frame().to_dict("records")
        for player in players:
            row = rows[(game_id, player["personId"])]
            assert player["teamTricode"] == row["team_abbr"]
            assert f"{player['firstName']} {player['familyName']}" == row["player_name"]
            assert (player["teamId"] == player["homeTeamId"]) == row["home_game"]
            assert bool(player["position"]) == row["starter"] and (player["position"] or None) == row["position"]
            if row["player_status"] == "active":
                assert player["comment"] == "" and player["minutes"].count(":") == 1
                minutes, seconds = player["minutes"].split(":")
                assert int(minutes) + int(seconds) / 60 == row["minutes"]
                assert (player["points"], player["fieldGoalsMade"], player["threePointersAttempted"]) == (
                    row["points"], row["fg_makes"], row["three_pt_attempts"],
                )  # fmt: skip
                assert player["reboundsTotal"] == row["total_rebounds"]
                assert player["plusMinusPoints"] == row["plus_minus"]
            else:
                assert player["minutes"] == "" and row["minutes"] is None and row["points"] is None
                prefix = player["comment"].split(" - ")[0]
                assert {"DNP": "dnp", "DND": "inactive", "NWT": "inactive"}[prefix] == row["player_status"]
                assert row["dnp_reason"] is not None and row["dnp_reason"] in player["comment"]
        teams = box.team_stats.get_data_frame().to_dict("records")
        assert [team["points"] for team in teams] == [
            sum(p["points"] for p in players if p["teamId"] == team["teamId"]) for team in teams
        ]
        assert {team["minutes"] for team in teams} == {"240:00"}
        read += len(players)
    assert read == len(rows) > 20 * len(finals), "every listed player of every final game, no other row"
    asked = [endpoint.index_request(GAME_DAY)] + [endpoint.request(GAME_DAY, item=game_id) for game_id in finals]
    assert [target for target, _ in nba_stats.requests] == [f"{path}?{urlencode(query)}" for path, query in asked], (
        "nba_api asks for the scoreboard and each final game's box score with the endpoint entry's parameters"
    )


@pytest.fixture
def bdl_payload() -> Iterator[tuple[bytes, LocalSource]]:
    body = SimulatedSource().fetch("bdl_boxscores", GAME_DAY).body
    with local_source() as served:
        served.serve("/nba/v1/stats", body)
        yield body, served


def test_the_balldontlie_sdk_reads_every_box_score_row_the_raw_processor_loads(bdl_payload, capsys) -> None:
    body, served = bdl_payload
    api = BalldontlieAPI(api_key="contract-test-key", base_url=served.url)
    page = api.nba.stats.list(dates=[GAME_DAY.isoformat()], per_page=100)
    capsys.readouterr()  # the SDK prints the raw response

    ((path, headers),) = served.requests
    assert path.startswith("/nba/v1/stats?") and "dates%5B%5D=2025-01-14" in path
    assert headers["Authorization"] == "contract-test-key"

    rows = [parsed.row for parsed in BDL_BOXSCORES.parse(decode(body), GAME_DAY)]
    assert len(page.data) == len(rows) > 100
    by_sdk = {(s.player.id, s.game.id): s for s in page.data}
    assert len(by_sdk) == len(rows), "one stat row per player and game"
    for row in rows:
        stat = by_sdk[(row["bdl_player_id"], row["bdl_game_id"])]
        assert (stat.pts, stat.fgm, stat.fga, stat.reb, stat.turnover) == (
            row["points"], row["fg_makes"], row["fg_attempts"], row["total_rebounds"], row["turnovers"]
        )
        assert stat.team.abbreviation == row["team_abbr"]
        assert stat.team.division in {"Atlantic", "Central", "Southeast", "Northwest", "Pacific", "Southwest"}
        assert int(stat.min) == int(row["minutes"])
        assert dt.date.fromisoformat(stat.game.date[:10]) == row["game_date"] == GAME_DAY
    assert page.meta.next_cursor is None


@pytest.mark.parametrize(
    "imperfections", [frozenset(), frozenset({PLAYER_MISSING_FROM_BOOK})], ids=["clean", "player_missing_from_book"]
)
def test_the_odds_api_sdk_reads_every_event_answer_the_raw_processor_loads(imperfections) -> None:
    """Each stored answer served at its event's path: the SDK asks for it as the scraper does, its
    historical event-odds parser reads ``data`` as one event, and every quote is a loaded row."""
    source = "odds_api_player_points_props"
    endpoint = ENDPOINTS[source]
    fetched = SimulatedSource(imperfections=imperfections).fetch(source, GAME_DAY)
    answers = decode(fetched.body).value["events"]
    rows = {
        (r["event_id"], r["bookmaker"], r["player_name"]): r
        for r in (parsed.row for parsed in ODDS_PROPS.parse(decode(fetched.body), GAME_DAY))
    }
    assert len(answers) == 7 and len(rows) > 100
    path, params = endpoint.request(GAME_DAY, item="x")
    quotes = {}
    with local_source() as served:
        for answer in answers:
            served.serve(endpoint.request(GAME_DAY, item=answer["data"]["id"])[0], json.dumps(answer).encode())
        client = OddsAPIClient(api_key="contract-test-key", base_url=f"{served.url}/v4/")
        for answer in answers:
            event_id = answer["data"]["id"]
            snapshot = client.get_historical_event_odds(
                "basketball_nba",
                event_id,
                params["date"],
                regions=params["regions"].split(","),
                markets=params["markets"].split(","),
                odds_format=params["oddsFormat"],
                bookmakers=params["bookmakers"].split(","),
            )
            assert snapshot.timestamp == ids.parse_utc_z(answer["timestamp"]) and snapshot.next_timestamp is not None
            event = snapshot.data
            assert event.id == event_id and (event.home_team, event.away_team) == (
                answer["data"]["home_team"],
                answer["data"]["away_team"],
            )
            for book in event.bookmakers:
                (market,) = book.markets
                assert market.key == "player_points" and market.last_update is not None
                for outcome in market.outcomes:
                    quotes.setdefault((event_id, book.key, outcome.description), {})[outcome.name] = outcome
        for (target, _), answer in zip(served.requests, answers, strict=True):
            sent_path, _, query = target.partition("?")
            assert sent_path == path.replace("/x/", f"/{answer['data']['id']}/")
            sent = dict(parse_qsl(query))
            assert (sent.pop("apiKey"), sent.pop("dateFormat")) == ("contract-test-key", "iso")  # iso: the default
            assert sent == params, "otherwise the scraper's query, to the letter"
    assert set(quotes) == set(rows)
    for key, sides in quotes.items():
        row = rows[key]
        assert (sides["Over"].price, sides["Under"].price) == (row["over_price"], row["under_price"])
        assert sides["Over"].point == sides["Under"].point == row["points_line"]
    if imperfections:
        first = answers[0]["data"]["id"]
        assert len({k[2] for k in quotes if k[:2] == (first, "fanduel")}) == (
            len({k[2] for k in quotes if k[:2] == (first, "draftkings")}) + 1
        ), "one player is missing from the first event's DraftKings market"


def test_the_odds_api_sdk_reads_the_events_and_the_game_lines_the_pipeline_uses() -> None:
    """The historical events (whose ids the props fetch asks for) and the historical game lines, through
    the SDK's own requests and parsers; every game line the raw processor loads is what the SDK read."""
    simulated = SimulatedSource()
    events_body = simulated.fetch("odds_api_events", GAME_DAY).body
    lines_body = simulated.fetch("odds_api_game_lines", GAME_DAY).body
    events_path, events_params = ENDPOINTS["odds_api_events"].request(GAME_DAY)
    lines_path, lines_params = ENDPOINTS["odds_api_game_lines"].request(GAME_DAY)
    with local_source() as served:
        served.serve(events_path, events_body)
        served.serve(lines_path, lines_body)
        client = OddsAPIClient(api_key="contract-test-key", base_url=f"{served.url}/v4/")
        events = client.get_historical_events(
            "basketball_nba",
            events_params["date"],
            commence_time_from=events_params["commenceTimeFrom"],
            commence_time_to=events_params["commenceTimeTo"],
        )
        lines = client.get_historical_odds(
            "basketball_nba",
            lines_params["date"],
            regions=lines_params["regions"].split(","),
            markets=lines_params["markets"].split(","),
            odds_format=lines_params["oddsFormat"],
            bookmakers=lines_params["bookmakers"].split(","),
        )
        (events_query, lines_query) = (dict(parse_qsl(target.partition("?")[2])) for target, _ in served.requests)
    assert events_params.items() <= events_query.items()
    # the SDK cannot send commenceTimeFrom/To on historical odds; every other parameter is the scraper's
    assert {k: v for k, v in lines_params.items() if not k.startswith("commenceTime")}.items() <= lines_query.items()

    props = decode(simulated.fetch("odds_api_player_points_props", GAME_DAY).body).value["events"]
    assert [e.id for e in events.data] == [answer["data"]["id"] for answer in props] and len(events.data) == 7
    assert events.previous_timestamp is not None and events.timestamp == lines.timestamp
    rows = {(r["event_id"], r["bookmaker"]): r for r in (p.row for p in GAME_LINES.parse(decode(lines_body), GAME_DAY))}
    read = {(event.id, book.key): (event, book) for event in lines.data for book in event.bookmakers}
    assert set(read) == set(rows) and len(rows) == 7 * 4
    for key, (event, book) in read.items():
        markets = {m.key: {o.name: o for o in m.outcomes} for m in book.markets}
        assert list(markets) == ["h2h", "spreads", "totals"]
        row = rows[key]
        assert markets["h2h"][event.home_team].price == row["home_moneyline"]
        assert markets["spreads"][event.home_team].point == row["home_spread"]
        assert markets["totals"]["Over"].point == row["total_points"]


_ODDS = ("odds_api_events", "odds_api_game_lines", "odds_api_player_points_props")


def test_the_odds_api_sdk_reads_the_live_answers_the_raw_processor_loads() -> None:
    """At the date's fetch moment the scrapers ask the live endpoints. The SDK's ``get_events``,
    ``get_odds`` and ``get_event_odds`` ask for the catalog's live paths and read the simulated
    live answers (bare lists, one event object); every game line and prop quote the raw processor
    loads is what the SDK read, and each props row's ``snapshot_time`` is the newest ``last_update``
    the SDK read for its event."""
    from nba_pipeline import clock

    with clock.shifted_to(ENDPOINTS["odds_api_events"].fetch_moment(GAME_DAY)):
        entries = {source: ENDPOINTS[source].for_date(GAME_DAY) for source in _ODDS}
        bodies = {source: SimulatedSource().fetch(source, GAME_DAY).body for source in _ODDS}
    assert all(entry.is_live for entry in entries.values())
    (events_path, events_params), (lines_path, lines_params) = (
        entries[source].request(GAME_DAY) for source in _ODDS[:2]
    )
    props_entry = entries["odds_api_player_points_props"]
    props_params = props_entry.request(GAME_DAY, item="x")[1]
    answers = json.loads(bodies["odds_api_player_points_props"])["events"]
    with local_source() as served:
        served.serve(events_path, bodies["odds_api_events"])
        served.serve(lines_path, bodies["odds_api_game_lines"])
        for answer in answers:
            served.serve(props_entry.request(GAME_DAY, item=answer["id"])[0], json.dumps(answer).encode())
        client = OddsAPIClient(api_key="contract-test-key", base_url=f"{served.url}/v4/")
        window = {
            "commence_time_from": events_params["commenceTimeFrom"],
            "commence_time_to": events_params["commenceTimeTo"],
        }
        events = client.get_events("basketball_nba", **window)
        odds = {"regions": ["us"], "odds_format": "american", "bookmakers": lines_params["bookmakers"].split(",")}
        lines = client.get_odds("basketball_nba", markets=["h2h", "spreads", "totals"], **odds, **window)
        props = [
            client.get_event_odds(
                "basketball_nba", answer["id"], regions=["us"], markets=["player_points"], odds_format="american"
            )
            for answer in answers
        ]
        sent = [(target.partition("?")[0], dict(parse_qsl(target.partition("?")[2]))) for target, _ in served.requests]
    for _, query in sent:
        assert (query.pop("apiKey"), query.pop("dateFormat")) == ("contract-test-key", "iso")  # iso: the default
    assert sent[:2] == [(events_path, events_params), (lines_path, lines_params)], "the scraper's query, to the letter"
    # get_event_odds cannot send bookmakers; every other parameter is the scraper's
    without_books = {name: value for name, value in props_params.items() if name != "bookmakers"}
    assert [query for _, query in sent[2:]] == [without_books] * len(answers)

    assert [e.id for e in events] == [e.id for e in lines] == [e.id for e in props] and len(events) == 7
    lines_rows = GAME_LINES.parse(decode(bodies["odds_api_game_lines"], array=True), GAME_DAY)
    rows = {(r["event_id"], r["bookmaker"]): r for r in (p.row for p in lines_rows)}
    read = {(event.id, book.key): (event, book) for event in lines for book in event.bookmakers}
    assert set(read) == set(rows) and len(rows) == 7 * 4
    for key, (event, book) in read.items():
        markets = {m.key: {o.name: o for o in m.outcomes} for m in book.markets}
        assert markets["h2h"][event.away_team].price == rows[key]["away_moneyline"]
        assert markets["spreads"][event.home_team].point == rows[key]["home_spread"]
        assert markets["totals"]["Under"].price == rows[key]["under_price"]
    props_rows = [p.row for p in ODDS_PROPS.parse(decode(bodies["odds_api_player_points_props"]), GAME_DAY)]
    quotes = {
        (event.id, book.key, outcome.description, outcome.name): outcome
        for event in props
        for book in event.bookmakers
        for market in book.markets
        for outcome in market.outcomes
    }
    newest = {
        event.id: max(
            stamp for book in event.bookmakers for stamp in (book.last_update, *(m.last_update for m in book.markets))
            if stamp
        )
        for event in props
    }
    assert len(props_rows) > 100 and len(quotes) == 2 * len(props_rows)
    for row in props_rows:
        over = quotes[(row["event_id"], row["bookmaker"], row["player_name"], "Over")]
        under = quotes[(row["event_id"], row["bookmaker"], row["player_name"], "Under")]
        assert (over.price, under.price, over.point) == (row["over_price"], row["under_price"], row["points_line"])
        assert row["snapshot_time"] == newest[row["event_id"]]


def test_no_simulated_person_id_is_a_real_players_id() -> None:
    """The simulated league's NBA.com personIds against the list of every real player nba_api ships."""
    real = {player["id"] for player in real_players.get_players()}
    simulated = {player.person_id for player in SimulatedLeague().players}
    assert len(real) > 5000 and len(simulated) == 450
    assert real.isdisjoint(simulated)
    assert min(simulated) > max(real), "above every real id, so a new real player cannot collide soon either"
