"""NBA.com player box scores: the date's ``scoreboardv3`` and a ``boxscoretraditionalv3`` per final game.

The stored document is ``{"scoreboard": <scoreboard>, "games": [<box score>, ...]}``
(``nba_pipeline.scrapers.endpoints``): the scraper asked for the box score of each game the
scoreboard marks final (``gameStatus`` 3), in its order, so the n-th box score must be the n-th
final game's. Games not final (scheduled, live, postponed ``"PPD"``) are skipped: they have no box
score yet, and their rows come with a later fetch.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from nba_pipeline.player_names import universal_player_id
from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw.common import (
    PLUS_MINUS_MAX,
    STAT_MAX,
    ParsedRow,
    RawTable,
    box_stats,
    check_game_date,
    check_payload_date,
    clock_minutes,
    collapse,
    convert,
    iso_date,
)
from nba_pipeline.processors.raw.json_node import Node
from nba_pipeline.processors.raw.nbac import game_from_code, team_of_game

log = logging.getLogger(__name__)

_PLAYER_MINUTES_MAX = 75.0  # four overtimes
_FINAL = 3
#: (statistics key, column) of the counting stats of ``boxscoretraditionalv3``.
BOX_SCORE_STATS: tuple[tuple[str, str], ...] = (
    ("points", "points"),
    ("fieldGoalsMade", "fg_makes"),
    ("fieldGoalsAttempted", "fg_attempts"),
    ("threePointersMade", "three_pt_makes"),
    ("threePointersAttempted", "three_pt_attempts"),
    ("freeThrowsMade", "ft_makes"),
    ("freeThrowsAttempted", "ft_attempts"),
    ("reboundsOffensive", "offensive_rebounds"),
    ("reboundsDefensive", "defensive_rebounds"),
    ("reboundsTotal", "total_rebounds"),
    ("assists", "assists"),
    ("steals", "steals"),
    ("blocks", "blocks"),
    ("turnovers", "turnovers"),
    ("foulsPersonal", "personal_fouls"),
)
#: ``comment`` prefixes of a player who did not play: did not play (dressed), did not dress, not with team.
_NOT_PLAYED = {"DNP": "dnp", "DND": "inactive", "NWT": "inactive"}


def final_games(doc: Node, day: dt.date) -> list[tuple[Node, str, str, dt.date, str, str]]:
    """The scoreboard's final games: (node, NBA.com id, canonical id, date, away, home), in order
    (also the index of the play-by-play, :mod:`.nbac_play_by_play`)."""
    board = doc.obj("scoreboard").obj("scoreboard")
    check_payload_date(board, "gameDate", board.value.get("gameDate"), iso_date(board, "gameDate"), day)
    finals = []
    for game in board.items("games"):
        canonical, game_date, away, home = game_from_code(game)
        check_game_date(game, "gameCode", game.value.get("gameCode"), game_date, day)
        nba_game_id = game.str("gameId")
        convert(game.at("gameId"), nba_game_id, ids.check_nba_game_id, nba_game_id, game_date)
        team_of_game(game.obj("homeTeam"), "teamTricode", (home,))
        team_of_game(game.obj("awayTeam"), "teamTricode", (away,))
        status = game.one_of("gameStatus", (1, 2, _FINAL))
        if status != _FINAL:
            text = game.str("gameStatusText", nullable=True, empty=True)
            log.info("%s (%s): gameStatus %s %r, not final: not asked for yet", canonical, nba_game_id, status, text)
            continue
        finals.append((game, nba_game_id, canonical, game_date, away, home))
    return finals


def parse_box_scores(doc: Node, day: dt.date) -> list[ParsedRow]:
    """One row per listed player of each final game; each team's points must equal its players' sum."""
    finals = final_games(doc, day)
    box_scores = doc.items("games")
    if len(box_scores) < len(finals):
        missing = ", ".join(nba_id for _, nba_id, *_ in finals[len(box_scores) :])
        raise doc.fail("games", f"{len(box_scores)} box scores", f"the scoreboard's final games {missing} have none")
    rows: list[ParsedRow] = []
    for position, box in enumerate(box_scores):
        if position >= len(finals):
            raise box.fail("boxScoreTraditional", "...", f"the scoreboard has only {len(finals)} final games")
        _, nba_game_id, canonical, game_date, away, home = finals[position]
        body = box.obj("boxScoreTraditional")
        check_game(body, nba_game_id, canonical, game_date, away, home)
        players: list[ParsedRow] = []
        points: dict[str, tuple[Node, int]] = {}
        for side, team, opponent in (("awayTeam", away, home), ("homeTeam", home, away)):
            team_node = body.obj(side)
            team_of_game(team_node, "teamTricode", (team,))
            totals = team_node.obj("statistics")
            points[team] = (totals, totals.int("points", minimum=0, maximum=STAT_MAX))
            context = {"game_id": canonical, "nba_game_id": nba_game_id, "game_date": game_date}
            for player in team_node.items("players"):
                row = _player_row(player, context, team, opponent, team == home)
                players.append(ParsedRow(player.path, row))
        unique = collapse(players, ("game_id", "player_lookup"))
        for team, (totals, score) in points.items():
            total = sum(p.row["points"] or 0 for p in unique if p.row["team_abbr"] == team)
            if total != score:
                raise totals.fail("points", score, f"does not match the sum of {team}'s player points ({total})")
        rows.extend(players)  # repeats are folded (and counted) with the rest of the payload
    return rows


def check_game(
    body: Node, nba_game_id: str, canonical: str, game_date: dt.date, away: str, home: str, what: str = "box score"
) -> None:
    """The answer (``what``) must be the one asked for: the scoreboard's final game at the same
    position, its ``gameId`` in NBA.com's form or the canonical one."""
    value = body.str("gameId")
    asked = f"the one asked for ({nba_game_id}, {canonical})"
    if value.isdigit():
        if value != nba_game_id:
            raise body.fail("gameId", value, f"is the {what} of another game than {asked}")
        return
    named = convert(
        body.at("gameId"), value, lambda: ids.normalise_game_id(value, game_date=game_date, away=away, home=home)
    )
    if named != canonical:
        raise body.fail("gameId", value, f"is the {what} of another game than {asked}")


