"""Another process that takes the warehouse away from a DAG run partway through, by holding the
DuckDB file lock.

``python -m tests.reliability.lock_holder WAREHOUSE AIRFLOW_DB DAG_ID AFTER_TASK MARKER``: waits
until a DAG run of ``DAG_ID`` started after this process has ``AFTER_TASK`` in state success, takes the file lock as
soon as the run's process lets go of the file between two tasks, writes ``MARKER`` (JSON), holds the
lock until that DAG run has ended, then releases it and records when.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
import time
from pathlib import Path

import duckdb

GIVE_UP_SECONDS = 300
_DONE = """
SELECT dr.run_id FROM dag_run dr JOIN task_instance ti ON ti.dag_id = dr.dag_id AND ti.run_id = dr.run_id
WHERE dr.dag_id = ? AND dr.state = 'running' AND ti.task_id = ? AND ti.state = 'success'
"""


def _poll(db: Path, sql: str, params: tuple) -> list[tuple]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return con.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # the run's process is writing: ask again
        return []


def _run_state(db: Path, dag_id: str, run_id: str) -> str:
    rows = _poll(db, "SELECT state FROM dag_run WHERE dag_id = ? AND run_id = ?", (dag_id, run_id))
    return rows[0][0] if rows else "running"


def main(argv: list[str]) -> int:
    warehouse, metadata, dag_id, after_task, marker = Path(argv[0]), Path(argv[1]), argv[2], argv[3], Path(argv[4])
    deadline = time.monotonic() + GIVE_UP_SECONDS
    stale = {r[0] for r in _poll(metadata, "SELECT run_id FROM dag_run WHERE state = 'running'", ())}
    while not (found := [r for r in _poll(metadata, _DONE, (dag_id, after_task)) if r[0] not in stale]):
        if time.monotonic() > deadline:
            return 2
        time.sleep(0.05)
    run_id = found[0][0]
    while True:
        try:
            connection = duckdb.connect(str(warehouse))
            break
        except duckdb.IOException:
            if time.monotonic() > deadline:
                return 3
            time.sleep(0.01)
    record = {"run_id": run_id, "locked_at": dt.datetime.now(dt.UTC).isoformat()}
    marker.write_text(json.dumps(record))
    while _run_state(metadata, dag_id, run_id) == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    connection.close()
    marker.write_text(json.dumps({**record, "released_at": dt.datetime.now(dt.UTC).isoformat()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
