"""The simulated payloads as the real endpoints' public clients read them (contract tests).

A payload is served by a real local HTTP server at the path the client asks for; the client's own
request and parsing code runs unchanged, and what it reads must be what the raw processor loads.
So far NBA.com's schedule (nba_api) and balldontlie's box scores (the official SDK);
``docs/real-endpoints.md`` lists what the other sources still lack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from balldontlie import BalldontlieAPI
from nba_api.stats.endpoints import ScheduleLeagueV2, TeamGameLogs
from nba_api.stats.library.http import NBAStatsHTTP
from nba_api.stats.static import players as real_players

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw import BDL_BOXSCORES, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.processors.raw.json_node import decode
from nba_pipeline.scrapers.sources import SimulatedSource
from nba_pipeline.sources.simulation import GAME_POSTPONED, SimulatedLeague
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


def test_no_simulated_person_id_is_a_real_players_id() -> None:
    """The simulated league's NBA.com personIds against the list of every real player nba_api ships."""
    real = {player["id"] for player in real_players.get_players()}
    simulated = {player.person_id for player in SimulatedLeague().players}
    assert len(real) > 5000 and len(simulated) == 450
    assert real.isdisjoint(simulated)
    assert min(simulated) > max(real), "above every real id, so a new real player cannot collide soon either"
