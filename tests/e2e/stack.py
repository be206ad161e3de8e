"""A real Airflow stack for the end-to-end tier: API server, scheduler, DAG processor, triggerer and
a Celery worker on a fresh PostgreSQL database and a Redis database of their own.

Every process gets the same explicit environment (nothing is inherited from the pytest process's
Airflow or NBA settings), runs in its own process group with its output in a log file, and carries a
marker variable so that anything it leaves behind can be found and ended. Run as a module
(``python -m tests.e2e.stack history FIRST LAST``) it prepares the warehouse history in a process of
its own, with the stack's environment, before Airflow starts.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
PLUGIN_FILE = PROJECT_ROOT / "plugins" / "nba_pipeline_plugin.py"
DAG_ID = "nba_daily_pipeline"
STATE_WRITE_POOL = "nba_state_writes"
MARKER = "NBA_E2E_STACK_ID"
USERNAME = "admin"
PROCESSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("api-server", ("api-server",)),
    ("scheduler", ("scheduler",)),
    ("dag-processor", ("dag-processor",)),
    ("triggerer", ("triggerer",)),
    ("celery-worker", ("celery", "worker", "--without-mingle", "--without-gossip")),
)
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): ")
REDIS_DB_CANDIDATES = range(15, 0, -1)  # db 0 is left to whatever else uses this Redis


class StackError(RuntimeError):
    """The stack could not be prepared, started or reached."""


def unreachable(addresses: Iterable[tuple[str, int]], timeout: float = 2.0) -> list[str]:
    """The ``host:port`` addresses that refuse a TCP connection within ``timeout``."""
    refused = []
    for host, port in addresses:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError:
            refused.append(f"{host}:{port}")
    return refused


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


# --------------------------------------------------------------------------- services


def _postgres(dbname: str = "postgres"):
    import psycopg2

    connection = psycopg2.connect(host=POSTGRES[0], port=POSTGRES[1], user="postgres", dbname=dbname,
                                  connect_timeout=10)
    connection.autocommit = True
    return connection


def create_database(name: str) -> None:
    connection = _postgres()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def drop_database(name: str) -> None:
    """Drop the database, ending any connection still open on it."""
    connection = _postgres()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def database_exists(name: str) -> bool:
    connection = _postgres()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cursor.fetchone() is not None
    finally:
        connection.close()


def _redis(index: int):
    import redis

    return redis.Redis(host=REDIS[0], port=REDIS[1], db=index, socket_timeout=10)


def claim_redis_db(stack_id: str) -> int:
    """An empty Redis database, claimed with a key so that a concurrent stack picks another one."""
    for index in REDIS_DB_CANDIDATES:
        client = _redis(index)
        try:
            if client.dbsize() == 0 and client.set(f"{MARKER}:{stack_id}", "claimed", nx=True):
                if client.dbsize() == 1:
                    return index
                client.delete(f"{MARKER}:{stack_id}")
        finally:
            client.close()
    raise StackError(f"no empty Redis database among {list(REDIS_DB_CANDIDATES)}")


def flush_redis_db(index: int) -> int:
    """Empty the database; return the number of keys it held."""
    client = _redis(index)
    try:
        keys = client.dbsize()
        client.flushdb()
        return keys
    finally:
        client.close()


def redis_db_size(index: int) -> int:
    client = _redis(index)
    try:
        return client.dbsize()
    finally:
        client.close()


# --------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    """One Airflow deployment in ``root``: configuration, processes, and how to end them.

    :param root: a folder of its own (Airflow home, warehouse, payloads, process logs).
    """

    root: Path
    stack_id: str = field(default_factory=lambda: secrets.token_hex(4))
    api_port: int = field(default_factory=free_port)
    worker_log_port: int = field(default_factory=free_port)
    trigger_log_port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))  # 64 characters: HS512-sized
    redis_db: int | None = None
    database_created: bool = False
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    closed: bool = False
    leftovers: list[str] = field(default_factory=list)
    plugin_loaded: bool = False  # whether the plugin file existed when the API server started
    setup_error: str | None = None  # why the stack could not be brought up, if it could not
    api: ApiClient | None = None

    @property
    def database(self) -> str:
        return f"nba_e2e_{self.stack_id}"

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def duckdb_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def task_log_dir(self) -> Path:
        return self.airflow_home / "logs" / f"dag_id={DAG_ID}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def env(self) -> dict[str, str]:
        """The environment of every process of the stack (and of the history preparation)."""
        if self.redis_db is None:
            raise StackError("claim a Redis database before building the environment")
        inherited = {
            key: value for key, value in os.environ.items()
            if not key.startswith(("AIRFLOW", "_AIRFLOW", "NBA_", "PYTEST", "PYTHONPATH"))
        }
        metadata = f"postgresql+psycopg2://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{self.database}"
        return {
            **inherited,
            MARKER: self.stack_id,
            "PYTHONPATH": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(self.stack_id.encode() * 4).decode(),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__CORE__AUTH_MANAGER":
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.airflow_home / "passwords.json"),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/{self.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            "AIRFLOW__CELERY__OPERATION_TIMEOUT": "10",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": f"e2e-session-{self.stack_id}",
            "AIRFLOW__API_AUTH__JWT_SECRET": self.jwt_secret,
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.worker_log_port),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.trigger_log_port),
            # A task's supervisor notices its finished process at this cadence (default 5 s per task).
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
            # Only the run the test triggers: no timetable run competes for max_active_runs=1.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # The DAG files do not change during the test: parse once, do not re-parse every 30 s.
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            "NBA_DATA_DIR": str(self.data_dir),
            "NBA_DUCKDB_PATH": str(self.duckdb_path),
            "NBA_PAYLOAD_ROOT": str(self.data_dir / "payloads"),
            "NBA_DUCKDB_LOCK_WAIT_SECONDS": "120",
            "NBA_DEPENDENCY_POKE_SECONDS": "2",
            "NBA_DEPENDENCY_TIMEOUT_SECONDS": "10",
        }

    # setup -----------------------------------------------------------------

    def provision(self) -> None:
        """Folders, the metadata database, a Redis database and the login of the known user."""
        for folder in (self.airflow_home, self.data_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.redis_db = claim_redis_db(self.stack_id)
        create_database(self.database)
        self.database_created = True
        # A passwords file that already names the user: the API server keeps it instead of generating one.
        (self.airflow_home / "passwords.json").write_text(json.dumps({USERNAME: self.password}) + "\n")

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = round(time.monotonic() - started, 1)

    def run_step(self, name: str, args: list[str], *, timeout: float, cwd: Path | None = None) -> None:
        """A command that must succeed within ``timeout`` seconds, its output in ``logs/<name>.log``."""
        started = time.monotonic()
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("w") as log:
            try:
                result = subprocess.run(args, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                        cwd=cwd or self.root, timeout=timeout, start_new_session=True)
            except subprocess.TimeoutExpired as err:
                raise StackError(f"{name} did not finish in {timeout:.0f}s:\n{tail(log_path)}") from err
        self._timed(name, started)
        if result.returncode != 0:
            raise StackError(f"{name} exited with {result.returncode}:\n{tail(log_path)}")

    def prepare_history(self, first: dt.date, last: dt.date) -> None:
        """Migrate the warehouse and backfill ``first..last`` in a separate process, before Airflow."""
        self.run_step("history", [sys.executable, "-m", "tests.e2e.stack", "history", first.isoformat(),
                                  last.isoformat()], timeout=180, cwd=PROJECT_ROOT)

    def migrate_metadata(self) -> None:
        """Create the Airflow metadata schema in the fresh PostgreSQL database."""
        self.run_step("db-migrate", [sys.executable, "-m", "airflow", "db", "migrate"], timeout=180)

    def start(self) -> None:
        """Start every process, each in its own process group."""
        self.plugin_loaded = PLUGIN_FILE.exists()
        for name, args in PROCESSES:
            log = (self.log_dir / f"{name}.log").open("w")
            try:
                self.processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "airflow", *args], env=self.env(), stdout=log,
                    stderr=subprocess.STDOUT, cwd=self.root, start_new_session=True,
                )
            finally:
                log.close()

    def dead_processes(self) -> dict[str, int]:
        """Processes that have exited, with their exit codes."""
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def process_log_tails(self, lines: int = 30) -> str:
        """The end of each Airflow process's log, after the exceptions it raised (a traceback's last
        line is often further up than the tail)."""
        parts = []
        for name, _ in PROCESSES:
            path = self.log_dir / f"{name}.log"
            if not path.exists():
                continue
            raised = dict.fromkeys(line for line in path.read_text(errors="replace").splitlines()
                                   if _EXCEPTION_LINE.match(line))
            summary = "".join(f"  raised: {line[:300]}\n" for line in list(raised)[:5])
            parts.append(f"----- {name} ({path}) -----\n{summary}{tail(path, lines)}")
        return "\n".join(parts)

    def task_log_tails(self, task_ids: Iterable[str], lines: int = 40) -> str:
        """The end of every attempt log of these tasks."""
        wanted = set(task_ids)
        parts = []
        for path in sorted(self.task_log_dir.rglob("attempt=*.log")):
            task_dir = next((p.name for p in path.parents if p.name.startswith("task_id=")), "")
            if task_dir.removeprefix("task_id=") in wanted:
                parts.append(f"----- {task_dir} {path.name} -----\n{tail(path, lines)}")
        return "\n".join(parts) or f"(no task logs for {sorted(wanted)} under {self.task_log_dir})"

    # teardown --------------------------------------------------------------

    def stop(self, grace_seconds: float = 45.0) -> list[str]:
        """SIGTERM every process group, SIGKILL what is left after ``grace_seconds``; return what had to be
        killed or was still found afterwards (by the marker in its environment)."""
        started = time.monotonic()
        # The scheduler first, so that nothing new is queued while the others wind down.
        for name in ("scheduler", *(n for n in self.processes if n != "scheduler")):
            if name in self.processes:
                _signal_group(self.processes[name], signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        killed = []
        for name, process in self.processes.items():
            if process.poll() is None:
                killed.append(f"{name} (pid {process.pid}) ignored SIGTERM for {grace_seconds:.0f}s")
            _signal_group(process, signal.SIGKILL)  # the group may outlive its leader
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                killed.append(f"{name} (pid {process.pid}) survived SIGKILL")
        leftovers = killed + self._end_marked_processes()
        self._timed("shutdown", started)
        return leftovers

    def _end_marked_processes(self) -> list[str]:
        """Kill any process still carrying this stack's marker (one that left its process group)."""
        import psutil

        found = []
        for process in psutil.process_iter(["pid", "cmdline"]):
            if process.pid == os.getpid():
                continue
            try:
                if process.environ().get(MARKER) != self.stack_id:
                    continue
                found.append(f"pid {process.pid}: {' '.join(process.info['cmdline'] or [])[:160]}")
                process.kill()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found

    def close(self) -> None:
        """Stop the processes, drop the database, flush the Redis database; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        errors = []
        try:
            self.leftovers = self.stop()
        except Exception as err:  # keep cleaning up
            errors.append(f"stopping the processes: {err!r}")
        if self.database_created:
            try:
                drop_database(self.database)
            except Exception as err:
                errors.append(f"dropping {self.database}: {err!r}")
        if self.redis_db is not None:
            try:
                flush_redis_db(self.redis_db)
            except Exception as err:
                errors.append(f"flushing Redis db {self.redis_db}: {err!r}")
        if errors:
            raise StackError("; ".join(errors))


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)  # start_new_session: the group id is the leader's pid
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- REST API


class ApiClient:
    """The stack's public REST API, called with a bearer token as the UI calls it."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        import httpx

        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=timeout)
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    def wait_until_healthy(self, stack: Stack, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while True:
            dead = stack.dead_processes()
            if dead:
                raise StackError(f"processes exited during startup: {dead}\n{stack.process_log_tails()}")
            try:
                if self.http.get("/api/v2/monitor/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise StackError(f"the API server did not answer in {timeout:.0f}s\n{stack.process_log_tails()}")
            time.sleep(1)

    def login(self, username: str, password: str) -> str:
        """POST /auth/token with the user's credentials, as the login form does."""
        response = self.http.post("/auth/token", json={"username": username, "password": password})
        if response.status_code != 201:
            raise StackError(f"login failed: {response.status_code} {response.text[:300]}")
        self.token = response.json()["access_token"]
        return self.token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, *, expect: Iterable[int] = (200,), **kwargs: Any) -> Any:
        response = self.http.request(method, path, headers=self.headers, **kwargs)
        if response.status_code not in set(expect):
            raise StackError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def wait_for_dag(self, stack: Stack, dag_id: str, timeout: float) -> dict[str, Any]:
        """The DAG as the API shows it, once the DAG processor has stored it."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(f"/api/v2/dags/{dag_id}", headers=self.headers)
            if response.status_code == 200:
                return response.json()
            dead = stack.dead_processes()
            if dead or time.monotonic() > deadline:
                errors = self.request("GET", "/api/v2/importErrors")
                raise StackError(
                    f"{dag_id} not parsed in {timeout:.0f}s (exited: {dead}); import errors: "
                    f"{json.dumps(errors)[:2000]}\n{stack.process_log_tails()}"
                )
            time.sleep(2)

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        """The run's state, or None when the API did not answer this time (polling goes on)."""
        import httpx

        try:
            response = self.http.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}", headers=self.headers)
        except httpx.HTTPError:
            return None
        return response.json()["state"] if response.status_code == 200 else None

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        instances: list[dict[str, Any]] = []
        while True:
            page = self.request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                                params={"limit": 100, "offset": len(instances)})
            instances.extend(page["task_instances"])
            if not page["task_instances"] or len(instances) >= page["total_entries"]:
                return instances


# --------------------------------------------------------------------------- history (own process)


def _history(first: dt.date, last: dt.date) -> int:
    """Apply the warehouse migrations and backfill ``first..last`` with the stack's settings."""
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import get_warehouse

    failed: dict[str, Mapping[str, str]] = {}
    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
        for day in dates_between(first, last):
            outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id="e2e_history")
            record_progress(warehouse, outcome, "e2e_history")
            if outcome.count("failed"):
                failed[day.isoformat()] = {k: v for k, v in outcome.outcome.items() if v == "failed"}
    if failed:
        print(f"history failed: {json.dumps(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "history":
        sys.exit("usage: python -m tests.e2e.stack history FIRST_DATE LAST_DATE")
    sys.exit(_history(dt.date.fromisoformat(sys.argv[2]), dt.date.fromisoformat(sys.argv[3])))
