"""A no-op twin of a DAG, to measure what Airflow itself costs to schedule and run its graph.

The twin has the same task ids, task groups, edges, trigger rules, pools, outlets (asset events),
timeouts and dynamic mapping; every task does nothing. A ShortCircuitOperator stays a
ShortCircuitOperator (returning True), everything else becomes :class:`NoopOperator`.

So that the twin ends in the same states as a real run, :func:`mirror` reads a reference run's
task states: a task the reference skipped by itself raises a skip, a short circuit that skipped
its downstream returns False, a failed task fails, and the upstream of a mapped task returns a
list as long as the reference's mapping. Skips and failures then spread through the same trigger
rules as in the real run. These behaviours are looked up when a task runs (``dag.test()`` runs
tasks in the calling process), so they can be set after the DAG was parsed.
"""

from __future__ import annotations

import functools
import runpy
from collections.abc import Mapping
from typing import Any

from airflow.providers.standard.operators.python import ShortCircuitOperator
from airflow.sdk import DAG, BaseOperator, TaskGroup
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

#: task id → "skip", "fail" or "short_circuit" (return False); absent: succeed
BEHAVIOUR: dict[str, str] = {}
#: task id → length of the list it returns (the upstream of a mapped task)
MAP_LENGTH: dict[str, int] = {}

#: what the twin keeps of each task; not retries (a no-op that fails unexpectedly must not wait for a retry)
_COPIED = ("trigger_rule", "pool", "pool_slots", "priority_weight", "weight_rule", "execution_timeout",
           "max_active_tis_per_dagrun", "owner")


def _act(task_id: str) -> Any:
    behaviour = BEHAVIOUR.get(task_id)
    if behaviour == "skip":
        raise AirflowSkipException("skipped, as in the reference run")
    if behaviour == "fail":
        raise AirflowFailException("failed, as in the reference run")
    if task_id in MAP_LENGTH:
        return list(range(MAP_LENGTH[task_id]))
    return None


def _proceed(task_id: str) -> bool:
    return BEHAVIOUR.get(task_id) != "short_circuit"


