"""The gates before a processor runs: the run's calendar check, each processor's smart skip, and
its circuit breaker (from the phase's one-query snapshot of every breaker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.python import PythonOperator, ShortCircuitOperator
from airflow.sdk import BaseOperator, TriggerRule

from nba_pipeline.dag.options import RunDated, RunOptions
from nba_pipeline.dag.tasks import CALENDAR_KEY, CALENDAR_TASK_ID, push_skip
from nba_pipeline.guards.skip_reasons import SkipReason, skip_reason

if TYPE_CHECKING:
    from nba_pipeline.guards.breaker import Breaker
    from nba_pipeline.guards.calendar import Calendar
    from nba_pipeline.guards.spec import ProcessorSpec
    from nba_pipeline.guards.tables import GuardTables


class CalendarCheckOperator(RunDated):
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

    def __init__(self, *, calendar: Calendar, offsets: Sequence[int] = (0,), **kwargs: Any) -> None:
        kwargs.setdefault("retries", 1)
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        super().__init__(**kwargs)
        self.calendar = calendar
        self.offsets = tuple(sorted(set(offsets)))

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.warehouse import activity, get_warehouse

        options = self.options_for(context)
        self.log.info(options.game_date_reason)  # the run's first decision, said once
        verdicts = {}
        with activity("guards"), get_warehouse() as warehouse:
            for offset in self.offsets:
                day = options.game_date + dt.timedelta(days=offset)
                verdict = self.calendar.decide(
                    warehouse, day, reference_date=options.reference_date, backfill=options.backfill
                )
                verdicts[str(offset)] = verdict.as_dict()
                self.log.info("calendar for %s (offset %+d): %s", day, offset, verdict.detail)
        context["ti"].xcom_push(key=CALENDAR_KEY, value=verdicts)
        return verdicts


class ProcessorGuard(RunDated, ShortCircuitOperator):
    """A check before a processor's run. When it says no, every later task of the processor's own
    group (its other guards and its run) is skipped at once, and nothing outside the group: left to
    their trigger rules, the tasks after the next one would be skipped one per scheduler pass
    (in ``dag.test()``, a pass with nothing to run sleeps a second)."""

    template_fields = (*ShortCircuitOperator.template_fields, "game_date")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ignore_downstream_trigger_rules=False, **kwargs)

    def execute(self, context: Any) -> Any:
        proceed = PythonOperator.execute(self, context)
        if not proceed:
            group = self.task_group.group_id if self.task_group else None
            rest = [
                task for task in self.get_flat_relatives(upstream=False)
                if task.task_group is not None and task.task_group.group_id == group
            ]  # fmt: skip
            self.log.info("skipping the rest of the processor: %s", sorted(t.task_id for t in rest))
            self.skip(ti=context["ti"], tasks=rest)
        return proceed


class SmartSkipCheckOperator(ProcessorGuard):
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
        self,
        *,
        processor: ProcessorSpec,
        sources: Sequence[str],
        known_sources: Sequence[str],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        super().__init__(python_callable=self._decide, **kwargs)
        self.processor = processor
        self.sources = tuple(sorted(sources))
        self.known_sources = tuple(sorted(known_sources))

    def _decide(self) -> bool:
        from airflow.sdk import get_current_context

        context = get_current_context()
        options = rendered_self(context).options_for(context)
        name = self.processor.name
        if name in options.force:
            self.log.info("%s is forced by the run's Params: no smart skip", name)
            return True
        if self.processor.calendar_guarded:
            verdicts = context["ti"].xcom_pull(task_ids=CALENDAR_TASK_ID, key=CALENDAR_KEY) or {}
            verdict = verdicts.get(str(self.processor.date_offset_days))
            if verdict is None:
                push_skip(context, SkipReason.UPSTREAM_FAILED, "the calendar check did not decide")
                return False
            if not verdict["proceed"]:
                push_skip(context, skip_reason(verdict["reason"]), verdict["detail"])
                return False
        reason = irrelevant_source(options, self.sources, self.known_sources)
        if reason:
            push_skip(context, SkipReason.IRRELEVANT_SOURCE, reason)
            self.log.info("%s skipped: %s", name, reason)
            return False
        return True


def rendered_self(context: Any) -> RunDated:
    """The attempt's copy of a short-circuit operator, whose templated fields are rendered: its
    ``python_callable`` is a method bound to the operator as declared (PythonOperator copies the
    callable shallowly), which keeps the templates as written."""
    task: RunDated = context["task"]
    return task


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
    :param tables: where the breakers are kept.
    """

    ui_color = "#f4cccc"

    def __init__(self, *, processors: Sequence[ProcessorSpec], tables: GuardTables, **kwargs: Any) -> None:
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.processors = tuple(processors)
        self.tables = tables

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.guards.serialization import breaker_to_json
        from nba_pipeline.warehouse import WarehouseError, activity, get_warehouse

        settings = {p.name: p.breaker for p in self.processors if p.breaker is not None}
        try:
            with activity("guards"), get_warehouse() as warehouse:
                scanned = self.tables.breaker_store(warehouse).scan(settings)
        except WarehouseError as err:  # an empty snapshot: each gate reads, then fails open or closed
            self.log.warning("could not read the breakers (%s); each gate will decide for itself", err)
            return {}
        for error in scanned.invalid.values():  # left out: that gate reads, then fails open or closed
            self.log.warning("%s; its gate fails open or closed as configured", error)
        breakers = scanned.breakers
        not_closed = sorted(k for k, b in breakers.items() if b.state != "CLOSED")
        self.log.info("%d breakers read; not closed: %s", len(breakers), not_closed or "none")
        return {key: breaker_to_json(b) for key, b in breakers.items()}


