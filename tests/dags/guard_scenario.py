"""An Airflow DAG: a small guarded pipeline of toy processors, built by the same builder as the real DAGs.

Phase 2: alpha, flaky. Phase 3: beta (needs alpha), gamma (needs flaky). Phase 4: delta (needs beta).
The calendar is ``nba_raw.toy_events``. Retries are immediate so multi-attempt scenarios run fast.
"""

from __future__ import annotations

from nba_pipeline.dag.builder import build_pipeline
from nba_pipeline.dag.run_outcome import fail_run_when_a_task_fails
from nba_pipeline.guards.breaker import BreakerSettings
from nba_pipeline.guards.calendar import CalendarSpec
from nba_pipeline.guards.dependencies import Dependency, TableWindow
from nba_pipeline.guards.spec import Phase, ProcessorSpec
from tests.dags import toy_processors
from tests.dags.toy_dag import toy_dag
from tests.dags.toy_state import TOY_TABLES

EVENTS_ON_DATE = "SELECT {k} * COUNT(*) AS expected FROM nba_raw.toy_events WHERE event_date BETWEEN @start AND @end"
BREAKER = BreakerSettings(threshold=3, timeout_seconds=3600, half_open_max_calls=1)


def _needs(table: str, per_event: int) -> Dependency:
    return Dependency(
        name=table,
        tables=(TableWindow(table, "event_date", "loaded_at"),),
        expected_sql=EVENTS_ON_DATE.format(k=per_event),
        warn_after_hours=24,
        fail_after_hours=48,
    )


PROCESSORS = [
    ProcessorSpec("alpha", Phase.RAW, toy_processors.alpha, writes=("nba_raw.toy_alpha",),
                  sources=("alpha_feed",), breaker=BREAKER, retries=0),
    ProcessorSpec("flaky", Phase.RAW, toy_processors.flaky, writes=("nba_raw.toy_flaky",),
                  sources=("flaky_feed",), breaker=BREAKER, retries=4),
    ProcessorSpec("beta", Phase.ANALYTICS, toy_processors.beta, reads=("nba_raw.toy_alpha",),
                  writes=("nba_analytics.toy_beta",), dependencies=(_needs("nba_raw.toy_alpha", 2),),
                  breaker=BREAKER, retries=0),
    ProcessorSpec("gamma", Phase.ANALYTICS, toy_processors.gamma, reads=("nba_raw.toy_flaky",),
                  writes=("nba_analytics.toy_gamma",), dependencies=(_needs("nba_raw.toy_flaky", 1),),
                  breaker=BREAKER, retries=0),
    ProcessorSpec("delta", Phase.PRECOMPUTE, toy_processors.delta, reads=("nba_analytics.toy_beta",),
                  writes=("nba_precompute.toy_delta",), dependencies=(_needs("nba_analytics.toy_beta", 2),),
                  breaker=BREAKER, retries=0),
]

with toy_dag("guard_scenario", __doc__) as dag:
    build_pipeline(PROCESSORS, CalendarSpec(table="nba_raw.toy_events", date_column="event_date"), TOY_TABLES)
    fail_run_when_a_task_fails(dag)
