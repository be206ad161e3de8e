"""ESPN team rosters: one row per roster date, team and player."""

from __future__ import annotations

import datetime as dt

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw.common import (
    ParsedRow,
    RawTable,
    convert,
)
from nba_pipeline.processors.raw.json_node import Node


def parse_espn_rosters(doc: Node, day: dt.date) -> list[ParsedRow]:
    """Every athlete of every team's roster response, dated with the target date (rosters carry no
    date of their own). Team abbreviations are ESPN's (``GS``, ``UTAH``...) or NBA tricodes."""
    expected = ids.season_start_year(day) + 1  # ESPN names a season by its second year
    rows: list[ParsedRow] = []
    for entry in doc.items("teams"):
        season = entry.obj("season")
        year = season.int("year")
        if year != expected:
            raise season.fail("year", year, f"a roster fetched for {day} belongs to the {expected} season")
        team_node = entry.obj("team")
        abbreviation = team_node.str("abbreviation")
        team = convert(team_node.at("abbreviation"), abbreviation, ids.team_code, abbreviation)
        espn_team_id = team_node.str("id", nullable=True)
        for athlete in entry.items("athletes"):
            name = athlete.str("fullName")
            lookup = ids.player_lookup(name)
            if not lookup:
                raise athlete.fail("fullName", name, "has no letters to make a player_lookup from")
            athlete_id = athlete.str("id")
            if not athlete_id.isdigit():
                raise athlete.fail("id", athlete_id, "is not a numeric ESPN athlete id")
            position = athlete.child("position", nullable=True)
            row = {
                "roster_date": day,
                "season_year": year - 1,
                "team_abbr": team,
                "espn_team_id": espn_team_id,
                "player_lookup": lookup,
                "player_name": name.strip(),
                "espn_player_id": athlete_id,
                "position": position.str("abbreviation", nullable=True) if position else None,
                "jersey": athlete.str("jersey", nullable=True, empty=True) or None,
            }
            rows.append(ParsedRow(athlete.path, row))
    return rows


ESPN_ROSTERS = RawTable(
    "espn_rosters",
    "nba_raw.espn_team_rosters",
    ("roster_date", "team_abbr", "player_lookup"),
    parse_espn_rosters,
    partition_column="roster_date",
)
