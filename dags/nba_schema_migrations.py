"""Schema migrations: apply the pending migrations, then verify the warehouse against the declared schemas."""

from __future__ import annotations

from airflow.sdk import DAG

from nba_pipeline.alerts import on_dag_run_failure
from nba_pipeline.dag.defaults import START_DATE, default_args
from nba_pipeline.dag.schema import ApplyMigrationsOperator, VerifySchemaOperator

with DAG(
    dag_id="nba_schema_migrations",
    description="Apply pending warehouse migrations and verify the schema",
    doc_md=__doc__,
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    on_failure_callback=on_dag_run_failure,
    tags=["nba", "schema"],
    default_args=default_args(retries=0),
):
    ApplyMigrationsOperator(task_id="apply_migrations") >> VerifySchemaOperator(task_id="verify_schema")
