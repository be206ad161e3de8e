"""The backfill's per-date task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException


class BackfillDateOperator(BaseOperator):
    """Bring a backfill up to one date: process, in date order, every date of the range up to and
    including ``game_date`` that is not complete yet (phases 1 → 2 → 3 → 4, guarded).

    Mapped over the dates of the range (``map_index_template`` shows the date). Whatever order the
    executor runs the mapped instances in, dates are processed in order and once: an instance whose
    date an earlier instance already completed is skipped, and a resumed or repeated backfill skips
    every complete date. A date with a failed processor stops its instance (the next instance tries
    it again; a processor that keeps failing opens its breaker and is then skipped).

    :param game_date: the date (``YYYY-MM-DD``), usually mapped.
    :param first_date: the range's first date.
    """

    template_fields = ("game_date", "first_date")
    ui_color = "#cfe2f3"

    def __init__(self, *, game_date: str, first_date: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.game_date = game_date
        self.first_date = first_date

    def execute(self, context: Any) -> dict[str, str]:
        from nba_pipeline.backfill import DateOutcome, completed_dates, dates_between, record_progress, run_date
        from nba_pipeline.dag.tasks import task_instance_ref
        from nba_pipeline.registry.processors import CALENDAR, backfill_processors
        from nba_pipeline.warehouse import get_warehouse

        day = dt.date.fromisoformat(str(self.game_date))
        first = dt.date.fromisoformat(str(self.first_date))
        redo = bool(context["params"].get("redo_completed"))
        with get_warehouse() as warehouse:
            if redo:
                pending = [day]
            else:
                window = dates_between(first, day)
                done = completed_dates(warehouse, window)
                pending = [d for d in window if d not in done]
            if not pending:
                raise AirflowSkipException(f"{day} was already backfilled")
            outcomes: dict[str, str] = {}
            for date in pending:
                try:
                    outcome = run_date(
                        warehouse,
                        backfill_processors(),
                        CALENDAR,
                        date,
                        dag_run_id=context["run_id"],
                        written_since=context["dag_run"].run_after,
                        task_instance=task_instance_ref(context),
                    )
                except Exception as error:  # a guard could not decide (e.g. the warehouse failed)
                    record_progress(warehouse, DateOutcome(date, {"date": f"failed: {error}"}), context["run_id"])
                    raise AirflowFailException(f"{date}: {type(error).__name__}: {error}") from error
                record_progress(warehouse, outcome, context["run_id"])
                failed = sorted(name for name, value in outcome.outcome.items() if value == "failed")
                self.log.info("%s: %d run, %d skipped, %d failed", date, outcome.count("success"),
                              outcome.count("skipped"), len(failed))
                if failed:
                    raise AirflowFailException(f"{date}: {len(failed)} processor(s) failed: {', '.join(failed)}")
                outcomes[date.isoformat()] = "complete"
        return outcomes
