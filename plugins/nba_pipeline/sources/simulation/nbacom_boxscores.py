"""NBA.com's player box scores as the simulation serves them: the date's ``scoreboardv3`` and one
``boxscoretraditionalv3`` answer per final game, stored together as one document.

The HTTP scraper asks the scoreboard first, then the box score of each game whose ``gameStatus`` is
3 (``nba_pipeline.scrapers.endpoints``); this renderer writes the document it stores,
``{"scoreboard": <scoreboard>, "games": [<box score>, ...]}``, each answer in the real shape and key
order (docs/real-endpoints.md §1.3 and §1.5), so nba_api's parsers read every part.
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
from nba_pipeline.sources.simulation.nbacom_schedule import (
    BROADCASTER_KINDS,
    TEAM_SLUGS,
    clock_text,
    live_text,
    records,
)
from nba_pipeline.sources.simulation.rosters import TEAM_INFO
from nba_pipeline.sources.simulation.schedule import SimulatedGame

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague

__all__ = ["render_box_scores", "render_scoreboard"]

_PERIODS = 4
#: The box score's counting stats: (statistics key, PlayerLine field); the percentages sit after each pair.
_SHOOTING = (
    ("fieldGoals", "fgm", "fga"),
    ("threePointers", "fg3m", "fg3a"),
    ("freeThrows", "ftm", "fta"),
)
_COUNTS = (
    ("reboundsOffensive", "oreb"), ("reboundsDefensive", "dreb"), ("reboundsTotal", "reb"), ("assists", "ast"),
    ("steals", "stl"), ("blocks", "blk"), ("turnovers", "tov"), ("foulsPersonal", "pf"), ("points", "points"),
)  # fmt: skip


def render_box_scores(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """The scoreboard of ``day`` at ``as_of`` and the box score of each of its final games, in order.

    A game is final (``gameStatus`` 3) once its box score is published; a postponed game shows 1
    ``"PPD"``; a game whose box score is late (``late_boxscores``) still shows 2 at the end of the
    fourth quarter, as the stats feed does until it marks a game final.
    """
    finals = box_score_games(league.games_on(day), as_of, imperfections, "nbac")
    box_scores = []
    for position, game in enumerate(finals):
        mixed = MIXED_GAME_ID in imperfections and position % 2 == 1
        box_scores.append(_box_score(league, game, as_of, imperfections, mixed))
    return {"scoreboard": render_scoreboard(league, day, as_of, imperfections), "games": box_scores}


def render_scoreboard(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """``scoreboardv3`` of ``day`` at ``as_of``: every game, the final ones (``gameStatus`` 3) those
    whose NBA.com box scores are published (the index of the box scores and play-by-play feeds)."""
    games = league.games_on(day)
    final_ids = {game.game_id for game in box_score_games(games, as_of, imperfections, "nbac")}
    postponed = postponed_game_id(games, imperfections)
    wins_losses = records(league, season_label(day), as_of)
    board = [_scoreboard_game(league, game, as_of, final_ids, postponed, wins_losses) for game in games]
    return {
        "meta": {"version": 1, "request": "scoreboardv3", "time": et_iso(as_of)},
        "scoreboard": {
            "gameDate": day.isoformat(),
            "leagueId": "00",
            "leagueName": "National Basketball Association",
            "games": board,
        },
    }


def _scoreboard_game(
    league: SimulatedLeague,
    game: SimulatedGame,
    as_of: datetime,
    final_ids: set[str],
    postponed: str | None,
    wins_losses: dict[str, tuple[int, int]],
) -> dict[str, Any]:
    if game.game_id in final_ids:
        status, text, fraction, period, clock = 3, "Final", 1.0, _PERIODS, ""
    elif game.game_id == postponed:
        status, text, fraction, period, clock = 1, "PPD", 0.0, 0, ""
    elif as_of < game.start_time:
        status, text, fraction, period, clock = 1, clock_text(game.start_time), 0.0, 0, ""
    else:  # live, or over but not yet final in the stats feed
        fraction = min((as_of - game.start_time) / (game.end_time - game.start_time), 1.0)
        period = min(int(fraction * _PERIODS), _PERIODS - 1) + 1
        left = round((period - fraction * _PERIODS) * 12 * 60)
        status, text, clock = 2, live_text(min(fraction, 0.9999)), f"PT{left // 60:02d}M{left % 60:02d}.00S"
    box = league.box_score(game) if status > 1 else None
    leaders = _leaders(league, game, box)
    return {
        "gameId": game.nba_game_id,
        "gameCode": game.game_code,
        "gameStatus": status,
        "gameStatusText": text,
        "period": period,
        "gameClock": clock,
        "gameTimeUTC": utc_z(game.start_time),
        "gameEt": f"{game.start_time.astimezone(ET):%Y-%m-%dT%H:%M:%S}Z",
        "regulationPeriods": _PERIODS,
        "seriesGameNumber": f"Game {game.series_game}" if game.series_game else "",
        "gameLabel": game.game_label,
        "gameSubLabel": f"Game {game.series_game}" if game.series_game else "",
        "seriesText": "",
        "ifNecessary": False,
        "seriesConference": "",
        "poRoundDesc": "",
        "gameSubtype": "",
        "isNeutral": False,
        "gameLeaders": leaders,
        "teamLeaders": {**leaders, "seasonLeadersFlag": 0},
        "broadcasters": {kind: [] for kind in BROADCASTER_KINDS},
        "homeTeam": _board_team(game.home, game.home_seed, wins_losses, box, fraction, status),
        "awayTeam": _board_team(game.away, game.away_seed, wins_losses, box, fraction, status),
    }


def _board_team(
    team: str,
    seed: int | None,
    wins_losses: dict[str, tuple[int, int]],
    box: SimulatedBoxScore | None,
    fraction: float,
    status: int,
) -> dict[str, Any]:
    """A scoreboard team: its score so far and the points of each quarter (the final score spread evenly)."""
    info = TEAM_INFO[team]
    wins, losses = wins_losses[team]
    score = math.floor(box.points(team) * fraction) if box else 0
    quarters = [score // _PERIODS + (1 if q < score % _PERIODS else 0) for q in range(_PERIODS)]
    return {
        "teamId": info.nba_team_id,
        "teamCity": info.city,
        "teamName": info.nickname,
        "teamTricode": team,
        "teamSlug": TEAM_SLUGS.get(team, info.nickname.lower().replace(" ", "")),
        "wins": wins,
        "losses": losses,
        "score": score,
        "seed": seed or 0,
        "inBonus": None,
        "timeoutsRemaining": 0 if status == 3 else 7,
        "periods": [{"period": q + 1, "periodType": "REGULAR", "score": quarters[q]} for q in range(_PERIODS)],
    }


def _leaders(league: SimulatedLeague, game: SimulatedGame, box: SimulatedBoxScore | None) -> dict[str, Any]:
    """Each team's top scorer of the game (empty before tip-off)."""
    found: dict[str, Any] = {}
    for side, team in (("homeLeaders", game.home), ("awayLeaders", game.away)):
        lines = box.team_lines(team) if box else ()
        line = max(lines, key=lambda candidate: candidate.points) if lines else None
        player = league.player(line.player_lookup) if line else None
        found[side] = {
            "personId": player.person_id if player else 0,
            "name": player.full_name if player else "",
            "playerSlug": player.slug if player else "",
            "jerseyNum": player.jersey if player else "",
            "position": player.position_group if player else "",
            "teamTricode": team,
            "points": line.points if line else 0,
            "rebounds": line.oreb + line.dreb if line else 0,
            "assists": line.ast if line else 0,
        }
    return found


