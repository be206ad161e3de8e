"""balldontlie ``/stats``: one row per player who played in a final game (the gamebook's fallback)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from nba_pipeline.player_names import universal_player_id
from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw.common import (
    STAT_MAX,
    ParsedRow,
    RawTable,
    box_stats,
    check_game_date,
    clock_minutes,
    collapse,
    convert,
    iso_date,
)
from nba_pipeline.processors.raw.json_node import Invalid, Node

_BDL_STATS: tuple[tuple[str, str], ...] = (
    ("pts", "points"),
    ("fgm", "fg_makes"),
    ("fga", "fg_attempts"),
    ("fg3m", "three_pt_makes"),
    ("fg3a", "three_pt_attempts"),
    ("ftm", "ft_makes"),
    ("fta", "ft_attempts"),
    ("oreb", "offensive_rebounds"),
    ("dreb", "defensive_rebounds"),
    ("reb", "total_rebounds"),
    ("ast", "assists"),
    ("stl", "steals"),
    ("blk", "blocks"),
    ("turnover", "turnovers"),
    ("pf", "personal_fouls"),
)


def parse_bdl_boxscores(doc: Node, day: dt.date) -> list[ParsedRow]:
    """Rows of ``data`` (all pages merged); each team's points must add up to its game score."""
    meta = doc.child("meta", nullable=True)
    if meta is not None and meta.value.get("next_cursor") is not None:
        raise meta.fail("next_cursor", meta.value["next_cursor"], "more pages remain: the payload is incomplete")
    parsed: list[ParsedRow] = []
    scores: dict[tuple[str, str], tuple[Node, str, int]] = {}
    for stat in doc.items("data"):
        game = stat.obj("game")
        game_date = iso_date(game, "date")
        check_game_date(game, "date", game.value.get("date"), game_date, day)
        home_id = game.int("home_team_id")
        visitor_id = game.int("visitor_team_id")
        home = convert(game.at("home_team_id"), home_id, ids.team_from_bdl_id, home_id)
        away = convert(game.at("visitor_team_id"), visitor_id, ids.team_from_bdl_id, visitor_id)
        game_id = convert(game.path, game.value.get("id"), ids.canonical_game_id, game_date, away, home)
        team_node = stat.obj("team")
        team_id = team_node.int("id")
        team = convert(team_node.at("id"), team_id, ids.team_from_bdl_id, team_id)
        if team not in (away, home):
            raise team_node.fail("id", team_id, f"is not a team of game {game_id}")
        abbreviation = team_node.str("abbreviation")
        if convert(team_node.at("abbreviation"), abbreviation, ids.team_code, abbreviation) != team:
            raise team_node.fail("abbreviation", abbreviation, f"disagrees with team id {team_id} ({team})")
        player = stat.obj("player")
        name = f"{player.str('first_name')} {player.str('last_name')}".strip()
        lookup = ids.player_lookup(name)
        if not lookup:
            raise player.fail("last_name", name, "has no letters to make a player_lookup from")
        season = game.int("season")
        if season != ids.season_start_year(game_date):
            raise game.fail(
                "season", season, f"a game on {game_date} is in the {ids.season_start_year(game_date)} season"
            )
        for side, key in ((home, "home_team_score"), (away, "visitor_team_score")):
            scores[(game_id, side)] = (game, key, game.int(key, minimum=0, maximum=STAT_MAX))
        row: dict[str, Any] = {
            "game_id": game_id,
            "bdl_game_id": game.int("id"),
            "game_date": game_date,
            "season_year": season,
            "player_lookup": lookup,
            "player_name": name,
            "universal_player_id": universal_player_id(lookup),
            "bdl_player_id": player.int("id", nullable=True),
            "team_abbr": team,
            "opponent_team_abbr": home if team == away else away,
            "home_game": team == home,
            "player_status": "active",
            "minutes": clock_minutes(stat, "min", maximum=75.0, whole_allowed=True),
            **box_stats(stat, _BDL_STATS),
        }
        parsed.append(ParsedRow(stat.path, row))
    unique = collapse(parsed, ("game_id", "player_lookup"))
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for parsed_row in unique:
        totals[(parsed_row.row["game_id"], parsed_row.row["team_abbr"])] += parsed_row.row["points"]
    for (game_id, team), (game, key, score) in scores.items():
        if totals[(game_id, team)] != score:
            raise Invalid(
                game.at(key),
                score,
                f"does not match the sum of {team}'s player points ({totals[(game_id, team)]})",
            )
    return parsed


BDL_BOXSCORES = RawTable(
    "bdl_boxscores", "nba_raw.bdl_player_boxscores", ("game_id", "player_lookup"), parse_bdl_boxscores
)
