"""NBA.com's player list (``/stats/playerindex``): one row per listed player and list date.

The list is the league's own roll of players for a season — personId, both names, the team —
and the player registry reads it first, so every rostered player has an identity before any box
score or book names him.
"""

from __future__ import annotations

import datetime as dt

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw.common import ParsedRow, RawTable, convert, result_set_rows
from nba_pipeline.processors.raw.json_node import Node

_COLUMNS = (
    "PERSON_ID",
    "PLAYER_LAST_NAME",
    "PLAYER_FIRST_NAME",
    "TEAM_ID",
    "TEAM_ABBREVIATION",
    "JERSEY_NUMBER",
    "POSITION",
    "ROSTER_STATUS",
)
#: the team ids of NBA.com (1610612737..1610612766)
_TEAM_IDS = range(1610612737, 1610612767)


def parse_player_list(doc: Node, day: dt.date) -> list[ParsedRow]:
    """Every row of the ``PlayerIndex`` result set, dated with the target date (the list is the
    season's as of the fetch). A player without a team (``TEAM_ID`` 0, no tricode) has a NULL
    team; the answer must be the season of ``day``."""
    parameters = doc.obj("parameters")
    season = parameters.str("Season")
    start = ids.season_start_year(day)
    expected = f"{start}-{(start + 1) % 100:02d}"
    if season != expected:
        raise parameters.fail("Season", season, f"a player list fetched for {day} must be of the {expected} season")
    rows: list[ParsedRow] = []
    for cell in result_set_rows(doc, "PlayerIndex", _COLUMNS):
        first, last = cell.str("PLAYER_FIRST_NAME", empty=True), cell.str("PLAYER_LAST_NAME")
        name = f"{first.strip()} {last.strip()}".strip()
        lookup = ids.player_lookup(name)
        if not lookup:
            raise cell.fail("PLAYER_LAST_NAME", last, "has no letters to make a player_lookup from")
        team_id = cell.int("TEAM_ID", nullable=True, minimum=0)
        team = None
        if team_id:
            if team_id not in _TEAM_IDS:
                raise cell.fail("TEAM_ID", team_id, "is not an NBA team id (1610612737..1610612766)")
            code = cell.str("TEAM_ABBREVIATION")
            team = convert(cell.at("TEAM_ABBREVIATION"), code, ids.team_code, code)
        status = cell.num("ROSTER_STATUS", nullable=True, minimum=0, maximum=1)
        row = {
            "list_date": day,
            "season_year": start,
            "nba_player_id": cell.int("PERSON_ID", minimum=1),
            "player_lookup": lookup,
            "player_name": name,
            "team_abbr": team,
            "nba_team_id": team_id or None,
            "jersey": cell.str("JERSEY_NUMBER", nullable=True, empty=True) or None,
            "position": cell.str("POSITION", nullable=True, empty=True) or None,
            "on_roster": None if status is None else status == 1,
        }
        rows.append(ParsedRow(cell.path, row))
    return rows


PLAYER_LIST = RawTable(
    "nbac_player_list",
    "nba_raw.nbac_player_list",
    ("list_date", "nba_player_id"),
    parse_player_list,
    partition_column="list_date",
)
