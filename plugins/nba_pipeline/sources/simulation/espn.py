"""ESPN as the simulation serves it: the 30 team rosters with ESPN's athlete and team ids.

The roster source tells the pipeline who is on which team on a date, with the position's full
name (``docs/payloads.md``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.calendar import season_label, utc_z
from nba_pipeline.sources.simulation.imperfections import duplicate_first
from nba_pipeline.sources.simulation.rosters import TEAM_CODES, TEAM_INFO

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague
    from nba_pipeline.sources.simulation.payloads import Renderer

__all__ = ["RENDERERS"]

_POSITION_NAMES = {
    "PG": "Point Guard", "SG": "Shooting Guard", "SF": "Small Forward", "PF": "Power Forward", "C": "Center",
}  # fmt: skip


def _rosters(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    teams = []
    for code in TEAM_CODES:
        info = TEAM_INFO[code]
        athletes = [
            {
                "id": player.espn_athlete_id,
                "fullName": player.full_name,
                "firstName": player.first_name,
                "lastName": player.last_name,
                "jersey": player.jersey,
                "position": {"abbreviation": player.position, "name": _POSITION_NAMES[player.position]},
            }
            for player in league.roster(code)
        ]
        duplicate_first(athletes, imperfections)
        teams.append(
            {
                "team": {
                    "id": str(info.espn_team_id),
                    "abbreviation": code,
                    "displayName": info.full_name,
                    "location": info.city,
                    "name": info.nickname,
                },
                "athletes": athletes,
            }
        )
    label = season_label(day)
    return {
        "season": {"year": int(label[:4]) + 1, "displayName": label},
        "timestamp": utc_z(as_of),
        "teams": teams,
    }


#: The sources this module renders, by name.
RENDERERS: dict[str, Renderer] = {
    "espn_rosters": _rosters,
}
