"""The backfill's per-date task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException


class BackfillDateOperator(BaseOperator):
    """Process one date of a backfill (phases 1 → 2 → 3 → 4, guarded), once.

    Mapped over the dates of the range with ``map_index_template`` showing the date, one date at a
    time in date order (later dates read the history earlier ones wrote). A date already complete
    is skipped, so a resumed or repeated backfill does not redo it; a date whose previous date in
    the range did not complete fails at once instead of building on a gap.

    :param game_date: the date (``YYYY-MM-DD``), usually mapped.
    :param first_date: the range's first date (its previous date is not required).
    """

    template_fields = ("game_date", "first_date")
    ui_color = "#cfe2f3"

    def __init__(self, *, game_date: str, first_date: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.game_date = game_date
        self.first_date = first_date

    def execute(self, context: Any) -> dict[str, str]:
        from nba_pipeline.backfill import completed_dates, record_progress, run_date
        from nba_pipeline.registry.processors import CALENDAR, backfill_processors
        from nba_pipeline.warehouse import get_warehouse

        day = dt.date.fromisoformat(str(self.game_date))
        first = dt.date.fromisoformat(str(self.first_date))
        redo = bool(context["params"].get("redo_completed"))
        with get_warehouse() as warehouse:
            previous = day - dt.timedelta(days=1)
            done = completed_dates(warehouse, [previous, day])
            if day in done and not redo:
                raise AirflowSkipException(f"{day} was already backfilled")
            if day > first and previous not in done:
                raise AirflowFailException(f"{previous} is not complete, so {day} would build on a gap")
            outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id=context["run_id"])
            record_progress(warehouse, outcome, context["run_id"])
        failed = sorted(name for name, value in outcome.outcome.items() if value == "failed")
        self.log.info("%s: %s", day, outcome.outcome)
        if failed:
            raise RuntimeError(f"{day}: {len(failed)} processor(s) failed: {', '.join(failed)}")
        return outcome.outcome
