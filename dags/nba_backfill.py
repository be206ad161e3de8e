"""# NBA backfill

Processes a range of past dates: for each date, phases 1 → 2 → 3 → 4 behind the same guards as the
daily pipeline, in backfill mode (no historical skip, no staleness failure, no waiting on
dependencies). One mapped task per date, labelled with the date, one date at a time in order.

Resumable: a date already complete (`nba_orchestration.backfill_progress`) is skipped, so after a
failure clear the failed date (or start the same range again) and only the unfinished dates run.
Set `redo_completed` to process finished dates again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import DAG, task

from nba_pipeline.alerts import on_dag_run_failure
from nba_pipeline.dag.backfill import BackfillDateOperator
from nba_pipeline.dag.defaults import START_DATE, default_args, param

with DAG(
    dag_id="nba_backfill",
    description="Backfill a date range: phases 1-4 per date, guarded, resumable",
    doc_md=__doc__,
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    on_failure_callback=on_dag_run_failure,
    tags=["nba", "backfill"],
    default_args=default_args(retries=0),  # a failed date stops the backfill; fix it and start again
    params={
        "start_date": param("2025-01-13", type="string", format="date"),
        "end_date": param("2025-01-19", type="string", format="date"),
        "redo_completed": param(False, type="boolean", description="process dates already complete again"),
    },
):

    @task(retries=0)
    def list_dates(params: dict[str, Any] | None = None) -> list[str]:
        """The dates of the range, in order (at most 400)."""
        from nba_pipeline.backfill import dates_between

        assert params is not None, "Airflow passes the run's Params"
        start = dt.date.fromisoformat(params["start_date"])
        end = dt.date.fromisoformat(params["end_date"])
        dates = dates_between(start, end)
        if len(dates) > 400:
            raise ValueError(f"{len(dates)} dates: split the range into pieces of at most 400")
        return [d.isoformat() for d in dates]

    BackfillDateOperator.partial(
        task_id="backfill_date",
        first_date="{{ params.start_date }}",
        max_active_tis_per_dagrun=1,
        map_index_template="{{ task.game_date }}",
        execution_timeout=dt.timedelta(minutes=30),
    ).expand(game_date=list_dates())