def _box_score(
    league: SimulatedLeague, game: SimulatedGame, as_of: datetime, imperfections: frozenset[str], mixed: bool
) -> dict[str, Any]:
    """``boxscoretraditionalv3`` of one final game (``mixed``: its ``gameId`` in the canonical form)."""
    box = league.box_score(game)
    teams = {
        team: _box_team(league, box, team, box.points(team) - box.points(other))
        for team, other in ((game.home, game.away), (game.away, game.home))
    }
    duplicate_first(teams[game.away]["players"], imperfections)
    return {
        "meta": {"version": 1, "request": "boxscoretraditionalv3", "time": et_iso(as_of)},
        "boxScoreTraditional": {
            "gameId": game.game_id if mixed else game.nba_game_id,
            "homeTeamId": TEAM_INFO[game.home].nba_team_id,
            "awayTeamId": TEAM_INFO[game.away].nba_team_id,
            "homeTeam": teams[game.home],
            "awayTeam": teams[game.away],
        },
    }


def _box_team(league: SimulatedLeague, box: SimulatedBoxScore, team: str, margin: int) -> dict[str, Any]:
    """A team of the box score: its players, its totals (``plusMinusPoints`` the points margin),
    and its starters' and bench's totals."""
    info = TEAM_INFO[team]
    lines = box.team_lines(team)
    starters = [line for line in lines if line.played and line.starter]
    bench = [line for line in lines if line.played and not line.starter]
    return {
        "teamId": info.nba_team_id,
        "teamCity": info.city,
        "teamName": info.nickname,
        "teamTricode": team,
        "teamSlug": TEAM_SLUGS.get(team, info.nickname.lower().replace(" ", "")),
        "players": [_box_player(league, line) for line in lines],
        "statistics": {**_statistics(list(lines), plus_minus=False), "plusMinusPoints": float(margin)},
        "starters": _statistics(starters, plus_minus=False),
        "bench": _statistics(bench, plus_minus=False),
    }


