"""Circuit breaker administration.

Trigger with Params: `action` (list, reset, open, configure, repair, delete) and `breaker` (a
processor or a prediction system). `reset` closes a breaker and clears its failure count; `open`
forces it open (it admits a trial after its timeout); `configure` changes threshold, timeout or
trial count; `repair` replaces whatever is stored for it (an invalid value, several rows) with one
CLOSED row; `delete` removes its rows.
"""

from __future__ import annotations

from airflow.sdk import DAG

from nba_pipeline.alerts import on_dag_run_failure
from nba_pipeline.breakers import BreakerAction
from nba_pipeline.dag.breaker_admin import ManageBreakerOperator
from nba_pipeline.dag.defaults import START_DATE, default_args, optional_name_param, param
from nba_pipeline.registry.catalog import breaker_settings

with DAG(
    dag_id="nba_breaker_admin",
    description="List, reset, open, re-configure, repair or delete circuit breakers",
    doc_md=__doc__,
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    on_failure_callback=on_dag_run_failure,
    tags=["nba", "admin", "circuit-breaker"],
    default_args=default_args(retries=0),
    params={
        "action": param("list", enum=[a.value for a in BreakerAction], description="what to do"),
        "breaker": optional_name_param(breaker_settings(), "which breaker (list shows them all)"),
        "reason": param(None, type=["null", "string"], maxLength=500),
        "threshold": param(None, type=["null", "integer"], minimum=1),
        "timeout_seconds": param(None, type=["null", "integer"], minimum=0),
        "half_open_max_calls": param(None, type=["null", "integer"], minimum=1),
    },
):
    ManageBreakerOperator(task_id="manage_breaker")