class CircuitBreakerGateOperator(ProcessorGuard):
    """Pattern #5 before a processor: CLOSED → run; OPEN within its timeout → skip with
    ``circuit_open``; OPEN past its timeout → claim one of the HALF_OPEN trials (compare-and-set).

    Decides from the phase's snapshot when it can (no round trip while the breaker is closed). If
    the state store cannot be read, or the breaker's row is invalid, fails open with a warning, or
    closed when ``NBA_BREAKER_FAIL_OPEN=false``. A breaker named in ``ignore_breakers`` is bypassed.

    :param processor: the processor's registry entry (its name is the breaker key).
    :param snapshot_task_id: the phase's ``read_breakers`` task.
    :param tables: where the breakers are kept.
    """

    ui_color = "#f4cccc"

    def __init__(
        self,
        *,
        processor: ProcessorSpec,
        snapshot_task_id: str,
        tables: GuardTables,
        **kwargs: Any,
    ) -> None:
        super().__init__(python_callable=self._decide, **kwargs)
        self.processor = processor
        self.snapshot_task_id = snapshot_task_id
        self.tables = tables

    def _decide(self) -> bool:
        from airflow.sdk import get_current_context

        from nba_pipeline.guards.breaker import Admission
        from nba_pipeline.guards.breaker_store import InvalidBreakerRowError
        from nba_pipeline.guards.serialization import breaker_from_json
        from nba_pipeline.settings import get_settings
        from nba_pipeline.warehouse import WarehouseError, activity, get_warehouse

        context = get_current_context()
        options = rendered_self(context).options_for(context)
        key, settings = self.processor.name, self.processor.breaker
        assert settings is not None, f"{key} has no breaker"
        if key in options.ignore_breakers:
            self.log.warning("breaker %s ignored by the run's Params", key)
            return True
        snapshot = context["ti"].xcom_pull(task_ids=self.snapshot_task_id) or {}
        known: Breaker | None = breaker_from_json(snapshot[key]) if key in snapshot else None
        try:
            with activity("guards"), get_warehouse() as warehouse:
                admission, breaker = self.tables.breaker_store(warehouse).request(key, settings, known)
        except (WarehouseError, InvalidBreakerRowError) as err:
            what = "breaker row invalid" if isinstance(err, InvalidBreakerRowError) else "breaker store unreadable"
            if get_settings().breaker_fail_open:
                self.log.warning("%s (%s); failing open for %s", what, err, key)
                return True
            push_skip(context, SkipReason.CIRCUIT_OPEN, f"{what} and failing closed: {err}")
            return False
        context["ti"].xcom_push(key="admission", value=str(admission))
        if admission is Admission.REJECT:
            retry_at = breaker.retry_at()
            detail = (
                f"breaker {key} is {breaker.state} after {breaker.failure_count} consecutive failures "
                f"(last: {breaker.last_error_type}: {breaker.last_error_message}); "
                + (f"next trial after {retry_at.isoformat()}" if retry_at else "its trial slots are taken")
            )
            push_skip(context, SkipReason.CIRCUIT_OPEN, detail)
            self.log.warning(detail)
            return False
        if admission is Admission.TRIAL:
            self.log.warning("breaker %s is HALF_OPEN: this run is a trial", key)
        return True
