"""Run DAGs with ``dag.test()`` from pytest (Airflow 3 needs them serialized into the metadata DB first)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pendulum


def load_dag(dag_folder: Path, dag_id: str):
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    bag = DagBag(dag_folder=str(dag_folder))
    assert not bag.import_errors, bag.import_errors
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(bag, "dags-folder", None)
    return bag.get_dag(dag_id)


#: id(dag) -> (the DAG, its Params' declared defaults), taken before its first run in this process.
_DECLARED: dict[int, tuple[Any, dict[str, Any]]] = {}


def run_dag(dag, logical_date: dt.date | dt.datetime, conf: dict[str, Any] | None = None):
    """One ``dag.test()`` run; returns the DagRun. Each call gets a fresh logical time to stay unique.

    The conf names every Param, the unnamed ones at their declared defaults: the task runner sets a
    run's conf into the DAG's own Param objects, so in one process a value given to one run (a
    ``sources`` list, say) would otherwise be the next run's default.
    """
    from airflow.sdk.definitions.param import NOTSET

    params = {key: dag.params.get_param(key) for key in dag.params}
    _, declared = _DECLARED.setdefault(
        id(dag), (dag, {key: copy.deepcopy(p.value) for key, p in params.items() if p.value is not NOTSET})
    )
    conf = {**copy.deepcopy(declared), **(conf or {})}
    if isinstance(logical_date, dt.datetime):
        when = pendulum.instance(logical_date)
    else:
        now = pendulum.now("UTC")
        when = pendulum.datetime(logical_date.year, logical_date.month, logical_date.day, 12,
                                 now.minute, now.second, now.microsecond, tz="America/New_York")
    return dag.test(logical_date=when, run_conf=conf)


def task_states(dag_run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
