"""NBA.com's schedule as the simulation serves it: ``scheduleLeagueV2`` in the real shape.

The renderer reads the league through its public interface and returns the document of one date
in the real key order (``docs/payloads.md``; nba_api's parser reads it by position).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from nba_pipeline.sources.simulation.calendar import ET, at, et_iso, season_label, utc_z
from nba_pipeline.sources.simulation.games import SimulatedBoxScore
from nba_pipeline.sources.simulation.imperfections import duplicate_first, postponed_game_id
from nba_pipeline.sources.simulation.rosters import TEAM_INFO, TEAMS

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague

__all__ = ["render_schedule"]


def render_schedule(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """``scheduleLeagueV2`` with the games of ``day`` (no ``gameDates`` entry on a day without games).

    Every game object has the real keys in the real order (nba_api's parser takes the columns from
    the first game and the values of every game by position). Records are the teams' wins and
    losses in the games final by ``as_of``; the simulation has no arenas or broadcasters, so
    those keys are empty.
    """
    games = league.games_on(day)
    postponed = postponed_game_id(games, imperfections)
    weeks = _season_weeks(league, day)
    records = _records(league, season_label(day), as_of)
    rows: list[dict[str, Any]] = []
    for sequence, game in enumerate(games, start=1):
        if game.game_id == postponed:
            status, text, fraction = 1, "PPD", 0.0
        elif as_of < game.start_time:
            status, text, fraction = 1, _clock_text(game.start_time), 0.0
        elif as_of < game.end_time:
            fraction = (as_of - game.start_time) / (game.end_time - game.start_time)
            status, text = 2, _live_text(fraction)
        else:
            status, text, fraction = 3, "Final", 1.0
        box = league.box_score(game) if status > 1 else None
        start_et, start_utc = game.start_time.astimezone(ET), game.start_time.astimezone(UTC)
        week = next((w for w in weeks if w["startDate"] <= f"{day:%Y-%m-%d}" <= w["endDate"]), None)
        rows.append(
            {
                "gameId": game.nba_game_id,
                "gameCode": game.game_code,
                "gameStatus": status,
                "gameStatusText": text,
                "gameSequence": sequence,
                "gameDateEst": f"{day:%Y-%m-%d}T00:00:00Z",
                "gameTimeEst": f"1900-01-01T{start_et:%H:%M:%S}Z",
                "gameDateTimeEst": f"{start_et:%Y-%m-%dT%H:%M:%S}Z",
                "gameDateUTC": utc_z(at(day, 0)),  # midnight ET of the game date
                "gameTimeUTC": f"1900-01-01T{start_utc:%H:%M:%S}Z",
                "gameDateTimeUTC": utc_z(game.start_time),
                "awayTeamTime": _team_local_time(game.away, game.start_time),
                "homeTeamTime": _team_local_time(game.home, game.start_time),
                "day": _WEEKDAY_NAMES[day.weekday()],
                "monthNum": day.month,
                "weekNumber": week["weekNumber"] if week else 0,
                "weekName": week["weekName"] if week else "",
                "ifNecessary": "false",
                "seriesGameNumber": f"Game {game.series_game}" if game.series_game else "",
                "gameLabel": game.game_label,
                "gameSubLabel": f"Game {game.series_game}" if game.series_game else "",
                "seriesText": "",
                "arenaName": "",
                "arenaState": "",
                "arenaCity": "",
                "postponedStatus": "P" if game.game_id == postponed else "A",
                "branchLink": "",
                "gameSubtype": "",
                "isNeutral": False,
                "broadcasters": {kind: [] for kind in _BROADCASTER_KINDS},
                "homeTeam": _schedule_team(game.home, game.home_seed, records, box, fraction),
                "awayTeam": _schedule_team(game.away, game.away_seed, records, box, fraction),
                "pointsLeaders": _points_leaders(league, box) if status == 3 and box else [],
            }
        )
    duplicate_first(rows, imperfections)
    return {
        "meta": {"version": 1, "request": "scheduleLeagueV2", "time": et_iso(as_of)},
        "leagueSchedule": {
            "seasonYear": season_label(day),
            "leagueId": "00",
            "gameDates": [{"gameDate": f"{day:%m/%d/%Y} 00:00:00", "games": rows}] if rows else [],
            "weeks": weeks,
        },
    }


def _season_weeks(league: SimulatedLeague, day: date) -> list[dict[str, Any]]:
    """The regular season's Monday-to-Sunday weeks, "Week 1" holding the opener."""
    return [dict(week) for week in _weeks_of(league, season_label(day))]


