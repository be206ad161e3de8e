"""Pattern #2 as tasks: one dependency snapshot per wave of a phase, and each processor's sensor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, TriggerRule
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowSkipException

from nba_pipeline import clock
from nba_pipeline.dag.options import RunDated, RunOptions
from nba_pipeline.dag.tasks import push_skip
from nba_pipeline.guards.skip_reasons import SkipReason

if TYPE_CHECKING:
    from nba_pipeline.guards.spec import ProcessorSpec


class MeasureDependenciesOperator(RunDated):
    """Measure the dependencies of every processor of a wave in one round trip.

    A wave is the processors of a phase that sit at the same depth of the phase's own graph, so
    the snapshot runs once their producers are done (whatever their outcome) and the guards'
    warehouse traffic grows with the depth of the phase, not with its number of processors. Each
    processor's sensor trusts a *ready* verdict from the snapshot and measures for itself only
    while waiting. Failing to measure is not fatal: the sensors then measure for themselves.

    :param processors: the wave's processors (each with dependencies).
    """

    ui_color = "#d0e0e3"

    def __init__(
        self, *, processors: Sequence[ProcessorSpec], **kwargs: Any
    ) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.processors = tuple(processors)

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.guards.dependencies import evaluate_many
        from nba_pipeline.settings import get_settings
        from nba_pipeline.warehouse import activity, get_warehouse

        options = self.options_for(context)
        requests = {p.name: (p.dependencies, p.target_date(options.game_date)) for p in self.processors}
        try:
            with activity("guards"), get_warehouse() as warehouse:
                reports = evaluate_many(
                    warehouse, requests, clock.now(), get_settings().dependency_threshold_pct
                )
        except Exception as error:  # the sensors measure for themselves
            self.log.warning("could not measure the wave's dependencies; each sensor will: %s", error)
            return {}
        for name, report in reports.items():
            self.log.info("%s: %s%s", name, report.describe(), "" if report.ready else " (not ready)")
        return {name: report.as_dict() for name, report in reports.items()}


class DependencyCompletenessSensor(RunDated, BaseSensorOperator):
    """Pattern #2: wait until every critical upstream is filled for the date window.

    The first verdict comes from the wave's snapshot when it says *ready* (no round trip); else
    each poke measures all of the processor's dependencies in one round trip. Ready when every
    critical dependency reaches the threshold and none is stale (older than its warn threshold;
    staleness is ignored in backfill); a warehouse that cannot be reached counts as not ready yet.
    Not ready by ``timeout`` → skipped with ``upstream_incomplete`` or ``upstream_stale``, except
    that a critical dependency older than its fail threshold fails the task outside backfill.
    Returns the three figures (``dependency_check_passed``, ``data_completeness_pct``,
    ``upstream_data_age_hours``) for the run row. Reschedule mode: no worker slot held while waiting.

    :param processor: the processor's registry entry (its ``dependencies`` are checked).
    :param snapshot_task_id: the wave's :class:`MeasureDependenciesOperator`, if any.
    """

    ui_color = "#d0e0e3"

    def __init__(
        self,
        *,
        processor: ProcessorSpec,
        snapshot_task_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        from nba_pipeline.settings import get_settings

        settings = get_settings()
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("poke_interval", settings.dependency_poke_seconds)
        kwargs.setdefault("timeout", settings.dependency_timeout_seconds)
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.processor = processor
        self.snapshot_task_id = snapshot_task_id

    def _measure(self, options: RunOptions) -> Any:
        from nba_pipeline.guards.dependencies import evaluate
        from nba_pipeline.settings import get_settings
        from nba_pipeline.warehouse import activity, get_warehouse

        with activity("guards"), get_warehouse() as warehouse:
            return evaluate(
                warehouse,
                self.processor.dependencies,
                self.processor.target_date(options.game_date),
                clock.now(),
                threshold_pct=get_settings().dependency_threshold_pct,
            )

    def _from_snapshot(self, context: Any, options: RunOptions) -> Any:
        """The wave's report for this processor if it lets the processor go, else None."""
        from nba_pipeline.guards.dependencies import DependencyReport

        if not self.snapshot_task_id:
            return None
        snapshot = context["ti"].xcom_pull(task_ids=self.snapshot_task_id) or {}
        if self.processor.name not in snapshot:
            return None
        report = DependencyReport.from_dict(snapshot[self.processor.name])
        if self.processor.name in options.force or (report.ready and (options.backfill or not report.stale())):
            return report
        return None

    def poke(self, context: Any) -> bool | PokeReturnValue:
        from nba_pipeline.warehouse.base import WarehouseError

        options = self.options_for(context)
        try:
            report = self._from_snapshot(context, options) or self._measure(options)
        except WarehouseError as error:  # an outage is waited out like missing data, up to the timeout
            self.log.warning("cannot measure the dependencies yet (%s); poking again", error)
            return False
        figures = report.as_dict()
        if self.processor.name in options.force:
            self.log.info("forced: running whatever the dependencies (%s)", report.describe())
            return PokeReturnValue(True, figures)
        stale = [] if options.backfill else report.stale()
        ready = report.ready and not stale
        self.log.info("%s: %s", "ready" if ready else "waiting", report.describe())
        return PokeReturnValue(True, figures) if ready else False

    def execute(self, context: Any) -> Any:
        try:
            return super().execute(context)
        except AirflowSensorTimeout:
            options = self.options_for(context)
            report = self._measure(options)
            context["ti"].xcom_push(key="dependency_report", value=report.as_dict())
            if report.incomplete():
                reason = SkipReason.UPSTREAM_INCOMPLETE
                detail = "incomplete: " + ", ".join(
                    f"{s.name} {s.rows}/{s.expected}" for s in report.incomplete()
                )
            else:
                failing = [] if options.backfill else report.critically_stale()
                if failing:
                    raise AirflowFailException(
                        "critical upstream data is stale beyond its fail threshold: "
                        + ", ".join(f"{s.name} {s.age_hours:.1f}h old" for s in failing)
                    ) from None
                reason = SkipReason.UPSTREAM_STALE
                detail = "stale: " + ", ".join(s.staleness() for s in report.stale())
            push_skip(context, reason, detail)
            raise AirflowSkipException(f"{reason}: {detail}") from None
