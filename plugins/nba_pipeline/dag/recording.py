"""The phase's ``record_runs`` task: every processor's final run row in one batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import TriggerRule

from nba_pipeline import clock
from nba_pipeline.dag.options import RunDated
from nba_pipeline.dag.tasks import SKIP_KEY, guard_task_ids, run_log_outbox, run_task_states, task_instance_ref
from nba_pipeline.guards.skip_reasons import SkipReason

if TYPE_CHECKING:
    from nba_pipeline.guards.spec import ProcessorSpec
    from nba_pipeline.guards.tables import GuardTables


class RecordPhaseRunsOperator(RunDated):
    """Write the phase's run rows (successes and skips) in one batch and record breaker successes.

    Runs when everything in the phase is done, whatever the outcome. Failed attempts were written
    by their run tasks already; a processor that never ran because an upstream failed gets a
    ``skipped`` row with ``upstream_failed``, so every processor has a final row for the run.

    :param processors: the phase's processors.
    :param run_task_ids: processor name → its run task (its guards are beside it).
    :param snapshot_task_id: the phase's ``read_breakers`` task (for the batched success update).
    :param tables: the phase's run table and the breakers.
    """

    ui_color = "#eeeeee"

    def __init__(
        self,
        *,
        processors: Sequence[ProcessorSpec],
        run_task_ids: Mapping[str, str],
        snapshot_task_id: str | None,
        tables: GuardTables,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        super().__init__(**kwargs)
        self.processors = tuple(processors)
        self.run_task_ids = dict(run_task_ids)
        self.snapshot_task_id = snapshot_task_id
        self.tables = tables

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.guards.run_log import RunRecord, make_run_id, write_run_records
        from nba_pipeline.guards.serialization import breaker_from_json
        from nba_pipeline.warehouse import activity, get_warehouse

        ti = context["ti"]
        options = self.options_for(context)
        states = run_task_states(context, [self.run_task_ids[p.name] for p in self.processors])
        now = clock.now()
        records: list[RunRecord] = []
        succeeded = []
        outcome: dict[str, str] = {}
        for processor in self.processors:
            ids = guard_task_ids(self.run_task_ids[processor.name])
            state = states.get(ids["run"])
            produced = ti.xcom_pull(task_ids=ids["run"])
            if produced:
                records.append(RunRecord.from_json(produced))
                succeeded.append(processor)
                outcome[processor.name] = "success"
                continue
            if state == "failed":
                outcome[processor.name] = "failed"
                continue
            skip, decided_by = None, ids["run"]
            for guard in [ids["run"], ids["dependencies"], ids["breaker_gate"], ids["smart_skip"]]:
                skip = ti.xcom_pull(task_ids=guard, key=SKIP_KEY)
                if skip:
                    decided_by = guard
                    break
            if not skip:
                reason = SkipReason.UPSTREAM_FAILED if state == "upstream_failed" else SkipReason.UPSTREAM_SKIPPED
                skip = {"reason": str(reason), "detail": f"run task ended {state or 'without running'}"}
            outcome[processor.name] = f"skipped:{skip['reason']}"
            records.append(
                RunRecord(
                    processor=processor.name,
                    phase=processor.phase.value,
                    run_id=make_run_id(context["run_id"], processor.name, "skip"),
                    status="skipped",
                    started_at=now,
                    completed_at=now,
                    target_date=processor.target_date(options.game_date),
                    skip_reason=skip["reason"],
                    error_message=skip.get("detail"),
                    options=options.as_dict(),
                    task_instance=task_instance_ref(context, decided_by),
                )
            )
        box = run_log_outbox()
        waiting = box.claim()  # failed rows their own tasks could not write (e.g. the warehouse was down)
        records.extend(record for _, record in waiting)
        since = min([context["dag_run"].run_after, *(record.started_at for _, record in waiting)])
        try:
            with get_warehouse() as warehouse:
                with activity("run_log"):
                    written = write_run_records(warehouse, records, self.tables.runs, written_since=since)
                box.settle(waiting)
                guarded = {p.name: p.breaker for p in succeeded if p.breaker is not None}
                if guarded:
                    snapshot = ti.xcom_pull(task_ids=self.snapshot_task_id) if self.snapshot_task_id else None
                    known = {k: breaker_from_json(v) for k, v in (snapshot or {}).items()}
                    with activity("guards"):
                        self.tables.breaker_store(warehouse).record_successes(guarded, known)
        except BaseException:
            box.release(waiting)
            raise
        if waiting:
            self.log.info("wrote %d run rows that had waited in %s", len(waiting), box.directory)
        self.log.info("wrote %d run rows; outcomes: %s", written, outcome)
        return outcome
