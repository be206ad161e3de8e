"""The batched prediction worker: one call of :func:`predict_batch` predicts a batch of players with
every admitted system.

Per batch, whatever its size: one query for the breakers of the five systems, one for the features
(feature store row, the player's zone shares, the opponent's zone gaps), one for the players'
history, one MERGE of the predictions and one MERGE of the run rows, plus the breaker outcomes.
A player with at least one successful system is a success. What BigQuery reports for the batch's
jobs up to the predictions MERGE goes into its run rows, split evenly over its players.

The steps, each with its rules:

* :mod:`~nba_pipeline.predictions.worker.inputs`: the features and history, and who is skipped;
* :mod:`~nba_pipeline.predictions.worker.breakers`: the gate, and each system's breaker outcome;
* :mod:`~nba_pipeline.predictions.worker.running`: the systems, and each player's outcome;
* :mod:`~nba_pipeline.predictions.worker.writes`: the prediction and run rows, and their MERGEs.

What the batch reports is a :class:`~nba_pipeline.predictions.worker.results.BatchResult`.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nba_pipeline.guards.breaker import BreakerSettings, Clock, utc_now
from nba_pipeline.guards.breaker_store import BreakerStore
from nba_pipeline.guards.run_log import TaskInstanceRef
from nba_pipeline.predictions.contract import SYSTEM_IDS
from nba_pipeline.predictions.coordinator import EligiblePlayer
from nba_pipeline.predictions.worker.breakers import BreakerOutcomes, admit, record_outcomes
from nba_pipeline.predictions.worker.inputs import BatchInputs, read_inputs
from nba_pipeline.predictions.worker.results import BatchResult
from nba_pipeline.predictions.worker.running import model_versions, run_systems, systems_by_id
from nba_pipeline.predictions.worker.writes import Written, write_batch
from nba_pipeline.registry.catalog import settings_for
from nba_pipeline.warehouse.base import Warehouse, job_costs

log = logging.getLogger(__name__)

_DATA_LOAD = ("feature_load_seconds", "history_load_seconds", "breaker_read_seconds")


def default_worker_id(batch_index: int) -> str:
    return f"{socket.gethostname()}:batch-{batch_index}"


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
    task_instance: TaskInstanceRef | None = None,
) -> BatchResult:
    """Predict one batch (a dict from :func:`~nba_pipeline.predictions.coordinator.make_batches`).

    :param systems: the base systems (``system_id``, ``predict_batch(players)``) and the ensemble
        (``system_id`` ``ensemble_v1``, ``combine(player, predictions)``).
    :param breaker_store: where the systems' breakers live (its clock decides timeouts).
    :param clock: the time written to ``run_date`` and ``created_at``.
    :param worker_id: written to every run row; default ``<hostname>:batch-<index>``.
    :param ignore_breakers: systems attempted whatever their breaker says (outcomes still recorded).
    :param breaker_settings: per-system settings; default the registry's.
    :param model_version: the version of the model ``xgboost_v1`` used in this batch, asked after it ran
        (see :class:`~nba_pipeline.predictions.worker.running.ModelVersionRecorder`); else the system's
        ``model_version`` attribute, if any.
    :param record_successes: False: leave the successes of systems not on trial in ``pending_successes``
        for :func:`~nba_pipeline.predictions.worker.breakers.record_pending_successes` (failures and
        trial outcomes are recorded here whatever this says).
    :param task_instance: the Airflow task instance predicting the batch, named by every run row.
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
    timings: dict[str, float] = {}

    with job_costs() as cost:
        inputs = read_inputs(warehouse, game_date, players, timings)
        gate = admit(breaker_store, settings, set(ignore_breakers), bool(inputs.ready), timings)
        timings["data_load_seconds"] = sum(timings[k] for k in _DATA_LOAD)
        t0 = time.perf_counter()
        ran = run_systems(by_id, gate.admitted, inputs.ready)
        timings["prediction_compute_seconds"] = time.perf_counter() - t0
        outcomes = record_outcomes(
            breaker_store, settings, gate, inputs.ready, ran, defer_successes=not record_successes
        )
        written = write_batch(
            warehouse, inputs, game_date=game_date, run_date=run_date, worker_id=worker,
            model_versions=model_versions(by_id, gate.admitted, model_version),
            circuits_opened=outcomes.circuits_opened, timings=timings, clock=clock, started=started,
            task_instance=task_instance, cost=cost,
        )
    return _result(game_date, batch_index, worker, inputs, outcomes, written, timings)


def _result(
    game_date: dt.date,
    batch_index: int,
    worker: str,
    inputs: BatchInputs,
    outcomes: BreakerOutcomes,
    written: Written,
    timings: Mapping[str, float],
) -> BatchResult:
    skipped = Counter(str(w.skip_reason) for w in inputs.work if w.skip_reason is not None)
    predicted = sum(1 for w in inputs.ready if w.predictions)
    result = BatchResult(
        game_date=game_date,
        batch_index=batch_index,
        worker_id=worker,
        players=len(inputs.work),
        players_predicted=predicted,
        players_failed=len(inputs.ready) - predicted,
        skipped=dict(sorted(skipped.items())),
        systems=outcomes.summaries,
        circuits_opened=tuple(outcomes.circuits_opened),
        predictions_written=written.predictions,
        run_rows_written=written.run_rows,
        timings={k: round(v, 6) for k, v in timings.items()},
        opened_by_batch=outcomes.opened_by_batch,
        pending_successes=outcomes.pending_successes,
    )
    log.info(
        "batch %d of %s: %d players, %d predicted, %d failed, skipped %s, circuits open %s",
        batch_index, game_date, result.players, predicted, result.players_failed, result.skipped,
        list(outcomes.circuits_opened) or "none",
    )
    return result
