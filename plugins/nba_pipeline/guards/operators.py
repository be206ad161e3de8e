"""Airflow operators for the guards. Each processor shows its guards as tasks:

``smart_skip`` (calendar verdict, irrelevant source) → ``breaker_gate`` → ``dependencies`` (sensor,
phases 3–4) → ``run``. The run reads its breakers once (``read_breakers``), measures dependencies
once per wave of a phase (``dependency_snapshot_<n>``) and records runs once per phase
(``record_runs``), so the guards' warehouse traffic does not grow with the number of processors.
A guard that skips pushes ``skip_reason`` to XCom; ``record_runs`` writes it to the run table.
"""

from __future__ import annotations

import datetime as dt
import importlib
import signal
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import BaseOperator, BaseSensorOperator, PokeReturnValue, TriggerRule
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
)

from nba_pipeline import clock
from nba_pipeline.guards.options import RunOptions, run_options
from nba_pipeline.guards.skip_reasons import SkipReason

if TYPE_CHECKING:
    from nba_pipeline.guards.breaker import Breaker
    from nba_pipeline.guards.calendar import CalendarSpec
    from nba_pipeline.registry.model import ProcessorSpec

SKIP_KEY = "skip_reason"
CALENDAR_KEY = "calendar"
CALENDAR_GROUP_ID = "calendar"
CALENDAR_CHECK_TASK_ID = "check"
CALENDAR_TASK_ID = f"{CALENDAR_GROUP_ID}.{CALENDAR_CHECK_TASK_ID}"
GUARD_TASK_IDS = ("smart_skip", "breaker_gate", "dependencies")


def guard_task_ids(run_task_id: str) -> dict[str, str]:
    """Task ids of one processor's guards and run, beside its run task in the processor's group."""
    prefix = run_task_id.rpartition(".")[0]
    return {**{guard: f"{prefix}.{guard}" for guard in GUARD_TASK_IDS}, "run": run_task_id}


def _push_skip(context: Mapping[str, Any], reason: SkipReason, detail: str) -> None:
    context["ti"].xcom_push(key=SKIP_KEY, value={"reason": str(reason), "detail": detail})


class CalendarCheckOperator(BaseOperator):
    """Early exit on the event calendar, decided once per run for every date the processors work on.

    Pushes one verdict per date offset (e.g. ``-1`` for yesterday's results, ``0`` for today's
    games): ``no_games``, ``offseason``, ``historical`` or proceed. Each processor's
    ``smart_skip`` applies the verdict of its own date, so a day without games still processes the
    previous evening's box scores. It decides once the calendar's loaders are done, whatever their
    outcome (``all_done``): a calendar loaded by an earlier run still answers when today's load
    failed or was not admitted. An empty calendar fails the task: a skip check that cannot see the
    calendar must neither pass silently nor skip everything.

    :param calendar: where the calendar is and how to read it.
    :param offsets: the date offsets (days from the run's game date) to decide on.
    """

    ui_color = "#fff2cc"

    def __init__(self, *, calendar: CalendarSpec, offsets: Sequence[int] = (0,), **kwargs: Any) -> None:
        kwargs.setdefault("retries", 1)
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        super().__init__(**kwargs)
        self.calendar = calendar
        self.offsets = tuple(sorted(set(offsets)))

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.guards.calendar import evaluate_calendar
        from nba_pipeline.warehouse import activity, get_warehouse

        options = run_options(context)
        verdicts = {}
        with activity("guards"), get_warehouse() as warehouse:
            for offset in self.offsets:
                day = options.game_date + dt.timedelta(days=offset)
                verdict = evaluate_calendar(
                    warehouse, self.calendar, day, reference_date=options.reference_date, backfill=options.backfill
                )
                verdicts[str(offset)] = verdict.as_dict()
                self.log.info("calendar for %s (offset %+d): %s", day, offset, verdict.detail)
        context["ti"].xcom_push(key=CALENDAR_KEY, value=verdicts)
        return verdicts