def _player_row(player: Node, context: dict[str, Any], team: str, opponent: str, home: bool) -> dict[str, Any]:
    first, family = player.str("firstName", empty=True), player.str("familyName")
    name = f"{first} {family}".strip()
    lookup = ids.player_lookup(name)
    if not lookup:
        raise player.fail("familyName", family, "has no letters to make a player_lookup from")
    comment = player.str("comment", empty=True).strip()
    status, reason = "active", None
    if comment:
        prefix, _, rest = comment.partition(" - ")
        if prefix not in _NOT_PLAYED or not rest.strip():
            raise player.fail("comment", comment, f"expected '' or one of {', '.join(_NOT_PLAYED)} - <reason>")
        status = _NOT_PLAYED[prefix]
        reason = comment if status == "dnp" else rest.strip()
    stats = player.obj("statistics")
    active = status == "active"
    minutes = clock_minutes(stats, "minutes", maximum=_PLAYER_MINUTES_MAX) if active else None
    if active and minutes is None:
        raise stats.fail("minutes", None, "a player who played needs minutes")
    counts = box_stats(stats, BOX_SCORE_STATS) if active else {column: None for _, column in BOX_SCORE_STATS}
    plus_minus = (
        stats.int("plusMinusPoints", minimum=-PLUS_MINUS_MAX, maximum=PLUS_MINUS_MAX, whole_float=True)
        if active
        else None
    )
    position = player.str("position", nullable=True, empty=True) or None
    return {
        **context,
        "season_year": ids.season_start_year(context["game_date"]),
        "player_lookup": lookup,
        "player_name": name,
        "universal_player_id": universal_player_id(lookup),
        "nba_player_id": player.int("personId", nullable=True, minimum=1),
        "team_abbr": team,
        "opponent_team_abbr": opponent,
        "home_game": home,
        "player_status": status,
        "dnp_reason": reason,
        "starter": position is not None,  # NBA.com gives starters a position, the bench ""
        "position": position,
        "jersey_number": player.str("jerseyNum", nullable=True, empty=True) or None,
        "minutes": minutes,
        **counts,
        "plus_minus": plus_minus,
    }


GAMEBOOK = RawTable(
    "nbac_gamebook", "nba_raw.nbac_gamebook_player_stats", ("game_id", "player_lookup"), parse_box_scores
)
