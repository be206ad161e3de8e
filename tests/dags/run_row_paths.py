"""Toy pipelines whose attempts end by timeout or kill, built by the same builder as the real DAGs.

``run_row_timeout``: sleepy (retried once), grinding and jammed outlive their ``execution_timeout``
in Python code, inside a warehouse query, and while their failure waits for the warehouse lock.
``run_row_kill``: doomed and stubborn say when they have started, so a test can kill them.
``run_row_outage``: stranded fails while the warehouse is unreachable, so its row cannot be written.
``run_row_denied``: denied fails with a permission error (retries declared, none should be made).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param, TriggerRule

from nba_pipeline.dag.builder import build_pipeline
from nba_pipeline.guards.breaker import BreakerSettings
from nba_pipeline.guards.calendar import CalendarSpec
from nba_pipeline.guards.spec import Phase, ProcessorSpec
from tests.dags import toy_processors
from tests.dags.toy_dag import toy_dag
from tests.dags.toy_state import TOY_TABLES

BREAKER = BreakerSettings(threshold=3, timeout_seconds=3600, half_open_max_calls=1)
CALENDAR = CalendarSpec(table="nba_raw.toy_events", date_column="event_date")
TIMEOUT_SECONDS = {"sleepy": 1, "grinding": 1, "jammed": 3}


def _spec(name: str, retries: int = 0) -> ProcessorSpec:
    return ProcessorSpec(
        name,
        Phase.RAW,
        getattr(toy_processors, name),
        writes=(f"nba_raw.toy_{name}",),
        breaker=BREAKER,
        calendar_guarded=False,
        retries=retries,
    )


def _dag(dag_id: str) -> DAG:
    return toy_dag(dag_id, __doc__, params={"game_date": Param(None, type=["null", "string"], format="date")})


with _dag("run_row_timeout"):
    timeout_pipeline = build_pipeline(
        [_spec("sleepy", retries=1), _spec("grinding"), _spec("jammed")], CALENDAR, TOY_TABLES
    )
    for _name, _seconds in TIMEOUT_SECONDS.items():
        timeout_pipeline.processors[_name].run.execution_timeout = dt.timedelta(seconds=_seconds)
    jammed_first = timeout_pipeline.processors["jammed"].first  # last, so its lock holder stalls no other task
    jammed_first.trigger_rule = TriggerRule.ALL_DONE
    [timeout_pipeline.processors["sleepy"].run, timeout_pipeline.processors["grinding"].run] >> jammed_first

with _dag("run_row_kill"):
    build_pipeline([_spec("doomed"), _spec("stubborn")], CALENDAR, TOY_TABLES)

with _dag("run_row_outage"):
    build_pipeline([_spec("stranded")], CALENDAR, TOY_TABLES)

with _dag("run_row_denied"):
    build_pipeline([_spec("denied", retries=2)], CALENDAR, TOY_TABLES)
