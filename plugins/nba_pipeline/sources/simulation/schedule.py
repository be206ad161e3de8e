"""The schedule: which games are played when, and the ids each source gives them.

The 2024-25 regular season is placed from the seed onto the real calendar's days: 1,230
games, 82 per team and 41 at home, with no team on three days running and busier slates on
Wednesdays and Fridays. Tip-off times follow the home arena's time zone. Playoff games are
added by :mod:`~nba_pipeline.sources.simulation.playoffs`, the 2025-26 opening night by
:func:`next_opening_night`; :class:`Schedule` numbers them all and answers look-ups by date
and id.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from nba_pipeline.sources.simulation.calendar import (
    CHRISTMAS,
    NEXT_OPENING_NIGHT,
    NEXT_SEASON_OPENER,
    OPENING_NIGHT,
    SEASON_OPENER,
    at,
    regular_season_days,
)
from nba_pipeline.sources.simulation.draws import seeded_rng, stable_int
from nba_pipeline.sources.simulation.rosters import TEAM_CODES, TEAM_INFO

__all__ = [
    "Schedule",
    "SimulatedGame",
    "canonical_game_id",
    "make_game",
    "next_opening_night",
    "regular_season",
]


@dataclass(frozen=True)
class SimulatedGame:
    """One scheduled game of the simulated league; every time is America/New_York."""

    game_id: str  # canonical YYYYMMDD_AWAY_HOME
    nba_game_id: str  # "0022400123" regular season, "0042400101" playoffs
    game_date: date
    away: str
    home: str
    season: str  # "2024-25"
    season_type: str  # "Regular Season" | "Playoffs"
    start_time: datetime
    end_time: datetime
    final_time: datetime  # box scores are published (final) from this moment
    bdl_game_id: int = 0
    bettingpros_event_id: int = 0
    odds_event_id: str = ""
    game_label: str = ""  # playoffs: "East First Round", ..., "NBA Finals"
    series_game: int | None = None
    away_seed: int | None = None
    home_seed: int | None = None

    @property
    def game_code(self) -> str:
        return f"{self.game_date:%Y%m%d}/{self.away}{self.home}"

    @property
    def matchup(self) -> str:
        return f"{self.away}@{self.home}"

    @property
    def season_year(self) -> int:
        return int(self.season[:4])


def canonical_game_id(game_date: date, away: str, home: str) -> str:
    """The pipeline's game key, ``YYYYMMDD_AWAY_HOME`` on the ET game date."""
    return f"{game_date:%Y%m%d}_{away}_{home}"


# Regular-season placement, tip-off times by the home arena's zone, when box scores are final.
_GAMES_PER_TEAM = 82
# Relative slate size per weekday (Mon..Sun): busy Wednesdays and Fridays, light Thursdays.
_WEEKDAY_WEIGHT = (1.0, 0.85, 1.25, 0.7, 1.2, 1.0, 0.9)
_TIPOFFS_BY_ZONE = {
    "E": ((19, 0), (19, 30)),
    "C": ((20, 0), (20, 30)),
    "M": ((21, 0),),
    "P": ((22, 0), (22, 30)),
}
_CHRISTMAS_TIPOFFS = ((12, 0), (14, 30), (17, 0), (20, 0), (22, 30))
_ZONE_ORDER = {"E": 0, "C": 1, "M": 2, "P": 3}
_BOX_SCORE_PUBLISH_DELAY = timedelta(minutes=30)


class Schedule:
    """Every game of the simulated calendar, numbered in tip-off order and indexed by date and id.

    :param seed: the league's seed (it keys the Odds API event ids).
    :param games: the regular season, playoff and next-opener games, in any order.
    """

    def __init__(self, seed: int, games: list[SimulatedGame]) -> None:
        numbered = []
        for ordinal, game in enumerate(sorted(games, key=lambda g: (g.start_time, g.nba_game_id))):
            numbered.append(
                replace(
                    game,
                    bdl_game_id=15_000_000 + ordinal,
                    bettingpros_event_id=30_000 + ordinal,
                    odds_event_id=hashlib.sha256(f"{seed}|odds|{game.game_id}".encode()).hexdigest()[:32],
                )
            )
        by_date: dict[date, list[SimulatedGame]] = {}
        for game in numbered:
            by_date.setdefault(game.game_date, []).append(game)
        self.games: tuple[SimulatedGame, ...] = tuple(numbered)
        self.dates: tuple[date, ...] = tuple(sorted(by_date))
        self._by_date = {day: tuple(day_games) for day, day_games in by_date.items()}
        self._by_id = {game.game_id: game for game in numbered}
        self._by_id.update({game.nba_game_id: game for game in numbered})

    def games_on(self, game_date: date) -> list[SimulatedGame]:
        """The games of ``game_date`` (ET) in day order: by tip-off, then NBA.com game id."""
        return list(self._by_date.get(game_date, ()))

    def is_game_day(self, game_date: date) -> bool:
        return game_date in self._by_date

    def game(self, game_id: str) -> SimulatedGame:
        """A game by canonical id (``YYYYMMDD_AWAY_HOME``) or NBA.com id."""
        return self._by_id[game_id]

    def is_offseason(self, day: date) -> bool:
        """True between the 2024-25 Finals and the 2025-26 opener, and before the 2024-25 opener."""
        last_2024_25 = max(d for d in self.dates if d < NEXT_SEASON_OPENER)
        return day < SEASON_OPENER or last_2024_25 < day < NEXT_SEASON_OPENER


