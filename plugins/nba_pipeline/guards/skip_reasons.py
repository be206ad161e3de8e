"""Why a processor (or one item of its work) did not run: the values of every ``skip_reason`` column.

The guards' own reasons are :class:`SkipReason`. A pipeline adds the reasons of its domain with
:func:`register_skip_reasons` (an enum of string values), and every value written to a run table is
checked with :func:`skip_reason`, so a typo fails where it is made instead of in a report.
"""

from __future__ import annotations

import enum


class SkipReason(enum.StrEnum):
    NO_EVENTS = "no_events"  # the calendar has no events that day (a pipeline may name it its own way)
    OFFSEASON = "offseason"  # a long gap between events on the calendar
    HISTORICAL = "historical"  # older than the calendar's horizon outside backfill mode
    IRRELEVANT_SOURCE = "irrelevant_source"  # the run was for other sources
    CIRCUIT_OPEN = "circuit_open"
    UPSTREAM_INCOMPLETE = "upstream_incomplete"
    UPSTREAM_STALE = "upstream_stale"
    UPSTREAM_SKIPPED = "upstream_skipped"
    UPSTREAM_FAILED = "upstream_failed"
    NOT_SELECTED = "not_selected"
    NO_DATA = "no_data"


_REGISTERED: dict[str, enum.StrEnum] = {reason.value: reason for reason in SkipReason}


def register_skip_reasons(reasons: type[enum.StrEnum]) -> type[enum.StrEnum]:
    """Add a domain's skip reasons (usable as a class decorator); a value may not mean two things."""
    for reason in reasons:
        known = _REGISTERED.get(reason.value)
        if known is not None and known is not reason:
            raise ValueError(f"skip reason {reason.value!r} is already registered as {known!r}")
        _REGISTERED[reason.value] = reason
    return reasons


def skip_reason(value: str) -> str:
    """``value`` if it is a registered skip reason; a :class:`ValueError` naming the known ones if not."""
    if value not in _REGISTERED:
        raise ValueError(f"unknown skip reason {value!r}; known: {', '.join(sorted(_REGISTERED))}")
    return value


def known_skip_reasons() -> frozenset[str]:
    return frozenset(_REGISTERED)
