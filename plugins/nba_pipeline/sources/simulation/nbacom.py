"""NBA.com as the simulation serves it: the schedule, the gamebook (player box scores), team box
scores, shot zones per player (the play-by-play source) and the injury report.

Each renderer reads the league through its public interface and returns the JSON document of
one source and date in NBA.com's shapes (``docs/payloads.md``): NBA.com game ids, personIds,
tricodes, "Last, First" names in the injury report.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.calendar import ET, et_iso, season_label, utc_z
from nba_pipeline.sources.simulation.games import PlayerLine, SimulatedBoxScore
from nba_pipeline.sources.simulation.imperfections import (
    MIXED_GAME_ID,
    box_score_games,
    duplicate_first,
    postponed_game_id,
)
from nba_pipeline.sources.simulation.injuries import publications
from nba_pipeline.sources.simulation.rosters import TEAM_INFO, TEAMS

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague
    from nba_pipeline.sources.simulation.payloads import Renderer

__all__ = ["RENDERERS"]


def _schedule(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    games = league.games_on(day)
    postponed = postponed_game_id(games, imperfections)
    rows = []
    for sequence, game in enumerate(games, start=1):
        if game.game_id == postponed:
            status, text, fraction = 1, "PPD", 0.0
        elif as_of < game.start_time:
            status, text, fraction = 1, _clock_text(game.start_time), 0.0
        elif as_of < game.end_time:
            elapsed = (as_of - game.start_time) / (game.end_time - game.start_time)
            status, text, fraction = 2, "Live", elapsed
        else:
            status, text, fraction = 3, "Final", 1.0
        box = league.box_score(game) if status > 1 else None
        start_et = game.start_time.astimezone(ET)
        rows.append(
            {
                "gameId": game.nba_game_id,
                "gameCode": game.game_code,
                "gameStatus": status,
                "gameStatusText": text,
                "gameSequence": sequence,
                "gameDateEst": f"{day:%Y-%m-%d}T00:00:00Z",
                "gameDateTimeEst": start_et.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "gameDateTimeUTC": utc_z(game.start_time),
                "day": _WEEKDAY_NAMES[day.weekday()],
                "gameLabel": game.game_label,
                "gameSubLabel": f"Game {game.series_game}" if game.series_game else "",
                "postponedStatus": "P" if game.game_id == postponed else "A",
                "isNeutral": False,
                "homeTeam": _schedule_team(game.home, game.home_seed, box, fraction),
                "awayTeam": _schedule_team(game.away, game.away_seed, box, fraction),
            }
        )
    duplicate_first(rows, imperfections)
    return {
        "meta": {"version": 1, "request": "scheduleLeagueV2", "time": et_iso(as_of)},
        "leagueSchedule": {
            "seasonYear": season_label(day),
            "leagueId": "00",
            "gameDates": [{"gameDate": f"{day:%m/%d/%Y} 00:00:00", "games": rows}],
        },
    }


def _gamebook(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    games = []
    for game in box_score_games(league.games_on(day), as_of, imperfections, "nbac"):
        box = league.box_score(game)
        players = []
        for index, line in enumerate(box.lines):
            player = league.player(line.player_lookup)
            mixed = MIXED_GAME_ID in imperfections and index % 2 == 1
            row: dict[str, Any] = {
                "gameId": game.game_id if mixed else game.nba_game_id,
                "personId": player.person_id,
                "name": player.full_name,
                "firstName": player.first_name,
                "familyName": player.last_name,
                "teamTricode": line.team,
                "jerseyNum": player.jersey,
                "position": player.position_group if line.starter else "",
                "starter": line.starter,
                "status": line.status,
                "dnpReason": line.dnp_reason,
                "minutes": line.minutes_clock if line.played else None,
            }
            for key, stat in _GAMEBOOK_STATS:
                row[key] = _stat(line, stat) if line.played else None
            players.append(row)
        duplicate_first(players, imperfections)
        games.append(
            {
                "gameId": game.nba_game_id,
                "gameCode": game.game_code,
                "gameStatus": 3,
                "gameStatusText": "Final",
                "homeTeam": {"teamTricode": game.home, "score": box.points(game.home)},
                "awayTeam": {"teamTricode": game.away, "score": box.points(game.away)},
                "players": players,
            }
        )
    return {"gameDate": day.isoformat(), "games": games}


def _team_boxscore(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for game in box_score_games(league.games_on(day), as_of, imperfections, "nbac"):
        box = league.box_score(game)
        for team, opponent, is_home in ((game.away, game.home, False), (game.home, game.away, True)):
            mixed = MIXED_GAME_ID in imperfections and len(rows) % 2 == 1
            row: dict[str, Any] = {
                "gameId": game.game_id if mixed else game.nba_game_id,
                "gameCode": game.game_code,
                "teamId": TEAM_INFO[team].nba_team_id,
                "teamTricode": team,
                "opponentTricode": opponent,
                "isHome": is_home,
                "minutes": "240:00",
            }
            for key, stat in _GAMEBOOK_STATS:
                row[key] = sum(_stat(line, stat) for line in box.team_lines(team))
            row["plusMinus"] = box.points(team) - box.points(opponent)
            rows.append(row)
    duplicate_first(rows, imperfections)
    return {"gameDate": day.isoformat(), "teams": rows}


def _play_by_play(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    rows: list[list[Any]] = []
    for game in box_score_games(league.games_on(day), as_of, imperfections, "nbac"):
        for line in league.box_score(game).lines:
            if not line.played:
                continue
            player = league.player(line.player_lookup)
            mixed = MIXED_GAME_ID in imperfections and len(rows) % 2 == 1
            rows.append(
                [
                    game.matchup if mixed else game.nba_game_id,
                    f"{day:%Y%m%d}",
                    game.away,
                    game.home,
                    player.person_id,
                    player.full_name,
                    TEAM_INFO[line.team].nba_team_id,
                    line.team,
                    line.paint_attempts,
                    line.paint_makes,
                    line.mid_range_attempts,
                    line.mid_range_makes,
                    line.fg3a,
                    line.fg3m,
                ]
            )
    duplicate_first(rows, imperfections)
    return {
        "resource": "shotzonesummary",
        "parameters": {"GameDate": day.isoformat(), "LeagueID": "00", "Season": season_label(day)},
        "resultSets": [{"name": "PlayerShotZones", "headers": list(_SHOT_ZONE_HEADERS), "rowSet": rows}],
    }


def _injury_report(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    published = publications(day, as_of)
    rows = []
    if published:
        games_by_team = {team: g for g in league.games_on(day) for team in (g.away, g.home)}
        for entry in league.injury_report(day):
            game = games_by_team[entry.team]
            start_et = game.start_time.astimezone(ET)
            rows.append(
                {
                    "gameDate": f"{day:%m/%d/%Y}",
                    "gameTime": f"{(start_et.hour - 1) % 12 + 1:02d}:{start_et.minute:02d} "
                    f"{'PM' if start_et.hour >= 12 else 'AM'} ET",
                    "matchup": game.matchup,
                    "team": TEAMS[entry.team],
                    "playerName": league.player(entry.player_lookup).report_name,
                    "currentStatus": entry.status,
                    "reason": entry.reason,
                }
            )
    duplicate_first(rows, imperfections)
    return {
        "gameDate": day.isoformat(),
        "reportTime": et_iso(max(published)) if published else None,
        "rows": rows,
    }


_GAMEBOOK_STATS = (
    ("fgm", "fgm"), ("fga", "fga"), ("fg3m", "fg3m"), ("fg3a", "fg3a"), ("ftm", "ftm"), ("fta", "fta"),
    ("oreb", "oreb"), ("dreb", "dreb"), ("reb", "reb"), ("ast", "ast"), ("stl", "stl"), ("blk", "blk"),
    ("tov", "tov"), ("pf", "pf"), ("pts", "points"), ("plusMinus", "plus_minus"),
)  # fmt: skip
_SHOT_ZONE_HEADERS = (
    "GAME_ID", "GAME_DATE", "VTM", "HTM", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION",
    "PAINT_FGA", "PAINT_FGM", "MID_RANGE_FGA", "MID_RANGE_FGM", "THREE_PT_FGA", "THREE_PT_FGM",
)  # fmt: skip


def _schedule_team(
    team: str, seed: int | None, box: SimulatedBoxScore | None, fraction: float
) -> dict[str, Any]:
    """A schedule's homeTeam / awayTeam object; a live game shows the share of its final score so far."""
    info = TEAM_INFO[team]
    return {
        "teamId": info.nba_team_id,
        "teamName": info.nickname,
        "teamCity": info.city,
        "teamTricode": team,
        "teamSlug": info.nickname.lower().replace(" ", ""),
        "score": math.floor(box.points(team) * fraction) if box else 0,
        "seed": seed,
    }


def _stat(line: PlayerLine, stat: str) -> int:
    return line.oreb + line.dreb if stat == "reb" else int(getattr(line, stat))


_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _clock_text(moment: datetime) -> str:
    """NBA.com's scheduled-game status text, e.g. "7:30 pm ET"."""
    local = moment.astimezone(ET)
    return f"{(local.hour - 1) % 12 + 1}:{local.minute:02d} {'pm' if local.hour >= 12 else 'am'} ET"


#: The sources this module renders, by name.
RENDERERS: dict[str, Renderer] = {
    "nbac_schedule": _schedule,
    "nbac_gamebook": _gamebook,
    "nbac_team_boxscore": _team_boxscore,
    "nbac_play_by_play": _play_by_play,
    "nbac_injury_report": _injury_report,
}
