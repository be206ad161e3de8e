"""Shared pieces of the benchmarks: a throw-away Airflow home, a simulated season, results as JSON.

Every benchmark prints Markdown rows for people and, last, one JSON line for ``run_all.py``; it also
writes that JSON to ``.local/bench/<name>.json``. Heavy imports (Airflow, the package) happen inside
the functions, so the benchmark scripts stay cheap to start as orchestrating parents.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS_DIR = ROOT / ".local" / "bench"
GAME_DAY = dt.date(2025, 1, 15)
LOCAL_TZ = "America/New_York"


# --------------------------------------------------------------------------- results


def loadavg() -> str:
    """The 1/5/15-minute load averages: the context every timing needs on a shared machine."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def emit(name: str, result: Mapping[str, Any]) -> None:
    """Write ``result`` to ``.local/bench/<name>.json`` and print it as the final JSON line."""
    payload = {"benchmark": name, "finished": dt.datetime.now().isoformat(timespec="seconds"),
               "loadavg_end": loadavg(), **result}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(payload, indent=1, default=str) + "\n")
    print(json.dumps(payload, default=str), flush=True)


def last_json_line(text: str) -> dict[str, Any]:
    """The last line of a child's stdout that parses as a JSON object."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    raise ValueError("no JSON result line in the output")


def machine_facts() -> dict[str, str]:
    """CPU, memory and versions, from /proc and the installed packages (no imports of Airflow)."""
    from importlib.metadata import PackageNotFoundError, version

    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total_kib = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)

    def pkg(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return {
        "cpus": str(len(models) or os.cpu_count()),
        "cpu_model": models[0] if models else platform.processor() or "unknown",
        "ram_gib": f"{total_kib / 2**20:.1f}",
        "python": platform.python_version(),
        "airflow": pkg("apache-airflow"),
        "duckdb": pkg("duckdb"),
        "os": f"{platform.system()} {platform.release()}",
    }


# --------------------------------------------------------------------------- environments


def airflow_env(work: Path, dags_folder: Path, **extra: str) -> dict[str, str]:
    """Environment for a fresh Airflow home and warehouse under ``work`` (the way ``make run`` sets it)."""
    return {
        **os.environ,
        "AIRFLOW_HOME": str(work / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR",
        "NBA_DATA_DIR": str(work / "data"),
        "NBA_DUCKDB_PATH": str(work / "data" / "warehouse.duckdb"),
        "NBA_PAYLOAD_ROOT": str(work / "data" / "payloads"),
        "NBA_MODEL_ROOT": str(work / "data" / "models"),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(BENCH), str(ROOT)]),
        **extra,
    }


def migrate_airflow(env: Mapping[str, str]) -> None:
    """``airflow db migrate`` and the state-write pool, in the home ``env`` names."""
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*airflow, "pools", "set", "nba_state_writes", "4", "state writes"], env=env, check=True,
                   capture_output=True)


def run_child(script: Path, args: list[str], env: Mapping[str, str]) -> dict[str, Any]:
    """Run ``script --child args`` and return its JSON line; on failure show the end of its output."""
    out = subprocess.run([sys.executable, str(script), "--child", *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        tail = "\n".join((out.stdout + out.stderr).splitlines()[-40:])
        raise RuntimeError(f"{script.name} child failed ({out.returncode}):\n{tail}")
    return last_json_line(out.stdout)


# --------------------------------------------------------------------------- a simulated season


def backfill_history(first: dt.date, last: dt.date, dag_run_id: str = "bench_history") -> list[float]:
    """Run phases 1-4 for ``first``..``last`` into the configured warehouse (what each ``nba_backfill``
    task does per date); return the seconds per date."""
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import get_warehouse

    seconds = []
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        for day in dates_between(first, last):
            started = time.perf_counter()
            outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id=dag_run_id)
            record_progress(warehouse, outcome, dag_run_id)
            seconds.append(time.perf_counter() - started)
            if outcome.count("failed"):
                raise RuntimeError(f"backfill of {day} failed: {outcome.outcome}")
    return seconds


def train_model(end: dt.date) -> str:
    """Train ``xgboost_v1`` on the history up to ``end`` (as ``make run`` does); say what happened."""
    from nba_pipeline.predictions.model import InsufficientTrainingData, train
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        try:
            metrics = train(warehouse, end=end)
        except InsufficientTrainingData as err:
            return f"no model ({err}); xgboost_v1 fails in every batch and its breaker counts it"
    return f"xgboost_v1 trained on {metrics['train_rows']} rows (MAE {metrics['model_mae']:.2f})"


def copy_tree(source: Path, target: Path) -> None:
    """Replace ``target`` with a copy of ``source``."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)


