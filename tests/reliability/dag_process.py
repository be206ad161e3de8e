"""Run one DAG with ``dag.test()`` in a process of its own and print the outcome as one JSON line.

``python -m tests.reliability.dag_process DAG_ID YYYY-MM-DD CONF_JSON [METADATA_DB TASK_ID]``: with the
last two, the run starts only once ``TASK_ID`` has succeeded in another Airflow home's metadata DB (the
DAG is parsed meanwhile), to start inside another process's run. The environment (Airflow home,
warehouse settings) comes from the caller; nothing here creates it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MARKER = "DAG_PROCESS_RESULT "


def _running_with(metadata: Path, task_id: str | None) -> list[str]:
    """Running DAG runs (with ``task_id`` succeeded, when given) of the metadata DB at ``metadata``."""
    sql = "SELECT dr.run_id FROM dag_run dr WHERE dr.state = 'running'"
    params: tuple = ()
    if task_id is not None:
        sql += (" AND EXISTS (SELECT 1 FROM task_instance ti WHERE ti.dag_id = dr.dag_id AND ti.run_id = dr.run_id"
                " AND ti.task_id = ? AND ti.state = 'success')")
        params = (task_id,)
    try:
        with sqlite3.connect(f"file:{metadata}?mode=ro", uri=True, timeout=5) as con:
            return [row[0] for row in con.execute(sql, params).fetchall()]
    except sqlite3.OperationalError:  # being written: ask again
        return []


def wait_for_task(metadata: Path, task_id: str, stale: set[str], timeout: float = 180) -> None:
    """Return once ``task_id`` has succeeded in a DAG run of ``metadata`` not among ``stale``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(_running_with(metadata, task_id)) - stale:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{task_id} did not succeed in {metadata} within {timeout:.0f}s")


def main(argv: list[str]) -> int:
    from tests.airflow_runs import load_dag, run_dag

    dag_id, day, conf = argv[0], dt.date.fromisoformat(argv[1]), json.loads(argv[2])
    after = (Path(argv[3]), argv[4]) if len(argv) == 5 else None
    stale = set(_running_with(after[0], None)) if after else set()  # runs that were going before this one
    dag = load_dag(PROJECT_ROOT / "dags", dag_id)
    for task in dag.tasks:  # same attempts, no minutes of backoff between them
        task.retry_delay = dt.timedelta(0)
    if after:
        wait_for_task(*after, stale)
    dag_run = run_dag(dag, day, conf)
    tasks = [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "state": ti.state,
            "try_number": ti.try_number,
            "start": ti.start_date.isoformat() if ti.start_date else None,
            "end": ti.end_date.isoformat() if ti.end_date else None,
        }
        for ti in dag_run.get_task_instances()
    ]
    print(MARKER + json.dumps({"run_id": dag_run.run_id, "state": dag_run.state, "tasks": tasks}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
