"""Backfill: run the guarded processors for one date in process, in dependency order.

A backfill covers many dates; one Airflow task per processor per date would cost thousands of task
instances. Instead each date is one task (mapped over the range, labelled by date in the UI) that
applies the same guards as the daily DAG — calendar verdict, breaker, dependency completeness with
no waiting and no staleness failure — runs the processors phase by phase, and writes the run rows
and breaker outcomes in one batch. A finished date is recorded in
``nba_orchestration.backfill_progress``; a resumed backfill skips it.

Until that batch is written, the date's rows also wait in the run-log outbox, and the processor
that is running leaves a running mark there: a date whose process is killed (``kill -9``, out of
memory) keeps the rows of the processors it finished, and the one it was running gets a failed row,
both written by the next ``record_runs`` (:class:`~nba_pipeline.guards.run_log.RunLogOutbox`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nba_pipeline import clock
from nba_pipeline.guards.breaker import Admission, BreakerSettings
from nba_pipeline.guards.breaker_store import InvalidBreakerRowError
from nba_pipeline.guards.calendar import Calendar, CalendarVerdict
from nba_pipeline.guards.dependencies import DependencyReport, evaluate
from nba_pipeline.guards.run_log import (
    AttemptLostError,
    RunLogOutbox,
    RunRecord,
    TaskInstanceRef,
    make_run_id,
    write_run_records,
)
from nba_pipeline.guards.skip_reasons import SkipReason, skip_reason
from nba_pipeline.guards.spec import ProcessorContext, ProcessorSkip, ProcessorSpec
from nba_pipeline.registry.guard_tables import GUARD_TABLES, breaker_store
from nba_pipeline.settings import get_settings
from nba_pipeline.warehouse import JobCost, Warehouse, activity, job_costs

log = logging.getLogger(__name__)
PROGRESS_TABLE = "nba_orchestration.backfill_progress"


@dataclass
class DateOutcome:
    game_date: dt.date
    outcome: dict[str, str] = field(default_factory=dict)

    def count(self, prefix: str) -> int:
        return sum(1 for value in self.outcome.values() if value.startswith(prefix))


def dates_between(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start:
        raise ValueError(f"end date {end} is before start date {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def completed_dates(warehouse: Warehouse, dates: Sequence[dt.date]) -> set[dt.date]:
    rows = warehouse.query(
        f"SELECT DISTINCT game_date FROM {PROGRESS_TABLE} WHERE status = 'complete' AND game_date IN UNNEST(@dates)",
        {"dates": list(dates)},
    )
    return {row["game_date"] for row in rows}


def run_date(
    warehouse: Warehouse,
    processors: Sequence[ProcessorSpec],
    calendar: Calendar,
    game_date: dt.date,
    *,
    dag_run_id: str,
    written_since: dt.datetime | None = None,
    task_instance: TaskInstanceRef | None = None,
) -> DateOutcome:
    """Run every processor for ``game_date`` behind its guards; failures are recorded, not raised.

    ``written_since``: when this DAG run began (its ``run_after``), which bounds the run-table
    partitions searched for rows already written by an earlier try of the same date.
    ``task_instance``: the Airflow task running the backfill, which every run row names.
    """
    date_run = _DateRun(warehouse, calendar, game_date, dag_run_id, processors, task_instance)
    for spec in processors:
        date_run.run(spec)
    with activity("run_log"):
        write_run_records(warehouse, date_run.records, GUARD_TABLES.runs, written_since=written_since)
    date_run.written()
    if date_run.succeeded:
        with activity("guards"):
            date_run.store.record_successes(date_run.succeeded, date_run.breakers)
    return date_run.result


@dataclass
class _Skip:
    reason: str
    detail: str
    report: DependencyReport | None = None


class _DateRun:
    """One date of a backfill: the guards of each processor in turn, in one process."""

    def __init__(
        self,
        warehouse: Warehouse,
        calendar: Calendar,
        game_date: dt.date,
        dag_run_id: str,
        processors: Sequence[ProcessorSpec],
        task_instance: TaskInstanceRef | None = None,
    ) -> None:
        self.warehouse, self.calendar, self.game_date, self.dag_run_id = warehouse, calendar, game_date, dag_run_id
        self.task_instance = task_instance
        self.result = DateOutcome(game_date)
        self.store = breaker_store(warehouse)
        self.threshold_pct = get_settings().dependency_threshold_pct
        with activity("guards"):
            scanned = self.store.scan({p.name: p.breaker for p in processors if p.breaker is not None})
        self.breakers = scanned.breakers  # an invalid row's key is left out: its guard decides alone
        self.verdicts: dict[int, CalendarVerdict] = {}
        self.records: list[RunRecord] = []
        self.succeeded: dict[str, BreakerSettings] = {}
        self.outbox = RunLogOutbox(get_settings().run_log_outbox)
        self.waiting: list[Path] = []  # this date's rows in the outbox, until the warehouse has them

    def verdict_for(self, offset: int) -> CalendarVerdict:
        """Decided on first use: the schedule chain, which is not calendar-guarded, runs first."""
        if offset not in self.verdicts:
            with activity("guards"):
                self.verdicts[offset] = self.calendar.decide(
                    self.warehouse,
                    self.game_date + dt.timedelta(days=offset),
                    reference_date=self.game_date,
                    backfill=True,
                )
        return self.verdicts[offset]

    def guard(self, spec: ProcessorSpec) -> _Skip | DependencyReport | None:
        """Why ``spec`` must not run, or its dependency report (None: it has no dependencies)."""
        if spec.calendar_guarded:
            verdict = self.verdict_for(spec.date_offset_days)
            if not verdict.proceed:
                return _Skip(str(verdict.reason), verdict.detail)
        if spec.breaker is not None:
            try:
                with activity("guards"):
                    admission, breaker = self.store.request(spec.name, spec.breaker, self.breakers.get(spec.name))
            except InvalidBreakerRowError as error:  # this breaker alone fails open or closed
                if not get_settings().breaker_fail_open:
                    return _Skip(SkipReason.CIRCUIT_OPEN, f"breaker row invalid and failing closed: {error}")
                log.warning("%s; failing open for %s", error, spec.name)
            else:
                self.breakers[spec.name] = breaker
                if admission is Admission.REJECT:
                    return _Skip(SkipReason.CIRCUIT_OPEN, f"breaker {breaker.state}")
        if not spec.dependencies:
            return None
        with activity("guards"):
            report = evaluate(
                self.warehouse, spec.dependencies, spec.target_date(self.game_date), clock.now(), self.threshold_pct
            )
        return report if report.ready else _Skip(SkipReason.UPSTREAM_INCOMPLETE, report.describe(), report)

    def run(self, spec: ProcessorSpec) -> None:
        """Guard, run and record one processor; a failure is recorded and the date goes on. While it
        runs, the outbox holds the failed row it gets if the process dies first."""
        started = clock.now()
        lost = AttemptLostError(
            f"the backfill of {self.game_date} (pid {os.getpid()} on {socket.gethostname()}) ended while "
            f"{spec.name} ran, without recording it: killed with SIGKILL, out of memory or its machine lost"
        )
        try:
            mark: Path | None = self.outbox.mark_running(self._row(spec, started, "failed", error=lost))
        except OSError as disk_error:  # the date goes on; only a kill would find it unmarked
            log.warning("could not mark %s as running in %s: %s", spec.name, self.outbox.directory, disk_error)
            mark = None
        try:
            self._guard_and_run(spec, started)
        finally:
            if mark is not None:
                mark.unlink(missing_ok=True)

    def written(self) -> None:
        """The date's rows are in the warehouse: the outbox no longer keeps them."""
        for path in self.waiting:
            self.outbox.discard(path)
        self.waiting.clear()

    def _guard_and_run(self, spec: ProcessorSpec, started: dt.datetime) -> None:
        guarded = self.guard(spec)
        if isinstance(guarded, _Skip):
            self.record(self._row(spec, started, "skipped", reason=guarded.reason, detail=guarded.detail,
                                  report=guarded.report))
            return
        report = guarded
        context = ProcessorContext(
            warehouse=self.warehouse,
            processor=spec,
            event_date=self.game_date,
            backfill=True,
            run_id=make_run_id(self.dag_run_id, spec.name, str(self.game_date)),
            dag_run_id=self.dag_run_id,
            try_number=1,
            options={"game_date": self.game_date.isoformat(), "backfill": True},
        )
        cost = JobCost()
        try:
            with activity("processor"), job_costs() as cost:
                outcome = spec.run(context)
        except ProcessorSkip as skip:
            self.record(self._row(
                spec, started, "skipped", reason=skip_reason(skip.reason), detail=skip.detail, report=report, cost=cost
            ))
            return
        except Exception as error:  # recorded and counted; the rest of the date goes on
            log.warning("%s failed for %s: %s", spec.name, self.game_date, error)
            self.record(self._row(spec, started, "failed", error=error, report=report, cost=cost))
            if spec.breaker is not None:
                with activity("guards"):
                    self.breakers[spec.name] = self.store.record_failure(
                        spec.name, spec.breaker, type(error).__name__, str(error)
                    )
            return
        self.record(self._row(spec, started, "success", outcome=outcome, report=report, cost=cost))
        if spec.breaker is not None:
            self.succeeded[spec.name] = spec.breaker

    def record(self, record: RunRecord) -> None:
        """Keep one processor's row for the date's batch, and in the outbox until the batch is written."""
        self.records.append(record)
        try:
            self.waiting.append(self.outbox.keep(record))
        except OSError as disk_error:  # still written with the date's batch
            log.warning("could not keep %s's run row in %s: %s", record.processor, self.outbox.directory, disk_error)
        skipped = f"skipped:{record.skip_reason}"
        self.result.outcome[record.processor] = skipped if record.status == "skipped" else record.status

    def _row(
        self,
        spec: ProcessorSpec,
        started: dt.datetime,
        status: str,
        *,
        reason: str | None = None,
        detail: str | None = None,
        error: BaseException | None = None,
        report: DependencyReport | None = None,
        outcome: Any = None,
        cost: JobCost | None = None,
    ) -> RunRecord:
        target = spec.target_date(self.game_date)
        return RunRecord(
            processor=spec.name,
            phase=spec.phase.value,
            run_id=make_run_id(self.dag_run_id, spec.name, f"{self.game_date}:{status}"),
            status=status,
            started_at=started,
            completed_at=clock.now(),
            target_date=target,
            skip_reason=str(reason) if reason else None,
            error_type=type(error).__name__ if error else None,
            error_message=str(error)[:4000] if error else detail,
            rows_processed=getattr(outcome, "rows_processed", None),
            rows_inserted=getattr(outcome, "rows_inserted", None),
            rows_updated=getattr(outcome, "rows_updated", None),
            rows_failed=getattr(outcome, "rows_failed", None),
            file_path=getattr(outcome, "file_path", None),
            date_range_start=target,
            date_range_end=target,
            dependency_check_passed=report.dependency_check_passed if report else None,
            data_completeness_pct=report.data_completeness_pct if report else None,
            upstream_data_age_hours=report.upstream_data_age_hours if report else None,
            bytes_processed=cost.bytes_processed if cost else None,
            bytes_billed=cost.bytes_billed if cost else None,
            slot_ms=cost.slot_ms if cost else None,
            options={"game_date": self.game_date.isoformat(), "backfill": True, "dag_run_id": self.dag_run_id},
            task_instance=self.task_instance,
        )


def record_progress(warehouse: Warehouse, outcome: DateOutcome, dag_run_id: str) -> None:
    """Mark a date complete (every processor ran or was skipped) or failed."""
    failed = outcome.count("failed")
    warehouse.insert_rows(
        PROGRESS_TABLE,
        [
            {
                "game_date": outcome.game_date,
                "status": "failed" if failed else "complete",
                "dag_run_id": dag_run_id,
                "processors_run": outcome.count("success"),
                "processors_skipped": outcome.count("skipped"),
                "processors_failed": failed,
                "outcome": json.dumps(outcome.outcome, sort_keys=True),
                "completed_at": clock.now(),
            }
        ],
    )
