"""Run DAGs with ``dag.test()`` from pytest (Airflow 3 needs them serialized into the metadata DB first)."""

from __future__ import annotations

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


def run_dag(dag, logical_date: dt.date | dt.datetime, conf: dict[str, Any] | None = None):
    """One ``dag.test()`` run; returns the DagRun. Each call gets a fresh logical time to stay unique."""
    if isinstance(logical_date, dt.datetime):
        when = pendulum.instance(logical_date)
    else:
        now = pendulum.now("UTC")
        when = pendulum.datetime(logical_date.year, logical_date.month, logical_date.day, 12,
                                 now.minute, now.second, now.microsecond, tz="America/New_York")
    return dag.test(logical_date=when, run_conf=conf or {})


def task_states(dag_run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
