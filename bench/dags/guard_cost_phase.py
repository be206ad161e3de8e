"""One phase of N toy processors behind the full guard set, to measure what the guards cost.

N comes from ``NBA_BENCH_PROCESSORS`` (default 10). Each processor reads the seed table (a
critical dependency with a schedule-derived expected count) and writes its own table.
"""

from __future__ import annotations

import os

from airflow.sdk import DAG, Param

from bench_processors import copy_seed  # bench/ is on the path of the benchmark's Airflow
from nba_pipeline.dag.builder import build_pipeline
from nba_pipeline.dag.defaults import START_DATE, default_args
from nba_pipeline.guards.breaker import BreakerSettings
from nba_pipeline.guards.calendar import CalendarSpec
from nba_pipeline.guards.dependencies import Dependency, TableWindow
from nba_pipeline.guards.spec import Phase, ProcessorSpec
from nba_pipeline.registry.guard_tables import GUARD_TABLES  # the pipeline's state tables

COUNT = int(os.environ.get("NBA_BENCH_PROCESSORS", "10"))
SEED = Dependency(
    name="seed",
    tables=(TableWindow("nba_raw.bench_seed", "event_date", "loaded_at"),),
    expected_sql="SELECT 3 * COUNT(*) AS expected FROM nba_raw.bench_events WHERE event_date BETWEEN @start AND @end",
)
PROCESSORS = [
    ProcessorSpec(
        f"bench_{i:02d}", Phase.ANALYTICS, copy_seed,
        reads=("nba_raw.bench_seed",), writes=(f"nba_analytics.bench_{i:02d}",),
        dependencies=(SEED,), breaker=BreakerSettings(), retries=0,
    )
    for i in range(COUNT)
]

with DAG(
    dag_id="guard_cost_phase",
    doc_md=__doc__,
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["nba", "bench"],
    default_args=default_args(),
    params={"game_date": Param(None, type=["null", "string"]), "backfill": Param(False, type="boolean")},
):
    build_pipeline(PROCESSORS, CalendarSpec(table="nba_raw.bench_events", date_column="event_date"), GUARD_TABLES)
