"""BreakerStore under concurrency on the embedded DuckDB warehouse.

Every write is a compare-and-set on ``version``; these tests race threads (each with its own
store and, through the shared warehouse, its own DuckDB cursor) and processes on the same keys and
check that no success or failure is lost or counted twice, no extra trial is admitted, and no key
gets a second row.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from nba_pipeline.guards.breaker import Admission, BreakerSettings
from nba_pipeline.guards.breaker_store import BreakerConflictError
from nba_pipeline.registry.guard_tables import BREAKER_TABLE, breaker_store
from nba_pipeline.warehouse.base import WriteConflictError
from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

NEVER_OPENS = BreakerSettings(threshold=1_000_000, timeout_seconds=1800)
JOIN_SECONDS = 60


def _run_threads(count: int, target: Callable[[int], object]) -> list[object]:
    """Run ``target(i)`` in ``count`` threads started together; return results, re-raise errors."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait(timeout=JOIN_SECONDS)
            results[i] = target(i)
        except BaseException as err:  # noqa: BLE001 - reported to the test below
            errors.append(err)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"
    if errors:
        raise errors[0]
    return results


def _rows(warehouse, key: str) -> list[dict]:
    return warehouse.query(
        f"SELECT failure_count, success_count, version, state, half_open_calls FROM {BREAKER_TABLE} "
        "WHERE processor_name = @key",
        {"key": key},
    )


def test_parallel_failures_on_one_key_lose_no_count(migrated_warehouse):
    """8 threads × 25 failures on one (missing) key: the count is 200 and so is the version, one
    write per failure, each write returning a distinct version; the history holds the last 10.

    A call that gives up with BreakerConflictError (every compare-and-set lost) has written
    nothing, so the thread records that failure again; the totals must still be exact."""
    threads, per_thread = 8, 25

    def fail(i: int) -> list[int]:
        store, versions = breaker_store(migrated_warehouse), []
        for n in range(per_thread):
            for _ in range(5):
                try:
                    versions.append(store.record_failure("hot", NEVER_OPENS, "HTTPError", f"{i}-{n}").version)
                    break
                except BreakerConflictError:
                    continue
        return versions

    versions = [v for vs in _run_threads(threads, fail) for v in vs]
    total = threads * per_thread
    assert sorted(versions) == list(range(1, total + 1)), "each write claimed a distinct version"
    assert _rows(migrated_warehouse, "hot") == [
        {"failure_count": total, "success_count": 0, "version": total, "state": "CLOSED", "half_open_calls": 0}
    ]
    history = breaker_store(migrated_warehouse).read({"hot": NEVER_OPENS})["hot"].failure_history
    assert len(history) == 10


@pytest.mark.parametrize("max_calls", [1, 3])
def test_racing_requests_admit_exactly_the_trial_limit(migrated_warehouse, max_calls):
    """A breaker past its timeout and 12 threads asking at once: exactly ``half_open_max_calls``
    trials, the rest rejected, and the row counts those trials."""
    cfg = BreakerSettings(threshold=1, timeout_seconds=0, half_open_max_calls=max_calls)
    opened = dt.datetime(2025, 1, 15, 12, tzinfo=dt.UTC)
    breaker_store(migrated_warehouse, clock=lambda: opened).force_open("gate", cfg, "source down")
    later = opened + dt.timedelta(seconds=5)

    def ask(_: int) -> Admission:
        return breaker_store(migrated_warehouse, clock=lambda: later).request("gate", cfg)[0]

    admissions = Counter(_run_threads(12, ask))
    assert admissions == {Admission.TRIAL: max_calls, Admission.REJECT: 12 - max_calls}
    assert _rows(migrated_warehouse, "gate") == [
        {
            "failure_count": 0,
            "success_count": 0,
            "version": 1 + max_calls,
            "state": "HALF_OPEN",
            "half_open_calls": max_calls,
        }
    ]


def test_racing_first_writes_create_one_row(migrated_warehouse):
    """8 threads writing a missing key for the first time (failures and successes mixed): one row,
    and each of the 8 writes counted in its version."""

    def first_write(i: int) -> None:
        store = breaker_store(migrated_warehouse)
        if i % 2:
            store.record_failure("new", NEVER_OPENS, "E", str(i))
        else:
            store.record_success("new", NEVER_OPENS)

    _run_threads(8, first_write)
    rows = _rows(migrated_warehouse, "new")
    assert len(rows) == 1
    assert rows[0]["version"] == 8


def _check_write_order(row: dict, successes: int, failure_versions: list[int]) -> None:
    """Versions 1..V number a key's writes in commit order, and record_failure returns the version
    it wrote, so the other versions are the successes: the failure count must equal the failures
    after the last success, and the success count the successes after the last failure."""
    key, failed = row["processor_name"], sorted(failure_versions)
    assert row["version"] == successes + len(failed), f"{key}: every success and failure written once"
    success_versions = sorted(set(range(1, row["version"] + 1)) - set(failed))
    last_success = success_versions[-1] if success_versions else 0
    last_failure = failed[-1] if failed else 0
    assert row["failure_count"] == sum(v > last_success for v in failed), f"{key}: consecutive failures"
    assert row["success_count"] == sum(v > last_failure for v in success_versions), f"{key}: consecutive successes"


