"""NBA.com's live box score as the simulation renders it: ``boxscore_{gameId}.json`` of one final
game, from the CDN's liveData (docs/real-endpoints.md §1.5, §1.6).

The play-by-play source stores it beside each game's feed: the feed names a player only by family
name and initial, and a player who played without a shot has no action in it; the box score lists
every player with his ``personId``, full ``name``, ``firstName``/``familyName`` and whether he
``played``. Keys and their order follow nba_api's sample of the real body (``BoxScore``); every
count is the simulated box score's line, so the points, shots and free throws agree with the
stats box score and with the feed's actions.

Not simulated (zeros or empty): officials, the arena, attendance, fouls drawn, offensive and
technical fouls, blocks received, fast-break and second-chance points, the team's lead, run and
time-leading figures; ``plus``/``minus`` are split from the line's plus-minus, not counted; the
quarters' scores are the final score spread evenly, as on the simulated scoreboard.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.calendar import ET, utc_z
from nba_pipeline.sources.simulation.games import PlayerLine, SimulatedBoxScore
from nba_pipeline.sources.simulation.nbacom_schedule import arena_zone
from nba_pipeline.sources.simulation.rosters import TEAM_INFO
from nba_pipeline.sources.simulation.schedule import SimulatedGame

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague

__all__ = ["render_live_box_score"]

_PERIODS = 4
_INJURY = "Injury/Illness"


def render_live_box_score(league: SimulatedLeague, game: SimulatedGame, as_of: datetime) -> dict[str, Any]:
    """The live box score of the final ``game`` as served at ``as_of``."""
    box = league.box_score(game)
    home_zone, away_zone = arena_zone(game.home), arena_zone(game.away)
    return {
        "meta": {
            "version": 1,
            "code": 200,
            "request": f"http://nba.cloud/games/{game.nba_game_id}/boxscore?Format=json",
            "time": as_of.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        },
        "game": {
            "gameId": game.nba_game_id,
            "gameTimeLocal": game.start_time.astimezone(home_zone).isoformat(),
            "gameTimeUTC": utc_z(game.start_time),
            "gameTimeHome": game.start_time.astimezone(home_zone).isoformat(),
            "gameTimeAway": game.start_time.astimezone(away_zone).isoformat(),
            "gameEt": game.start_time.astimezone(ET).isoformat(),
            "duration": round((game.end_time - game.start_time).total_seconds() / 60),
            "gameCode": game.game_code,
            "gameStatusText": "Final",
            "gameStatus": 3,
            "regulationPeriods": _PERIODS,
            "period": _PERIODS,
            "gameClock": "PT00M00.00S",
            "attendance": 0,
            "sellout": "0",
            "arena": {
                "arenaId": 0,
                "arenaName": "",
                "arenaCity": "",
                "arenaState": "",
                "arenaCountry": "US",
                "arenaTimezone": home_zone.key,
            },
            "officials": [],
            "homeTeam": _team(league, box, game.home, game.away),
            "awayTeam": _team(league, box, game.away, game.home),
        },
    }


def _team(league: SimulatedLeague, box: SimulatedBoxScore, team: str, opponent: str) -> dict[str, Any]:
    info = TEAM_INFO[team]
    lines = list(box.team_lines(team))
    score = box.points(team)
    quarters = [score // _PERIODS + (1 if q < score % _PERIODS else 0) for q in range(_PERIODS)]
    return {
        "teamId": info.nba_team_id,
        "teamName": info.nickname,
        "teamCity": info.city,
        "teamTricode": team,
        "score": score,
        "inBonus": "0",
        "timeoutsRemaining": 0,
        "periods": [{"period": q + 1, "periodType": "REGULAR", "score": quarters[q]} for q in range(_PERIODS)],
        "players": [_player(league, line, order) for order, line in enumerate(lines, start=1)],
        "statistics": _team_statistics(lines, box.points(opponent)),
    }


def _player(league: SimulatedLeague, line: PlayerLine, order: int) -> dict[str, Any]:
    """A listed player; one who did not play has ``played`` "0", zero counts and a reason."""
    player = league.player(line.player_lookup)
    listed: dict[str, Any] = {"status": "INACTIVE" if line.status == "inactive" else "ACTIVE"}
    if not line.played:
        reason = line.dnp_reason or ""
        if line.status == "dnp":
            listed["notPlayingReason"] = "DNP_COACH"
        else:
            listed["notPlayingReason"] = "INACTIVE_INJURY" if reason.startswith(_INJURY) else "INACTIVE_PERSONAL"
            listed["notPlayingDescription"] = reason.removeprefix(f"{_INJURY} - ")
    listed |= {"order": order, "personId": player.person_id, "jerseyNum": player.jersey}
    if line.starter:
        listed["position"] = player.position
    listed |= {
        "starter": "1" if line.starter else "0",
        "oncourt": "0",
        "played": "1" if line.played else "0",
        "statistics": _player_statistics(line),
        "name": player.full_name,
        "nameI": f"{player.first_name[:1]}. {player.last_name}",
        "firstName": player.first_name,
        "familyName": player.last_name,
    }
    return listed


def _player_statistics(line: PlayerLine) -> dict[str, Any]:
    """The line's 33 statistics, in the real (alphabetical) order."""
    plus_minus = float(line.plus_minus)
    twos_made, twos = line.fgm - line.fg3m, line.fga - line.fg3a
    return {
        "assists": line.ast,
        "blocks": line.blk,
        "blocksReceived": 0,
        "fieldGoalsAttempted": line.fga,
        "fieldGoalsMade": line.fgm,
        "fieldGoalsPercentage": _share(line.fgm, line.fga),
        "foulsOffensive": 0,
        "foulsDrawn": 0,
        "foulsPersonal": line.pf,
        "foulsTechnical": 0,
        "freeThrowsAttempted": line.fta,
        "freeThrowsMade": line.ftm,
        "freeThrowsPercentage": _share(line.ftm, line.fta),
        "minus": float(max(-line.plus_minus, 0)),
        "minutes": f"PT{line.seconds // 60:02d}M{line.seconds % 60:02d}.00S",
        "minutesCalculated": f"PT{line.seconds // 60:02d}M",
        "plus": float(max(line.plus_minus, 0)),
        "plusMinusPoints": plus_minus,
        "points": line.points,
        "pointsFastBreak": 0,
        "pointsInThePaint": 2 * line.paint_makes,
        "pointsSecondChance": 0,
        "reboundsDefensive": line.dreb,
        "reboundsOffensive": line.oreb,
        "reboundsTotal": line.oreb + line.dreb,
        "steals": line.stl,
        "threePointersAttempted": line.fg3a,
        "threePointersMade": line.fg3m,
        "threePointersPercentage": _share(line.fg3m, line.fg3a),
        "turnovers": line.tov,
        "twoPointersAttempted": twos,
        "twoPointersMade": twos_made,
        "twoPointersPercentage": _share(twos_made, twos),
    }