@lru_cache(maxsize=8)
def _weeks_of(league: SimulatedLeague, season: str) -> tuple[dict[str, Any], ...]:
    dates = [g.game_date for g in league.all_games() if g.season == season and g.season_type == "Regular Season"]
    if not dates:
        return ()
    first = min(dates) - timedelta(days=min(dates).weekday())
    count = (max(dates) - first).days // 7 + 1
    return tuple(
        {
            "weekNumber": number,
            "weekName": f"Week {number}",
            "startDate": f"{first + timedelta(weeks=number - 1):%Y-%m-%d}T00:00:00Z",
            "endDate": f"{first + timedelta(weeks=number - 1, days=6):%Y-%m-%d}T00:00:00Z",
        }
        for number in range(1, count + 1)
    )


@lru_cache(maxsize=8)
def _records(league: SimulatedLeague, season: str, as_of: datetime) -> dict[str, tuple[int, int]]:
    """Each team's (wins, losses) in the ``season``'s regular-season games final by ``as_of``.

    Cached (read-only for callers): a schedule window renders some sixty dates at one ``as_of``.
    """
    wins: dict[str, int] = dict.fromkeys(TEAMS, 0)
    losses: dict[str, int] = dict.fromkeys(TEAMS, 0)
    for game in league.all_games():
        if game.season == season and game.season_type == "Regular Season" and game.end_time <= as_of:
            winner = league.box_score(game).winner
            wins[winner] += 1
            losses[game.home if winner == game.away else game.away] += 1
    return {team: (wins[team], losses[team]) for team in TEAMS}


def _points_leaders(league: SimulatedLeague, box: SimulatedBoxScore) -> list[dict[str, Any]]:
    """The game's top scorer (the first listed on a tie), as the schedule's ``pointsLeaders``."""
    line = max(box.lines, key=lambda candidate: candidate.points)
    player, info = league.player(line.player_lookup), TEAM_INFO[line.team]
    return [
        {
            "personId": player.person_id,
            "firstName": player.first_name,
            "lastName": player.last_name,
            "teamId": info.nba_team_id,
            "teamCity": info.city,
            "teamName": info.nickname,
            "teamTricode": line.team,
            "points": float(line.points),
        }
    ]


def _schedule_team(
    team: str,
    seed: int | None,
    records: dict[str, tuple[int, int]],
    box: SimulatedBoxScore | None,
    fraction: float,
) -> dict[str, Any]:
    """A schedule's homeTeam / awayTeam object; a live game shows the share of its final score so far."""
    info = TEAM_INFO[team]
    wins, losses = records[team]
    return {
        "teamId": info.nba_team_id,
        "teamName": info.nickname,
        "teamCity": info.city,
        "teamTricode": team,
        "teamSlug": _TEAM_SLUGS.get(team, info.nickname.lower().replace(" ", "")),
        "wins": wins,
        "losses": losses,
        "score": math.floor(box.points(team) * fraction) if box else 0,
        "seed": seed,
    }


def _team_local_time(team: str, moment: datetime) -> str:
    """Tip-off on the wall clock of ``team``'s home arena, NBA.com style (local time, literal Z)."""
    local = moment.astimezone(ZoneInfo(_ARENA_ZONES.get(team, _ZONES[TEAM_INFO[team].time_zone])))
    return f"{local:%Y-%m-%dT%H:%M:%S}Z"


def _live_text(fraction: float) -> str:
    """A live game's status text from the share of it played: "Q3 4:12" (12-minute quarters)."""
    quarter = min(int(fraction * 4), 3)
    left = round((quarter + 1 - fraction * 4) * 12 * 60)
    return f"Q{quarter + 1} {left // 60}:{left % 60:02d}"


_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_BROADCASTER_KINDS = (
    "nationalBroadcasters", "nationalRadioBroadcasters", "nationalOttBroadcasters",
    "homeTvBroadcasters", "homeRadioBroadcasters", "homeOttBroadcasters",
    "awayTvBroadcasters", "awayRadioBroadcasters", "awayOttBroadcasters",
)  # fmt: skip
_TEAM_SLUGS = {"PHI": "sixers"}
_ZONES = {"E": "America/New_York", "C": "America/Chicago", "M": "America/Denver", "P": "America/Los_Angeles"}
_ARENA_ZONES = {"PHX": "America/Phoenix"}  # no daylight saving time


def _clock_text(moment: datetime) -> str:
    """NBA.com's scheduled-game status text, e.g. "7:30 pm ET"."""
    local = moment.astimezone(ET)
    return f"{(local.hour - 1) % 12 + 1}:{local.minute:02d} {'pm' if local.hour >= 12 else 'am'} ET"


def arena_zone(team: str) -> ZoneInfo:
    """The time zone of ``team``'s home arena (the live box score's local tip-off times)."""
    return ZoneInfo(_ARENA_ZONES.get(team, _ZONES[TEAM_INFO[team].time_zone]))


#: Shared with the scoreboard (:mod:`.nbacom_boxscores`), which carries the same team slugs,
#: broadcaster lists, status texts and records.
BROADCASTER_KINDS = _BROADCASTER_KINDS
TEAM_SLUGS = _TEAM_SLUGS
clock_text = _clock_text
live_text = _live_text
records = _records
