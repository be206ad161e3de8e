"""The run task of a processor: run it, and account for the attempt (run row, breaker, alert)."""

from __future__ import annotations

import errno
import os
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException, AirflowTaskTimeout

from nba_pipeline import clock
from nba_pipeline.dag.options import RunDated, RunOptions
from nba_pipeline.dag.tasks import push_skip, run_log_outbox, task_instance_ref
from nba_pipeline.guards.skip_reasons import skip_reason

if TYPE_CHECKING:
    from nba_pipeline.guards.run_log import RunRecord
    from nba_pipeline.guards.spec import ProcessorSpec
    from nba_pipeline.guards.tables import GuardTables


class RunProcessorOperator(RunDated):
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

    def __init__(
        self,
        *,
        processor: ProcessorSpec,
        tables: GuardTables,
        dependency_task_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("retries", processor.retries)
        super().__init__(**kwargs)
        self.processor = processor
        self.dependency_task_id = dependency_task_id
        self.tables = tables
        self._attempt: dict[str, Any] | None = None

    def execute(self, context: Any) -> dict[str, Any] | None:
        from nba_pipeline.guards.run_log import make_run_id
        from nba_pipeline.guards.spec import ProcessorContext, ProcessorSkip
        from nba_pipeline.warehouse import activity, get_warehouse, job_costs

        options = self.options_for(context)
        ti = context["ti"]
        run_id = make_run_id(context["run_id"], self.processor.name, f"try{ti.try_number}")
        started = clock.now()
        self._attempt = {"run_id": run_id, "started": started, "options": options, "context": context}
        timed = signal.getitimer(signal.ITIMER_REAL)[0] > 0  # the execution_timeout's alarm is armed
        function = self.processor.run
        timer = time.perf_counter()
        try:
            with self._running_mark(), activity("processor"), job_costs() as cost, get_warehouse() as warehouse:
                self._attempt["cost"] = cost  # a failure's row counts the jobs run before it
                result = function(
                    ProcessorContext(
                        warehouse=warehouse,
                        processor=self.processor,
                        event_date=options.game_date,
                        backfill=options.backfill,
                        run_id=run_id,
                        dag_run_id=context["run_id"],
                        try_number=ti.try_number,
                        options=options.as_dict(),
                    )
                )
        except ProcessorSkip as skip:
            push_skip(context, skip_reason(skip.reason), skip.detail)
            raise AirflowSkipException(str(skip)) from None
        except BaseException as err:
            if timed and not isinstance(err, AirflowTaskTimeout) and signal.getitimer(signal.ITIMER_REAL)[0] == 0:
                # the alarm fired inside a call that raised its own error instead (DuckDB: "Query interrupted")
                timeout = AirflowTaskTimeout(f"timed out after {self.execution_timeout}: {type(err).__name__}: {err}")
                self._record_failure(timeout)
                raise timeout from err
            self._record_failure(err)
            if _denied(err):
                raise AirflowFailException(
                    f"{self.processor.name}: {type(err).__name__}: {err}; not retried: a permission or read-only "
                    "error does not go away by trying again"
                ) from err
            raise
        if self._attempt.get("recorded"):  # killed while running: on_kill wrote the attempt's failed row
            raise AirflowException(f"{self.processor.name} was killed while running; its attempt is recorded as failed")
        self.log.info("%s done in %.2fs: %s", self.processor.name, time.perf_counter() - timer, result)
        if self.processor.breaker is None and self.tables.run_table(self.processor.phase) is None:
            return None  # nothing to record: Airflow's own task state is the record
        record = self._record("success", result=result)
        row = self._attempt["row"] = record.to_json()
        return row

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Table-level lineage for the OpenLineage provider (called by it, when installed)."""
        from nba_pipeline.dag.lineage import processor_lineage

        return processor_lineage(self.processor, (self._attempt or {}).get("row"))

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> Any:
        return self.get_openlineage_facets_on_complete(task_instance)

    def on_kill(self) -> None:
        unrecorded = (self._attempt or {}).get("unrecorded")  # a failure whose recording the timeout cut short
        self._record_failure(unrecorded or KeyboardInterrupt("task killed"))

    # internals -------------------------------------------------------------

    @contextmanager
    def _running_mark(self) -> Iterator[None]:
        """While the processor runs, the outbox holds the failed row this attempt gets if its process
        dies without recording anything (SIGKILL, out of memory); any recorded outcome removes it."""
        from nba_pipeline.guards.run_log import AttemptLostError

        mark = None
        if self.tables.run_table(self.processor.phase) is not None:
            started = (self._attempt or {}).get("started")
            lost = AttemptLostError(
                f"the attempt's process (pid {os.getpid()} on {socket.gethostname()}, started {started}) ended "
                "without recording an outcome: killed with SIGKILL, out of memory or its machine lost"
            )
            try:
                mark = run_log_outbox().mark_running(self._record("failed", error=lost))
                (self._attempt or {})["mark"] = mark
            except OSError as disk_error:
                self.log.warning("could not mark %s as running on disk: %s", self.processor.name, disk_error)
        try:
            yield
        finally:
            if mark is not None:
                mark.unlink(missing_ok=True)

    def _record(self, status: str, *, result: Any = None, error: BaseException | None = None) -> RunRecord:
        from nba_pipeline.guards.run_log import RunRecord

        attempt = self._attempt or {}
        options: RunOptions = attempt["options"]
        figures: dict[str, Any] = attempt.get("figures") or {}
        if self.dependency_task_id and "figures" not in attempt:  # read once: the running mark's row needs it too
            figures = attempt["figures"] = attempt["context"]["ti"].xcom_pull(task_ids=self.dependency_task_id) or {}
        date_range = getattr(result, "date_range", None)
        cost = attempt.get("cost")
        return RunRecord(
            processor=self.processor.name,
            phase=self.processor.phase.value,
            run_id=attempt["run_id"],
            status=status,
            started_at=attempt["started"],
            completed_at=clock.now(),
            target_date=self.processor.target_date(options.game_date),
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
            bytes_processed=cost.bytes_processed if cost else None,
            bytes_billed=cost.bytes_billed if cost else None,
            slot_ms=cost.slot_ms if cost else None,
            warnings=tuple(getattr(result, "warnings", ()) or ()),
            options={**options.as_dict(), "try_number": attempt["context"]["ti"].try_number},
            task_instance=task_instance_ref(attempt["context"]),
        )

    def _record_failure(self, error: BaseException) -> None:
        """Write the failed row and count the failure; the row waits in the outbox until written."""
        from nba_pipeline.guards.breaker import State
        from nba_pipeline.guards.run_log import write_run_records
        from nba_pipeline.warehouse import activity, get_warehouse

        if self._attempt is None or self._attempt.get("recorded"):
            return
        self._attempt["recorded"] = True
        options: RunOptions = self._attempt["options"]
        record = (
            self._record("failed", error=error) if self.tables.run_table(self.processor.phase) is not None else None
        )
        kept = None
        box = run_log_outbox()
        if record is not None:
            try:
                kept = box.keep(record)  # first, so an outage or a kill during the write loses nothing
                if self._attempt.get("mark") is not None:  # the outcome is kept now: the mark has served
                    box.discard(self._attempt["mark"])
            except OSError as disk_error:
                self.log.warning("could not keep the run row of %s on disk: %s", self.processor.name, disk_error)
        try:
            with get_warehouse() as warehouse:
                if record is not None:
                    with activity("run_log"):
                        write_run_records(
                            warehouse, [record], self.tables.runs, written_since=self._attempt["started"]
                        )
                    if kept is not None:
                        box.discard(kept)
                if self.processor.breaker is None:
                    return
                with activity("guards"):
                    breaker = self.tables.breaker_store(warehouse).record_failure(
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


def _denied(error: BaseException) -> bool:
    """A permission or read-only file system error (a payload or outbox folder the worker cannot write)."""
    return isinstance(error, PermissionError) or (
        isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    )
