"""# NBA daily pipeline

Runs every day at **10:00 America/New_York**: the previous evening's games are final and their box
scores published (~04:00 ET), the books have posted the day's player-points lines (from ~09:00 ET),
and predictions are wanted before noon ET.

For game date D the run fetches and processes the **results of D-1** and everything about **D's
games**. Each phase is a task group; inside it every processor shows its guards as tasks:
`smart_skip` (no games, off-season, historical date, irrelevant source) → `breaker_gate` (circuit
breaker) → `dependencies` (completeness sensor, phases 3–4) → `run`. Each phase ends with
`record_runs`, which writes the phase's run rows (with `skip_reason`) in one batch. Phase 5
coordinates the eligible players, predicts in mapped batches (five systems, a breaker per system)
and grades the previous game date. A successful
feature-store load updates the `nba_feature_store` asset, so other DAGs can be scheduled on it.
A failed processor does not stop the processors that do not depend on it; the run still ends
failed (`fail_run_if_a_task_failed`, which names the failed tasks), so the failure alert fires.

**Params**: `game_date` (default: the run's date in ET), `backfill` (no historical skip, no
staleness failure), `force_processors`, `ignore_breakers`, `sources` (run only the processors that
read these sources).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG
from airflow.timetables.trigger import CronTriggerTimetable

from nba_pipeline.alerts import on_dag_run_failure
from nba_pipeline.dag.builder import build_pipeline, known_sources
from nba_pipeline.dag.defaults import START_DATE, TIMEZONE, default_args, names_param, param
from nba_pipeline.dag.phase5 import build_phase5
from nba_pipeline.dag.run_outcome import fail_run_when_a_task_fails
from nba_pipeline.registry.assets import TABLE_ASSETS
from nba_pipeline.registry.catalog import breaker_settings
from nba_pipeline.registry.guard_tables import GUARD_TABLES
from nba_pipeline.registry.processors import CALENDAR, daily_processors

PROCESSORS = daily_processors()

with DAG(
    dag_id="nba_daily_pipeline",
    description="Scrapers → raw → analytics → precompute → predictions, guarded",
    doc_md=__doc__,
    schedule=CronTriggerTimetable("0 10 * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    on_failure_callback=on_dag_run_failure,
    dagrun_timeout=dt.timedelta(hours=3),
    tags=["nba", "daily"],
    default_args=default_args(),
    params={
        "game_date": param(
            None, type=["null", "string"], format="date", description="YYYY-MM-DD; default: today in ET"
        ),
        "backfill": param(False, type="boolean", description="backfill mode: no historical skip, no staleness failure"),
        "force_processors": names_param(
            (p.name for p in PROCESSORS), "run these even if a smart skip or the dependency check says otherwise"
        ),
        "ignore_breakers": names_param(
            breaker_settings(), "bypass these circuit breakers (outcomes are still recorded)"
        ),
        "sources": names_param(
            known_sources(PROCESSORS), "only processors reading these sources run; empty: all"
        ),
    },
) as dag:
    pipeline = build_pipeline(PROCESSORS, CALENDAR, GUARD_TABLES, TABLE_ASSETS)
    build_phase5(
        upstream_feature_task=pipeline.processors["ml_feature_store"].run,
        upstream_grading_task=pipeline.processors["player_game_summary"].run,
    )
    fail_run_when_a_task_fails(dag)