def test_batch_successes_racing_failures_on_overlapping_keys_stay_consistent(migrated_warehouse):
    """Two threads call ``record_successes`` (keys a–c and d–f) while four threads record failures
    on b–e and g: one row per key, no success or failure lost or counted twice, and the counts
    match the commit order of the writes."""
    rounds = 40
    batches = [["a", "b", "c"], ["d", "e", "f"]]
    failure_keys = ["b", "c", "d", "e", "g"]
    failure_versions: dict[str, list[int]] = {k: [] for k in "abcdefg"}
    lock = threading.Lock()

    def work(i: int) -> None:
        store = breaker_store(migrated_warehouse)
        for n in range(rounds):
            if i < len(batches):
                cfgs = {k: NEVER_OPENS for k in batches[i]}
                store.record_successes(cfgs, store.read(cfgs))
            else:
                key = failure_keys[(i + n) % len(failure_keys)]
                version = store.record_failure(key, NEVER_OPENS, "Timeout", f"{i}-{n}").version
                with lock:
                    failure_versions[key].append(version)

    _run_threads(6, work)

    rows = migrated_warehouse.query(
        f"SELECT processor_name, failure_count, success_count, version FROM {BREAKER_TABLE} ORDER BY 1"
    )
    assert [r["processor_name"] for r in rows] == list("abcdefg"), "one row per key"
    for row in rows:
        successes = rounds if row["processor_name"] != "g" else 0
        _check_write_order(row, successes, failure_versions[row["processor_name"]])


def test_concurrent_batches_count_each_success_once(migrated_warehouse):
    """Four threads call ``record_successes`` on the same keys (two of them missing at first, so
    the batch MERGE both creates and updates): one row per key and exactly one write and one
    success per call."""
    rounds = 40
    cfgs = {k: NEVER_OPENS for k in ("p", "q", "r", "s")}
    breaker_store(migrated_warehouse).record_success("p", NEVER_OPENS)
    breaker_store(migrated_warehouse).record_success("q", NEVER_OPENS)

    def work(_: int) -> None:
        store = breaker_store(migrated_warehouse)
        for _ in range(rounds):
            store.record_successes(cfgs, store.read(cfgs))

    _run_threads(4, work)
    rows = migrated_warehouse.query(f"SELECT processor_name, success_count, version FROM {BREAKER_TABLE} ORDER BY 1")
    calls = 4 * rounds
    assert rows == [
        {"processor_name": "p", "success_count": calls + 1, "version": calls + 1},
        {"processor_name": "q", "success_count": calls + 1, "version": calls + 1},
        {"processor_name": "r", "success_count": calls, "version": calls},
        {"processor_name": "s", "success_count": calls, "version": calls},
    ]


def test_batch_merge_that_loses_a_race_falls_back_instead_of_raising(migrated_warehouse, monkeypatch):
    """A MERGE that loses a race with other DML is aborted (BigQuery: "concurrent update", raised as
    WriteConflictError): ``record_successes`` must still record each success once, through the
    per-key compare-and-set, rather than fail the caller."""
    cfgs = {k: NEVER_OPENS for k in ("x", "y")}
    store = breaker_store(migrated_warehouse)
    for key in cfgs:
        store.record_success(key, NEVER_OPENS)
    known = store.read(cfgs)
    execute = migrated_warehouse.execute
    aborted: list[str] = []

    def abort_first_batch_merge(sql, params=None):
        if "rows" in (params or {}) and not aborted:
            aborted.append(sql)
            raise WriteConflictError("Could not serialize access to table due to concurrent update")
        return execute(sql, params)

    monkeypatch.setattr(migrated_warehouse, "execute", abort_first_batch_merge)
    store.record_successes(cfgs, known)
    monkeypatch.undo()
    assert len(aborted) == 1
    assert migrated_warehouse.query(
        f"SELECT processor_name, success_count, version FROM {BREAKER_TABLE} ORDER BY 1"
    ) == [
        {"processor_name": "x", "success_count": 2, "version": 2},
        {"processor_name": "y", "success_count": 2, "version": 2},
    ]


# --------------------------------------------------------------------------- processes


def _fail_in_own_process(path: str, key: str, count: int, start, done) -> None:
    """An Airflow-task-like writer: open the warehouse, record one failure, close, repeat."""
    start.wait(60)
    for n in range(count):
        with DuckDBWarehouse(Path(path), lock_wait_seconds=60) as warehouse:
            breaker_store(warehouse).record_failure(key, NEVER_OPENS, "HTTPError", f"attempt {n}")
    done.put(count)


def test_two_processes_alternating_on_the_file_lose_no_failure(migrated_warehouse):
    """2 processes × 20 failures, each opening and closing the DuckDB file per write: they take
    turns on the file lock and the row ends with 40 failures in 40 versions."""
    migrated_warehouse.close()  # release this process's lock on the file
    ctx = multiprocessing.get_context("spawn")
    start, done = ctx.Event(), ctx.Queue()
    workers = [
        ctx.Process(target=_fail_in_own_process, args=(str(migrated_warehouse.path), "shared", 20, start, done))
        for _ in range(2)
    ]
    for w in workers:
        w.start()
    start.set()
    try:
        finished = [done.get(timeout=120) for _ in workers]
    finally:
        for w in workers:
            w.join(30)
            if w.is_alive():
                w.kill()
    assert finished == [20, 20]
    assert [w.exitcode for w in workers] == [0, 0]
    assert _rows(migrated_warehouse, "shared") == [
        {"failure_count": 40, "success_count": 0, "version": 40, "state": "CLOSED", "half_open_calls": 0}
    ]
