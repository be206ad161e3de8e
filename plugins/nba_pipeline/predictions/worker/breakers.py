"""The batch's circuit breakers: who may run (the gate), and the outcome each system leaves.

The gate: one read for the five systems' breakers. A system whose breaker rejects (OPEN within its
timeout, or HALF_OPEN with its trial taken) is not attempted; past the timeout this batch is its
trial, claimed with a compare-and-set before the system runs, so at most ``half_open_max_calls``
batches try it at once. ``ignore_breakers`` bypasses the gate (the outcome is still recorded).

Each attempted system gets at most one outcome per batch: a failure when it raised or failed for
every player it was run for, a success when it predicted for any, and none when every player lacked
the data it needs (:class:`NotEnoughData`, e.g. the first weeks of a season). When they are written:

* A failure at once (a compare-and-set), as a phase 2-4 run task does: every failed attempt counts,
  and the breaker can open while the run goes on, so later batches skip the system. Failures are
  the exception, and a breaker stops them at its threshold.
* A trial's outcome at once too, so a success closes the breaker for the batches that come after it
  rather than at the end of the run.
* Any other success by the batch itself (one statement for the systems that stayed healthy) or,
  with ``record_successes=False``, left in :attr:`BatchResult.pending_successes` for
  :func:`record_pending_successes`, which records every batch's successes together after the last
  batch (what the DAG does: one statement per run, however many batches).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nba_pipeline.guards.breaker import Admission, Breaker, BreakerSettings, State
from nba_pipeline.guards.breaker_store import BreakerStore, InvalidBreakerRowError
from nba_pipeline.predictions.contract import SYSTEM_IDS, NotEnoughData
from nba_pipeline.predictions.worker.inputs import PlayerWork
from nba_pipeline.predictions.worker.results import BatchResult, SystemSummary
from nba_pipeline.predictions.worker.running import ERROR_LIMIT, SystemsRun
from nba_pipeline.registry.catalog import settings_for
from nba_pipeline.settings import get_settings
from nba_pipeline.warehouse.base import activity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Gate:
    """What the breakers let through; empty when no player of the batch was ready (nothing asked)."""

    admissions: dict[str, str]  # system → proceed / trial / reject / ignored
    known: dict[str, Breaker]  # the breakers as read, and as a trial's claim left them
    admitted: list[str]  # the systems to run, in SYSTEM_IDS order


@dataclass(frozen=True)
class BreakerOutcomes:
    """What recording a batch's outcomes leaves, for its :class:`BatchResult`."""

    summaries: dict[str, SystemSummary]
    circuits_opened: list[str]  # the systems whose breaker is OPEN after the batch
    opened_by_batch: dict[str, Breaker]  # the breakers this batch's failures opened
    pending_successes: dict[str, dt.datetime]  # system → when it succeeded, left to record_pending_successes


@dataclass(frozen=True)
class _Verdicts:
    counts: dict[str, tuple[int, int, int]]  # system → players attempted, succeeded, failed
    failures: dict[str, tuple[str, str]]  # system → (error type, message)
    successes: list[str]


def admit(
    store: BreakerStore,
    settings: Mapping[str, BreakerSettings],
    ignored: Collection[str],
    any_ready: bool,
    timings: dict[str, float],
) -> Gate:
    """Read the five breakers at once and ask each (a compare-and-set only to claim a trial); time it
    as ``breaker_read_seconds``."""
    admissions: dict[str, str] = {}
    known: dict[str, Breaker] = {}
    if any_ready:
        with activity("guards"):
            t0 = time.perf_counter()
            scanned = store.scan(settings)
            known = scanned.breakers
            for key in SYSTEM_IDS:
                if key in ignored:
                    admissions[key] = "ignored"
                elif key in scanned.invalid:  # this system alone fails open or closed
                    admissions[key] = _invalid_row(scanned.invalid[key])
                    known[key] = Breaker(key, settings[key])
                else:
                    admission, known[key] = store.request(key, settings[key], known[key])
                    admissions[key] = str(admission)
            timings["breaker_read_seconds"] = time.perf_counter() - t0
    else:
        timings["breaker_read_seconds"] = 0.0
    admitted = [k for k in SYSTEM_IDS if any_ready and admissions.get(k) != str(Admission.REJECT)]
    return Gate(admissions, known, admitted)