def _team_statistics(lines: list[PlayerLine], against: int) -> dict[str, Any]:
    """The team's statistics in the real order: the players' sums, and zeros for what the
    simulation does not follow (leads, runs, fast breaks, second chances, team rebounds)."""
    total = {name: sum(int(getattr(line, name)) for line in lines) for name in _SUMMED}
    fga, fgm, fg3m, fta = total["fga"], total["fgm"], total["fg3m"], total["fta"]
    twos, twos_made = fga - total["fg3a"], fgm - fg3m
    seconds = sum(line.seconds for line in lines)
    shooting = fga + 0.44 * fta
    return {
        "assists": total["ast"],
        "assistsTurnoverRatio": _share(total["ast"], total["tov"]),
        "benchPoints": sum(line.points for line in lines if not line.starter),
        "biggestLead": 0,
        "biggestLeadScore": "",
        "biggestScoringRun": 0,
        "biggestScoringRunScore": "",
        "blocks": total["blk"],
        "blocksReceived": 0,
        "fastBreakPointsAttempted": 0,
        "fastBreakPointsMade": 0,
        "fastBreakPointsPercentage": 0.0,
        "fieldGoalsAttempted": fga,
        "fieldGoalsEffectiveAdjusted": _share(fgm + 0.5 * fg3m, fga),
        "fieldGoalsMade": fgm,
        "fieldGoalsPercentage": _share(fgm, fga),
        "foulsOffensive": 0,
        "foulsDrawn": 0,
        "foulsPersonal": total["pf"],
        "foulsTeam": total["pf"],
        "foulsTechnical": 0,
        "foulsTeamTechnical": 0,
        "freeThrowsAttempted": fta,
        "freeThrowsMade": total["ftm"],
        "freeThrowsPercentage": _share(total["ftm"], fta),
        "leadChanges": 0,
        "minutes": f"PT{seconds // 60}M{seconds % 60:02d}.00S",
        "minutesCalculated": f"PT{seconds // 60}M",
        "points": total["points"],
        "pointsAgainst": against,
        "pointsFastBreak": 0,
        "pointsFromTurnovers": 0,
        "pointsInThePaint": 2 * total["paint_makes"],
        "pointsInThePaintAttempted": total["paint_attempts"],
        "pointsInThePaintMade": total["paint_makes"],
        "pointsInThePaintPercentage": _share(total["paint_makes"], total["paint_attempts"]),
        "pointsSecondChance": 0,
        "reboundsDefensive": total["dreb"],
        "reboundsOffensive": total["oreb"],
        "reboundsPersonal": total["oreb"] + total["dreb"],
        "reboundsTeam": 0,
        "reboundsTeamDefensive": 0,
        "reboundsTeamOffensive": 0,
        "reboundsTotal": total["oreb"] + total["dreb"],
        "secondChancePointsAttempted": 0,
        "secondChancePointsMade": 0,
        "secondChancePointsPercentage": 0.0,
        "steals": total["stl"],
        "threePointersAttempted": total["fg3a"],
        "threePointersMade": fg3m,
        "threePointersPercentage": _share(fg3m, total["fg3a"]),
        "timeLeading": "PT00M00.00S",
        "timesTied": 0,
        "trueShootingAttempts": round(shooting, 2),
        "trueShootingPercentage": _share(total["points"], 2 * shooting),
        "turnovers": total["tov"],
        "turnoversTeam": 0,
        "turnoversTotal": total["tov"],
        "twoPointersAttempted": twos,
        "twoPointersMade": twos_made,
        "twoPointersPercentage": _share(twos_made, twos),
    }


_SUMMED = (
    "points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "ast", "stl", "blk", "tov", "pf",
    "paint_attempts", "paint_makes",
)  # fmt: skip


def _share(part: float, whole: float) -> float:
    """``part / whole`` as the live data writes it (unrounded), 0.0 when ``whole`` is 0."""
    return part / whole if whole else 0.0
