"""Early exit on the event calendar: no events that day, the off-season, or a date too old.

A guard asks a :class:`Calendar` for a verdict on a date. :class:`CalendarSpec` is the calendar of
an events table the pipeline names (with the reason it gives days without events). The off-season
is derived from the table, never from hard-coded months: a day without events that lies in a gap
of at least ``offseason_gap_days`` between events (or after the last known event, or before the
first) is off-season; a shorter gap (an off-day, a mid-period break) is just a day without events.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol

from nba_pipeline.guards.skip_reasons import SkipReason, skip_reason
from nba_pipeline.warehouse.base import TableRef, Warehouse

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EmptyCalendarError(RuntimeError):
    """The calendar table has no events at all: it was never loaded, so nothing can be decided."""


@dataclass(frozen=True)
class CalendarSpec:
    """Where the calendar lives.

    :param table: the events table.
    :param date_column: the local event date.
    :param exclude_sql: optional GoogleSQL condition for rows that do not count (e.g. postponed).
    :param offseason_gap_days: the shortest gap between events that counts as an off-season.
    :param historical_days: dates older than this (relative to the run's own date) are historical.
    :param no_events_reason: the skip reason of a day without events (a registered reason).
    """

    table: str
    date_column: str
    exclude_sql: str | None = None
    offseason_gap_days: int = 30
    historical_days: int = 90
    no_events_reason: str = SkipReason.NO_EVENTS

    def __post_init__(self) -> None:
        TableRef.parse(self.table)
        if not _COLUMN.match(self.date_column):
            raise ValueError(f"{self.date_column!r} is not a column name")
        skip_reason(self.no_events_reason)

    def decide(
        self, warehouse: Warehouse, event_date: dt.date, *, reference_date: dt.date, backfill: bool
    ) -> CalendarVerdict:
        return evaluate_calendar(warehouse, self, event_date, reference_date=reference_date, backfill=backfill)


@dataclass(frozen=True)
class CalendarVerdict:
    """Whether work for a date runs, and if not, why (a skip reason and a sentence)."""

    proceed: bool
    reason: str | None
    events_on_date: int
    previous_event: dt.date | None
    next_event: dt.date | None
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "proceed": self.proceed,
            "reason": str(self.reason) if self.reason else None,
            "events_on_date": self.events_on_date,
            "previous_event": self.previous_event.isoformat() if self.previous_event else None,
            "next_event": self.next_event.isoformat() if self.next_event else None,
            "detail": self.detail,
        }


class Calendar(Protocol):
    """What the calendar guard asks: may work for ``event_date`` run, judged on ``reference_date``?

    ``table`` is the events table, so a DAG can order the calendar's loaders before the decision.
    """

    @property
    def table(self) -> str: ...

    def decide(
        self, warehouse: Warehouse, event_date: dt.date, *, reference_date: dt.date, backfill: bool
    ) -> CalendarVerdict: ...


def evaluate_calendar(
    warehouse: Warehouse,
    spec: CalendarSpec,
    event_date: dt.date,
    *,
    reference_date: dt.date,
    backfill: bool,
) -> CalendarVerdict:
    """Decide whether work for ``event_date`` should run; one round trip at most."""
    age_days = (reference_date - event_date).days
    if not backfill and age_days > spec.historical_days:
        return CalendarVerdict(
            False, SkipReason.HISTORICAL, 0, None, None,
            f"{event_date} is {age_days} days before the run's date {reference_date} "
            f"(more than {spec.historical_days}); use backfill mode for old dates",
        )
    keep = f"AND NOT ({spec.exclude_sql})" if spec.exclude_sql else ""
    column, table = spec.date_column, spec.table
    row = warehouse.query(
        f"""
        SELECT
          (SELECT COUNT(*) FROM {table} WHERE {column} = @d {keep}) AS events_on_date,
          (SELECT MAX({column}) FROM {table} WHERE {column} < @d {keep}) AS previous_event,
          (SELECT MIN({column}) FROM {table} WHERE {column} > @d {keep}) AS next_event
        """,
        {"d": event_date},
    )[0]
    count, previous, following = int(row["events_on_date"]), row["previous_event"], row["next_event"]
    if count:
        return CalendarVerdict(True, None, count, previous, following, f"{count} events on {event_date}")
    if previous is None and following is None:
        raise EmptyCalendarError(f"{table} has no events at all: load the calendar before deciding on {event_date}")
    gap = (following - previous).days if previous and following else None
    if gap is None or gap >= spec.offseason_gap_days:
        return CalendarVerdict(
            False, SkipReason.OFFSEASON, 0, previous, following,
            f"{event_date} lies between {previous or 'the start of the calendar'} and "
            f"{following or 'the end of the calendar'}, a gap of "
            f"{'unknown length' if gap is None else f'{gap} days'} (off-season ≥ {spec.offseason_gap_days})",
        )
    return CalendarVerdict(
        False, spec.no_events_reason, 0, previous, following,
        f"no events on {event_date} (previous {previous}, next {following})",
    )