class SmartSkipCheckOperator(ShortCircuitOperator):
    """Pattern #1 and #3 for one processor: skip when the calendar said so, or when the run was
    triggered only for sources this processor does not read (``irrelevant_source``).

    Runs once its producers are done, whatever their state (``all_done``): whether their data is
    good enough is the dependency sensor's question, not the trigger rule's. Unknown sources are
    processed (fail open). A processor named in ``force_processors`` is never smart-skipped.

    :param processor: the processor's registry entry.
    :param sources: the sources it reads, itself or through its upstream processors.
    :param known_sources: every source any processor reads, to tell unknown sources apart.
    """

    ui_color = "#fff2cc"

    def __init__(
        self, *, processor: ProcessorSpec, sources: Sequence[str], known_sources: Sequence[str], **kwargs: Any
    ) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        super().__init__(python_callable=self._decide, ignore_downstream_trigger_rules=False, **kwargs)
        self.processor = processor
        self.sources = tuple(sorted(sources))
        self.known_sources = tuple(sorted(known_sources))

    def _decide(self) -> bool:
        from airflow.sdk import get_current_context

        context = get_current_context()
        options = run_options(context)
        name = self.processor.name
        if name in options.force:
            self.log.info("%s is forced by the run's Params: no smart skip", name)
            return True
        if self.processor.calendar_guarded:
            verdicts = context["ti"].xcom_pull(task_ids=CALENDAR_TASK_ID, key=CALENDAR_KEY) or {}
            verdict = verdicts.get(str(self.processor.date_offset_days))
            if verdict is None:
                _push_skip(context, SkipReason.UPSTREAM_FAILED, "the calendar check did not decide")
                return False
            if not verdict["proceed"]:
                _push_skip(context, SkipReason(verdict["reason"]), verdict["detail"])
                return False
        reason = irrelevant_source(options, self.sources, self.known_sources)
        if reason:
            _push_skip(context, SkipReason.IRRELEVANT_SOURCE, reason)
            self.log.info("%s skipped: %s", name, reason)
            return False
        return True


def irrelevant_source(options: RunOptions, reads: Sequence[str], known: Sequence[str]) -> str | None:
    """Why the run's sources do not concern a processor, or None if they do (or are unknown)."""
    if not options.sources or not reads:
        return None
    unknown = options.sources - set(known)
    if unknown:
        return None
    if options.sources & set(reads):
        return None
    return f"run triggered for {sorted(options.sources)}; this processor reads {sorted(reads)}"


class ReadBreakersOperator(BaseOperator):
    """Read every breaker of a phase in one round trip; the phase's gates decide from this snapshot.

    Failing to read is not fatal: the gates then read for themselves and fail open or closed
    as configured.

    :param processors: the phase's guarded processors.
    """

    ui_color = "#f4cccc"

    def __init__(self, *, processors: Sequence[ProcessorSpec], **kwargs: Any) -> None:
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.processors = tuple(processors)

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.guards.breaker import BreakerStore
        from nba_pipeline.guards.serialization import breaker_to_json
        from nba_pipeline.warehouse import WarehouseError, activity, get_warehouse

        settings = {p.name: p.breaker for p in self.processors if p.breaker is not None}
        try:
            with activity("guards"), get_warehouse() as warehouse:
                breakers = BreakerStore(warehouse).read(settings)
        except WarehouseError as err:  # an empty snapshot: each gate reads, then fails open or closed
            self.log.warning("could not read the breakers (%s); each gate will decide for itself", err)
            return {}
        not_closed = sorted(k for k, b in breakers.items() if b.state != "CLOSED")
        self.log.info("%d breakers read; not closed: %s", len(breakers), not_closed or "none")
        return {key: breaker_to_json(b) for key, b in breakers.items()}


