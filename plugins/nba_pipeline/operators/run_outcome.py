"""A DAG run fails when any of its tasks failed, even though the rest of the pipeline went on.

Airflow sets a run's state from its leaf tasks alone. Here a failed processor is followed by tasks
that run whatever happened upstream (``record_runs``, the next phase's checks, which skip its
dependents with a reason) and succeed, so without this the run would end green with a red task
inside, and the DAG's failure callback (the alert) would never fire.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, BaseOperator, TriggerRule
from airflow.sdk.exceptions import AirflowFailException

TASK_ID = "fail_run_if_a_task_failed"


class FailRunOnTaskFailureOperator(BaseOperator):
    """A leaf downstream of every task: once all are done (``all_done``), fails naming every failed
    task, or succeeds when none failed."""

    ui_color = "#f4cccc"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)

    def execute(self, context: Any) -> None:
        from nba_pipeline.guards.operators import run_task_states

        states = run_task_states(context, sorted(set(self.dag.task_ids) - {self.task_id}))
        failed = sorted(t for t, state in states.items() if state == "failed")
        if failed:
            raise AirflowFailException(
                f"{len(failed)} task(s) failed: {', '.join(failed)}; the tasks that did not depend on them ran"
            )
        self.log.info("no task failed")


def fail_run_when_a_task_fails(dag: DAG) -> BaseOperator:
    """Add the watcher to ``dag`` (call it last), downstream of every task but the short-circuit
    checks: a check that says skip skips its direct downstream tasks, which would skip the watcher.
    Each check is followed by a task that is upstream of the watcher, so it waits for them all,
    and it reads the states of every task, checks included."""
    from airflow.providers.standard.operators.python import ShortCircuitOperator

    tasks = [task for task in dag.tasks if not isinstance(task, ShortCircuitOperator)]
    watcher = FailRunOnTaskFailureOperator(task_id=TASK_ID, dag=dag)
    for task in tasks:
        task >> watcher
    return watcher
