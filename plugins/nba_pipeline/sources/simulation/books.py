"""The betting market: the books, when they post, and the lines they quote.

Four books post opening lines at 09:MM ET on game day and move them at 14:MM ET. Lines are
set from what the simulation expects, not from what happens: a player's points line sits near
his expected points given who is listed Out, a game's spread and total near the teams'
expected points, so the lines carry real information without knowing the box score. The Odds
API quotes players expected to play 20+ minutes and not listed Questionable; BettingPros also
quotes the rest down to 12 expected minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from nba_pipeline.sources.simulation.calendar import at
from nba_pipeline.sources.simulation.draws import seeded_rng
from nba_pipeline.sources.simulation.injuries import NOT_EXPECTED_TO_PLAY, Injuries
from nba_pipeline.sources.simulation.rosters import (
    MAX_MINUTES,
    MINUTES_ABSORPTION,
    Rosters,
    SimulatedPlayer,
    redistribute,
)
from nba_pipeline.sources.simulation.schedule import SimulatedGame

__all__ = ["BOOKS", "MOVE_HOUR", "GameLine", "Lines", "PropLine", "Sportsbook", "book_open_time", "book_post_time"]


@dataclass(frozen=True)
class Sportsbook:
    """A book quoting lines: its Odds API key and title, its BettingPros id, when it posts."""

    key: str
    title: str
    bettingpros_id: int
    posting_minute: int  # opening lines at 09:MM ET, line moves at 14:MM ET on game day


BOOKS: tuple[Sportsbook, ...] = (
    Sportsbook("draftkings", "DraftKings", 12, 5),
    Sportsbook("fanduel", "FanDuel", 10, 12),
    Sportsbook("betmgm", "BetMGM", 19, 20),
    Sportsbook("williamhill_us", "Caesars", 13, 31),
)
_OPENING_HOUR = 9
MOVE_HOUR = 14


def book_post_time(day: date, book: Sportsbook, as_of: datetime) -> datetime | None:
    """When the book last posted lines for ``day`` as seen at ``as_of``; None before it opened."""
    opening = at(day, _OPENING_HOUR, book.posting_minute)
    move = at(day, MOVE_HOUR, book.posting_minute)
    if as_of < opening:
        return None
    return move if as_of >= move else opening


def book_open_time(day: date, book: Sportsbook) -> datetime:
    """When the book posts its opening lines for ``day``."""
    return at(day, _OPENING_HOUR, book.posting_minute)


@dataclass(frozen=True)
class PropLine:
    """One book's points line for one player and game: the morning's opening and the current line."""

    game_id: str
    player_lookup: str
    book: str  # Odds API bookmaker key
    opening_line: float
    current_line: float
    over_price: int
    under_price: int
    in_odds_api: bool  # False: only BettingPros quotes this player


@dataclass(frozen=True)
class GameLine:
    """One book's game lines: home spread and total (opening and current), moneylines."""

    game_id: str
    book: str
    opening_home_spread: float
    current_home_spread: float
    opening_total: float
    current_total: float
    opening_home_price: int
    opening_away_price: int
    current_home_price: int
    current_away_price: int


_ODDS_API_MIN_MINUTES = 20.0
_BETTINGPROS_MIN_MINUTES = 12.0


