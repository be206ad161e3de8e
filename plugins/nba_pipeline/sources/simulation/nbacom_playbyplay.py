"""NBA.com's play-by-play as the simulation serves it: the date's ``scoreboardv3`` (stats host), then
for each final game its live feed ``playbyplay_{gameId}.json`` and live box score
``boxscore_{gameId}.json`` (CDN liveData), stored together as one document
``{"scoreboard": ..., "games": [<feed>, ...], "boxscores": [<box score>, ...]}``
(docs/real-endpoints.md §1.6), which the HTTP scraper stores too.

The feed is built from the game's box score, so that it tells the same story: every field-goal
attempt of a player's line is one ``2pt`` or ``3pt`` action whose ``area`` (the stats
``SHOT_ZONE_BASIC`` vocabulary) falls in the zone the line counts it in, every free throw one
``freethrow`` action, and each of the four periods opens and closes with a ``period`` action. The
paint, mid-range and three counts derived from the actions (:data:`ZONE_OF_AREA`) are exactly the
line's, and the running score ends at the box score's points. Shots are spread over the game's 48
minutes from the game's own seeded stream, so the feed is the same whenever it is rendered. The
live box score (:mod:`.nbacom_live_boxscore`) gives each player's full name and whether he played.

Not simulated (a real feed has them): rebounds, turnovers, fouls, substitutions, timeouts, jump
balls, assists in ``qualifiers``; the x/y spots are drawn within each area, not measured.

Imperfections: ``duplicate_rows`` repeats the away team's first player in every live box score;
``mixed_game_id`` writes ``game.gameId`` of the feed and box score at odd positions in the canonical
form; ``late_boxscores`` and ``game_postponed`` leave games off the scoreboard's final ones.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.calendar import utc_z
from nba_pipeline.sources.simulation.draws import seeded_rng
from nba_pipeline.sources.simulation.games import PlayerLine
from nba_pipeline.sources.simulation.imperfections import MIXED_GAME_ID, box_score_games, duplicate_first
from nba_pipeline.sources.simulation.nbacom_boxscores import render_scoreboard
from nba_pipeline.sources.simulation.nbacom_live_boxscore import render_live_box_score
from nba_pipeline.sources.simulation.rosters import TEAM_INFO
from nba_pipeline.sources.simulation.schedule import SimulatedGame

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague

__all__ = ["PAINT", "MID_RANGE", "THREE", "ZONE_OF_AREA", "render_play_by_play", "render_play_by_play_day"]

PAINT, MID_RANGE, THREE = "paint", "mid_range", "three_pt"

#: The feed's ``area`` of a field-goal attempt -> the zone the pipeline counts it in.
ZONE_OF_AREA: dict[str, str] = {
    "Restricted Area": PAINT,
    "In The Paint (Non-RA)": PAINT,
    "Mid-Range": MID_RANGE,
    "Left Corner 3": THREE,
    "Right Corner 3": THREE,
    "Above the Break 3": THREE,
}

_PERIODS = 4
_PERIOD_SECONDS = 12 * 60
#: (area, shortest and longest distance in feet, the half-widths of angle from the basket's axis in degrees).
_SPOTS: dict[str, tuple[float, float, float, float]] = {
    "Restricted Area": (0.0, 3.9, 0.0, 90.0),
    "In The Paint (Non-RA)": (4.0, 14.0, 0.0, 35.0),
    "Mid-Range": (10.0, 22.0, 0.0, 90.0),
    "Left Corner 3": (22.0, 23.5, 80.0, 90.0),
    "Right Corner 3": (22.0, 23.5, 80.0, 90.0),
    "Above the Break 3": (23.8, 29.0, 0.0, 70.0),
}
_SUBTYPES = {"Restricted Area": "Layup", "In The Paint (Non-RA)": "Hook"}


def render_play_by_play_day(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """The stored document of ``day`` at ``as_of``: the scoreboard, then each final game's feed and
    live box score, in the scoreboard's order."""
    feeds, box_scores = [], []
    for position, game in enumerate(box_score_games(league.games_on(day), as_of, imperfections, "nbac")):
        feed = render_play_by_play(league, game, as_of)
        box = render_live_box_score(league, game, as_of)
        duplicate_first(box["game"]["awayTeam"]["players"], imperfections)
        if MIXED_GAME_ID in imperfections and position % 2 == 1:
            feed["game"]["gameId"] = box["game"]["gameId"] = game.game_id
        feeds.append(feed)
        box_scores.append(box)
    return {
        "scoreboard": render_scoreboard(league, day, as_of, imperfections),
        "games": feeds,
        "boxscores": box_scores,
    }


