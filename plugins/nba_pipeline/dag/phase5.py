"""Phase 5 in the daily DAG: coordinate the slate, predict it in mapped batches, grade yesterday.

``build_phase5`` is called inside a ``with DAG(...)`` block and returns the
``phase_5_predictions`` task group:

* ``coordinate`` — the game date's eligible players cut into batches (XCom); skips with
  ``no_data`` when nobody is eligible. Waits for the feature store: a skipped feature store skips
  the predictions (the default ``all_success`` rule passes the skip on).
* ``predict`` — one mapped task per batch, labelled ``batch 3: 45 players`` in the UI. Records
  its systems' failures and trial outcomes at once (so a breaker opens, or a trial closes it, while
  the run goes on) and returns the other successes in its XCom. Alerts once for each system breaker
  the batch opened. Fails without retrying when no system worked for any player of the batch (the
  breakers have already counted it).
* ``record_successes`` — after every batch, whatever its outcome (``all_done``): the batches'
  successes for all five systems in one batched statement, as ``record_runs`` does in phases 2-4,
  so the breaker table sees the same few statements for 2 batches or 100.
* ``grade_previous_day`` — grades game date − 1; it waits only for the player summaries, so it runs
  whether or not today's predictions do; skips with ``no_data`` when that date has no predictions.

Each task gets the run's game date as a templated argument (``GAME_DATE_TEMPLATE``). ``predict`` and
``grade_previous_day`` report the tables they read and wrote to OpenLineage, as the processors'
run tasks do. Nothing here touches the warehouse or imports heavy modules at parse time.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from typing import Any

from airflow.sdk import BaseOperator, TaskGroup, TriggerRule, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from nba_pipeline.dag.options import GAME_DATE_TEMPLATE, RunDated, run_options
from nba_pipeline.dag.tasks import task_instance_ref

log = logging.getLogger(__name__)

GROUP_ID = "phase_5_predictions"
SKIP_KEY = "skip_reason"
LABEL_KEY = "batch_label"


def _skip(context: Any, reason: str, detail: str) -> None:
    context["ti"].xcom_push(key=SKIP_KEY, value={"reason": reason, "detail": detail})
    raise AirflowSkipException(f"{reason}: {detail}")


@task(task_id="coordinate")
def coordinate(game_date: str) -> list[dict[str, Any]]:
    """The run's game date's eligible players, in batches of ``NBA_PREDICTION_BATCH_SIZE``."""
    from nba_pipeline.guards.skip_reasons import SkipReason
    from nba_pipeline.predictions.contract import BASE_SYSTEM_IDS
    from nba_pipeline.predictions.coordinator import (
        describe_groups,
        drop_ineligible,
        eligible_players,
        make_batches,
        slate_groups,
    )
    from nba_pipeline.predictions.grading import ensemble_weights
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import activity, get_warehouse

    context = get_current_context()
    day = run_options(context, game_date=game_date).game_date
    with activity("predictions"), get_warehouse() as warehouse:
        players = eligible_players(warehouse, day)
        groups = describe_groups(slate_groups(warehouse, day))
        dropped = drop_ineligible(warehouse, day, players) if players else 0
        weights = ensemble_weights(warehouse, day, BASE_SYSTEM_IDS) if players else {}
    log.info("%s: the expected players by group: %s", day, groups)
    if dropped:
        log.info("%s: %d predictions of an earlier run for players not eligible now were removed", day, dropped)
    if not players:
        _skip(context, str(SkipReason.NO_DATA), f"no eligible players on {day} ({groups})")
    batches = make_batches(players, get_settings().prediction_batch_size, weights)
    estimated = sum(1 for p in players if p.line_estimated)
    log.info("%s: %d eligible players (%d with an estimated line) in %d batches; ensemble weights %s", day,
             len(players), estimated, len(batches), weights or "by confidence (too few grades before the date)")
    return batches


class PredictBatchOperator(RunDated):
    """Predict one batch (its players and game date) with every admitted system and write its
    predictions and run rows; the successes to record are in the returned summary's
    ``pending_successes``. Reports the tables it read and wrote to OpenLineage."""

    ui_color = "#d9ead3"

    def __init__(self, *, batch: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batch = batch
        self._summary: dict[str, Any] | None = None

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.predictions.coordinator import batch_label
        from nba_pipeline.predictions.systems import build_systems
        from nba_pipeline.predictions.worker import predict_batch
        from nba_pipeline.predictions.worker.running import ModelVersionRecorder
        from nba_pipeline.registry.guard_tables import breaker_store
        from nba_pipeline.warehouse import get_warehouse

        batch = self.batch
        context[LABEL_KEY] = batch_label(batch)
        options = self.options_for(context)
        ti = context["ti"]
        worker_id = f"map-{ti.map_index}@{socket.gethostname()}"
        model = ModelVersionRecorder(before=dt.date.fromisoformat(str(batch["game_date"])))
        systems = build_systems(model_loader=model, ensemble_weights=batch.get("ensemble_weights"))
        with get_warehouse() as warehouse:
            result = predict_batch(
                warehouse, batch, systems, breaker_store=breaker_store(warehouse), worker_id=worker_id,
                ignore_breakers=options.ignore_breakers, model_version=model.current, record_successes=False,
                task_instance=task_instance_ref(context),
            )
        if result.opened_by_batch:
            from nba_pipeline.alerts import breaker_opened

            for key, breaker in sorted(result.opened_by_batch.items()):
                breaker_opened(key, breaker, dag_id=ti.dag_id, run_id=context["run_id"])
        self._summary = summary = result.to_json()
        self.log.info(
            "%s: %d predicted, %d failed, skipped %s, circuits open %s", batch_label(batch), result.players_predicted,
            result.players_failed, result.skipped, list(result.circuits_opened) or "none",
        )
        attempted = result.players - sum(result.skipped.values())
        if attempted and not result.players_predicted:
            raise AirflowFailException(
                f"no prediction system worked for any of the {attempted} players of the batch: "
                + "; ".join(f"{k}: {v.error or v.admission}" for k, v in result.systems.items())
            )
        return summary

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """The batch read the features and history tables and wrote predictions and run rows (with
        how many rows each, once it ran)."""
        from nba_pipeline.dag.lineage import PredictionBatchFacet, tables_lineage
        from nba_pipeline.predictions.worker.inputs import TABLES_READ
        from nba_pipeline.predictions.worker.writes import PREDICTIONS_TABLE, RUNS_TABLE

        summary = self._summary
        written: dict[str, int] = {}
        facets: dict[str, Any] = {}
        if summary is not None:
            written = {PREDICTIONS_TABLE: summary["predictions_written"], RUNS_TABLE: summary["run_rows_written"]}
            facets = {"nbaPredictionBatch": PredictionBatchFacet(
                gameDate=str(summary["game_date"]), batchIndex=int(summary["batch_index"]),
                workerId=str(summary["worker_id"]))}
        return tables_lineage(TABLES_READ, (PREDICTIONS_TABLE, RUNS_TABLE), rows_written=written, run_facets=facets)

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        return self.get_openlineage_facets_on_complete(task_instance)


@task(task_id="record_successes", trigger_rule=TriggerRule.ALL_DONE)
def record_successes(results: Any) -> dict[str, Any]:
    """Record every batch's pending breaker successes in one batched statement (a failed batch left no
    XCom: its failures are already recorded, its successes, if any, are not)."""
    from nba_pipeline.predictions.worker.breakers import record_pending_successes
    from nba_pipeline.registry.guard_tables import breaker_store
    from nba_pipeline.warehouse import get_warehouse

    # ``results`` is the SDK's lazy sequence of the batches' XComs. Slice it (one request for every
    # value there is): iterating asks for one offset past the end, which the SDK logs as an error.
    summaries = [r for r in (results[:] if results is not None else ()) if r]
    if not any(s.get("pending_successes") for s in summaries):
        log.info("%d batches returned no success to record", len(summaries))
        return {"batches": len(summaries), "recorded": [], "superseded": [], "statements": 0}
    with get_warehouse() as warehouse:
        summary = record_pending_successes(breaker_store(warehouse), summaries)
    log.info("breaker successes of %d batches: recorded %s; left alone (a later failure) %s; %d statements",
             summary["batches"], summary["recorded"] or "none", summary["superseded"] or "none", summary["statements"])
    return summary


class GradePreviousDayOperator(RunDated):
    """Grade the previous game date's predictions against the points scored; reports the tables it
    read and wrote to OpenLineage."""

    ui_color = "#d9ead3"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows_changed: int | None = None

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.guards.skip_reasons import SkipReason
        from nba_pipeline.predictions.grading import grade_predictions
        from nba_pipeline.warehouse import activity, get_warehouse

        day = self.options_for(context).game_date - dt.timedelta(days=1)
        with activity("predictions"), get_warehouse() as warehouse:
            count = warehouse.query(
                "SELECT COUNT(*) AS n FROM nba_predictions.player_prop_predictions WHERE game_date = @d", {"d": day}
            )[0]["n"]
            if not count:
                _skip(context, str(SkipReason.NO_DATA), f"no predictions for {day}")
            self._rows_changed = changed = grade_predictions(warehouse, day)
        self.log.info("graded %d predictions of %s; %d grade rows written", count, day, changed)
        return {"game_date": day.isoformat(), "predictions": count, "rows_changed": changed}

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from nba_pipeline.dag.lineage import tables_lineage
        from nba_pipeline.predictions.grading import GRADES_TABLE, GRADING_READS

        written = {} if self._rows_changed is None else {GRADES_TABLE: self._rows_changed}
        return tables_lineage(GRADING_READS, (GRADES_TABLE,), rows_written=written)


def build_phase5(*, upstream_feature_task: BaseOperator, upstream_grading_task: BaseOperator) -> TaskGroup:
    """Create the ``phase_5_predictions`` group in the current DAG and wire it to its upstreams.

    :param upstream_feature_task: the feature store's run task; ``coordinate`` follows it.
    :param upstream_grading_task: the player-game-summary run task; ``grade_previous_day`` follows it.
    """
    from nba_pipeline.settings import get_settings

    with TaskGroup(group_id=GROUP_ID, tooltip="Phase 5: predictions in batches, grading") as group:
        batches = coordinate(game_date=GAME_DATE_TEMPLATE)
        predicted = PredictBatchOperator.partial(
            task_id="predict", game_date=GAME_DATE_TEMPLATE, map_index_template="{{ batch_label }}",
            max_active_tis_per_dagrun=get_settings().prediction_parallel_batches,
        ).expand(batch=batches)
        record_successes.override(pool=get_settings().state_write_pool)(predicted.output)
        grade = GradePreviousDayOperator(task_id="grade_previous_day", game_date=GAME_DATE_TEMPLATE)
    upstream_feature_task >> batches
    upstream_grading_task >> grade
    return group
