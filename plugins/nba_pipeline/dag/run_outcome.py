"""A DAG run fails when any of its tasks failed, even though the rest of the pipeline went on, and
when a run triggered for some sources did not run a processor that reads them.

Airflow sets a run's state from its leaf tasks alone. Here a failed processor is followed by tasks
that run whatever happened upstream (``record_runs``, the next phase's checks, which skip its
dependents with a reason) and succeed, so without this the run would end green with a red task
inside, and the DAG's failure callback (the alert) would never fire. Likewise a run asked to process
some sources that processed none of them would look like a success.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG, BaseOperator, TriggerRule
from airflow.sdk.exceptions import AirflowFailException

from nba_pipeline.dag.options import RunDated

TASK_ID = "fail_run_if_a_task_failed"


#: skips that a run for some sources accepts: the date has nothing for the processor to do
ACCEPTED_SKIPS = frozenset({"no_games", "offseason"})


class FailRunOnTaskFailureOperator(RunDated):
    """A leaf downstream of every task: once all are done (``all_done``), fails naming every failed
    task, and, in a run triggered for some sources, every processor reading them that did not run
    (unless the calendar said its date has no games); succeeds otherwise."""

    ui_color = "#f4cccc"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", TriggerRule.ALL_DONE)
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)

    def execute(self, context: Any) -> None:
        from nba_pipeline.dag.tasks import run_task_states

        states = run_task_states(context, sorted(set(self.dag.task_ids) - {self.task_id}))
        failed = sorted(t for t, state in states.items() if state == "failed")
        problems = []
        if failed:
            problems.append(
                f"{len(failed)} task(s) failed: {', '.join(failed)}; the tasks that did not depend on them ran"
            )
        missed = self._selected_but_not_run(context, states)
        if missed:
            problems.append(f"the run was triggered for these sources, but {len(missed)} processor(s) reading them "
                            f"did not run: {'; '.join(missed)}")
        if problems:
            raise AirflowFailException(". ".join(problems))
        self.log.info("no task failed")

    def _selected_but_not_run(self, context: Any, states: dict[str, str]) -> list[str]:
        """``processor (reason)`` for each processor reading the run's sources whose run task did not
        succeed, unless it skipped because its date has no games."""
        from nba_pipeline.dag.gates import SmartSkipCheckOperator
        from nba_pipeline.dag.tasks import SKIP_KEY, guard_task_ids

        sources = self.options_for(context).sources
        if not sources:
            return []
        checks = [t for t in self.dag.tasks if isinstance(t, SmartSkipCheckOperator)]
        if sources - {s for check in checks for s in check.known_sources}:
            return []  # unknown sources are processed in full (fail open): nothing was selected
        missed = []
        for check in checks:
            if not sources & set(check.sources):
                continue
            ids = guard_task_ids(check.task_id.rpartition(".")[0] + ".run")
            if states.get(ids["run"]) == "success":
                continue
            skip = None
            for task_id in (ids["run"], ids["dependencies"], ids["breaker_gate"], ids["smart_skip"]):
                skip = context["ti"].xcom_pull(task_ids=task_id, key=SKIP_KEY)
                if skip:
                    break
            reason = (skip or {}).get("reason") or states.get(ids["run"]) or "not run"
            if reason not in ACCEPTED_SKIPS:
                missed.append(f"{check.processor.name} ({reason})")
        return missed


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
