"""The circuit breaker against an independent reference model.

The reference model below is written from the guard semantics (DOMAIN.md §4), not from the code:
CLOSED → OPEN after ``threshold`` consecutive failures; OPEN rejects until ``timeout_seconds`` have
passed since it opened; then HALF_OPEN admits at most ``half_open_max_calls`` trials; a success
there closes (count back to 0), a failure re-opens (new ``opened_at``); a success in CLOSED resets
the count; ``failure_history`` keeps the last 10 failures in order; a skip changes nothing.

Two state machines drive the same rules through the same model: one over the pure functions
(``admit`` / ``on_success`` / ``on_failure``), one over ``BreakerStore`` on the embedded DuckDB
warehouse, so the persisted path (compare-and-set, the ARRAY<STRUCT> history column, the batch
MERGE of ``record_successes``) is held to the same semantics.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from nba_pipeline.guards.breaker import (
    ABANDONED_TRIAL_SECONDS,
    Admission,
    Breaker,
    BreakerSettings,
    State,
    admit,
    on_failure,
    on_success,
)
from nba_pipeline.guards.breaker_store import BreakerStore
from nba_pipeline.registry.guard_tables import BREAKER_TABLE, breaker_store

UTC = dt.UTC
# Microseconds on purpose: the store must round-trip them through TIMESTAMP columns.
START = dt.datetime(2025, 1, 15, 12, 0, 0, 123456, tzinfo=UTC)
HISTORY = 10  # DOMAIN.md §4: "failure_history keeps the last 10 failures"
MESSAGE_LIMIT = 1000  # the module's documented cap on a stored error message

# --------------------------------------------------------------------------- reference model


@dataclass
class Model:
    """What the breaker must do, written from the semantics alone."""

    threshold: int
    timeout: int
    max_calls: int
    state: str = "CLOSED"
    failures: int = 0
    opened_at: dt.datetime | None = None
    half_opened_at: dt.datetime | None = None
    trials: int = 0  # trials admitted in the current HALF_OPEN episode
    history: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    writes: int = 0  # rows the store must have written (its ``version``)

    def request(self, now: dt.datetime) -> Admission:
        if self.state == "CLOSED":
            return Admission.PROCEED
        if self.state == "OPEN":
            if now - self.opened_at < dt.timedelta(seconds=self.timeout):
                return Admission.REJECT
            self.state, self.trials, self.half_opened_at = "HALF_OPEN", 1, now
            self.writes += 1
            return Admission.TRIAL
        if self.trials < self.max_calls:
            self.trials += 1
            self.writes += 1
            return Admission.TRIAL
        if now - self.half_opened_at >= dt.timedelta(seconds=max(self.timeout, ABANDONED_TRIAL_SECONDS)):
            # trials that never reported back within a timeout free their slots: a new episode
            self.trials, self.half_opened_at = 1, now
            self.writes += 1
            return Admission.TRIAL
        return Admission.REJECT

    def success(self, now: dt.datetime) -> None:
        self.writes += 1
        # A success reported while OPEN comes from a run admitted before the breaker opened. The
        # module documents that it proves little: the breaker stays OPEN with its opened_at and
        # its failure count; only a HALF_OPEN (trial) success or a CLOSED success resets.
        if self.state == "OPEN":
            return
        self.state, self.failures, self.opened_at, self.trials, self.half_opened_at = "CLOSED", 0, None, 0, None

    def failure(self, now: dt.datetime, error_type: str, message: str) -> None:
        self.writes += 1
        self.failures += 1
        self.history = [*self.history, (now, message[:MESSAGE_LIMIT], error_type)][-HISTORY:]
        if self.state == "HALF_OPEN" or (self.state == "CLOSED" and self.failures >= self.threshold):
            self.state, self.opened_at, self.trials, self.half_opened_at = "OPEN", now, 0, None
        # A late failure while OPEN is counted and kept in the history, but does not move
        # opened_at: the retry time stays where the opening failure put it.


# --------------------------------------------------------------------------- systems under test


class PureBreaker:
    """The pure functions, holding the current row in memory."""

    def __init__(self, cfg: BreakerSettings) -> None:
        self.row = Breaker("proc", cfg)

    def request(self, now: dt.datetime) -> Admission:
        before = self.row
        admission, updated = admit(self.row, now)
        if admission is not Admission.TRIAL:
            assert updated is None, f"{admission} must not change the row"
        else:
            assert updated is not None
            self.row = updated
        assert before.failure_count == self.row.failure_count
        return admission

    def success(self, now: dt.datetime, batch: bool) -> None:
        self.row = on_success(self.row, now)

    def failure(self, now: dt.datetime, error_type: str, message: str) -> None:
        self.row = on_failure(self.row, now, error_type, message)

    def current(self) -> Breaker:
        return self.row


class StoredBreaker:
    """``BreakerStore`` on DuckDB; every call reads the row back from the table."""

    def __init__(self, store: BreakerStore, cfg: BreakerSettings) -> None:
        self.store, self.cfg, self.key = store, cfg, "proc"

    def request(self, now: dt.datetime) -> Admission:
        admission, returned = self.store.request(self.key, self.cfg)
        assert returned == self.current(), "the returned row is the one now stored"
        return admission

    def success(self, now: dt.datetime, batch: bool) -> None:
        if batch:
            known = self.store.read({self.key: self.cfg})
            self.store.record_successes({self.key: self.cfg}, known)
        else:
            self.store.record_success(self.key, self.cfg)

    def failure(self, now: dt.datetime, error_type: str, message: str) -> None:
        self.store.record_failure(self.key, self.cfg, error_type, message)

    def current(self) -> Breaker:
        return self.store.read({self.key: self.cfg})[self.key]


# --------------------------------------------------------------------------- the rules

breaker_settings = st.builds(
    BreakerSettings,
    threshold=st.integers(1, 6),
    timeout_seconds=st.one_of(st.just(0), st.integers(0, 3600)),
    half_open_max_calls=st.integers(1, 3),
)
error_types = st.one_of(st.sampled_from(["HTTPError", "Timeout", "KeyError", "ValueError"]), st.text(max_size=12))
messages = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="xé\n'\"", min_size=MESSAGE_LIMIT - 3, max_size=MESSAGE_LIMIT + 20),
)


class BreakerMachine(RuleBasedStateMachine):
    """Rules shared by both machines; ``make_breaker`` picks the implementation."""

    def make_breaker(self, cfg: BreakerSettings):
        return PureBreaker(cfg)

    @initialize(cfg=breaker_settings)
    def start(self, cfg: BreakerSettings) -> None:
        self.cfg = cfg
        self.now = START
        self.model = Model(cfg.threshold, cfg.timeout_seconds, cfg.half_open_max_calls)
        self.sut = self.make_breaker(cfg)
        self.episode_trials = 0
        self.episode_started: dt.datetime | None = None

    def clock(self) -> dt.datetime:
        return self.now

    # requests and outcomes ----------------------------------------------------

    @rule()
    def request(self) -> None:
        expected = self.model.request(self.now)
        got = self.sut.request(self.now)
        assert got is expected, f"request at +{self.now - START}: expected {expected}, got {got}"
        if got is Admission.TRIAL:
            self.episode_trials += 1

    @rule(batch=st.booleans())
    def success(self, batch: bool) -> None:
        self.model.success(self.now)
        self.sut.success(self.now, batch)

    @rule(error_type=error_types, message=messages)
    def failure(self, error_type: str, message: str) -> None:
        self.model.failure(self.now, error_type, message)
        self.sut.failure(self.now, error_type, message)

    # the clock ----------------------------------------------------------------

    @rule(seconds=st.integers(0, 120), micros=st.integers(0, 999_999))
    def small_jump(self, seconds: int, micros: int) -> None:
        self.now += dt.timedelta(seconds=seconds, microseconds=micros)

    @rule(seconds=st.integers(121, 2 * 86400))
    def large_jump(self, seconds: int) -> None:
        self.now += dt.timedelta(seconds=seconds)

    @precondition(lambda self: self.model.state == "OPEN")
    @rule(offset=st.sampled_from([-1, 0, 1]))
    def jump_to_timeout_boundary(self, offset: int) -> None:
        """Land exactly on, one second before, or one second after the retry time."""
        target = self.model.opened_at + dt.timedelta(seconds=self.model.timeout + offset)
        self.now = max(self.now, target)  # the clock never runs backwards

    # invariants ---------------------------------------------------------------

    @invariant()
    def agrees_with_model(self) -> None:
        row = self.sut.current()
        model = self.model
        assert row.state is State(model.state)
        assert row.failure_count >= 0
        assert row.failure_count == model.failures
        assert len(row.failure_history) <= HISTORY
        assert [(e.failed_at, e.error_message, e.error_type) for e in row.failure_history] == model.history
        if model.state == "OPEN":
            assert row.opened_at == model.opened_at
            assert row.retry_at() == model.opened_at + dt.timedelta(seconds=model.timeout)
        if model.state == "HALF_OPEN":
            assert row.half_open_calls == model.trials
        assert row.settings == self.cfg

    @invariant()
    def trials_bounded_per_episode(self) -> None:
        current = self.sut.current()
        if current.state is not State.HALF_OPEN or current.half_opened_at != self.episode_started:
            self.episode_trials = 1 if current.state is State.HALF_OPEN else 0
            self.episode_started = current.half_opened_at
        assert self.episode_trials <= self.cfg.half_open_max_calls


#: `make test-fast` runs a fifth of the sequences (NBA_FAST_TESTS=1); `make test` runs them all
SEQUENCES = 100 if os.environ.get("NBA_FAST_TESTS") else 500

BreakerMachine.TestCase.settings = settings(
    max_examples=SEQUENCES,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestPureBreakerAgainstModel = BreakerMachine.TestCase


def test_store_on_duckdb_agrees_with_model(migrated_warehouse):
    """BreakerStore reading and writing the real table (fresh rows per sequence) obeys the model;
    the row's ``version`` equals the number of writes the model expects."""
    warehouse = migrated_warehouse

    class StoreMachine(BreakerMachine):
        def make_breaker(self, cfg: BreakerSettings):
            warehouse.execute(f"DELETE FROM {BREAKER_TABLE} WHERE TRUE")
            return StoredBreaker(breaker_store(warehouse, clock=self.clock), cfg)

        @invariant()
        def one_row_with_version_equal_to_writes(self) -> None:
            rows = warehouse.query(f"SELECT processor_name, version FROM {BREAKER_TABLE}")
            if self.model.writes == 0:
                assert rows == []
            else:
                assert rows == [{"processor_name": "proc", "version": self.model.writes}]

        def teardown(self) -> None:
            warehouse.execute(f"DELETE FROM {BREAKER_TABLE} WHERE TRUE")

    run_state_machine_as_test(
        StoreMachine,
        settings=settings(
            max_examples=SEQUENCES * 60 // 500,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


# --------------------------------------------------------------------------- hand-computed examples


def _fail(b: Breaker, now: dt.datetime, n: int = 1) -> Breaker:
    for _ in range(n):
        b = on_failure(b, now, "HTTPError", "503")
    return b


def test_threshold_five_opens_on_the_fifth_failure_not_the_fourth():
    """Four consecutive failures leave the breaker CLOSED and admitting; the fifth opens it."""
    b = _fail(Breaker("p", BreakerSettings(threshold=5)), START, 4)
    assert (b.state, b.failure_count) == (State.CLOSED, 4)
    assert admit(b, START)[0] is Admission.PROCEED
    b = _fail(b, START + dt.timedelta(seconds=7))
    assert (b.state, b.failure_count, b.opened_at) == (State.OPEN, 5, START + dt.timedelta(seconds=7))
    assert admit(b, START + dt.timedelta(seconds=8)) == (Admission.REJECT, None)


def test_a_success_in_between_restarts_the_consecutive_count():
    """4 failures, a success, 4 failures: never 5 in a row, so the breaker stays CLOSED."""
    b = _fail(Breaker("p", BreakerSettings(threshold=5)), START, 4)
    b = on_success(b, START)
    b = _fail(b, START, 4)
    assert (b.state, b.failure_count) == (State.CLOSED, 4)


def test_timeout_boundary_rejects_one_second_early_and_admits_exactly_on_time():
    """timeout 1800 s, opened at T: T+1799 s is rejected, T+1800 s is the trial."""
    b = _fail(Breaker("p", BreakerSettings(threshold=1, timeout_seconds=1800)), START)
    assert b.retry_at() == START + dt.timedelta(seconds=1800)
    assert admit(b, START + dt.timedelta(seconds=1799, microseconds=999_999)) == (Admission.REJECT, None)
    admission, trial = admit(b, START + dt.timedelta(seconds=1800))
    assert admission is Admission.TRIAL
    assert (trial.state, trial.half_open_calls, trial.half_opened_at) == (
        State.HALF_OPEN,
        1,
        START + dt.timedelta(seconds=1800),
    )


def test_two_trials_with_half_open_max_calls_two_then_reject_and_close():
    """max 2 trials: the 1st and 2nd request are trials, the 3rd is rejected; a trial's success
    closes the breaker with a zero failure count."""
    later = START + dt.timedelta(seconds=60)
    b = _fail(Breaker("p", BreakerSettings(threshold=2, timeout_seconds=60, half_open_max_calls=2)), START, 2)
    first, b = admit(b, later)
    second, b = admit(b, later)
    third, unchanged = admit(b, later)
    assert (first, second, third, unchanged) == (Admission.TRIAL, Admission.TRIAL, Admission.REJECT, None)
    assert b.half_open_calls == 2
    closed = on_success(b, later)
    assert (closed.state, closed.failure_count, closed.half_open_calls, closed.opened_at) == (
        State.CLOSED,
        0,
        0,
        None,
    )


def test_failed_trial_reopens_with_a_new_opened_at():
    """A failed trial re-opens at once and the next retry is counted from the trial's failure."""
    b = _fail(Breaker("p", BreakerSettings(threshold=1, timeout_seconds=60)), START)
    _, b = admit(b, START + dt.timedelta(seconds=60))
    b = on_failure(b, START + dt.timedelta(seconds=90), "Timeout", "slow")
    assert (b.state, b.opened_at, b.failure_count) == (State.OPEN, START + dt.timedelta(seconds=90), 2)
    assert admit(b, START + dt.timedelta(seconds=149))[0] is Admission.REJECT
    assert admit(b, START + dt.timedelta(seconds=150))[0] is Admission.TRIAL


def test_history_keeps_the_last_ten_in_order_and_caps_messages():
    """Twelve failures keep numbers 2..11 (oldest first); a long message is cut to 1000 chars."""
    b = Breaker("p", BreakerSettings(threshold=100))
    for i in range(12):
        b = on_failure(b, START + dt.timedelta(seconds=i), "E", str(i) if i < 11 else "m" * 1500)
    assert [e.error_message for e in b.failure_history][:-1] == [str(i) for i in range(2, 11)]
    assert b.failure_history[-1].error_message == "m" * 1000
    assert b.failure_history[0].failed_at == START + dt.timedelta(seconds=2)


@pytest.mark.parametrize("state", [State.CLOSED, State.OPEN])
def test_store_skips_write_nothing(migrated_warehouse, state):
    """A PROCEED in CLOSED and a REJECT in OPEN leave the stored row (and its version) unchanged."""
    store = breaker_store(migrated_warehouse, clock=lambda: START)
    cfg = BreakerSettings(threshold=1, timeout_seconds=600)
    store.record_failure("p", cfg, "E", "x") if state is State.OPEN else store.record_success("p", cfg)
    before = store.read({"p": cfg})["p"]
    for _ in range(3):
        admission, _ = store.request("p", cfg)
        assert admission is (Admission.REJECT if state is State.OPEN else Admission.PROCEED)
    assert store.read({"p": cfg})["p"] == before
    assert before.version == 1


def test_abandoned_trial_frees_its_slot_after_an_hour():
    """A trial whose worker died never reports back; after an hour a new trial is admitted."""
    b = _fail(Breaker("p", BreakerSettings(threshold=1, timeout_seconds=60, half_open_max_calls=1)), START, 1)
    admission, b = admit(b, START + dt.timedelta(seconds=60))
    assert admission is Admission.TRIAL
    assert admit(b, START + dt.timedelta(seconds=60 + 3599))[0] is Admission.REJECT
    admission, renewed = admit(b, START + dt.timedelta(seconds=60 + 3600))
    assert admission is Admission.TRIAL
    assert (renewed.half_open_calls, renewed.half_opened_at) == (1, START + dt.timedelta(seconds=3660))


def test_the_opening_failure_is_recognisable_exactly_once():
    """The alert fires when a failure opens the breaker (opened_at == updated_at), not on later ones."""
    b = Breaker("p", BreakerSettings(threshold=2, timeout_seconds=60))
    openings = []
    for i in range(5):
        b = on_failure(b, START + dt.timedelta(seconds=i), "HTTPError", "503")
        openings.append(b.state is State.OPEN and b.opened_at == b.updated_at)
    assert openings == [False, True, False, False, False]