class Lines:
    """The books' lines in the league of ``seed``, from its rosters, injuries and schedule.

    :param games_on: the schedule's games of a date (the schedule is built on first use).
    """

    def __init__(
        self, seed: int, rosters: Rosters, injuries: Injuries, games_on: Callable[[date], list[SimulatedGame]]
    ) -> None:
        self.seed = seed
        self._rosters = rosters
        self._injuries = injuries
        self._games_on = games_on

    def _expected_minutes(self, team: str, day: date) -> dict[str, float]:
        """Expected minutes of each player expected to play (not Out or Doubtful) on ``day``."""
        expected = []
        for player in self._rosters.roster(team):
            state = self._injuries.state(player, day)
            if state is None or state.status not in NOT_EXPECTED_TO_PLAY:
                expected.append(player)
        minutes = redistribute(
            [p.profile.mean_minutes * p.profile.appearance_rate for p in expected],
            [MINUTES_ABSORPTION[p.profile.role] for p in expected],
            240.0,
            MAX_MINUTES,
        )
        return {
            p.player_lookup: value / p.profile.appearance_rate
            for p, value in zip(expected, minutes, strict=True)
        }

    def expected_points(self, player_lookup: str, game_date: date) -> float | None:
        """The simulation's expectation of a player's points on ``game_date``; None if he is not
        expected to play (no game, or Out / Doubtful)."""
        player = self._rosters.player(player_lookup)
        if not any(player.team in (g.away, g.home) for g in self._games_on(game_date)):
            return None
        minutes = self._expected_minutes(player.team, game_date).get(player_lookup)
        if minutes is None:
            return None
        return minutes * player.profile.points_per_minute * player.profile.appearance_rate

    def prop_lines(self, game_date: date) -> list[PropLine]:
        """Points lines of every book for players expected to play with at least 12 expected
        minutes; the Odds API quotes those with 20+ minutes who are not Questionable."""
        lines = []
        for game in self._games_on(game_date):
            for team in (game.away, game.home):
                minutes = self._expected_minutes(team, game_date)
                for player in self._rosters.roster(team):
                    if minutes.get(player.player_lookup, 0.0) < _BETTINGPROS_MIN_MINUTES:
                        continue
                    state = self._injuries.state(player, game_date)
                    in_odds_api = minutes[player.player_lookup] >= _ODDS_API_MIN_MINUTES and (
                        state is None or state.status == "Probable"
                    )
                    lines.extend(self._player_prop_lines(game, player, game_date, in_odds_api))
        return lines

    def _player_prop_lines(
        self, game: SimulatedGame, player: SimulatedPlayer, day: date, in_odds_api: bool
    ) -> list[PropLine]:
        rng = seeded_rng(self.seed, "props", game.game_id, player.player_lookup)
        expected = self.expected_points(player.player_lookup, day) or 0.0
        opinion = expected + rng.gauss(0, 0.5)
        base = max(0.5, math.floor(opinion - 0.5) + 0.5)
        move = rng.choice((-1, 0, 0, 0, 1))
        lines = []
        for book in BOOKS:
            offset = rng.choice((0, 1))
            skew = rng.choice((-15, -10, -5, 0, 5, 10, 15))
            opening = base + offset
            lines.append(
                PropLine(
                    game_id=game.game_id,
                    player_lookup=player.player_lookup,
                    book=book.key,
                    opening_line=opening,
                    current_line=max(0.5, opening + move),
                    over_price=_american(-110 - skew),
                    under_price=_american(-110 + skew),
                    in_odds_api=in_odds_api,
                )
            )
        return lines

    def game_lines(self, game_date: date) -> list[GameLine]:
        """Spread (home), total and moneylines per game and book, opening and current."""
        lines = []
        for game in self._games_on(game_date):
            team_points = {}
            for team in (game.away, game.home):
                team_points[team] = sum(
                    self.expected_points(lookup, game_date) or 0.0
                    for lookup in self._expected_minutes(team, game_date)
                )
            rng = seeded_rng(self.seed, "game-lines", game.game_id)
            margin = team_points[game.home] - team_points[game.away] + 1.5 + rng.gauss(0, 1.0)
            spread = -_round_half(margin)
            total = _round_half(team_points[game.home] + team_points[game.away] + rng.gauss(0, 2.0))
            spread_move = rng.choice((-1.0, -0.5, 0.0, 0.0, 0.0, 0.5, 1.0))
            total_move = rng.choice((-2.0, -1.0, 0.0, 0.0, 1.0, 2.0))
            for book in BOOKS:
                opening_spread = spread + rng.choice((-0.5, 0.0, 0.0, 0.5))
                opening_total = total + rng.choice((-1.0, -0.5, 0.0, 0.5, 1.0))
                current_spread = opening_spread + spread_move
                opening_prices = _moneylines(opening_spread)
                current_prices = _moneylines(current_spread)
                lines.append(
                    GameLine(
                        game_id=game.game_id,
                        book=book.key,
                        opening_home_spread=opening_spread,
                        current_home_spread=current_spread,
                        opening_total=opening_total,
                        current_total=opening_total + total_move,
                        opening_home_price=opening_prices[0],
                        opening_away_price=opening_prices[1],
                        current_home_price=current_prices[0],
                        current_away_price=current_prices[1],
                    )
                )
        return lines


def _moneylines(home_spread: float) -> tuple[int, int]:
    """Home and away moneylines implied by the home spread, with the book's margin."""
    home_probability = 1 / (1 + math.exp(home_spread / 7.0))
    return (
        _american_from_probability(home_probability * 1.025),
        _american_from_probability((1 - home_probability) * 1.025),
    )


def _round_half(value: float) -> float:
    return math.floor(value * 2 + 0.5) / 2


def _american(value: int) -> int:
    """American odds never sit in (-100, 100): -95 is quoted as +105."""
    return value + 200 if value > -100 else value


def _american_from_probability(probability: float) -> int:
    probability = min(0.97, max(0.03, probability))
    if probability >= 0.5:
        return -round(100 * probability / (1 - probability))
    return round(100 * (1 - probability) / probability)