class CircuitBreakerGateOperator(ShortCircuitOperator):
    """Pattern #5 before a processor: CLOSED → run; OPEN within its timeout → skip with
    ``circuit_open``; OPEN past its timeout → claim one of the HALF_OPEN trials (compare-and-set).

    Decides from the phase's snapshot when it can (no round trip while the breaker is closed). If
    the state store cannot be read, fails open with a warning, or closed when
    ``NBA_BREAKER_FAIL_OPEN=false``. A breaker named in ``ignore_breakers`` is bypassed.

    :param processor: the processor's registry entry (its name is the breaker key).
    :param snapshot_task_id: the phase's ``read_breakers`` task.
    """

    ui_color = "#f4cccc"

    def __init__(self, *, processor: ProcessorSpec, snapshot_task_id: str, **kwargs: Any) -> None:
        super().__init__(python_callable=self._decide, ignore_downstream_trigger_rules=False, **kwargs)
        self.processor = processor
        self.snapshot_task_id = snapshot_task_id

    def _decide(self) -> bool:
        from airflow.sdk import get_current_context

        from nba_pipeline.guards.breaker import Admission, BreakerStore
        from nba_pipeline.guards.serialization import breaker_from_json
        from nba_pipeline.settings import get_settings
        from nba_pipeline.warehouse import WarehouseError, activity, get_warehouse

        context = get_current_context()
        options = run_options(context)
        key, settings = self.processor.name, self.processor.breaker
        assert settings is not None, f"{key} has no breaker"
        if key in options.ignore_breakers:
            self.log.warning("breaker %s ignored by the run's Params", key)
            return True
        snapshot = context["ti"].xcom_pull(task_ids=self.snapshot_task_id) or {}
        known: Breaker | None = breaker_from_json(snapshot[key]) if key in snapshot else None
        try:
            with activity("guards"), get_warehouse() as warehouse:
                admission, breaker = BreakerStore(warehouse).request(key, settings, known)
        except WarehouseError as err:
            if get_settings().breaker_fail_open:
                self.log.warning("breaker store unreadable (%s); failing open for %s", err, key)
                return True
            _push_skip(context, SkipReason.CIRCUIT_OPEN, f"breaker store unreadable and failing closed: {err}")
            return False
        context["ti"].xcom_push(key="admission", value=str(admission))
        if admission is Admission.REJECT:
            retry_at = breaker.retry_at()
            detail = (
                f"breaker {key} is {breaker.state} after {breaker.failure_count} consecutive failures "
                f"(last: {breaker.last_error_type}: {breaker.last_error_message}); "
                + (f"next trial after {retry_at.isoformat()}" if retry_at else "its trial slots are taken")
            )
            _push_skip(context, SkipReason.CIRCUIT_OPEN, detail)
            self.log.warning(detail)
            return False
        if admission is Admission.TRIAL:
            self.log.warning("breaker %s is HALF_OPEN: this run is a trial", key)
        return True