class NoopOperator(BaseOperator):
    """Does nothing (or skips, fails, returns a list, as :data:`BEHAVIOUR` says)."""

    ui_color = "#ffffff"

    def __init__(self, *, item: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item

    def execute(self, context: Any) -> Any:
        return _act(self.task_id)


def _common(task: Any) -> dict[str, Any]:
    source = task.partial_kwargs if hasattr(task, "partial_kwargs") else {}
    kwargs = {}
    for name in _COPIED:
        value = source.get(name) if name in source else getattr(task, name, None)
        if value is not None:
            kwargs[name] = value
    outlets = getattr(task, "outlets", None)
    if outlets:
        kwargs["outlets"] = list(outlets)
    return kwargs


def _local_id(full_id: str, group: TaskGroup | None) -> str:
    prefix = group.group_id if group is not None and group.group_id and group.prefix_group_id else None
    return full_id[len(prefix) + 1:] if prefix and full_id.startswith(prefix + ".") else full_id


def _copy_children(group: TaskGroup, made: dict[str, Any]) -> None:
    from airflow.sdk.definitions.mappedoperator import MappedOperator
    from airflow.sdk.definitions.xcom_arg import XComArg

    for child in group.children.values():
        if isinstance(child, TaskGroup):
            with TaskGroup(group_id=child._group_id, prefix_group_id=child.prefix_group_id, tooltip=child.tooltip):
                _copy_children(child, made)
            continue
        local = _local_id(child.task_id, group)
        if isinstance(child, MappedOperator):
            expand = child._get_specified_expand_input()
            (source, key), = list(expand.iter_references())
            if key != "return_value" or source.task_id not in made:
                raise ValueError(f"{child.task_id}: cannot mirror its mapping over {source.task_id}:{key}")
            # the real map_index_template reads what the real task puts in its context: label by the item
            labelled = {"map_index_template": "item {{ task.item }}"} if child.partial_kwargs.get(
                "map_index_template") else {}
            made[child.task_id] = NoopOperator.partial(task_id=local, retries=0, **_common(child), **labelled).expand(
                item=XComArg(made[source.task_id]))
        elif isinstance(child, ShortCircuitOperator):
            made[child.task_id] = ShortCircuitOperator(
                task_id=local, retries=0, python_callable=functools.partial(_proceed, child.task_id),
                ignore_downstream_trigger_rules=child.ignore_downstream_trigger_rules, **_common(child),
            )
        else:
            made[child.task_id] = NoopOperator(task_id=local, retries=0, **_common(child))
        if made[child.task_id].task_id != child.task_id:
            raise ValueError(f"twin task id {made[child.task_id].task_id} != {child.task_id}")


def noop_twin(dag: DAG, dag_id: str) -> DAG:
    """Build the no-op twin of ``dag`` as ``dag_id`` (in the calling DAG file, so it is registered)."""
    with DAG(
        dag_id=dag_id,
        schedule=dag.timetable,
        start_date=dag.start_date,
        catchup=False,
        max_active_runs=dag.max_active_runs,
        max_active_tasks=dag.max_active_tasks,
        params={name: dag.params.get_param(name) for name in dag.params},
        tags=["bench"],
    ) as twin:
        made: dict[str, Any] = {}
        _copy_children(dag.task_group, made)
        for task in dag.tasks:
            for upstream in task.upstream_task_ids:
                if upstream not in made[task.task_id].upstream_task_ids:
                    made[upstream] >> made[task.task_id]
    edges = {(t.task_id, u) for t in dag.tasks for u in t.upstream_task_ids}
    twin_edges = {(t.task_id, u) for t in twin.tasks for u in t.upstream_task_ids}
    rules = {t.task_id: str(t.trigger_rule) for t in dag.tasks}
    twin_rules = {t.task_id: str(t.trigger_rule) for t in twin.tasks}
    if edges != twin_edges or rules != twin_rules:
        differ = set(rules.items()) ^ set(twin_rules.items())
        raise ValueError(f"twin differs: edges {edges ^ twin_edges}, trigger rules {differ}")
    return twin


def pipeline_and_twin(dag_file: str, dag_id: str, twin_id: str) -> tuple[DAG, DAG]:
    """Run a DAG file (its DAG registers in the calling DAG file) and build the no-op twin of ``dag_id``."""
    from airflow.sdk.definitions._internal.contextmanager import DagContext

    namespace = runpy.run_path(dag_file)
    found = [d for d in namespace.values() if isinstance(d, DAG) and d.dag_id == dag_id]
    found += [d for d, _ in DagContext.autoregistered_dags if d.dag_id == dag_id]
    if not found:
        raise ValueError(f"{dag_file} defines no DAG {dag_id}")
    return found[0], noop_twin(found[0], twin_id)


def mirror(dag: DAG, states: Mapping[tuple[str, int], str]) -> None:
    """Set :data:`BEHAVIOUR` and :data:`MAP_LENGTH` so the twin ends as the reference run ended.

    :param states: the reference run's state per (task id, map index).
    """
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    BEHAVIOUR.clear()
    MAP_LENGTH.clear()
    per_task: dict[str, set[str]] = {}
    for (task_id, _), state in states.items():
        per_task.setdefault(task_id, set()).add(state)
    state_of = {task_id: next(iter(s)) if len(s) == 1 else "mixed" for task_id, s in per_task.items()}
    for task in dag.tasks:
        if isinstance(task, MappedOperator):
            (source, _), = list(task._get_specified_expand_input().iter_references())
            MAP_LENGTH[source.task_id] = sum(1 for (t, i) in states if t == task.task_id and i >= 0)
        state = state_of.get(task.task_id)
        upstream = {u: state_of.get(u) for u in task.upstream_task_ids}
        if state == "failed":
            BEHAVIOUR[task.task_id] = "fail"
        elif state == "skipped":
            if "skipped" in upstream.values() and task.trigger_rule == "all_success":
                continue  # the skip spread from upstream, as it will in the twin
            circuits = [u for u, s in upstream.items()
                        if s == "success" and isinstance(dag.task_dict[u], ShortCircuitOperator)]
            for u in circuits:
                BEHAVIOUR[u] = "short_circuit"
            if not circuits:
                BEHAVIOUR[task.task_id] = "skip"
