"""NBA.com's player list: nba_api's ``PlayerIndex`` asks for it the way the scraper does and reads
every row the raw processor loads; the processor refuses a list that is not the season's."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from nba_api.stats.endpoints import PlayerIndex
from nba_api.stats.library.http import NBAStatsHTTP

from nba_pipeline.processors.raw import PLAYER_LIST
from nba_pipeline.processors.raw.json_node import Invalid, decode
from nba_pipeline.scrapers.endpoints import endpoint_for
from nba_pipeline.scrapers.sources import SimulatedSource
from nba_pipeline.sources.simulation import DUPLICATE_ROWS, SimulatedLeague
from tests.reliability.payload_corpus import LocalSource, local_source

GAME_DAY = dt.date(2025, 1, 14)
LEAGUE = SimulatedLeague(seed=2024)


@pytest.fixture
def nba_stats(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSource]:
    """A local server standing in for stats.nba.com, where nba_api's endpoint classes send their requests."""
    with local_source() as served:
        monkeypatch.setattr(NBAStatsHTTP, "base_url", f"{served.url}/stats/{{endpoint}}")
        yield served


def test_nba_api_asks_as_the_scraper_does_and_reads_every_player_the_raw_processor_loads(nba_stats) -> None:
    body = SimulatedSource().fetch("nbac_player_list", GAME_DAY).body
    nba_stats.serve("/stats/playerindex", body)
    index = PlayerIndex(season="2024-25", timeout=5)

    ((target, headers),) = nba_stats.requests
    path, params = endpoint_for("nbac_player_list").request(GAME_DAY)
    assert target == f"{path}?{urlencode(params)}", "the scraper's request is nba_api's, parameter for parameter"
    assert headers["Referer"] == "https://www.nba.com/"
    listed = index.player_index.get_data_frame().to_dict("records")
    rows = {p.row["nba_player_id"]: p.row for p in PLAYER_LIST.parse(decode(body), GAME_DAY)}
    assert len(listed) == len(rows) == len(LEAGUE.players) == 450
    for entry in listed:
        row = rows[entry["PERSON_ID"]]
        assert f"{entry['PLAYER_FIRST_NAME']} {entry['PLAYER_LAST_NAME']}" == row["player_name"]
        assert (entry["TEAM_ABBREVIATION"], entry["TEAM_ID"]) == (row["team_abbr"], row["nba_team_id"])
        assert (entry["JERSEY_NUMBER"], entry["POSITION"]) == (row["jersey"], row["position"])
    for player in LEAGUE.players[::45]:
        row = rows[player.person_id]
        assert (row["player_lookup"], row["player_name"], row["team_abbr"]) == (
            player.player_lookup,
            player.full_name,
            player.team,
        )
        assert (row["list_date"], row["season_year"], row["on_roster"]) == (GAME_DAY, 2024, True)


def _document(**changes: object) -> dict:
    document = json.loads(LEAGUE.payload("nbac_player_list", GAME_DAY))
    first = document["resultSets"][0]["rowSet"][0]
    headers = document["resultSets"][0]["headers"]
    for header, value in changes.items():
        first[headers.index(header)] = value
    return document


def test_a_player_without_a_team_is_listed_with_no_team() -> None:
    document = _document(TEAM_ID=0, TEAM_ABBREVIATION="", TEAM_CITY="", TEAM_NAME="", ROSTER_STATUS=None)
    (row, *_) = PLAYER_LIST.parse(decode(json.dumps(document).encode()), GAME_DAY)
    assert (row.row["team_abbr"], row.row["nba_team_id"], row.row["on_roster"]) == (None, None, None)


@pytest.mark.parametrize(
    ("changes", "season", "message"),
    [
        ({}, "2023-24", "Season = '2023-24': a player list fetched for 2025-01-14 must be of the 2024-25 season"),
        ({"TEAM_ID": 99}, None, "TEAM_ID = 99: is not an NBA team id"),
        ({"TEAM_ABBREVIATION": "SEA"}, None, "unknown team code 'SEA'"),
        ({"PERSON_ID": "1629626"}, None, "PERSON_ID = '1629626'"),
        ({"PLAYER_FIRST_NAME": "", "PLAYER_LAST_NAME": "-"}, None, "has no letters to make a player_lookup from"),
    ],
    ids=["another_season", "not_a_team_id", "unknown_team_code", "id_as_text", "no_name"],
)
def test_a_bad_list_is_refused_naming_the_field(changes: dict, season: str | None, message: str) -> None:
    document = _document(**changes)
    if season:
        document["parameters"]["Season"] = season
    with pytest.raises(Invalid) as refused:
        PLAYER_LIST.parse(decode(json.dumps(document).encode()), GAME_DAY)
    assert message in str(refused.value)


def test_a_repeated_row_collapses_to_one() -> None:
    from nba_pipeline.processors.raw.common import collapse

    dirty = LEAGUE.payload("nbac_player_list", GAME_DAY, imperfections=frozenset({DUPLICATE_ROWS}))
    parsed = PLAYER_LIST.parse(decode(dirty), GAME_DAY)
    assert len(parsed) == 451 and len(collapse(parsed, PLAYER_LIST.key_columns)) == 450