def _invalid_row(error: InvalidBreakerRowError) -> str:
    """The admission of a system whose breaker row is invalid: the configured fail-open rule."""
    if get_settings().breaker_fail_open:
        log.warning("%s; failing open", error)
        return str(Admission.PROCEED)
    log.warning("%s; failing closed", error)
    return str(Admission.REJECT)


def record_outcomes(
    store: BreakerStore,
    settings: Mapping[str, BreakerSettings],
    gate: Gate,
    ready: Sequence[PlayerWork],
    ran: SystemsRun,
    *,
    defer_successes: bool = False,
) -> BreakerOutcomes:
    """Record one outcome per attempted system: failures and trial outcomes at once, other successes
    at once or (``defer_successes``) left pending."""
    verdicts = _judge(gate.admitted, ready, ran.errors)
    failed, pending = _write(store, settings, gate, verdicts, defer_successes)
    after = {key: breaker.state for key, breaker in failed.items()}
    for key in verdicts.successes:  # a success closes a trial; a closed breaker stays closed
        after[key] = State.CLOSED if gate.known[key].state is not State.OPEN else State.OPEN
    opened_now = {k: b for k, b in failed.items() if b.state is State.OPEN and b.opened_at == b.updated_at}
    summaries, opened = _summaries(gate, verdicts, after, ran)
    return BreakerOutcomes(summaries, opened, opened_now, pending)


def _judge(admitted: Sequence[str], ready: Sequence[PlayerWork], batch_errors: Mapping[str, str]) -> _Verdicts:
    """Each attempted system's outcome: a failure, a success, or none (every player lacked data)."""
    failures: dict[str, tuple[str, str]] = {}
    successes: list[str] = []
    counts: dict[str, tuple[int, int, int]] = {}
    for key in admitted:
        attempted = sum(1 for w in ready if key in w.attempted)
        succeeded = sum(1 for w in ready if key in w.predictions)
        counts[key] = (attempted, succeeded, attempted - succeeded)
        if attempted == 0:
            continue
        if key in batch_errors:
            error_type, _, message = batch_errors[key].partition(": ")
            failures[key] = (error_type, message)
        elif succeeded == 0:
            errors = [w.errors[key] for w in ready if key in w.errors]
            if all(kind == NotEnoughData.__name__ for kind, _ in errors):
                continue  # no player had the data it needs: neither a success nor a fault
            first = errors[0]
            failures[key] = (first[0], f"failed for all {attempted} players; first: {first[1]}"[:ERROR_LIMIT])
        else:
            successes.append(key)
    return _Verdicts(counts, failures, successes)


def _write(
    store: BreakerStore,
    settings: Mapping[str, BreakerSettings],
    gate: Gate,
    verdicts: _Verdicts,
    defer_successes: bool,
) -> tuple[dict[str, Breaker], dict[str, dt.datetime]]:
    """Write the failures, then the successes not deferred; return the failed breakers as written and
    the successes left pending."""
    successes = verdicts.successes
    # a trial's success is written now: it closes the breaker for the batches that follow
    now_keys = [k for k in successes if not defer_successes or gate.admissions.get(k) == str(Admission.TRIAL)]
    failed: dict[str, Breaker] = {}
    with activity("guards"):
        for key, (error_type, message) in verdicts.failures.items():
            failed[key] = store.record_failure(key, settings[key], error_type, message)
        if now_keys:
            store.record_successes({k: settings[k] for k in now_keys}, gate.known)
    pending: dict[str, dt.datetime] = {}
    if len(now_keys) < len(successes):
        succeeded_at = store.clock()
        pending = {k: succeeded_at for k in successes if k not in now_keys}
    return failed, pending


