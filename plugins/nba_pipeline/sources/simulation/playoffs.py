"""The playoffs: a 16-team bracket played out game by game on the real 2024-25 playoff dates.

The eight best teams of each conference by rating (a healthy roster's expected points plus a
little seeded noise) meet 1-8, 4-5, 3-6, 2-7; each series uses its round's date slots, 2-2-1-1-1
at home, until one team has four wins, and every game's simulated box score decides it, so the
bracket and the box scores can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

from nba_pipeline.sources.simulation.calendar import CF_EAST, CF_WEST, FINALS, R1_A, R1_B, R2_A, R2_B, at
from nba_pipeline.sources.simulation.draws import seeded_rng
from nba_pipeline.sources.simulation.games import SimulatedBoxScore
from nba_pipeline.sources.simulation.rosters import TEAM_CODES, TEAM_INFO, Rosters
from nba_pipeline.sources.simulation.schedule import SimulatedGame, make_game

__all__ = ["BoxScoreOf", "playoff_games"]

#: The box score of a game, as the league simulates (and caches) it.
BoxScoreOf = Callable[[SimulatedGame], SimulatedBoxScore]

_HIGHER_SEED_HOME_GAMES = frozenset({1, 2, 5, 7})
_PLAYOFF_WEEKEND_TIPOFFS = ((13, 0), (15, 30), (18, 0), (20, 30))
_PLAYOFF_WEEKDAY_TIPOFFS = ((19, 0), (19, 30), (21, 30), (22, 0))


def playoff_games(seed: int, rosters: Rosters, box_score: BoxScoreOf) -> list[SimulatedGame]:
    """A 16-team bracket seeded by team rating; each game's box score decides it."""
    ratings = {team: _team_rating(seed, rosters, team) for team in TEAM_CODES}
    seed_of: dict[str, int] = {}
    seeded: dict[str, list[str]] = {}
    for conference in ("East", "West"):
        ranked = sorted(
            (t for t in TEAM_CODES if TEAM_INFO[t].conference == conference),
            key=lambda t: (-ratings[t], t),
        )[:8]
        seeded[conference] = ranked
        seed_of.update({team: rank for rank, team in enumerate(ranked, start=1)})
    games: list[SimulatedGame] = []

    def play_series(
        a: str, b: str, round_no: int, series_no: int, slots: tuple[date, ...], label: str
    ) -> str:
        high, low = sorted((a, b), key=lambda t: (seed_of[t], -ratings[t], t))
        wins = {high: 0, low: 0}
        for number, day in enumerate(slots, start=1):
            if max(wins.values()) == 4:
                break
            home, away = (high, low) if number in _HIGHER_SEED_HOME_GAMES else (low, high)
            game = replace(
                make_game(
                    seed,
                    day,
                    away,
                    home,
                    f"0042400{round_no}{series_no}{number}",
                    "2024-25",
                    "Playoffs",
                    at(day, 20),
                ),
                game_label=label,
                series_game=number,
                away_seed=seed_of[away],
                home_seed=seed_of[home],
            )
            wins[box_score(game).winner] += 1
            games.append(game)
        return high if wins[high] == 4 else low

    conference_champions = []
    for offset, conference in ((0, "East"), (4, "West")):
        s = seeded[conference]
        first_round = (
            (s[0], s[7], R1_A), (s[3], s[4], R1_A), (s[2], s[5], R1_B), (s[1], s[6], R1_B),
        )  # fmt: skip
        winners = [
            play_series(a, b, 1, offset + n, slots, f"{conference} First Round")
            for n, (a, b, slots) in enumerate(first_round)
        ]
        semi_offset = 0 if conference == "East" else 2
        top = play_series(winners[0], winners[1], 2, semi_offset, R2_A, f"{conference} Conf. Semifinals")
        bottom = play_series(
            winners[2], winners[3], 2, semi_offset + 1, R2_B, f"{conference} Conf. Semifinals"
        )
        final_slots = CF_EAST if conference == "East" else CF_WEST
        conference_champions.append(
            play_series(
                top,
                bottom,
                3,
                0 if conference == "East" else 1,
                final_slots,
                f"{conference} Conf. Finals",
            )
        )
    east, west = conference_champions
    play_series(east, west, 4, 0, FINALS, "NBA Finals")
    return _with_playoff_tipoffs(games)


def _team_rating(seed: int, rosters: Rosters, team: str) -> float:
    """Expected points of a healthy roster plus a little seeded noise; seeds the playoffs."""
    base = sum(p.profile.points_per_game * p.profile.appearance_rate for p in rosters.roster(team))
    return base + seeded_rng(seed, "rating", team).gauss(0, 2.0)


def _with_playoff_tipoffs(games: list[SimulatedGame]) -> list[SimulatedGame]:
    by_day: dict[date, list[SimulatedGame]] = {}
    for game in games:
        by_day.setdefault(game.game_date, []).append(game)
    timed = []
    for day, day_games in by_day.items():
        day_games.sort(key=lambda g: g.nba_game_id)
        if len(day_games) == 1:
            slots: Sequence[tuple[int, int]] = ((20, 30),)
        else:
            slots = _PLAYOFF_WEEKEND_TIPOFFS if day.weekday() >= 5 else _PLAYOFF_WEEKDAY_TIPOFFS
        for game, (hour, minute) in zip(day_games, slots, strict=False):
            shift = at(day, hour, minute) - game.start_time
            timed.append(
                replace(
                    game,
                    start_time=game.start_time + shift,
                    end_time=game.end_time + shift,
                    final_time=game.final_time + shift,
                )
            )
    return timed