def _box_player(league: SimulatedLeague, line: PlayerLine) -> dict[str, Any]:
    player = league.player(line.player_lookup)
    return {
        "personId": player.person_id,
        "firstName": player.first_name,
        "familyName": player.last_name,
        "nameI": f"{player.first_name[:1]}. {player.last_name}",
        "playerSlug": player.slug,
        "position": player.position_group if line.starter else "",
        "comment": _comment(line),
        "jerseyNum": player.jersey,
        "statistics": _statistics([line] if line.played else [], plus_minus=True, player=True),
    }


def _comment(line: PlayerLine) -> str:
    """``""`` for a player who played; ``"DNP - Coach's Decision"``; an inactive player's reason after
    ``"DND - "`` (did not dress: an injury or illness) or ``"NWT - "`` (not with the team)."""
    if line.played:
        return ""
    reason = line.dnp_reason or ""
    if line.status == "dnp":
        return reason
    return f"{'DND' if reason.startswith('Injury/Illness') else 'NWT'} - {reason}"


def _statistics(lines: list[PlayerLine], *, plus_minus: bool, player: bool = False) -> dict[str, Any]:
    """The summed statistics of ``lines``: minutes ``"M:SS"`` (``""`` for a player who did not
    play), each shooting pair with its percentage (3 decimals, 0.0 without attempts)."""
    seconds = sum(line.seconds for line in lines)
    stats: dict[str, Any] = {"minutes": f"{seconds // 60}:{seconds % 60:02d}" if lines or not player else ""}
    for name, made, attempted in _SHOOTING:
        makes, attempts = _sum(lines, made), _sum(lines, attempted)
        stats[f"{name}Made"] = makes
        stats[f"{name}Attempted"] = attempts
        stats[f"{name}Percentage"] = round(makes / attempts, 3) if attempts else 0.0
    for key, field in _COUNTS:
        stats[key] = _sum(lines, field)
    if plus_minus:
        stats["plusMinusPoints"] = float(_sum(lines, "plus_minus"))
    return stats


def _sum(lines: list[PlayerLine], field: str) -> int:
    if field == "reb":
        return sum(line.oreb + line.dreb for line in lines)
    return sum(int(getattr(line, field)) for line in lines)
