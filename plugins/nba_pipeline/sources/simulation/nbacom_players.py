"""NBA.com's player list as the simulation serves it: ``/stats/playerindex`` for the season, the
``PlayerIndex`` result set that nba_api's ``PlayerIndex`` endpoint parses (docs/payloads.md).

One row per rostered player of the season, with his personId, both names, the team (id, slug,
city, name, tricode), jersey and NBA.com's position letters. What the league does not model is
drawn per player from a seeded stream (height, weight, college, country, draft), so the list is
the same whenever it is rendered; the season averages (``PTS``, ``REB``, ``AST``) are null: the
simulation does not total a season before the date, and the pipeline does not read them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.calendar import season_label
from nba_pipeline.sources.simulation.draws import seeded_rng
from nba_pipeline.sources.simulation.imperfections import duplicate_first
from nba_pipeline.sources.simulation.rosters import TEAM_INFO, SimulatedPlayer

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague

__all__ = ["PLAYER_INDEX_HEADERS", "render_player_index"]

PLAYER_INDEX_HEADERS: tuple[str, ...] = (
    "PERSON_ID", "PLAYER_LAST_NAME", "PLAYER_FIRST_NAME", "PLAYER_SLUG", "TEAM_ID", "TEAM_SLUG", "IS_DEFUNCT",
    "TEAM_CITY", "TEAM_NAME", "TEAM_ABBREVIATION", "JERSEY_NUMBER", "POSITION", "HEIGHT", "WEIGHT", "COLLEGE",
    "COUNTRY", "DRAFT_YEAR", "DRAFT_ROUND", "DRAFT_NUMBER", "ROSTER_STATUS", "PTS", "REB", "AST",
    "STATS_TIMEFRAME", "FROM_YEAR", "TO_YEAR",
)  # fmt: skip
#: The query nba_api sends (its defaults, ``""`` as ``Key=``), echoed as the answer's parameters.
_PARAMETERS = (
    "Active", "AllStar", "College", "Country", "DraftPick", "DraftYear", "Height", "Historical", "LeagueID",
    "PlayerPosition", "Season", "TeamID", "Weight",
)  # fmt: skip

#: NBA.com lists positions by letter: guards G, forwards F, centres C.
_POSITION_LETTERS = {"PG": "G", "SG": "G", "SF": "F", "PF": "F", "C": "C"}
_HEIGHT_INCHES = {"PG": (72, 77), "SG": (75, 79), "SF": (77, 81), "PF": (79, 83), "C": (81, 86)}
_COLLEGES = ("Duke", "Kentucky", "Kansas", "UCLA", "Gonzaga", "Villanova", "Michigan", "Arizona", "None")
_COUNTRIES = ("USA",) * 6 + ("Canada", "France", "Australia", "Serbia", "Germany", "Spain")


def render_player_index(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """The ``playerindex`` answer for the season of ``day``: every rostered player, by personId."""
    season = season_label(day)
    rows = [_row(league.seed, player, int(season[:4])) for player in sorted(league.players, key=_person_id)]
    duplicate_first(rows, imperfections)
    parameters = {name: "" for name in _PARAMETERS} | {"LeagueID": "00", "Season": season}
    return {
        "resource": "playerindex",
        "parameters": parameters,
        "resultSets": [{"name": "PlayerIndex", "headers": list(PLAYER_INDEX_HEADERS), "rowSet": rows}],
    }


def _person_id(player: SimulatedPlayer) -> int:
    return player.person_id


def _row(seed: int, player: SimulatedPlayer, season_start: int) -> list[Any]:
    team = TEAM_INFO[player.team]
    rng = seeded_rng(seed, "player_index", player.person_id)
    low, high = _HEIGHT_INCHES[player.position]
    inches = rng.randint(low, high)
    seasons = rng.randint(0, 12)  # years in the league before this season
    drafted = rng.random() < 0.8
    draft_round = 1 if rng.random() < 0.7 else 2
    return [
        player.person_id,
        player.last_name,
        player.first_name,
        _slug(player.full_name),
        team.nba_team_id,
        _slug(team.nickname),
        0,
        team.city,
        team.nickname,
        team.code,
        player.jersey,
        _POSITION_LETTERS[player.position],
        f"{inches // 12}-{inches % 12}",
        str(rng.randint(180, 205) + 5 * (inches - 72)),
        rng.choice(_COLLEGES),
        rng.choice(_COUNTRIES),
        season_start - seasons if drafted else None,
        draft_round if drafted else None,
        rng.randint(1, 30) + 30 * (draft_round - 1) if drafted else None,
        1.0,
        None,
        None,
        None,
        "Season",
        str(season_start - seasons),
        str(season_start),
    ]


def _slug(text: str) -> str:
    """``nikola-jokic`` for "Nikola Jokić": letters without their accents, words joined by ``-``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
