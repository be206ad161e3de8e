"""Backfill: run the guarded processors for one date in process, in dependency order.

A backfill covers many dates; one Airflow task per processor per date would cost thousands of task
instances. Instead each date is one task (mapped over the range, labelled by date in the UI) that
applies the same guards as the daily DAG — calendar verdict, breaker, dependency completeness with
no waiting and no staleness failure — runs the processors phase by phase, and writes the run rows
and breaker outcomes in one batch. A finished date is recorded in
``nba_orchestration.backfill_progress``; a resumed backfill skips it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from nba_pipeline import clock
from nba_pipeline.guards.breaker import Admission, BreakerStore
from nba_pipeline.guards.calendar import CalendarSpec, CalendarVerdict, evaluate_calendar
from nba_pipeline.guards.dependencies import evaluate
from nba_pipeline.guards.run_log import RunRecord, make_run_id, write_run_records
from nba_pipeline.guards.skip_reasons import SkipReason
from nba_pipeline.registry.model import ProcessorContext, ProcessorSkip, ProcessorSpec
from nba_pipeline.settings import get_settings
from nba_pipeline.warehouse import Warehouse, activity

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
    calendar: CalendarSpec,
    game_date: dt.date,
    *,
    dag_run_id: str,
    written_since: dt.datetime | None = None,
) -> DateOutcome:
    """Run every processor for ``game_date`` behind its guards; failures are recorded, not raised.

    ``written_since``: when this DAG run began (its ``run_after``), which bounds the run-table
    partitions searched for rows already written by an earlier try of the same date.
    """
    result = DateOutcome(game_date)
    store = BreakerStore(warehouse)
    threshold_pct = get_settings().dependency_threshold_pct
    with activity("guards"):
        breakers = store.read({p.name: p.breaker for p in processors if p.breaker is not None})
    verdicts: dict[int, CalendarVerdict] = {}

    def verdict_for(offset: int) -> CalendarVerdict:
        """Decided on first use: the schedule chain, which is not calendar-guarded, runs first."""
        if offset not in verdicts:
            with activity("guards"):
                verdicts[offset] = evaluate_calendar(
                    warehouse,
                    calendar,
                    game_date + dt.timedelta(days=offset),
                    reference_date=game_date,
                    backfill=True,
                )
        return verdicts[offset]

    records: list[RunRecord] = []
    succeeded: dict[str, object] = {}
    for spec in processors:
        target = spec.target_date(game_date)
        started = clock.now()

        def record(
            status: str,
            *,
            reason: SkipReason | None = None,
            detail: str | None = None,
            error: BaseException | None = None,
            report=None,
            outcome=None,
            spec=spec,
            target=target,
            started=started,
        ) -> RunRecord:
            return RunRecord(
                processor=spec.name,
                phase=spec.phase.value,
                run_id=make_run_id(dag_run_id, spec.name, f"{game_date}:{status}"),
                status=status,
                started_at=started,
                completed_at=clock.now(),
                game_date=target,
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
                options={"game_date": game_date.isoformat(), "backfill": True, "dag_run_id": dag_run_id},
            )

        verdict = verdict_for(spec.date_offset_days) if spec.calendar_guarded else None
        if verdict is not None and not verdict.proceed:
            records.append(record("skipped", reason=verdict.reason, detail=verdict.detail))
            result.outcome[spec.name] = f"skipped:{verdict.reason}"
            continue
        if spec.breaker is not None:
            with activity("guards"):
                admission, breaker = store.request(spec.name, spec.breaker, breakers.get(spec.name))
            breakers[spec.name] = breaker
            if admission is Admission.REJECT:
                records.append(record("skipped", reason=SkipReason.CIRCUIT_OPEN, detail=f"breaker {breaker.state}"))
                result.outcome[spec.name] = "skipped:circuit_open"
                continue
        report = None
        if spec.dependencies:
            with activity("guards"):
                report = evaluate(warehouse, spec.dependencies, target, clock.now(), threshold_pct)
            if not report.ready:
                records.append(
                    record("skipped", reason=SkipReason.UPSTREAM_INCOMPLETE, detail=report.describe(), report=report)
                )
                result.outcome[spec.name] = "skipped:upstream_incomplete"
                continue
        module_name, _, attribute = spec.run.partition(":")
        function = getattr(importlib.import_module(module_name), attribute)
        context = ProcessorContext(
            warehouse=warehouse,
            processor=spec,
            game_date=game_date,
            backfill=True,
            run_id=make_run_id(dag_run_id, spec.name, str(game_date)),
            dag_run_id=dag_run_id,
            try_number=1,
            options={"game_date": game_date.isoformat(), "backfill": True},
        )
        try:
            with activity("processor"):
                outcome = function(context)
        except ProcessorSkip as skip:
            records.append(record("skipped", reason=SkipReason(skip.reason), detail=skip.detail, report=report))
            result.outcome[spec.name] = f"skipped:{skip.reason}"
            continue
        except Exception as error:  # recorded and counted; the rest of the date goes on
            log.warning("%s failed for %s: %s", spec.name, game_date, error)
            records.append(record("failed", error=error, report=report))
            result.outcome[spec.name] = "failed"
            if spec.breaker is not None:
                with activity("guards"):
                    breakers[spec.name] = store.record_failure(
                        spec.name, spec.breaker, type(error).__name__, str(error)
                    )
            continue
        records.append(record("success", outcome=outcome, report=report))
        result.outcome[spec.name] = "success"
        if spec.breaker is not None:
            succeeded[spec.name] = spec.breaker
    with activity("run_log"):
        write_run_records(warehouse, records, written_since=written_since)
    if succeeded:
        with activity("guards"):
            store.record_successes(succeeded, breakers)  # type: ignore[arg-type]
    return result


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
