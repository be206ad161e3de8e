"""NBA.com as the simulation serves it: the schedule (:mod:`.nbacom_schedule`), the player box
scores (the scoreboard and each final game's box score, :mod:`.nbacom_boxscores`), team game
logs, the play-by-play (the scoreboard and each final game's live feed and live box score,
:mod:`.nbacom_playbyplay`), the injury report (a PDF,
:mod:`.nbacom_injuries`) and the season's player list (:mod:`.nbacom_players`).

Each renderer reads the league through its public interface and returns the JSON document of
one source and date in NBA.com's shapes (``docs/payloads.md``): NBA.com game ids, personIds,
tricodes, "Last, First" names in the injury report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.calendar import season_label
from nba_pipeline.sources.simulation.games import PlayerLine, SimulatedBoxScore
from nba_pipeline.sources.simulation.imperfections import (
    MIXED_GAME_ID,
    box_score_games,
    duplicate_first,
)
from nba_pipeline.sources.simulation.nbacom_boxscores import render_box_scores
from nba_pipeline.sources.simulation.nbacom_injuries import render_injury_report
from nba_pipeline.sources.simulation.nbacom_playbyplay import render_play_by_play_day
from nba_pipeline.sources.simulation.nbacom_players import render_player_index
from nba_pipeline.sources.simulation.nbacom_schedule import render_schedule
from nba_pipeline.sources.simulation.rosters import TEAM_INFO, TEAMS

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague
    from nba_pipeline.sources.simulation.payloads import Renderer

__all__ = ["RENDERERS"]


def _team_game_logs(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """stats.nba.com ``teamgamelogs`` for one date: the ``TeamGameLogs`` result set, one row per team
    and final game, in the real 57 columns (counts, shooting percentages, ranks within the result)."""
    rows: list[dict[str, Any]] = []
    for game in box_score_games(league.games_on(day), as_of, imperfections, "nbac"):
        box = league.box_score(game)
        totals = {team: _team_totals(box, team) for team in (game.away, game.home)}
        for team, opponent, is_home in ((game.away, game.home, False), (game.home, game.away, True)):
            mine, theirs = totals[team], totals[opponent]
            mixed = MIXED_GAME_ID in imperfections and len(rows) % 2 == 1
            rows.append(
                {
                    "SEASON_YEAR": game.season,
                    "TEAM_ID": TEAM_INFO[team].nba_team_id,
                    "TEAM_ABBREVIATION": team,
                    "TEAM_NAME": TEAMS[team],
                    "GAME_ID": game.game_id if mixed else game.nba_game_id,
                    "GAME_DATE": f"{day:%Y-%m-%d}T00:00:00",
                    "MATCHUP": f"{team} vs. {opponent}" if is_home else f"{team} @ {opponent}",
                    "WL": "W" if mine["PTS"] > theirs["PTS"] else "L",
                    "MIN": 48.0,
                    **{key: mine[key] for key in ("FGM", "FGA")},
                    "FG_PCT": _percentage(mine["FGM"], mine["FGA"]),
                    **{key: mine[key] for key in ("FG3M", "FG3A")},
                    "FG3_PCT": _percentage(mine["FG3M"], mine["FG3A"]),
                    **{key: mine[key] for key in ("FTM", "FTA")},
                    "FT_PCT": _percentage(mine["FTM"], mine["FTA"]),
                    **{key: mine[key] for key in ("OREB", "DREB", "REB", "AST")},
                    "TOV": float(mine["TOV"]),
                    "STL": mine["STL"],
                    "BLK": mine["BLK"],
                    "BLKA": theirs["BLK"],
                    "PF": mine["PF"],
                    "PFD": theirs["PF"],
                    "PTS": mine["PTS"],
                    "PLUS_MINUS": float(mine["PTS"] - theirs["PTS"]),
                }
            )
    _rank(rows)
    for row in rows:
        row["AVAILABLE_FLAG"] = 1
    positional = [list(row.values()) for row in rows]
    duplicate_first(positional, imperfections)
    return {
        "resource": "teamgamelogs",
        "parameters": {
            "Season": season_label(day),
            "SeasonType": None,
            "LeagueID": "00",
            "DateFrom": f"{day:%m/%d/%Y}",
            "DateTo": f"{day:%m/%d/%Y}",
        },
        "resultSets": [{"name": "TeamGameLogs", "headers": list(_TEAM_GAME_LOG_HEADERS), "rowSet": positional}],
    }


def _team_totals(box: SimulatedBoxScore, team: str) -> dict[str, int]:
    return {key: sum(_stat(line, stat) for line in box.team_lines(team)) for key, stat in _TEAM_STATS}


def _percentage(makes: int, attempts: int) -> float:
    return round(makes / attempts, 3) if attempts else 0.0


def _rank(rows: list[dict[str, Any]]) -> None:
    """Adds the ``*_RANK`` columns: each row's rank within the result, ties sharing the best rank."""
    for rank_key, value_of, fewest_first in _RANKED:
        values = [value_of(row) for row in rows]
        for row, value in zip(rows, values, strict=True):
            row[rank_key] = 1 + sum(1 for other in values if (other < value if fewest_first else other > value))


_TEAM_STATS = (
    ("FGM", "fgm"), ("FGA", "fga"), ("FG3M", "fg3m"), ("FG3A", "fg3a"), ("FTM", "ftm"), ("FTA", "fta"),
    ("OREB", "oreb"), ("DREB", "dreb"), ("REB", "reb"), ("AST", "ast"), ("TOV", "tov"), ("STL", "stl"),
    ("BLK", "blk"), ("PF", "pf"), ("PTS", "points"),
)  # fmt: skip
_RankValue = Callable[[dict[str, Any]], float]


def _won(row: dict[str, Any]) -> float:
    return float(row["WL"] == "W")


def _column(key: str) -> _RankValue:
    return lambda row: float(row[key])


#: (rank column, the value ranked, True when fewer is better). One date's logs hold one game per team.
_RANKED: tuple[tuple[str, _RankValue, bool], ...] = (
    ("GP_RANK", lambda _row: 1.0, False),
    ("W_RANK", _won, False),
    ("L_RANK", _won, False),  # fewest losses first: the winners again
    ("W_PCT_RANK", _won, False),
    *(
        (f"{key}_RANK", _column(key), key in ("TOV", "BLKA", "PF"))
        for key in (
            "MIN", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM", "FTA", "FT_PCT", "OREB", "DREB",
            "REB", "AST", "TOV", "STL", "BLK", "BLKA", "PF", "PFD", "PTS", "PLUS_MINUS",
        )
    ),
)  # fmt: skip
_TEAM_GAME_LOG_HEADERS = (
    "SEASON_YEAR", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID", "GAME_DATE", "MATCHUP", "WL", "MIN",
    "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM", "FTA", "FT_PCT", "OREB", "DREB", "REB", "AST",
    "TOV", "STL", "BLK", "BLKA", "PF", "PFD", "PTS", "PLUS_MINUS", *(rank for rank, _, _ in _RANKED),
    "AVAILABLE_FLAG",
)  # fmt: skip


def _stat(line: PlayerLine, stat: str) -> int:
    return line.oreb + line.dreb if stat == "reb" else int(getattr(line, stat))


#: The sources this module renders, by name.
RENDERERS: dict[str, Renderer] = {
    "nbac_schedule": render_schedule,
    "nbac_gamebook": render_box_scores,
    "nbac_team_boxscore": _team_game_logs,
    "nbac_play_by_play": render_play_by_play_day,
    "nbac_injury_report": render_injury_report,
    "nbac_player_list": render_player_index,
}
