"""The breakers' store: one row per key in a state table the pipeline names.

Every write is a compare-and-set on the row's ``version``: read, compute the next state with the
state machine of :mod:`.breaker`, write only if the version is still the one
read, otherwise re-read and retry. Two runs racing on one key therefore lose no failure and never
admit more trials than allowed, on DuckDB (conflicting updates abort) and on BigQuery (a
conditional DML statement changes zero rows).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from nba_pipeline.guards.breaker import (
    ERROR_MESSAGE_LIMIT,
    Admission,
    Breaker,
    BreakerSettings,
    Clock,
    FailureEntry,
    State,
    admit,
    on_failure,
    on_success,
    utc_now,
)
from nba_pipeline.warehouse.base import QueryParam, TableRef, Warehouse, WriteConflictError

log = logging.getLogger(__name__)

_CAS_ATTEMPTS = 50
_HISTORY_TYPE = "ARRAY<STRUCT<failed_at TIMESTAMP, error_message STRING, error_type STRING>>"


_COLUMNS = (
    "processor_name, state, failure_count, success_count, last_failure, last_success, opened_at, "
    "half_opened_at, updated_at, last_error_message, last_error_type, failure_history, threshold, "
    "timeout_seconds, half_open_max_calls, half_open_calls, version"
)


class BreakerConflictError(RuntimeError):
    """A key kept changing under us for every attempt (should not happen outside a stampede)."""


class InvalidBreakerRowError(ValueError):
    """A key's stored state cannot be a breaker: a value no breaker can hold, or several rows.

    Only that key is affected: its gate fails open or closed as configured, its outcomes are not
    recorded, and ``repair`` (or ``delete``) puts it right.
    """

    def __init__(self, table: str, key: str, column: str, value: Any, reason: str) -> None:
        super().__init__(f"breaker row {key!r} of {table} is invalid: {column} = {value!r}: {reason}")
        self.key, self.column, self.value, self.reason = key, column, value, reason


@dataclass(frozen=True)
class BreakerScan:
    """What one read of several keys found: the usable breakers (a key without a row has a fresh
    CLOSED one) and, apart, the keys whose stored rows are invalid."""

    breakers: dict[str, Breaker]
    invalid: dict[str, InvalidBreakerRowError]


@dataclass
class BreakerStore:
    """Reads and writes breaker rows with compare-and-set.

    :param warehouse: where the state table lives.
    :param table: the state table (``dataset.table``), one row per breaker key.
    :param clock: the current time (injectable so tests can jump it).
    """

    warehouse: Warehouse
    table: str
    clock: Clock = utc_now

    def __post_init__(self) -> None:
        TableRef.parse(self.table)

    def scan(self, settings_by_key: Mapping[str, BreakerSettings]) -> BreakerScan:
        """Current rows for several keys in one round trip; keys with no row get a fresh CLOSED
        one, keys whose rows are invalid are set apart instead of failing the others."""
        keys = sorted(settings_by_key)
        rows = self.warehouse.query(
            f"SELECT {_COLUMNS} FROM {self.table} WHERE processor_name IN UNNEST(@keys)",
            {"keys": QueryParam(keys, "ARRAY<STRING>")},
        )
        found, invalid = self._parse(rows)
        breakers = {key: found.get(key) or Breaker(key, settings_by_key[key]) for key in keys if key not in invalid}
        return BreakerScan(breakers, invalid)

    def read(self, settings_by_key: Mapping[str, BreakerSettings]) -> dict[str, Breaker]:
        """Like :meth:`scan`, for callers that need every key.

        :raises InvalidBreakerRowError: the first key (by name) whose rows are invalid.
        """
        scanned = self.scan(settings_by_key)
        if scanned.invalid:
            raise scanned.invalid[min(scanned.invalid)]
        return scanned.breakers

    def scan_all(self) -> BreakerScan:
        """Every stored row, whether or not the pipeline still declares its key."""
        found, invalid = self._parse(self.warehouse.query(f"SELECT {_COLUMNS} FROM {self.table}"))
        return BreakerScan(found, invalid)

    def read_all(self) -> list[Breaker]:
        """Every stored breaker with a valid row, by key."""
        return sorted(self.scan_all().breakers.values(), key=lambda b: b.key)

    def repair(self, key: str, settings: BreakerSettings) -> Breaker:
        """Replace whatever is stored for ``key`` (invalid values, several rows) with one CLOSED row."""
        now = self.clock()
        fresh = Breaker(key, settings, updated_at=now)
        self.warehouse.execute(f"DELETE FROM {self.table} WHERE processor_name = @key", {"key": key})
        if not self._compare_and_set(0, fresh):
            raise BreakerConflictError(f"breaker {key!r} was written again while it was being repaired")
        return replace(fresh, version=1)

    def delete(self, key: str) -> int:
        """Remove every row of ``key`` (a breaker the pipeline no longer declares); returns how many."""
        return self.warehouse.execute(f"DELETE FROM {self.table} WHERE processor_name = @key", {"key": key}) or 0

    def _parse(self, rows: list[dict[str, Any]]) -> tuple[dict[str, Breaker], dict[str, InvalidBreakerRowError]]:
        by_key: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_key.setdefault(row["processor_name"], []).append(row)
        found: dict[str, Breaker] = {}
        invalid: dict[str, InvalidBreakerRowError] = {}
        for key, stored in sorted(by_key.items()):
            if len(stored) > 1:
                invalid[key] = InvalidBreakerRowError(
                    self.table, key, "processor_name", key, f"{len(stored)} rows for one breaker"
                )
                continue
            try:
                found[key] = _from_row(stored[0], self.table)
            except InvalidBreakerRowError as error:
                invalid[key] = error
        return found, invalid

    def request(self, key: str, settings: BreakerSettings, known: Breaker | None = None) -> tuple[Admission, Breaker]:
        """Ask to run ``key``. ``known`` (a recent read) saves a round trip when it already decides."""
        return self._transition(key, settings, lambda b, now: admit(b, now), known)

    def record_success(self, key: str, settings: BreakerSettings) -> Breaker:
        """Count a success; on an invalid row nothing is recorded (see :meth:`_record`)."""
        return self._record(key, settings, lambda b, now: (None, on_success(b, now)))

    def record_failure(self, key: str, settings: BreakerSettings, error_type: str, message: str) -> Breaker:
        """Count a failure; on an invalid row nothing is recorded (see :meth:`_record`)."""
        return self._record(key, settings, lambda b, now: (None, on_failure(b, now, error_type, message)))

    def _record(
        self, key: str, settings: BreakerSettings, step: Callable[[Breaker, dt.datetime], tuple[Any, Breaker | None]]
    ) -> Breaker:
        """An outcome cannot be counted on a row that holds no valid state: it is logged with the
        row's fault and dropped (the run's own run row still says what happened), and a fresh,
        unstored breaker is returned, so one bad row never fails the recording of the others."""
        try:
            return self._transition(key, settings, step)[1]
        except InvalidBreakerRowError as error:
            log.warning("outcome of %s not recorded: %s; run `nba-pipeline breakers repair %s`", key, error, key)
            return Breaker(key, settings)

    def record_successes(self, settings_by_key: Mapping[str, BreakerSettings], known: Mapping[str, Breaker]) -> int:
        """Record one success for each key with as few statements as possible.

        Keys known to be CLOSED with no failures (the common case) are updated together by one
        conditional MERGE that also creates missing rows; any key that changed meanwhile, or was
        not healthy, goes through the per-key compare-and-set. Returns the statements issued.
        """
        healthy = [
            k for k in settings_by_key if k in known and known[k].state is State.CLOSED and known[k].failure_count == 0
        ]
        statements = 0
        missed: list[str] = []
        if healthy:
            now = self.clock()
            try:
                changed = self.warehouse.execute(
                    f"""
                    MERGE {self.table} T
                    USING (
                      SELECT r.key, r.threshold, r.timeout_seconds, r.half_open_max_calls FROM UNNEST(@rows) AS r
                    ) S
                    ON T.processor_name = S.key
                    WHEN MATCHED AND T.state = 'CLOSED' AND COALESCE(T.failure_count, 0) = 0 THEN UPDATE SET
                      success_count = COALESCE(T.success_count, 0) + 1, last_success = @now, updated_at = @now,
                      version = COALESCE(T.version, 0) + 1,
                      -- rewritten unchanged so DuckDB sees a conflict with a concurrent per-key write
                      failure_history = T.failure_history
                    WHEN NOT MATCHED THEN INSERT ({_COLUMNS}) VALUES (
                      S.key, 'CLOSED', 0, 1, NULL, @now, NULL, NULL, @now, NULL, NULL, [], S.threshold,
                      S.timeout_seconds, S.half_open_max_calls, 0, 1)
                    """,
                    {
                        "rows": [
                            {
                                "key": k,
                                "threshold": settings_by_key[k].threshold,
                                "timeout_seconds": settings_by_key[k].timeout_seconds,
                                "half_open_max_calls": settings_by_key[k].half_open_max_calls,
                            }
                            for k in sorted(healthy)
                        ],
                        "now": now,
                    },
                )
            except WriteConflictError:
                changed = None  # the whole batch lost a race: every key goes through compare-and-set
            statements += 1
            if changed is None:
                missed = list(healthy)
            elif changed != len(healthy):
                after = self.read({k: settings_by_key[k] for k in healthy})
                statements += 1
                missed = [k for k in healthy if after[k].last_success != now]
        for key in sorted(set(settings_by_key) - set(healthy) | set(missed)):
            self.record_success(key, settings_by_key[key])
            statements += 2
        return statements

    def configure(self, key: str, settings: BreakerSettings) -> Breaker:
        """Change a key's threshold, timeout and trial count (the row keeps its state)."""
        return self._transition(key, settings, lambda b, now: (None, replace(b, settings=settings, updated_at=now)))[1]

    def reset(self, key: str, settings: BreakerSettings) -> Breaker:
        """Close a breaker by hand, clearing its consecutive-failure count."""
        return self._transition(
            key,
            settings,
            lambda b, now: (
                None,
                replace(
                    b, state=State.CLOSED, failure_count=0, opened_at=None, half_opened_at=None,
                    half_open_calls=0, updated_at=now,
                ),
            ),
        )[1]

    def force_open(self, key: str, settings: BreakerSettings, reason: str) -> Breaker:
        """Open a breaker by hand (e.g. a source known to be down); it re-tries after its timeout."""
        return self._transition(
            key,
            settings,
            lambda b, now: (
                None,
                replace(
                    b, state=State.OPEN, opened_at=now, half_opened_at=None, half_open_calls=0,
                    last_error_type="ForcedOpen", last_error_message=reason[:ERROR_MESSAGE_LIMIT], updated_at=now,
                ),
            ),
        )[1]

    # internals -------------------------------------------------------------

    def _transition(
        self,
        key: str,
        settings: BreakerSettings,
        step: Callable[[Breaker, dt.datetime], tuple[Any, Breaker | None]],
        known: Breaker | None = None,
    ) -> tuple[Any, Breaker]:
        current = known
        for attempt in range(_CAS_ATTEMPTS):
            if current is None:
                current = self.read({key: settings})[key]
            result, updated = step(current, self.clock())
            if updated is None:
                return result, current
            if self._compare_and_set(current.version, updated):
                return result, replace(updated, version=current.version + 1)
            current = None  # somebody else wrote first: re-read and decide again
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # spread a stampede out
        raise BreakerConflictError(f"breaker {key!r} changed on every one of {_CAS_ATTEMPTS} attempts")

    def _compare_and_set(self, expected_version: int, breaker: Breaker) -> bool:
        params = _to_params(breaker, expected_version)
        try:
            if expected_version == 0:
                changed = self.warehouse.execute(
                    f"""
                    MERGE {self.table} T USING (SELECT @processor_name AS processor_name) S
                    ON T.processor_name = S.processor_name
                    WHEN NOT MATCHED THEN INSERT ({_COLUMNS}) VALUES (
                      @processor_name, @state, @failure_count, @success_count, @last_failure, @last_success,
                      @opened_at, @half_opened_at, @updated_at, @last_error_message, @last_error_type,
                      @failure_history, @threshold, @timeout_seconds, @half_open_max_calls, @half_open_calls, 1)
                    """,
                    params,
                )
            else:
                changed = self.warehouse.execute(
                    f"""
                    UPDATE {self.table} SET state = @state, failure_count = @failure_count,
                      success_count = @success_count, last_failure = @last_failure, last_success = @last_success,
                      opened_at = @opened_at, half_opened_at = @half_opened_at, updated_at = @updated_at,
                      last_error_message = @last_error_message, last_error_type = @last_error_type,
                      failure_history = @failure_history, threshold = @threshold,
                      timeout_seconds = @timeout_seconds, half_open_max_calls = @half_open_max_calls,
                      half_open_calls = @half_open_calls, version = @expected_version + 1
                    WHERE processor_name = @processor_name AND version = @expected_version
                    """,
                    params,
                )
        except WriteConflictError:
            return False
        return changed == 1