def render_play_by_play(league: SimulatedLeague, game: SimulatedGame, as_of: datetime) -> dict[str, Any]:
    """The live play-by-play feed of the final ``game`` as served at ``as_of``."""
    box = league.box_score(game)
    rng = seeded_rng(league.seed, "play_by_play", game.game_id)
    events: list[tuple[int, int, dict[str, Any]]] = []  # (elapsed seconds, order within it, action)
    for line in box.lines:
        if not line.played:
            continue
        player = league.player(line.player_lookup)
        who = {
            "personId": player.person_id,
            "playerName": player.last_name,
            "playerNameI": f"{player.first_name[0]}. {player.last_name}",
        }
        for area, made in _shots(rng, line):
            events.append((_moment(rng), rng.randrange(1 << 30) * 4, _shot(rng, line, who, area, made)))
        for trip in _free_throw_trips(rng, line):
            moment, order = _moment(rng), rng.randrange(1 << 30) * 4  # a trip's throws stay together
            for number, made in enumerate(trip, start=1):
                events.append((moment, order + number, _free_throw(line, who, number, made, len(trip))))
    events.sort(key=lambda event: (event[0], event[1]))
    actions = _number(game, events)
    return {
        "meta": {
            "version": 1,
            "code": 200,
            "request": f"http://nba.cloud/games/{game.nba_game_id}/playbyplay?Format=json",
            "time": as_of.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        },
        "game": {"gameId": game.nba_game_id, "actions": actions},
    }


def _shots(rng: random.Random, line: PlayerLine) -> list[tuple[str, bool]]:
    """The line's field-goal attempts as (area, made), each zone's makes among its attempts."""
    shots: list[tuple[str, bool]] = []
    paint_areas = ("Restricted Area", "In The Paint (Non-RA)")
    three_areas = ("Above the Break 3", "Above the Break 3", "Left Corner 3", "Right Corner 3")
    for attempts, makes, areas in (
        (line.paint_attempts, line.paint_makes, paint_areas),
        (line.mid_range_attempts, line.mid_range_makes, ("Mid-Range",)),
        (line.fg3a, line.fg3m, three_areas),
    ):
        shots.extend((rng.choice(areas), index < makes) for index in range(attempts))
    return shots


def _free_throw_trips(rng: random.Random, line: PlayerLine) -> list[list[bool]]:
    """The line's free throws in trips to the line (pairs, and a single one for an odd count)."""
    made = [index < line.ftm for index in range(line.fta)]
    rng.shuffle(made)
    return [made[start : start + 2] for start in range(0, len(made), 2)]


def _moment(rng: random.Random) -> int:
    """Seconds into the game, never on a period's first or last second (the period actions are there)."""
    period = rng.randrange(_PERIODS)
    return period * _PERIOD_SECONDS + rng.randrange(1, _PERIOD_SECONDS - 1)


def _shot(rng: random.Random, line: PlayerLine, who: dict[str, Any], area: str, made: bool) -> dict[str, Any]:
    low, high, angle_low, angle_high = _SPOTS[area]
    distance = round(rng.uniform(low, high), 1)
    angle = math.radians(rng.uniform(angle_low, angle_high)) * (
        -1 if area == "Left Corner 3" else 1 if area == "Right Corner 3" else rng.choice((-1, 1))
    )
    x_legacy, y_legacy = round(distance * 10 * math.sin(angle)), round(distance * 10 * math.cos(angle))
    value = 3 if ZONE_OF_AREA[area] == THREE else 2
    return {
        **_team(line),
        "actionType": f"{value}pt",
        "subType": _SUBTYPES.get(area, "Jump Shot"),
        "qualifiers": ["pointsinthepaint"] if ZONE_OF_AREA[area] == PAINT and made else [],
        **who,
        "x": round(5.25 + y_legacy / 10 / 94 * 100, 4),
        "y": round(50 - x_legacy / 10 / 50 * 100, 4),
        "area": area,
        "areaDetail": _area_detail(distance, x_legacy),
        "side": "left",
        "shotDistance": distance,
        "xLegacy": x_legacy,
        "yLegacy": y_legacy,
        "isFieldGoal": 1,
        "shotResult": "Made" if made else "Missed",
        "value": value if made else 0,
        "description": f"{'' if made else 'MISS '}{who['playerName']} {distance:g}' {value}PT shot",
    }


