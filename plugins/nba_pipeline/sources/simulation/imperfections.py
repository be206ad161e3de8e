"""The faults a caller can inject into the payloads, to exercise the pipeline's fallbacks and dedup.

Each one bends what the renderers serve, never the simulated league: a postponed game is still
in the schedule's model, it only shows "PPD" on the NBA.com schedule and is absent from the
box-score sources; late box scores hold back a different third of the day's games from NBA.com
and from balldontlie, so each family can stand in for the other. ``docs/payloads.md`` §3 says
exactly what each fault changes; the helpers here are the ones several renderers share.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nba_pipeline.sources.simulation.schedule import SimulatedGame

__all__ = [
    "DUPLICATE_ROWS",
    "GAME_POSTPONED",
    "IMPERFECTIONS",
    "LATE_BOXSCORES",
    "MIXED_GAME_ID",
    "PLAYER_MISSING_FROM_BOOK",
    "box_score_games",
    "duplicate_first",
    "postponed_game_id",
]

LATE_BOXSCORES = "late_boxscores"
PLAYER_MISSING_FROM_BOOK = "player_missing_from_book"
GAME_POSTPONED = "game_postponed"
DUPLICATE_ROWS = "duplicate_rows"
MIXED_GAME_ID = "mixed_game_id"
IMPERFECTIONS: frozenset[str] = frozenset(
    {LATE_BOXSCORES, PLAYER_MISSING_FROM_BOOK, GAME_POSTPONED, DUPLICATE_ROWS, MIXED_GAME_ID}
)


def postponed_game_id(games: list[SimulatedGame], imperfections: frozenset[str]) -> str | None:
    """``game_postponed``: the day's last game is postponed (None: no postponement)."""
    return games[-1].game_id if GAME_POSTPONED in imperfections and games else None


def box_score_games(
    games: list[SimulatedGame], as_of: datetime, imperfections: frozenset[str], family: str
) -> list[SimulatedGame]:
    """The games of a day (``games``) whose box scores the sources of ``family`` ("nbac" or
    "bdl") serve at ``as_of``: final ones, less any postponed or late."""
    missing: set[str] = set()
    postponed = postponed_game_id(games, imperfections)
    if postponed is not None:
        missing.add(postponed)
    if LATE_BOXSCORES in imperfections:
        lagging_index = 0 if family == "nbac" else 1
        missing |= {g.game_id for i, g in enumerate(games) if i % 3 == lagging_index}
    return [g for g in games if g.game_id not in missing and as_of >= g.final_time]


def duplicate_first(rows: list[Any], imperfections: frozenset[str]) -> None:
    """``duplicate_rows``: the first row of a row list is repeated right after itself."""
    if DUPLICATE_ROWS in imperfections and rows:
        rows.insert(1, rows[0])
