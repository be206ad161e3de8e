"""NBA.com play-by-play: the date's ``scoreboardv3``, then per final game the live feed
``playbyplay_{gameId}.json`` and the live box score ``boxscore_{gameId}.json``.

The stored document is ``{"scoreboard": ..., "games": [<feed>, ...], "boxscores": [<box score>, ...]}``
(``nba_pipeline.scrapers.endpoints``): the n-th feed and the n-th box score must be the n-th final
game's. One row per player the box score says ``played``: his name and ``personId`` from the box
score (the feed names players only by family name and initial, and a player without a shot has no
action), his paint, mid-range and three-point attempts and makes from the feed's field-goal actions
(:func:`~nba_pipeline.processors.raw.shot_zones.shot_zones`); zeros for a player with no shot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw.common import ParsedRow, RawTable
from nba_pipeline.processors.raw.json_node import Node
from nba_pipeline.processors.raw.nbac import team_of_game
from nba_pipeline.processors.raw.nbac_boxscores import check_game, final_games
from nba_pipeline.processors.raw.shot_zones import ZoneCounts, shot_zones

__all__ = ["PLAY_BY_PLAY", "parse_play_by_play"]

_PLAYED = ("1", "0")


def parse_play_by_play(doc: Node, day: dt.date) -> list[ParsedRow]:
    """One row per player who played in each final game of the scoreboard of ``day``.

    :raises Invalid: the scoreboard is not of ``day``; a final game has no feed or box score, or
        one of another game; there are more feeds or box scores than final games; an action names
        a person who is not a player of the game's box score, or one who did not play, or shoots
        for the other team; a shot's ``area`` is not in the vocabulary.
    """
    finals = final_games(doc, day)
    feeds, box_scores = doc.items("games"), doc.items("boxscores")
    for key, answers, what in (("games", feeds, "feeds"), ("boxscores", box_scores, "box scores")):
        if len(answers) < len(finals):
            missing = ", ".join(nba_id for _, nba_id, *_ in finals[len(answers) :])
            raise doc.fail(key, f"{len(answers)} {what}", f"the scoreboard's final games {missing} have none")
        if len(answers) > len(finals):
            raise answers[len(finals)].fail("game", "...", f"the scoreboard has only {len(finals)} final games")
    rows: list[ParsedRow] = []
    for (_, nba_game_id, canonical, game_date, away, home), feed, box in zip(finals, feeds, box_scores, strict=True):
        context = {"game_id": canonical, "game_date": game_date}
        game = box.obj("game")
        check_game(game, nba_game_id, canonical, game_date, away, home)
        feed_game = feed.obj("game")
        check_game(feed_game, nba_game_id, canonical, game_date, away, home, what="play-by-play feed")
        listed = _players(game, away, home)
        _check_actions(feed_game, {p.value["personId"]: (p, team, played) for p, team, played in listed}, canonical)
        zones = shot_zones(feed, feed_game.str("gameId"))  # the game was checked just above, in either form
        for player, team, played in listed:  # a player listed twice gives two rows, folded with the rest
            if played:
                counts = zones.get(player.value["personId"], ZoneCounts(team))
                rows.append(ParsedRow(player.path, _row(player, context, team, away, home, counts)))
    return rows


def _players(game: Node, away: str, home: str) -> list[tuple[Node, str, bool]]:
    """The box score's players, away team first: (player, his team, whether he played)."""
    players: list[tuple[Node, str, bool]] = []
    seen: dict[int, tuple[Node, str, bool]] = {}
    for side, team in (("awayTeam", away), ("homeTeam", home)):
        team_node = game.obj(side)
        team_of_game(team_node, "teamTricode", (team,))
        for player in team_node.items("players"):
            person = player.int("personId", minimum=1)
            played = player.one_of("played", _PLAYED) == "1"
            before = seen.setdefault(person, (player, team, played))
            if (before[1], before[2]) != (team, played):
                raise player.fail("personId", person, f"is listed before, differently, at {before[0].path}")
            players.append((player, team, played))
    return players


def _check_actions(feed_game: Node, players: dict[int, tuple[Node, str, bool]], canonical: str) -> None:
    """Every action's person is a player of the game who played, for his own team."""
    for action in feed_game.items("actions"):
        person = action.int("personId", nullable=True, minimum=0)
        if not person:
            continue  # a period's start or end, a team's action
        if person not in players:
            raise action.fail("personId", person, f"is not a player of {canonical}'s box score")
        _, team, played = players[person]
        if not played:
            raise action.fail("personId", person, f"did not play in {canonical}, according to its box score")
        tricode = action.str("teamTricode")
        if tricode != team:
            raise action.fail("teamTricode", tricode, f"player {person} plays for {team} in the box score")


def _row(
    player: Node, context: dict[str, Any], team: str, away: str, home: str, counts: ZoneCounts
) -> dict[str, Any]:
    name = player.str("name")
    lookup = ids.player_lookup(name)
    if not lookup:
        raise player.fail("name", name, "has no letters to make a player_lookup from")
    return {
        "game_id": context["game_id"],
        "game_date": context["game_date"],
        "player_lookup": lookup,
        "player_name": name.strip(),
        "nba_player_id": player.int("personId", minimum=1),
        "team_abbr": team,
        "opponent_team_abbr": home if team == away else away,
        **counts.columns(),
    }


PLAY_BY_PLAY = RawTable(
    "nbac_play_by_play", "nba_raw.nbac_play_by_play", ("game_id", "player_lookup"), parse_play_by_play
)