def make_game(
    seed: int,
    day: date,
    away: str,
    home: str,
    nba_game_id: str,
    season: str,
    season_type: str,
    tipoff: datetime,
) -> SimulatedGame:
    """A game of ``day`` tipping off at ``tipoff``; it lasts 135-160 minutes and is final 30 later."""
    game_id = canonical_game_id(day, away, home)
    duration = timedelta(minutes=135 + stable_int(seed, "duration", game_id) % 26)
    return SimulatedGame(
        game_id=game_id,
        nba_game_id=nba_game_id,
        game_date=day,
        away=away,
        home=home,
        season=season,
        season_type=season_type,
        start_time=tipoff,
        end_time=tipoff + duration,
        final_time=tipoff + duration + _BOX_SCORE_PUBLISH_DELAY,
    )


def regular_season(seed: int) -> list[SimulatedGame]:
    placement = _place_regular_season(seed)
    drafts = []
    for day, matchups in placement.items():
        for (away, home), tipoff in zip(matchups, _tipoffs(seed, day, matchups), strict=True):
            drafts.append((tipoff, home, day, away))
    games = []
    for sequence, (tipoff, home, day, away) in enumerate(sorted(drafts), start=1):
        games.append(
            make_game(seed, day, away, home, f"00224{sequence:05d}", "2024-25", "Regular Season", tipoff)
        )
    return games


def next_opening_night(seed: int) -> list[SimulatedGame]:
    tipoffs = _tipoffs(seed, NEXT_SEASON_OPENER, NEXT_OPENING_NIGHT)
    return [
        make_game(seed, NEXT_SEASON_OPENER, away, home, f"00225{n:05d}", "2025-26", "Regular Season", tipoff)
        for n, ((away, home), tipoff) in enumerate(zip(NEXT_OPENING_NIGHT, tipoffs, strict=True), start=1)
    ]


def _tipoffs(seed: int, day: date, matchups: Sequence[tuple[str, str]]) -> list[datetime]:
    """Tip-off per matchup from the home arena's zone; weekend and Christmas day games."""
    ordered = sorted(
        range(len(matchups)), key=lambda i: (_ZONE_ORDER[TEAM_INFO[matchups[i][1]].time_zone], i)
    )
    times: list[datetime] = [at(day, 19)] * len(matchups)
    early_slot_taken = False
    for rank, index in enumerate(ordered):
        away, home = matchups[index]
        if day == CHRISTMAS and rank < len(_CHRISTMAS_TIPOFFS):
            times[index] = at(day, *_CHRISTMAS_TIPOFFS[rank])
            continue
        zone = TEAM_INFO[home].time_zone
        if day.weekday() >= 5 and len(matchups) >= 6 and zone == "E" and not early_slot_taken:
            times[index] = at(day, 15, 30)
            early_slot_taken = True
            continue
        options = _TIPOFFS_BY_ZONE[zone]
        pick = stable_int(seed, "tipoff", canonical_game_id(day, away, home)) % len(options)
        times[index] = at(day, *options[pick])
    return times


def _place_regular_season(seed: int) -> dict[date, list[tuple[str, str]]]:
    days = regular_season_days()
    for attempt in range(50):
        placement = _try_place(days, seeded_rng(seed, "schedule", attempt))
        if placement is not None:
            return placement
    raise RuntimeError(f"could not build a simulated schedule for seed {seed}")


def _matchup_pool(rng: random.Random) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """1,230 (away, home) games: a home-and-home with every team, plus a second one with
    the 12 nearest teams of a shuffled conference circle; 82 games and 41 at home each."""
    pool: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for i, first in enumerate(TEAM_CODES):
        for second in TEAM_CODES[i + 1 :]:
            pool[(min(first, second), max(first, second))] = [(first, second), (second, first)]
    for conference in ("East", "West"):
        circle = [code for code in TEAM_CODES if TEAM_INFO[code].conference == conference]
        rng.shuffle(circle)
        for distance in range(1, 7):
            for index, team in enumerate(circle):
                other = circle[(index + distance) % len(circle)]
                pair = (min(team, other), max(team, other))
                pool[pair] += [(team, other), (other, team)]
    for orientations in pool.values():
        rng.shuffle(orientations)
    return pool


