"""The simulated season's calendar: the 2024-25 dates the league plays on, and time in ET.

The landmarks are the real 2024-25 season's (opener, off days, All-Star break, end of the
regular season, start of the playoffs, the 2025-26 opener), so a replayed date is a game day,
an off day or the off-season as it was; the playoff slots are a simplified version of the real
ones. Every time in the simulation is America/New_York, the league's clock; payloads convert
to UTC where the real source does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "ALL_STAR_BREAK",
    "CF_EAST",
    "CF_WEST",
    "CHRISTMAS",
    "ET",
    "FINALS",
    "NEXT_OPENING_NIGHT",
    "NEXT_SEASON_OPENER",
    "OFF_DAYS",
    "OPENING_NIGHT",
    "PLAYOFFS_START",
    "R1_A",
    "R1_B",
    "R2_A",
    "R2_B",
    "REGULAR_SEASON_END",
    "SEASON_OPENER",
    "at",
    "et_iso",
    "regular_season_days",
    "season_label",
    "utc_z",
]

ET = ZoneInfo("America/New_York")

SEASON_OPENER = date(2024, 10, 22)
REGULAR_SEASON_END = date(2025, 4, 13)
ALL_STAR_BREAK = (date(2025, 2, 14), date(2025, 2, 19))
OFF_DAYS: frozenset[date] = frozenset(
    {
        date(2024, 10, 28),  # a Monday
        date(2024, 11, 5),  # election day
        date(2024, 11, 18),  # a Monday
        date(2024, 11, 28),  # Thanksgiving
        date(2024, 12, 24),  # Christmas Eve
    }
)
CHRISTMAS = date(2024, 12, 25)
PLAYOFFS_START = date(2025, 4, 19)
NEXT_SEASON_OPENER = date(2025, 10, 21)
# The fixed (away, home) games of the two opening nights.
OPENING_NIGHT = (("NYK", "BOS"), ("MIN", "LAL"))
NEXT_OPENING_NIGHT = (("HOU", "OKC"), ("GSW", "LAL"))


def _dates(*texts: str) -> tuple[date, ...]:
    return tuple(date.fromisoformat(text) for text in texts)


# Playoff game slots: a series uses its slots in order until one team has four wins.
R1_A = _dates(
    "2025-04-19", "2025-04-21", "2025-04-24", "2025-04-26", "2025-04-29", "2025-05-01", "2025-05-03"
)
R1_B = _dates(
    "2025-04-20", "2025-04-22", "2025-04-25", "2025-04-27", "2025-04-30", "2025-05-02", "2025-05-04"
)
R2_A = _dates(
    "2025-05-06", "2025-05-08", "2025-05-10", "2025-05-12", "2025-05-14", "2025-05-16", "2025-05-18"
)
R2_B = _dates(
    "2025-05-07", "2025-05-09", "2025-05-11", "2025-05-13", "2025-05-15", "2025-05-17", "2025-05-19"
)
CF_EAST = _dates(
    "2025-05-21", "2025-05-23", "2025-05-25", "2025-05-27", "2025-05-29", "2025-05-31", "2025-06-02"
)
CF_WEST = _dates(
    "2025-05-22", "2025-05-24", "2025-05-26", "2025-05-28", "2025-05-30", "2025-06-01", "2025-06-03"
)
FINALS = _dates(
    "2025-06-05", "2025-06-08", "2025-06-11", "2025-06-13", "2025-06-16", "2025-06-19", "2025-06-22"
)


def regular_season_days() -> list[date]:
    """The days the 2024-25 regular season may use: opener to end, minus off days and the break."""
    return [
        day
        for day in _daterange(SEASON_OPENER, REGULAR_SEASON_END)
        if day not in OFF_DAYS and not ALL_STAR_BREAK[0] <= day <= ALL_STAR_BREAK[1]
    ]


def season_label(day: date) -> str:
    """The season a simulated date belongs to: "2025-26" from its opener on, else "2024-25"."""
    return "2025-26" if day >= NEXT_SEASON_OPENER else "2024-25"


def _daterange(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on ``day``, America/New_York."""
    return datetime.combine(day, time(hour, minute), tzinfo=ET)


def utc_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def et_iso(moment: datetime) -> str:
    return moment.astimezone(ET).isoformat()