def _to_params(breaker: Breaker, expected_version: int) -> dict[str, Any]:
    ts = "TIMESTAMP"
    return {
        "processor_name": breaker.key,
        "state": str(breaker.state),
        "failure_count": breaker.failure_count,
        "success_count": breaker.success_count,
        "last_failure": QueryParam(breaker.last_failure, ts),
        "last_success": QueryParam(breaker.last_success, ts),
        "opened_at": QueryParam(breaker.opened_at, ts),
        "half_opened_at": QueryParam(breaker.half_opened_at, ts),
        "updated_at": breaker.updated_at,
        "last_error_message": QueryParam(breaker.last_error_message, "STRING"),
        "last_error_type": QueryParam(breaker.last_error_type, "STRING"),
        "failure_history": QueryParam(
            [
                {"failed_at": e.failed_at, "error_message": e.error_message, "error_type": e.error_type}
                for e in breaker.failure_history
            ],
            _HISTORY_TYPE,
        ),
        "threshold": breaker.settings.threshold,
        "timeout_seconds": breaker.settings.timeout_seconds,
        "half_open_max_calls": breaker.settings.half_open_max_calls,
        "half_open_calls": breaker.half_open_calls,
        "expected_version": expected_version,
    }


#: (column, lowest valid value) of the counts and settings a row holds; NULL takes the default
_MINIMUMS = (
    ("failure_count", 0), ("success_count", 0), ("half_open_calls", 0), ("version", 0),
    ("threshold", 1), ("timeout_seconds", 0), ("half_open_max_calls", 1),
)  # fmt: skip