def _try_place(days: list[date], rng: random.Random) -> dict[date, list[tuple[str, str]]] | None:
    """Greedy day-by-day placement by urgency, then a repair pass for leftovers; None on failure."""
    placement = _Placement(_matchup_pool(rng), days)
    weights = [_WEEKDAY_WEIGHT[day.weekday()] for day in days]
    weight_left = sum(weights)
    games_left = sum(len(orientations) for orientations in placement.pool.values())
    for index, day in enumerate(days):
        if day == SEASON_OPENER:
            for away, home in OPENING_NIGHT:
                placement.place((min(away, home), max(away, home)), day, (away, home))
            games_left -= len(OPENING_NIGHT)
            weight_left -= weights[index]
            continue
        target = 5 if day == CHRISTMAS else round(games_left * weights[index] / weight_left)
        placement.fill(day, max(2, min(15, target)), len(days) - index, rng)
        games_left -= len(placement.by_day[day])
        weight_left -= weights[index]
    if not placement.repair(rng):
        return None
    if any(len(matchups) < 2 for matchups in placement.by_day.values()):
        return None
    return placement.by_day


class _Placement:
    """The schedule being placed: who plays whom on which day, and what is left to place."""

    def __init__(self, pool: dict[tuple[str, str], list[tuple[str, str]]], days: list[date]) -> None:
        self.pool = pool
        self.days = days
        self.team_left = {team: _GAMES_PER_TEAM for team in TEAM_CODES}
        self.played: dict[str, set[int]] = {team: set() for team in TEAM_CODES}
        self.pair_days: dict[tuple[str, str], list[int]] = {pair: [] for pair in pool}
        self.by_day: dict[date, list[tuple[str, str]]] = {day: [] for day in days}

    def can_play(self, team: str, ordinal: int) -> bool:
        """No two games a day, no three days in a row, no back-to-back-to-back around it."""
        seen = self.played[team]
        if ordinal in seen:
            return False
        before, after = ordinal - 1 in seen, ordinal + 1 in seen
        return not ((before and ordinal - 2 in seen) or (before and after) or (after and ordinal + 2 in seen))

    def place(self, pair: tuple[str, str], day: date, orientation: tuple[str, str] | None = None) -> None:
        orientations = self.pool[pair]
        chosen = orientation if orientation is not None else orientations[-1]
        orientations.remove(chosen)
        ordinal = day.toordinal()
        self.by_day[day].append(chosen)
        for team in pair:
            self.played[team].add(ordinal)
            self.team_left[team] -= 1
        self.pair_days[pair].append(ordinal)

    def fill(self, day: date, target: int, days_left: int, rng: random.Random) -> None:
        """Place up to ``target`` games on ``day``, the most urgent pairs first."""
        ordinal = day.toordinal()
        scored = []
        for pair, orientations in self.pool.items():
            if not orientations:
                continue
            first, second = pair
            met = self.pair_days[pair]
            if (met and met[-1] >= ordinal - 1) or not (
                self.can_play(first, ordinal) and self.can_play(second, ordinal)
            ):
                continue
            urgency = (self.team_left[first] + self.team_left[second]) / days_left
            recent = 0.3 if met and met[-1] >= ordinal - 4 else 0.0
            tired = 0.2 * sum(1 for team in pair if ordinal - 1 in self.played[team])
            scored.append((urgency + 0.1 * len(orientations) + 0.4 * rng.random() - recent - tired, pair))
        scored.sort(reverse=True)
        busy: set[str] = set()
        for _score, pair in scored:
            if len(self.by_day[day]) >= target:
                break
            if pair[0] in busy or pair[1] in busy:
                continue
            self.place(pair, day)
            busy.update(pair)

    def repair(self, rng: random.Random) -> bool:
        """Place every leftover game on the least busy day it fits; False if one fits nowhere."""
        leftovers = [pair for pair, orientations in self.pool.items() for _ in orientations]
        for pair in leftovers:
            options = []
            for day in self.days:
                ordinal = day.toordinal()
                met = self.pair_days[pair]
                if (
                    day != SEASON_OPENER
                    and len(self.by_day[day]) < 15
                    and all(self.can_play(team, ordinal) for team in pair)
                    and not any(abs(ordinal - other) <= 1 for other in met)
                ):
                    options.append((len(self.by_day[day]), rng.random(), day))
            if not options:
                return False
            self.place(pair, min(options)[2])
        return True
