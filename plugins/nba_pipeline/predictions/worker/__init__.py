"""The batched prediction worker: one call predicts a batch of players with every admitted system.

Per batch, whatever its size: one query for the breakers of the five systems, one for the features
(feature store row, the player's zone shares, the opponent's zone gaps), one for the players'
history, one MERGE of the predictions and one MERGE of the run rows, plus the breaker outcomes.

Breaker outcomes, and when they are written:

* A failure is recorded at once (a compare-and-set), as a phase 2-4 run task does: every failed
  attempt counts, and the breaker can open while the run goes on, so later batches skip the system.
  Failures are the exception, and a breaker stops them at its threshold.
* A trial (HALF_OPEN) is claimed with a compare-and-set before the system runs, so at most
  ``half_open_max_calls`` batches try it at once; its outcome is recorded at once too, so a success
  closes the breaker for the batches that come after it rather than at the end of the run.
* Any other success is recorded by the batch itself (one statement for the systems that stayed
  healthy) or, with ``record_successes=False``, left in :attr:`BatchResult.pending_successes` for
  :func:`record_pending_successes`, which records every batch's successes together after the last
  batch (what the DAG does: one statement per run, however many batches).

Rules:

* A system whose breaker rejects (OPEN within its timeout, or HALF_OPEN with its trial taken) is not
  attempted; past the timeout this batch is its trial. ``ignore_breakers`` bypasses the gate.
* A player with at least one successful system is a success.
* Each attempted system gets at most one breaker outcome per batch: a failure when it raised or
  failed for every player it was run for, a success when it predicted for any, and none when every
  player lacked the data it needs (:class:`NotEnoughData`, e.g. the first weeks of a season).
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from nba_pipeline.guards.breaker import Admission, Breaker, BreakerSettings, BreakerStore, Clock, State, utc_now
from nba_pipeline.predictions.contract import (
    SYSTEM_IDS,
    NotEnoughData,
    SystemSkip,
)
from nba_pipeline.predictions.coordinator import EligiblePlayer
from nba_pipeline.predictions.worker.inputs import PlayerWork, read_inputs
from nba_pipeline.predictions.worker.results import BatchResult, SystemSummary
from nba_pipeline.predictions.worker.running import ERROR_LIMIT, model_versions, run_systems, systems_by_id
from nba_pipeline.predictions.worker.writes import write_batch
from nba_pipeline.registry.catalog import settings_for
from nba_pipeline.warehouse.base import Warehouse, activity

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- ids


def default_worker_id(batch_index: int) -> str:
    return f"{socket.gethostname()}:batch-{batch_index}"


# --------------------------------------------------------------------------- entry point


def predict_batch(
    warehouse: Warehouse,
    batch: Mapping[str, Any],
    systems: Iterable[Any],
    *,
    breaker_store: BreakerStore,
    clock: Clock = utc_now,
    worker_id: str | None = None,
    ignore_breakers: Iterable[str] = (),
    breaker_settings: Mapping[str, BreakerSettings] | None = None,
    model_version: Callable[[], str | None] | None = None,
    record_successes: bool = True,
) -> BatchResult:
    """Predict one batch (a dict from :func:`~nba_pipeline.predictions.coordinator.make_batches`).

    :param systems: the base systems (``system_id``, ``predict_batch(players)``) and the ensemble
        (``system_id`` ``ensemble_v1``, ``combine(player, predictions)``).
    :param breaker_store: where the systems' breakers live (its clock decides timeouts).
    :param clock: the time written to ``run_date`` and ``created_at``.
    :param worker_id: written to every run row; default ``<hostname>:batch-<index>``.
    :param ignore_breakers: systems attempted whatever their breaker says (outcomes still recorded).
    :param breaker_settings: per-system settings; default the registry's.
    :param model_version: the version of the model ``xgboost_v1`` used in this batch, asked after it
        ran (see :class:`~nba_pipeline.predictions.worker.running.ModelVersionRecorder`); else the
        system's ``model_version`` attribute, if any.
    :param record_successes: False: leave the successes of systems not on trial in
        ``pending_successes`` for :func:`record_pending_successes` (failures and trial outcomes are
        recorded here whatever this says).
    :raises WarehouseError: when the data cannot be read (no breaker is touched: no system was
        judged) or the rows cannot be written (the systems' outcomes are already recorded: they ran).
    """
    started = time.perf_counter()
    run_date = clock()
    game_date = dt.date.fromisoformat(str(batch["game_date"]))
    batch_index = int(batch.get("batch_index", 0))
    worker = worker_id or default_worker_id(batch_index)
    players = [EligiblePlayer.from_json(p) for p in batch["players"]]
    by_id = systems_by_id(systems)
    settings = {key: (breaker_settings or {}).get(key) or settings_for(key) for key in SYSTEM_IDS}
    ignored = set(ignore_breakers)
    timings: dict[str, float] = {}

    # 1. data: features and history, one query each for the whole batch
    inputs = read_inputs(warehouse, game_date, players, timings)
    work, ready = inputs.work, inputs.ready

    # 2. breakers: one read for the five systems, a compare-and-set only to claim a trial
    admissions: dict[str, str] = {}
    known: dict[str, Breaker] = {}
    if ready:
        with activity("guards"):
            t0 = time.perf_counter()
            known = breaker_store.read(settings)
            for key in SYSTEM_IDS:
                if key in ignored:
                    admissions[key] = "ignored"
                    continue
                admission, known[key] = breaker_store.request(key, settings[key], known[key])
                admissions[key] = str(admission)
            timings["breaker_read_seconds"] = time.perf_counter() - t0
    else:
        timings["breaker_read_seconds"] = 0.0
    timings["data_load_seconds"] = sum(
        timings[k] for k in ("feature_load_seconds", "history_load_seconds", "breaker_read_seconds")
    )
    admitted = [k for k in SYSTEM_IDS if ready and admissions.get(k) != str(Admission.REJECT)]

    # 3. predictions
    t0 = time.perf_counter()
    ran = run_systems(by_id, admitted, ready)
    batch_errors, batch_skips = ran.errors, ran.skips
    timings["prediction_compute_seconds"] = time.perf_counter() - t0

    # 4. one breaker outcome per attempted system
    summaries, circuits_opened, opened_now, pending = _record_breakers(
        breaker_store, settings, known, admissions, admitted, ready, batch_errors, batch_skips,
        defer_successes=not record_successes,
    )

    # 5. writes: one MERGE of predictions, one MERGE of run rows
    versions = model_versions(by_id, admitted, model_version)
    written, runs_written = write_batch(
        warehouse, inputs, game_date=game_date, run_date=run_date, worker_id=worker, model_versions=versions,
        circuits_opened=circuits_opened, timings=timings, clock=clock, started=started,
    )

    skipped = Counter(str(w.skip_reason) for w in work if w.skip_reason is not None)
    predicted = sum(1 for w in ready if w.predictions)
    result = BatchResult(
        game_date=game_date,
        batch_index=batch_index,
        worker_id=worker,
        players=len(work),
        players_predicted=predicted,
        players_failed=len(ready) - predicted,
        skipped=dict(sorted(skipped.items())),
        systems=summaries,
        circuits_opened=tuple(circuits_opened),
        predictions_written=written,
        run_rows_written=runs_written,
        timings={k: round(v, 6) for k, v in timings.items()},
        opened_by_batch=opened_now,
        pending_successes=pending,
    )
    log.info(
        "batch %d of %s: %d players, %d predicted, %d failed, skipped %s, circuits open %s",
        batch_index, game_date, result.players, predicted, result.players_failed, result.skipped,
        list(circuits_opened) or "none",
    )
    return result


# --------------------------------------------------------------------------- breakers


def _record_breakers(
    store: BreakerStore,
    settings: Mapping[str, BreakerSettings],
    known: dict[str, Breaker],
    admissions: Mapping[str, str],
    admitted: Sequence[str],
    ready: Sequence[PlayerWork],
    batch_errors: Mapping[str, str],
    batch_skips: Mapping[str, SystemSkip],
    *,
    defer_successes: bool = False,
) -> tuple[dict[str, SystemSummary], list[str], dict[str, Breaker], dict[str, dt.datetime]]:
    """Record one outcome per attempted system: failures and trial outcomes at once, other successes
    at once or (``defer_successes``) left pending. Return the summaries, the circuits now open, the
    breakers this batch opened and the pending successes."""
    summaries: dict[str, SystemSummary] = {}
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
    # a trial's success is written now: it closes the breaker for the batches that follow
    now_keys = [k for k in successes if not defer_successes or admissions.get(k) == str(Admission.TRIAL)]
    after: dict[str, State] = {}
    opened_now: dict[str, Breaker] = {}
    pending: dict[str, dt.datetime] = {}
    with activity("guards"):
        for key, (error_type, message) in failures.items():
            breaker = store.record_failure(key, settings[key], error_type, message)
            after[key] = breaker.state
            if breaker.state is State.OPEN and breaker.opened_at == breaker.updated_at:
                opened_now[key] = breaker
        if now_keys:
            store.record_successes({k: settings[k] for k in now_keys}, known)
    if len(now_keys) < len(successes):
        succeeded_at = store.clock()
        pending = {k: succeeded_at for k in successes if k not in now_keys}
    for key in successes:  # a success closes a trial; a closed breaker stays closed
        after[key] = State.CLOSED if known[key].state is not State.OPEN else State.OPEN
    opened: list[str] = []
    for key in SYSTEM_IDS:
        admission = admissions.get(key)
        if admission is None:  # nothing was eligible in the batch: the gate was not consulted
            summaries[key] = SystemSummary(admission="not_consulted")
            continue
        if admission == str(Admission.REJECT):
            state = known[key].state
            summaries[key] = SystemSummary(admission=admission, state_after=str(state))
            opened.append(key)
            continue
        attempted, succeeded, failed = counts.get(key, (0, 0, 0))
        state = after.get(key)
        if key in batch_skips:  # skipped itself: its breaker is as the batch found it
            state = known[key].state
        outcome = "failure" if key in failures else ("success" if key in successes else None)
        skip = batch_skips.get(key)
        summaries[key] = SystemSummary(
            admission=admission,
            attempted=attempted,
            succeeded=succeeded,
            failed=failed,
            breaker_outcome=outcome,
            state_after=str(state) if state else None,
            error=batch_errors.get(key),
            skip_reason=skip.reason if skip else None,
            skip_detail=skip.detail if skip else None,
        )
        if state is State.OPEN:
            opened.append(key)
    return summaries, opened, opened_now, pending


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
        known = store.read(settings)
        superseded = [
            k for k in settings if known[k].last_failure is not None and known[k].last_failure >= latest[k]
        ]
        keep = {k: v for k, v in settings.items() if k not in superseded}
        statements = 1 + (store.record_successes(keep, known) if keep else 0)
    if superseded:
        log.info("not recording the successes of %s: a later failure is on their breakers", superseded)
    summary.update(recorded=sorted(keep), superseded=superseded, statements=statements)
    return summary