# --------------------------------------------------------------------------- dag.test


def load_dags(dag_folder: Path) -> dict[str, Any]:
    """Parse ``dag_folder`` and serialize its DAGs into the metadata DB (what ``dag.test()`` needs)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    bag = DagBag(dag_folder=str(dag_folder))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    DagBundlesManager().sync_bundles_to_db()
    sync_bag_to_db(bag, "dags-folder", None)
    return dict(bag.dags)


_RUNS = iter(range(1, 10_000))


def logical_time(day: dt.date) -> Any:
    """A unique logical time on ``day`` (noon local plus a counter), so runs never collide and the
    run's own date is the game day (no historical skip)."""
    import pendulum

    n = next(_RUNS)
    return pendulum.datetime(day.year, day.month, day.day, 12, n // 60 % 60, n % 60, tz=LOCAL_TZ)


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Silence the pipeline's and Airflow's INFO logs while a benchmark runs."""
    import logging

    logging.disable(logging.INFO)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)


def task_rows(dag_run) -> list[dict[str, Any]]:
    """Task id, map index, state and duration (s) of every task instance of ``dag_run``."""
    rows = []
    for ti in dag_run.get_task_instances():
        rows.append({
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "state": str(ti.state.value if hasattr(ti.state, "value") else ti.state),
            "start": ti.start_date,
            "end": ti.end_date,
            "duration": float(ti.duration or 0.0),
        })
    return rows


def phase_of(task_id: str) -> str:
    """The top-level task group of a task id (``phase_3_analytics``), or the task itself at top level."""
    return task_id.split(".", 1)[0]


# --------------------------------------------------------------------------- warehouse calls per task


def task_kind(task_id: str) -> str:
    """What a task is, whatever its processor: ``smart_skip``, ``run``, ``record_runs``,
    ``dependency_snapshot_*``…"""
    last = task_id.rsplit(".", 1)[-1]
    stem = last.rstrip("0123456789")
    return f"{stem}*" if stem != last and stem.endswith("_") else last


class TaskAttribution:
    """Counts the warehouse layer's calls per task as well as per activity.

    Wraps ``STATS.record`` of this process (``dag.test()`` runs every task in it) and asks Airflow
    which task is running; calls made outside a task are counted under ``(outside a task)``.
    """

    OUTSIDE = "(outside a task)"

    def __init__(self) -> None:
        from collections import Counter

        self.round_trips: Counter[tuple[str, str]] = Counter()  # (task_id, activity)
        self.mutations: Counter[tuple[str, str, str]] = Counter()  # (task_id, activity, table)
        self._installed = False

    def install(self) -> TaskAttribution:
        from nba_pipeline.warehouse import base

        stats = base.STATS
        original = type(stats).record

        def record(mutated_table: str | None) -> None:
            original(stats, mutated_table)
            task_id = self._current_task()
            name = base._activity.get()
            self.round_trips[(task_id, name)] += 1
            if mutated_table:
                self.mutations[(task_id, name, mutated_table)] += 1

        stats.record = record  # an instance attribute: the package's code is untouched
        self._installed = True
        return self

    def reset(self) -> None:
        self.round_trips.clear()
        self.mutations.clear()

    def _current_task(self) -> str:
        try:
            from airflow.sdk import get_current_context

            return get_current_context()["ti"].task_id
        except Exception:  # noqa: BLE001 - no task is running
            return self.OUTSIDE

    def by(self, key, *, mutations: bool = False) -> dict[str, dict[str, int]]:
        """``{key(task_id): {activity: count}}`` for round trips, or ``{… {activity:table: count}}``."""
        table: dict[str, dict[str, int]] = {}
        if mutations:
            for (task_id, name, mutated), n in self.mutations.items():
                row = table.setdefault(key(task_id), {})
                row[f"{name}:{mutated}"] = row.get(f"{name}:{mutated}", 0) + n
        else:
            for (task_id, name), n in self.round_trips.items():
                row = table.setdefault(key(task_id), {})
                row[name] = row.get(name, 0) + n
        return {k: dict(sorted(v.items())) for k, v in sorted(table.items())}