def _area_detail(distance: float, x_legacy: int) -> str:
    band = "0-8" if distance < 8 else "8-16" if distance < 16 else "16-24" if distance < 24 else "24+"
    side = "Center" if abs(x_legacy) < 40 else ("Left" if x_legacy < 0 else "Right")
    if side != "Center" and abs(x_legacy) < 150:
        side += " Center"
    return f"{band} {side}"


def _free_throw(line: PlayerLine, who: dict[str, Any], number: int, made: bool, of: int) -> dict[str, Any]:
    return {
        **_team(line),
        "actionType": "freethrow",
        "subType": f"{number} of {of}",
        "qualifiers": [],
        **who,
        "x": None,
        "y": None,
        "side": None,
        "xLegacy": None,
        "yLegacy": None,
        "isFieldGoal": 0,
        "shotResult": "Made" if made else "Missed",
        "value": 1 if made else 0,
        "description": f"{'' if made else 'MISS '}{who['playerName']} Free Throw {number} of {of}",
    }


def _team(line: PlayerLine) -> dict[str, Any]:
    return {"teamId": TEAM_INFO[line.team].nba_team_id, "teamTricode": line.team}


def _number(game: SimulatedGame, events: list[tuple[int, int, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The actions in order, with the period starts and ends, numbers, clocks, times and running score."""
    actions: list[dict[str, Any]] = []
    score = {game.home: 0, game.away: 0}
    scored: dict[int, int] = {}  # personId -> points so far (the feed's pointsTotal)
    pending = iter(events)
    upcoming = next(pending, None)
    for period in range(1, _PERIODS + 1):
        timeline: list[tuple[int, dict[str, Any]]] = [((period - 1) * _PERIOD_SECONDS, _period(period, "start"))]
        while upcoming is not None and upcoming[0] < period * _PERIOD_SECONDS:
            timeline.append((upcoming[0], upcoming[2]))
            upcoming = next(pending, None)
        timeline.append((period * _PERIOD_SECONDS, _period(period, "end")))
        for elapsed, body in timeline:
            points = body.pop("value", 0)
            if points:
                score[body["teamTricode"]] += points
                scored[body["personId"]] = scored.get(body["personId"], 0) + points
            action = _action(game, len(actions) + 1, elapsed, period, body, score)
            if points:
                action["pointsTotal"] = scored[body["personId"]]
            actions.append(action)
    return actions


def _period(period: int, edge: str) -> dict[str, Any]:
    return {
        "teamId": 0,  # the real feed leaves teamId out of period actions; 0 keeps every action's keys
        "teamTricode": "",
        "actionType": "period",
        "subType": edge,
        "qualifiers": ["startperiod"] if edge == "start" else [],
        "personId": 0,
        "x": None,
        "y": None,
        "side": None,
        "xLegacy": None,
        "yLegacy": None,
        "isFieldGoal": 0,
        "description": f"Period {edge.title()}: Q{period}",
    }


def _action(
    game: SimulatedGame, number: int, elapsed: int, period: int, body: dict[str, Any], score: dict[str, int]
) -> dict[str, Any]:
    """One action: the game clock counts down each period; ``timeActual`` spreads the game's 48
    minutes over its real length (tip-off to the end)."""
    left = period * _PERIOD_SECONDS - elapsed
    share = elapsed / (_PERIODS * _PERIOD_SECONDS)
    moment = utc_z(game.start_time + (game.end_time - game.start_time) * share)
    person = body.get("personId", 0)
    return {
        "actionNumber": number,
        "clock": f"PT{left // 60:02d}M{left % 60:02d}.00S",
        "timeActual": moment,
        "period": period,
        "periodType": "REGULAR",
        **body,
        "possession": body["teamId"],
        "scoreHome": str(score[game.home]),
        "scoreAway": str(score[game.away]),
        "edited": moment,
        "orderNumber": number * 10000,
        "personIdsFilter": [person] if person else [],
    }
