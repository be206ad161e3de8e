"""balldontlie as the simulation serves it: one page of player box-score rows for a date.

Its own ids for games, players and teams, its own stat row id, minutes as a whole-minute
string and shooting percentages rounded to three places (``docs/payloads.md``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.draws import stable_int
from nba_pipeline.sources.simulation.imperfections import box_score_games, duplicate_first
from nba_pipeline.sources.simulation.rosters import TEAM_INFO

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague
    from nba_pipeline.sources.simulation.payloads import Renderer

__all__ = ["RENDERERS"]


def _boxscores(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    data = []
    for game in box_score_games(league.games_on(day), as_of, imperfections, "bdl"):
        box = league.box_score(game)
        home, away = TEAM_INFO[game.home], TEAM_INFO[game.away]
        game_object = {
            "id": game.bdl_game_id,
            "date": day.isoformat(),
            "season": game.season_year,
            "status": "Final",
            "postseason": game.season_type == "Playoffs",
            "home_team_id": home.bdl_team_id,
            "visitor_team_id": away.bdl_team_id,
            "home_team_score": box.points(game.home),
            "visitor_team_score": box.points(game.away),
        }
        for line in box.lines:
            if not line.played:
                continue
            player = league.player(line.player_lookup)
            team = TEAM_INFO[line.team]
            data.append(
                {
                    "id": stable_int(league.seed, "bdl-stat", game.game_id, player.player_lookup)
                    % 900_000_000
                    + 100_000_000,
                    "min": str(line.seconds // 60),
                    "pts": line.points,
                    "fgm": line.fgm,
                    "fga": line.fga,
                    "fg_pct": round(line.fgm / line.fga, 3) if line.fga else 0.0,
                    "fg3m": line.fg3m,
                    "fg3a": line.fg3a,
                    "fg3_pct": round(line.fg3m / line.fg3a, 3) if line.fg3a else 0.0,
                    "ftm": line.ftm,
                    "fta": line.fta,
                    "ft_pct": round(line.ftm / line.fta, 3) if line.fta else 0.0,
                    "oreb": line.oreb,
                    "dreb": line.dreb,
                    "reb": line.oreb + line.dreb,
                    "ast": line.ast,
                    "stl": line.stl,
                    "blk": line.blk,
                    "turnover": line.tov,
                    "pf": line.pf,
                    "player": {
                        "id": player.bdl_player_id,
                        "first_name": player.first_name,
                        "last_name": player.last_name,
                        "position": player.position_group,
                        "jersey_number": player.jersey,
                        "team_id": team.bdl_team_id,
                    },
                    "team": {
                        "id": team.bdl_team_id,
                        "abbreviation": line.team,
                        "city": team.city,
                        "conference": team.conference,
                        "division": team.division,
                        "full_name": team.full_name,
                        "name": team.nickname,
                    },
                    "game": game_object,
                }
            )
    duplicate_first(data, imperfections)
    return {"data": data, "meta": {"next_cursor": None, "per_page": 100}}


#: The sources this module renders, by name.
RENDERERS: dict[str, Renderer] = {
    "bdl_boxscores": _boxscores,
}
