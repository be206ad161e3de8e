"""What the guard tasks share: the task ids of a processor's guards, and the XCom key under which a
guard that skips leaves its reason (``record_runs`` and the run's outcome read it back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nba_pipeline.guards.run_log import RunLogOutbox, TaskInstanceRef

SKIP_KEY = "skip_reason"
CALENDAR_KEY = "calendar"
CALENDAR_GROUP_ID = "calendar"
CALENDAR_CHECK_TASK_ID = "check"
CALENDAR_TASK_ID = f"{CALENDAR_GROUP_ID}.{CALENDAR_CHECK_TASK_ID}"
READ_BREAKERS_TASK_ID = "read_breakers"
GUARD_TASK_IDS = ("smart_skip", "breaker_gate", "dependencies")


def guard_task_ids(run_task_id: str) -> dict[str, str]:
    """Task ids of one processor's guards and run, beside its run task in the processor's group."""
    prefix = run_task_id.rpartition(".")[0]
    return {**{guard: f"{prefix}.{guard}" for guard in GUARD_TASK_IDS}, "run": run_task_id}


def push_skip(context: Mapping[str, Any], reason: str, detail: str) -> None:
    """Leave why this task skipped for ``record_runs`` (and the run's outcome) to read."""
    context["ti"].xcom_push(key=SKIP_KEY, value={"reason": str(reason), "detail": detail})


def task_instance_ref(context: Mapping[str, Any], task_id: str | None = None) -> TaskInstanceRef:
    """This task instance, or another task of the same DAG run (``task_id``, unmapped, try unknown),
    as a run row names it."""
    from nba_pipeline.guards.run_log import TaskInstanceRef

    ti = context["ti"]
    if task_id is not None and task_id != ti.task_id:
        return TaskInstanceRef(dag_id=ti.dag_id, dag_run_id=context["run_id"], task_id=task_id)
    map_index = getattr(ti, "map_index", None)
    return TaskInstanceRef(
        dag_id=ti.dag_id,
        dag_run_id=context["run_id"],
        task_id=ti.task_id,
        map_index=-1 if map_index is None else map_index,
        try_number=ti.try_number,
    )


def run_log_outbox() -> RunLogOutbox:
    """The process's run-log outbox (``NBA_RUN_LOG_OUTBOX``)."""
    from nba_pipeline.guards.run_log import RunLogOutbox
    from nba_pipeline.settings import get_settings

    return RunLogOutbox(get_settings().run_log_outbox)


def run_task_states(context: Any, task_ids: list[str]) -> dict[str, str]:
    """States of tasks of this DAG run, through the Task SDK (tasks cannot read the metadata DB).
    A mapped task's instances are keyed ``<task_id>_<map_index>``; a task with no instance is absent."""
    ti = context["ti"]
    found = ti.get_task_states(dag_id=ti.dag_id, task_ids=task_ids, run_ids=[context["run_id"]])
    return found.get(context["run_id"], {}) if isinstance(found, dict) else {}
