"""Circuit breaker: its types and a pure state machine (the store is :mod:`.breaker_store`).

CLOSED → OPEN after ``threshold`` consecutive failures; OPEN rejects until ``timeout_seconds`` have
passed; then HALF_OPEN admits ``half_open_max_calls`` trials; a trial's success closes the breaker,
its failure re-opens it. A skip is neither a success nor a failure.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from nba_pipeline import clock

HISTORY_LIMIT = 10
ERROR_MESSAGE_LIMIT = 1000

Clock = Callable[[], dt.datetime]


#: a trial that has not reported back after this long (or the breaker timeout, if longer) is abandoned
ABANDONED_TRIAL_SECONDS = 3600


def trial_expiry(settings: BreakerSettings) -> dt.timedelta:
    return dt.timedelta(seconds=max(settings.timeout_seconds, ABANDONED_TRIAL_SECONDS))


def utc_now() -> dt.datetime:
    return clock.now()


class State(enum.StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"


class Admission(enum.StrEnum):
    """What the gate does with a request."""

    PROCEED = "proceed"  # closed: run normally
    TRIAL = "trial"  # half-open: run as one of the admitted trials
    REJECT = "reject"  # open, or half-open with every trial slot taken: skip with circuit_open


@dataclass(frozen=True)
class BreakerSettings:
    """Per-key settings; the registry supplies them when a key's row is first created."""

    threshold: int = 5
    timeout_seconds: int = 1800
    half_open_max_calls: int = 1

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.timeout_seconds < 0 or self.half_open_max_calls < 1:
            raise ValueError(f"invalid breaker settings {self}")


@dataclass(frozen=True)
class FailureEntry:
    failed_at: dt.datetime
    error_message: str
    error_type: str


@dataclass(frozen=True)
class Breaker:
    """One row of the state table. ``version`` 0 means the row does not exist yet."""

    key: str
    settings: BreakerSettings = field(default_factory=BreakerSettings)
    state: State = State.CLOSED
    failure_count: int = 0  # consecutive failures
    success_count: int = 0  # consecutive successes
    last_failure: dt.datetime | None = None
    last_success: dt.datetime | None = None
    opened_at: dt.datetime | None = None
    half_opened_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    last_error_message: str | None = None
    last_error_type: str | None = None
    failure_history: tuple[FailureEntry, ...] = ()
    half_open_calls: int = 0
    version: int = 0

    def retry_at(self) -> dt.datetime | None:
        """When an OPEN breaker will admit a trial."""
        if self.state is not State.OPEN or self.opened_at is None:
            return None
        return self.opened_at + dt.timedelta(seconds=self.settings.timeout_seconds)


# --------------------------------------------------------------------------- state machine


def admit(breaker: Breaker, now: dt.datetime) -> tuple[Admission, Breaker | None]:
    """Decide on a request; return the admission and the new row to write (None: nothing changes)."""
    if breaker.state is State.CLOSED:
        return Admission.PROCEED, None
    if breaker.state is State.OPEN:
        retry_at = breaker.retry_at()
        if retry_at is not None and now < retry_at:
            return Admission.REJECT, None
        return Admission.TRIAL, replace(
            breaker, state=State.HALF_OPEN, half_opened_at=now, half_open_calls=1, updated_at=now
        )
    if breaker.half_open_calls < breaker.settings.half_open_max_calls:
        return Admission.TRIAL, replace(breaker, half_open_calls=breaker.half_open_calls + 1, updated_at=now)
    started = breaker.half_opened_at
    if started is not None and now >= started + trial_expiry(breaker.settings):
        # the trials never reported back (a killed worker): start a new trial episode rather than
        # rejecting until someone resets the breaker by hand
        return Admission.TRIAL, replace(breaker, half_opened_at=now, half_open_calls=1, updated_at=now)
    return Admission.REJECT, None


def on_success(breaker: Breaker, now: dt.datetime) -> Breaker:
    """A run succeeded. A trial's success closes the breaker; an OPEN breaker stays open
    (a late success of a run admitted before it opened proves little)."""
    closed = breaker.state is State.HALF_OPEN
    return replace(
        breaker,
        state=State.CLOSED if closed else breaker.state,
        failure_count=0 if breaker.state is not State.OPEN else breaker.failure_count,
        success_count=breaker.success_count + 1,
        last_success=now,
        opened_at=None if closed else breaker.opened_at,
        half_opened_at=None if closed else breaker.half_opened_at,
        half_open_calls=0 if closed else breaker.half_open_calls,
        updated_at=now,
    )


def on_failure(breaker: Breaker, now: dt.datetime, error_type: str, error_message: str) -> Breaker:
    """A run failed: count it; open at the threshold; a failed trial re-opens at once."""
    message = error_message[:ERROR_MESSAGE_LIMIT]
    history = (*breaker.failure_history, FailureEntry(now, message, error_type))[-HISTORY_LIMIT:]
    failures = breaker.failure_count + 1
    opened_at: dt.datetime | None
    half_opened_at: dt.datetime | None
    if breaker.state is State.HALF_OPEN or (
        breaker.state is State.CLOSED and failures >= breaker.settings.threshold
    ):
        state, opened_at, half_opened_at, calls = State.OPEN, now, None, 0
    else:  # nothing changes but the count
        state, opened_at, half_opened_at, calls = (
            breaker.state,
            breaker.opened_at,
            breaker.half_opened_at,
            breaker.half_open_calls,
        )
    return replace(
        breaker,
        state=state,
        failure_count=failures,
        success_count=0,
        last_failure=now,
        opened_at=opened_at,
        half_opened_at=half_opened_at,
        half_open_calls=calls,
        last_error_message=message,
        last_error_type=error_type,
        failure_history=history,
        updated_at=now,
    )


def open_keys(breakers: Iterable[Breaker]) -> list[str]:
    return sorted(b.key for b in breakers if b.state is not State.CLOSED)
