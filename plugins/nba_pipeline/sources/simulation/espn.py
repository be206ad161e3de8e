"""ESPN as the simulation serves it: the 30 team rosters with ESPN's athlete and team ids.

The roster source tells the pipeline who is on which team on a date, with the position's full
name (``docs/payloads.md``). ESPN answers one roster per request (``/teams/{id}/roster``); a fetch
asks for the 30 teams in ESPN id order and stores the answers as one document's ``teams`` list,
which the simulation renders directly: each body in the real shape, in the same order.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.calendar import NEXT_SEASON_OPENER, REGULAR_SEASON_END, season_label, utc_z
from nba_pipeline.sources.simulation.imperfections import duplicate_first
from nba_pipeline.sources.simulation.rosters import TEAM_CODES, TEAM_INFO

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague
    from nba_pipeline.sources.simulation.payloads import Renderer

__all__ = ["RENDERERS"]

_POSITION_NAMES = {
    "PG": "Point Guard", "SG": "Shooting Guard", "SF": "Small Forward", "PF": "Power Forward", "C": "Center",
}  # fmt: skip
#: ESPN's abbreviations where they differ from NBA.com's tricodes.
ESPN_ABBREVIATIONS = {"GSW": "GS", "NOP": "NO", "NYK": "NY", "SAS": "SA", "UTA": "UTAH", "WAS": "WSH"}


def _rosters(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """The 30 responses of ``/teams/{id}/roster``, each in the real shape, in ESPN team id order."""
    label = season_label(day)
    season_type, season_name = _season_type(league, day)
    season = {"year": int(label[:4]) + 1, "displayName": label, "type": season_type, "name": season_name}
    codes = sorted(TEAM_CODES, key=lambda code: TEAM_INFO[code].espn_team_id)
    return {"teams": [_roster(league, code, season, as_of, imperfections) for code in codes]}


def _roster(
    league: SimulatedLeague, code: str, season: dict[str, Any], as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    info = TEAM_INFO[code]
    athletes = [
        {
            "id": player.espn_athlete_id,
            "firstName": player.first_name,
            "lastName": player.last_name,
            "fullName": player.full_name,
            "displayName": player.full_name,
            "shortName": f"{player.first_name[0]}. {player.last_name}",
            "jersey": player.jersey,
            "position": {
                "name": _POSITION_NAMES[player.position],
                "displayName": _POSITION_NAMES[player.position],
                "abbreviation": player.position,
            },
        }
        for player in league.roster(code)
    ]
    duplicate_first(athletes, imperfections)
    return {
        "timestamp": utc_z(as_of),
        "status": "success",
        "season": dict(season),
        "coach": [],
        "team": {
            "id": str(info.espn_team_id),
            "abbreviation": ESPN_ABBREVIATIONS.get(code, code),
            "location": info.city,
            "name": info.nickname,
            "displayName": info.full_name,
        },
        "athletes": athletes,
    }


def _season_type(league: SimulatedLeague, day: date) -> tuple[int, str]:
    """ESPN's season type of ``day``: 2 regular season, 3 postseason, 4 off season."""
    if league.is_offseason(day):
        return 4, "Off Season"
    if REGULAR_SEASON_END < day < NEXT_SEASON_OPENER:
        return 3, "Postseason"
    return 2, "Regular Season"


#: The sources this module renders, by name.
RENDERERS: dict[str, Renderer] = {
    "espn_rosters": _rosters,
}