def _summaries(
    gate: Gate, verdicts: _Verdicts, after: Mapping[str, State], ran: SystemsRun
) -> tuple[dict[str, SystemSummary], list[str]]:
    """Every system's summary, and the systems whose breaker is OPEN after the batch."""
    summaries: dict[str, SystemSummary] = {}
    opened: list[str] = []
    for key in SYSTEM_IDS:
        admission = gate.admissions.get(key)
        if admission is None:  # nothing was eligible in the batch: the gate was not consulted
            summaries[key] = SystemSummary(admission="not_consulted")
            continue
        if admission == str(Admission.REJECT):
            summaries[key] = SystemSummary(admission=admission, state_after=str(gate.known[key].state))
            opened.append(key)
            continue
        attempted, succeeded, failed = verdicts.counts.get(key, (0, 0, 0))
        # a system that skipped itself leaves its breaker as the batch found it
        state = gate.known[key].state if key in ran.skips else after.get(key)
        skip = ran.skips.get(key)
        outcome = "failure" if key in verdicts.failures else ("success" if key in verdicts.successes else None)
        summaries[key] = SystemSummary(
            admission=admission,
            attempted=attempted,
            succeeded=succeeded,
            failed=failed,
            breaker_outcome=outcome,
            state_after=str(state) if state else None,
            error=ran.errors.get(key),
            skip_reason=skip.reason if skip else None,
            skip_detail=skip.detail if skip else None,
        )
        if state is State.OPEN:
            opened.append(key)
    return summaries, opened


def record_pending_successes(
    store: BreakerStore,
    results: Iterable[BatchResult | Mapping[str, Any]],
    breaker_settings: Mapping[str, BreakerSettings] | None = None,
) -> dict[str, Any]:
    """Record the successes the batches left pending (``record_successes=False``), every system at
    once: one read, then one statement for the systems whose breakers are healthy (a compare-and-set
    each for the others), however many batches there were.

    A system whose breaker recorded a failure at or after its latest pending success is left alone:
    the success came before the failure, and writing it now would wipe the consecutive-failure count.

    :param results: the batches' results, or their :meth:`BatchResult.to_json` (XCom); a batch whose
        task failed has none, and its successes go unrecorded (its failures were recorded by it).
    :param breaker_settings: per-system settings; default the registry's.
    :returns: ``recorded`` and ``superseded`` systems, ``batches`` seen and ``statements`` issued.
    """
    latest: dict[str, dt.datetime] = {}
    batches = 0
    for result in results:
        batches += 1
        if isinstance(result, BatchResult):
            pending: Mapping[str, Any] = result.pending_successes
        else:
            pending = (result or {}).get("pending_successes") or {}
        for key, at in pending.items():
            moment = at if isinstance(at, dt.datetime) else dt.datetime.fromisoformat(str(at))
            latest[key] = max(latest.get(key, moment), moment)
    summary: dict[str, Any] = {"batches": batches, "recorded": [], "superseded": [], "statements": 0}
    if not latest:
        return summary
    settings = {key: (breaker_settings or {}).get(key) or settings_for(key) for key in sorted(latest)}
    with activity("guards"):
        scanned = store.scan(settings)
        known = scanned.breakers
        superseded = [
            k for k in known if (failed := known[k].last_failure) is not None and failed >= latest[k]
        ]
        keep = {k: v for k, v in settings.items() if k not in superseded and k not in scanned.invalid}
        statements = 1 + (store.record_successes(keep, known) if keep else 0)
    for error in scanned.invalid.values():
        log.warning("success not recorded: %s", error)
    if superseded:
        log.info("not recording the successes of %s: a later failure is on their breakers", superseded)
    summary.update(recorded=sorted(keep), superseded=superseded, statements=statements)
    return summary
