"""Shot zones derived from NBA.com's live play-by-play feed (``playbyplay_{gameId}.json``,
docs/real-endpoints.md §1.6): per player, the paint, mid-range and three-point attempts and makes.

The zone of a field-goal attempt (``actionType`` ``2pt`` / ``3pt``) is read from its ``area``, the
stats ``SHOT_ZONE_BASIC`` vocabulary (:data:`ZONE_OF_AREA`): the restricted area and the rest of
the paint count as paint, the three corners and above the break as three. Free throws and every
other action are no zone. A feed of another game than the one asked for, a shot without a known
area, or an area that contradicts the shot's value is refused by path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nba_pipeline.processors.raw.common import STAT_MAX
from nba_pipeline.processors.raw.json_node import Node

__all__ = ["MID_RANGE", "PAINT", "THREE", "ZONE_OF_AREA", "ZoneCounts", "shot_zones"]

PAINT, MID_RANGE, THREE = "paint", "mid_range", "three_pt"

#: The feed's ``area`` of a field-goal attempt -> its zone (``Backcourt`` heaves count as three).
ZONE_OF_AREA: dict[str, str] = {
    "Restricted Area": PAINT,
    "In The Paint (Non-RA)": PAINT,
    "Mid-Range": MID_RANGE,
    "Left Corner 3": THREE,
    "Right Corner 3": THREE,
    "Above the Break 3": THREE,
    "Backcourt": THREE,
}
_SHOT_TYPES = {"2pt": (PAINT, MID_RANGE), "3pt": (THREE,)}


@dataclass
class ZoneCounts:
    """One player's field-goal attempts and makes per zone in one game, and his team's tricode."""

    team: str
    attempts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((PAINT, MID_RANGE, THREE), 0))
    makes: dict[str, int] = field(default_factory=lambda: dict.fromkeys((PAINT, MID_RANGE, THREE), 0))

    def columns(self) -> dict[str, int]:
        """The raw table's six zone columns."""
        return {
            f"{zone}_{kind}": counts[zone]
            for zone in (PAINT, MID_RANGE, THREE)
            for kind, counts in (("attempts", self.attempts), ("makes", self.makes))
        }


def shot_zones(feed: Node, game_id: str) -> dict[int, ZoneCounts]:
    """personId -> his zone counts, over the field-goal attempts of the feed of ``game_id``, in
    the order the players first shoot.

    :raises Invalid: the feed is not ``game_id``'s; a shot has no ``area`` of the vocabulary, or
        one its value contradicts (a ``2pt`` from a three-point area); ``shotResult`` is not
        ``Made``/``Missed``; a player shoots for two teams.
    """
    game = feed.obj("game")
    served = game.str("gameId")
    if served != game_id:
        raise game.fail("gameId", served, f"is not the game asked for at this position ({game_id})")
    players: dict[int, ZoneCounts] = {}
    for action in game.items("actions"):
        kind = action.str("actionType", empty=True)
        if kind not in _SHOT_TYPES:
            continue
        area = action.one_of("area", ZONE_OF_AREA)
        zone = ZONE_OF_AREA[area]
        if zone not in _SHOT_TYPES[kind]:
            raise action.fail("area", area, f"is a {zone} area, not one of a {kind} shot")
        made = action.one_of("shotResult", ("Made", "Missed")) == "Made"
        person = action.int("personId", minimum=1)
        team = action.str("teamTricode")
        counts = players.setdefault(person, ZoneCounts(team))
        if counts.team != team:
            raise action.fail("teamTricode", team, f"player {person} shot for {counts.team} earlier in the game")
        counts.attempts[zone] += 1
        counts.makes[zone] += made
        if counts.attempts[zone] > STAT_MAX:
            raise action.fail("personId", person, f"more than {STAT_MAX} {zone} attempts in one game")
    return players
