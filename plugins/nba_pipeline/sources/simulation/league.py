"""The simulated league as one object: its parts built from one seed and wired together.

:class:`SimulatedLeague` is the simulation's entry point. It builds the rosters
(:mod:`.rosters`) and injuries (:mod:`.injuries`), the schedule with its playoffs
(:mod:`.schedule`, :mod:`.playoffs`), the box scores (:mod:`.games`) and the books' lines
(:mod:`.books`), answers questions about them, and renders payloads (:mod:`.payloads`, one
module per endpoint family). It owns the two caches that make rendering cheap: the schedule,
built on first use, and the box scores, simulated once per game.
"""

from __future__ import annotations

from datetime import date, datetime

from nba_pipeline.sources.simulation.books import GameLine, Lines, PropLine
from nba_pipeline.sources.simulation.games import BoxScoreSimulator, SimulatedBoxScore
from nba_pipeline.sources.simulation.injuries import Injuries, InjuryReportEntry
from nba_pipeline.sources.simulation.payloads import render
from nba_pipeline.sources.simulation.playoffs import playoff_games
from nba_pipeline.sources.simulation.rosters import (
    TEAM_CODES,
    Rosters,
    SimulatedPlayer,
    player_lookup_from_name,
)
from nba_pipeline.sources.simulation.schedule import (
    Schedule,
    SimulatedGame,
    next_opening_night,
    regular_season,
)

__all__ = ["SimulatedLeague"]


class SimulatedLeague:
    """A seeded, deterministic simulated NBA league that emits payloads shaped like the real sources.

    Rosters, injuries and the schedule are fixed by ``seed``; box scores, lines and payloads are
    drawn from streams keyed by stable hashes, so ``payload()`` returns the same bytes for the
    same arguments in any process and in any call order. The schedule is built once per
    instance, on first use, and box scores are cached per game.

    :param seed: fixes the whole simulated league.
    :param players_per_team: roster size, 8 to 20 (15 gives about 450 players).
    """

    def __init__(self, seed: int = 2024, players_per_team: int = 15) -> None:
        self.seed = seed
        self.players_per_team = players_per_team
        self._rosters = Rosters(seed, players_per_team)
        self._injuries = Injuries(seed, self._rosters)
        self._box_score_simulator = BoxScoreSimulator(seed, self._rosters, self._injuries)
        self._box_scores: dict[str, SimulatedBoxScore] = {}
        self._lines = Lines(seed, self._rosters, self._injuries, self.games_on)
        self._schedule: Schedule | None = None

    # ----------------------------------------------------------------- players

    @property
    def teams(self) -> tuple[str, ...]:
        return TEAM_CODES

    @property
    def players(self) -> tuple[SimulatedPlayer, ...]:
        return self._rosters.players

    def roster(self, team: str) -> tuple[SimulatedPlayer, ...]:
        """The team's players in depth order: starters (star first), rotation, deep bench."""
        return self._rosters.roster(team)

    def player(self, player_lookup: str) -> SimulatedPlayer:
        return self._rosters.player(player_lookup)

    def player_by_name(self, name: str) -> SimulatedPlayer | None:
        """The player called ``name`` ("First Last" or "Last, First"), or None."""
        return self._rosters.get(player_lookup_from_name(name))

    # ----------------------------------------------------------------- injuries

    def injury_report(self, game_date: date) -> list[InjuryReportEntry]:
        """Listed players of the teams playing on ``game_date``, in game order, away team first."""
        return self._injuries.report(game_date, [(game.away, game.home) for game in self.games_on(game_date)])

    # ----------------------------------------------------------------- schedule

    def _ensure_schedule(self) -> Schedule:
        if self._schedule is None:
            games = (
                regular_season(self.seed)
                + playoff_games(self.seed, self._rosters, self.box_score)
                + next_opening_night(self.seed)
            )
            self._schedule = Schedule(self.seed, games)
        return self._schedule

    def season_dates(self) -> tuple[date, ...]:
        """Every date with at least one game: 2024-25 regular season, playoffs, 2025-26 opener."""
        return self._ensure_schedule().dates

    def games_on(self, game_date: date) -> list[SimulatedGame]:
        """The games of ``game_date`` (ET) in day order: by tip-off, then NBA.com game id."""
        return self._ensure_schedule().games_on(game_date)

    def is_game_day(self, game_date: date) -> bool:
        return self._ensure_schedule().is_game_day(game_date)

    def all_games(self) -> tuple[SimulatedGame, ...]:
        return self._ensure_schedule().games

    def game(self, game_id: str) -> SimulatedGame:
        """A game by canonical id (``YYYYMMDD_AWAY_HOME``) or NBA.com id."""
        return self._ensure_schedule().game(game_id)

    def is_offseason(self, day: date) -> bool:
        """True between the 2024-25 Finals and the 2025-26 opener, and before the 2024-25 opener."""
        return self._ensure_schedule().is_offseason(day)

    # ----------------------------------------------------------------- box scores

    def box_score(self, game: SimulatedGame | str) -> SimulatedBoxScore:
        """The final box score of a game (object, canonical id or NBA.com id); cached per game."""
        if isinstance(game, str):
            game = self.game(game)
        cached = self._box_scores.get(game.game_id)
        if cached is None:
            cached = self._box_score_simulator.simulate(game)
            self._box_scores[game.game_id] = cached
        return cached

    # ----------------------------------------------------------------- expectations and lines

    def expected_points(self, player_lookup: str, game_date: date) -> float | None:
        """The simulation's expectation of a player's points on ``game_date``; None if he is not
        expected to play (no game, or Out / Doubtful)."""
        return self._lines.expected_points(player_lookup, game_date)

    def prop_lines(self, game_date: date) -> list[PropLine]:
        """Points lines of every book for players expected to play with at least 12 expected
        minutes; the Odds API quotes those with 20+ minutes who are not Questionable."""
        return self._lines.prop_lines(game_date)

    def game_lines(self, game_date: date) -> list[GameLine]:
        """Spread (home), total and moneylines per game and book, opening and current."""
        return self._lines.game_lines(game_date)

    # ----------------------------------------------------------------- payloads

    def payload(
        self,
        source: str,
        game_date: date,
        *,
        as_of: datetime | None = None,
        imperfections: frozenset[str] = frozenset(),
        live: bool = False,
    ) -> bytes:
        """The payload ``source`` would have served for ``game_date``, as UTF-8 JSON bytes.

        ``as_of`` is the moment of the fetch (naive means America/New_York); None means the day
        is settled: 06:00 ET on the next day. ``imperfections`` injects the documented faults.
        Byte-identical for the same seed and arguments.

        :param source: one of ``SOURCES``.
        :param game_date: the ET game date the payload describes.
        :param as_of: when the payload is fetched; decides game status, box-score and line availability.
        :param imperfections: a subset of ``IMPERFECTIONS``.
        :param live: render the live endpoint's answer (The Odds API), as of ``as_of``, instead of
            the historical snapshot.
        :raises ValueError: on an unknown source or imperfection, or ``live`` for a source without one.
        """
        return render(self, source, game_date, as_of, imperfections, live)