class MeasureDependenciesOperator(BaseOperator):
    """Measure the dependencies of every processor of a wave in one round trip.

    A wave is the processors of a phase that sit at the same depth of the phase's own graph, so
    the snapshot runs once their producers are done (whatever their outcome) and the guards'
    warehouse traffic grows with the depth of the phase, not with its number of processors. Each
    processor's sensor trusts a *ready* verdict from the snapshot and measures for itself only
    while waiting. Failing to measure is not fatal: the sensors then measure for themselves.

    :param processors: the wave's processors (each with dependencies).
    """

    ui_color = "#d0e0e3"

    def __init__(self, *, processors: Sequence[ProcessorSpec], **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.processors = tuple(processors)

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.guards.dependencies import evaluate_many
        from nba_pipeline.settings import get_settings
        from nba_pipeline.warehouse import activity, get_warehouse

        options = run_options(context)
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


class DependencyCompletenessSensor(BaseSensorOperator):
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

    def __init__(self, *, processor: ProcessorSpec, snapshot_task_id: str | None = None, **kwargs: Any) -> None:
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

        options = run_options(context)
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
            options = run_options(context)
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
            _push_skip(context, reason, detail)
            raise AirflowSkipException(f"{reason}: {detail}") from None


class RunProcessorOperator(BaseOperator):
    """Run one processor and account for the attempt.

    Success: returns the run record; the phase's ``record_runs`` writes it with the others and
    records the breaker success. Failure (any exception, including a timeout): the run row is
    written at once, the breaker counts the failure, and if that opened the breaker the task fails
    without further retries instead of hammering the source. Killed (SIGTERM from the supervisor):
    ``on_kill`` writes the failed row at once; if the processor still finishes in the grace period,
    the task fails rather than report a success for an attempt already recorded as failed.

    :param processor: the processor's registry entry.
    :param dependency_task_id: the sensor whose figures go into the run row, if any.
    """

    ui_color = "#d9d2e9"

    def __init__(self, *, processor: ProcessorSpec, dependency_task_id: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("retries", processor.retries)
        super().__init__(**kwargs)
        self.processor = processor
        self.dependency_task_id = dependency_task_id
        self._attempt: dict[str, Any] | None = None

    def execute(self, context: Any) -> dict[str, Any] | None:
        from nba_pipeline.guards.run_log import make_run_id
        from nba_pipeline.registry.model import ProcessorContext, ProcessorSkip
        from nba_pipeline.warehouse import activity, get_warehouse

        options = run_options(context)
        ti = context["ti"]
        run_id = make_run_id(context["run_id"], self.processor.name, f"try{ti.try_number}")
        started = clock.now()
        self._attempt = {"run_id": run_id, "started": started, "options": options, "context": context}
        timed = signal.getitimer(signal.ITIMER_REAL)[0] > 0  # the execution_timeout's alarm is armed
        function = _resolve(self.processor.run)
        timer = time.perf_counter()
        try:
            with activity("processor"), get_warehouse() as warehouse:
                result = function(
                    ProcessorContext(
                        warehouse=warehouse,
                        processor=self.processor,
                        game_date=options.game_date,
                        backfill=options.backfill,
                        run_id=run_id,
                        dag_run_id=context["run_id"],
                        try_number=ti.try_number,
                        options=options.as_dict(),
                    )
                )
        except ProcessorSkip as skip:
            _push_skip(context, SkipReason(skip.reason), skip.detail)
            raise AirflowSkipException(str(skip)) from None
        except BaseException as err:
            if timed and not isinstance(err, AirflowTaskTimeout) and signal.getitimer(signal.ITIMER_REAL)[0] == 0:
                # the alarm fired inside a call that raised its own error instead (DuckDB: "Query interrupted")
                timeout = AirflowTaskTimeout(f"timed out after {self.execution_timeout}: {type(err).__name__}: {err}")
                self._record_failure(timeout)
                raise timeout from err
            self._record_failure(err)
            raise
        if self._attempt.get("recorded"):  # killed while running: on_kill wrote the attempt's failed row
            raise AirflowException(f"{self.processor.name} was killed while running; its attempt is recorded as failed")
        self.log.info("%s done in %.2fs: %s", self.processor.name, time.perf_counter() - timer, result)
        if self.processor.breaker is None and self.processor.phase.value == 1:
            return None
        record = self._record("success", result=result)
        return record.to_json()

    def on_kill(self) -> None:
        unrecorded = (self._attempt or {}).get("unrecorded")  # a failure whose recording the timeout cut short
        self._record_failure(unrecorded or KeyboardInterrupt("task killed"))

    # internals -------------------------------------------------------------

    def _record(self, status: str, *, result: Any = None, error: BaseException | None = None) -> Any:
        from nba_pipeline.guards.run_log import RunRecord

        attempt = self._attempt or {}
        options: RunOptions = attempt["options"]
        figures = {}
        if self.dependency_task_id:
            figures = attempt["context"]["ti"].xcom_pull(task_ids=self.dependency_task_id) or {}
        date_range = getattr(result, "date_range", None)
        return RunRecord(
            processor=self.processor.name,
            phase=self.processor.phase.value,
            run_id=attempt["run_id"],
            status=status,
            started_at=attempt["started"],
            completed_at=clock.now(),
            game_date=self.processor.target_date(options.game_date),
            error_type=type(error).__name__ if error else None,
            error_message=str(error)[:4000] if error else None,
            rows_processed=getattr(result, "rows_processed", None),
            rows_inserted=getattr(result, "rows_inserted", None),
            rows_updated=getattr(result, "rows_updated", None),
            rows_failed=getattr(result, "rows_failed", None),
            rows_skipped=getattr(result, "rows_skipped", None),
            load_seconds=getattr(result, "load_seconds", None),
            transform_seconds=getattr(result, "transform_seconds", None),
            save_seconds=getattr(result, "save_seconds", None),
            file_path=getattr(result, "file_path", None),
            source_files=getattr(result, "source_files", None),
            date_range_start=date_range[0] if date_range else None,
            date_range_end=date_range[1] if date_range else None,
            dependency_check_passed=figures.get("dependency_check_passed"),
            data_completeness_pct=figures.get("data_completeness_pct"),
            upstream_data_age_hours=figures.get("upstream_data_age_hours"),
            warnings=tuple(getattr(result, "warnings", ()) or ()),
            options={**options.as_dict(), "try_number": attempt["context"]["ti"].try_number},
        )

    def _record_failure(self, error: BaseException) -> None:
        """Write the failed row and count the failure; the row waits in the outbox until written."""
        from nba_pipeline.guards.breaker import BreakerStore, State
        from nba_pipeline.guards.run_log import outbox, write_run_records
        from nba_pipeline.warehouse import activity, get_warehouse

        if self._attempt is None or self._attempt.get("recorded"):
            return
        self._attempt["recorded"] = True
        options: RunOptions = self._attempt["options"]
        record = self._record("failed", error=error) if self.processor.phase.value > 1 else None
        kept = None
        box = outbox()
        if record is not None:
            try:
                kept = box.keep(record)  # first, so an outage or a kill during the write loses nothing
            except OSError as disk_error:
                self.log.warning("could not keep the run row of %s on disk: %s", self.processor.name, disk_error)
        try:
            with get_warehouse() as warehouse:
                if record is not None:
                    with activity("run_log"):
                        write_run_records(warehouse, [record], written_since=self._attempt["started"])
                    if kept is not None:
                        box.discard(kept)
                if self.processor.breaker is None:
                    return
                with activity("guards"):
                    breaker = BreakerStore(warehouse).record_failure(
                        self.processor.name, self.processor.breaker, type(error).__name__, str(error)
                    )
        except Exception as log_error:  # never hide the processor's own error behind a logging one
            waiting = f"; its run row waits in {kept} for the phase's record_runs" if kept else ""
            self.log.error("could not record the failure of %s: %s%s", self.processor.name, log_error, waiting)
            return
        except BaseException:  # interrupted, e.g. by the timeout while waiting for the warehouse: on_kill retries
            self._attempt.update(recorded=False, unrecorded=error)
            raise
        if breaker.state is State.OPEN and breaker.opened_at == breaker.updated_at:  # this failure opened it
            from nba_pipeline.alerts import breaker_opened

            breaker_opened(self.processor.name, breaker, dag_id=self.dag_id, run_id=self._attempt["context"]["run_id"])
        if breaker.state is State.OPEN and self.processor.name not in options.ignore_breakers:
            raise AirflowFailException(
                f"{self.processor.name} failed ({type(error).__name__}: {error}); its breaker is now OPEN "
                f"after {breaker.failure_count} consecutive failures, so no further retries"
            ) from error


class RecordPhaseRunsOperator(BaseOperator):
    """Write the phase's run rows (successes and skips) in one batch and record breaker successes.

    Runs when everything in the phase is done, whatever the outcome. Failed attempts were written
    by their run tasks already; a processor that never ran because an upstream failed gets a
    ``skipped`` row with ``upstream_failed``, so every processor has a final row for the run.

    :param processors: the phase's processors.
    :param run_task_ids: processor name → its run task (its guards are beside it).
    :param snapshot_task_id: the phase's ``read_breakers`` task (for the batched success update).
    """

    ui_color = "#eeeeee"

    def __init__(
        self,
        *,
        processors: Sequence[ProcessorSpec],
        run_task_ids: Mapping[str, str],
        snapshot_task_id: str | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        super().__init__(**kwargs)
        self.processors = tuple(processors)
        self.run_task_ids = dict(run_task_ids)
        self.snapshot_task_id = snapshot_task_id

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.guards.breaker import BreakerStore
        from nba_pipeline.guards.run_log import RunRecord, make_run_id, outbox, write_run_records
        from nba_pipeline.guards.serialization import breaker_from_json
        from nba_pipeline.warehouse import activity, get_warehouse

        ti = context["ti"]
        options = run_options(context)
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
            skip = None
            guards = [ids["run"], ids["dependencies"], ids["breaker_gate"], ids["smart_skip"]]
            for guard in guards:
                skip = ti.xcom_pull(task_ids=guard, key=SKIP_KEY)
                if skip:
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
                    game_date=processor.target_date(options.game_date),
                    skip_reason=skip["reason"],
                    error_message=skip.get("detail"),
                    options=options.as_dict(),
                )
            )
        box = outbox()
        waiting = box.claim()  # failed rows their own tasks could not write (e.g. the warehouse was down)
        records.extend(record for _, record in waiting)
        since = min([context["dag_run"].run_after, *(record.started_at for _, record in waiting)])
        try:
            with get_warehouse() as warehouse:
                with activity("run_log"):
                    written = write_run_records(warehouse, records, written_since=since)
                box.settle(waiting)
                guarded = {p.name: p.breaker for p in succeeded if p.breaker is not None}
                if guarded:
                    snapshot = ti.xcom_pull(task_ids=self.snapshot_task_id) if self.snapshot_task_id else None
                    known = {k: breaker_from_json(v) for k, v in (snapshot or {}).items()}
                    with activity("guards"):
                        BreakerStore(warehouse).record_successes(guarded, known)
        except BaseException:
            box.release(waiting)
            raise
        if waiting:
            self.log.info("wrote %d run rows that had waited in %s", len(waiting), box.directory)
        self.log.info("wrote %d run rows; outcomes: %s", written, outcome)
        return outcome


def run_task_states(context: Any, task_ids: list[str]) -> dict[str, str]:
    """States of tasks of this DAG run, through the Task SDK (tasks cannot read the metadata DB).
    A mapped task's instances are keyed ``<task_id>_<map_index>``; a task with no instance is absent."""
    ti = context["ti"]
    found = ti.get_task_states(dag_id=ti.dag_id, task_ids=task_ids, run_ids=[context["run_id"]])
    return found.get(context["run_id"], {}) if isinstance(found, dict) else {}


def _resolve(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    if not attribute:
        raise ValueError(f"processor entry point {path!r} is not 'module:function'")
    return getattr(importlib.import_module(module_name), attribute)
