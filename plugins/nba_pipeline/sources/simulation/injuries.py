"""Injuries: who misses games, who is listed on the injury report, and who plays anyway.

Each player gets spells of absence drawn from the seed (day-to-day, moderate, long) across the
2024-25 season; on the days around a spell he is listed Out, Doubtful, Questionable or
Probable, and a few healthy players are listed Questionable for a day. The simulation knows
whether a listed player will play; the report's reader does not, which is what the pipeline
has to predict through. Box scores and lines both read the same listing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from nba_pipeline.sources.simulation.calendar import at
from nba_pipeline.sources.simulation.data import INJURY_REASONS, QUESTIONABLE_REASONS
from nba_pipeline.sources.simulation.draws import seeded_rng, stable_int
from nba_pipeline.sources.simulation.rosters import Rosters, SimulatedPlayer

__all__ = ["NOT_EXPECTED_TO_PLAY", "Injuries", "InjuryReportEntry", "InjuryState", "publications"]


@dataclass(frozen=True)
class InjuryReportEntry:
    """One row of the injury report for a game date."""

    game_date: date
    team: str
    player_lookup: str
    status: str  # "Out" | "Doubtful" | "Questionable" | "Probable"
    reason: str


@dataclass(frozen=True)
class InjuryState:
    """A player's listing on one day's report, and whether he plays."""

    status: str
    reason: str
    plays: bool  # the outcome, known to the simulation, not to the report's reader


@dataclass(frozen=True)
class _InjurySpell:
    start: date
    end: date  # last day missed
    reason: str
    kind: str  # "day_to_day" | "moderate" | "long"


_INJURY_KINDS = ("day_to_day", "moderate", "long")
_INJURY_KIND_WEIGHTS = (0.45, 0.4, 0.15)
_INJURY_DAYS = {"day_to_day": (1, 2), "moderate": (3, 10), "long": (14, 35)}
_INJURY_WINDOW = (date(2024, 10, 1), date(2025, 10, 31))
NOT_EXPECTED_TO_PLAY = frozenset({"Out", "Doubtful"})
_INJURY_REPORT_SLOTS = ((-1, 17, 30), (0, 13, 30), (0, 17, 30))  # (day offset, hour, minute) ET


def publications(day: date, as_of: datetime) -> list[datetime]:
    """The report's publications for game date ``day`` out by ``as_of``: 17:30 ET the day
    before, then 13:30 and 17:30 ET on the day."""
    return [
        at(day + timedelta(days=offset), hour, minute)
        for offset, hour, minute in _INJURY_REPORT_SLOTS
        if at(day + timedelta(days=offset), hour, minute) <= as_of
    ]


class Injuries:
    """The injury history of every player of ``rosters``, fixed by ``seed``."""

    def __init__(self, seed: int, rosters: Rosters) -> None:
        self.seed = seed
        self._rosters = rosters
        self._spells = {p.player_lookup: self._build_spells(p) for p in rosters.players}

    def _build_spells(self, player: SimulatedPlayer) -> tuple[_InjurySpell, ...]:
        rng = seeded_rng(self.seed, "injuries", player.player_lookup)
        spells = []
        day = _INJURY_WINDOW[0]
        while True:
            start = day + timedelta(days=3 + int(rng.expovariate(1 / 70)))
            if start > _INJURY_WINDOW[1]:
                break
            kind = rng.choices(_INJURY_KINDS, weights=_INJURY_KIND_WEIGHTS)[0]
            length = rng.randint(*_INJURY_DAYS[kind])
            end = start + timedelta(days=length - 1)
            spells.append(_InjurySpell(start, end, rng.choice(INJURY_REASONS[kind]), kind))
            day = end + timedelta(days=1)
        return tuple(spells)

    def state(self, player: SimulatedPlayer, day: date) -> InjuryState | None:
        """The player's listing on ``day``'s report (None: not listed) and whether he plays."""
        for spell in self._spells[player.player_lookup]:
            if spell.start > day:
                break
            if spell.start <= day <= spell.end:
                last_day = day == spell.end and spell.kind != "day_to_day"
                return InjuryState("Doubtful" if last_day else "Out", spell.reason, plays=False)
            if day == spell.end + timedelta(days=1):
                status = "Probable" if spell.kind == "day_to_day" else "Questionable"
                return InjuryState(status, spell.reason, plays=True)
        draw = stable_int(self.seed, "questionable", player.player_lookup, day)
        if draw % 1000 < 15:
            reason = QUESTIONABLE_REASONS[(draw // 1000) % len(QUESTIONABLE_REASONS)]
            return InjuryState("Questionable", reason, plays=(draw // 100_000) % 10 >= 4)
        return None

    def report(self, game_date: date, matchups: Iterable[tuple[str, str]]) -> list[InjuryReportEntry]:
        """Listed players of the (away, home) ``matchups`` of ``game_date``, in that order, away
        team first; within a team by "Last, First"."""
        entries = []
        for away, home in matchups:
            for team in (away, home):
                listed = []
                for player in self._rosters.roster(team):
                    state = self.state(player, game_date)
                    if state is not None:
                        listed.append(
                            InjuryReportEntry(
                                game_date, team, player.player_lookup, state.status, state.reason
                            )
                        )
                entries.extend(
                    sorted(listed, key=lambda e: self._rosters.player(e.player_lookup).report_name)
                )
        return entries