def _from_row(row: Mapping[str, Any], table: str) -> Breaker:
    """The breaker a stored row holds.

    :raises InvalidBreakerRowError: naming the first column whose value no breaker can hold.
    """
    key = row["processor_name"]
    if row["state"] not in tuple(State):
        raise InvalidBreakerRowError(table, key, "state", row["state"], f"not one of {', '.join(State)}")
    for column, lowest in _MINIMUMS:
        value = row[column]
        if value is not None and (not isinstance(value, int) or value < lowest):
            raise InvalidBreakerRowError(table, key, column, value, f"must be an integer of at least {lowest}")
    defaults = BreakerSettings()
    settings = BreakerSettings(
        threshold=row["threshold"] or defaults.threshold,
        timeout_seconds=row["timeout_seconds"] if row["timeout_seconds"] is not None else defaults.timeout_seconds,
        half_open_max_calls=row["half_open_max_calls"] or defaults.half_open_max_calls,
    )
    history = tuple(
        FailureEntry(e["failed_at"], e["error_message"], e["error_type"]) for e in (row["failure_history"] or [])
    )
    return Breaker(
        key=key,
        settings=settings,
        state=State(row["state"]),
        failure_count=row["failure_count"] or 0,
        success_count=row["success_count"] or 0,
        last_failure=row["last_failure"],
        last_success=row["last_success"],
        opened_at=row["opened_at"],
        half_opened_at=row["half_opened_at"],
        updated_at=row["updated_at"],
        last_error_message=row["last_error_message"],
        last_error_type=row["last_error_type"],
        failure_history=history,
        half_open_calls=row["half_open_calls"] or 0,
        version=row["version"] or 0,
    )
