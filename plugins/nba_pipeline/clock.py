"""The package's one clock. Every time-dependent decision reads it, never ``datetime.now()``.

In production it is the wall clock. A replay of past dates moves it (``NBA_CLOCK_OFFSET_SECONDS``,
set by :func:`shifted_to`, inherited by subprocesses) so that each run sees the time it would have
seen live: its scheduled time, advancing normally from there. The historical early exit, load
timestamps written to tables, run-row times, breaker timeouts and deadlines all follow it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pendulum

from nba_pipeline.settings import CLOCK_OFFSET_VARIABLE, LOCAL_TIMEZONE, clock_offset_seconds


def now() -> dt.datetime:
    """The current moment, timezone-aware in UTC."""
    moment = dt.datetime.now(dt.UTC)
    offset = clock_offset_seconds()
    return moment + dt.timedelta(seconds=offset) if offset else moment


def local_now() -> dt.datetime:
    """The current moment in the league's time zone (America/New_York)."""
    return pendulum.instance(now()).in_timezone(LOCAL_TIMEZONE)


def local_today() -> dt.date:
    """Today's date in the league's time zone."""
    return local_now().date()


@contextmanager
def shifted_to(moment: dt.datetime) -> Iterator[None]:
    """Within the block (and in subprocesses started in it) the clock starts at ``moment`` and
    advances with the wall clock."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    previous = os.environ.get(CLOCK_OFFSET_VARIABLE)
    os.environ[CLOCK_OFFSET_VARIABLE] = repr((moment - dt.datetime.now(dt.UTC)).total_seconds())
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(CLOCK_OFFSET_VARIABLE, None)
        else:
            os.environ[CLOCK_OFFSET_VARIABLE] = previous
