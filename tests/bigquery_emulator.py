"""A BigQuery emulator (PyPI ``bqemulator``) in a child process, for the BigQuery backend's test tier.

The emulator is started from the locked virtualenv on two free local ports, in ephemeral (in-memory)
mode, and stopped by the fixture that started it. The backend reaches it the way production reaches
BigQuery: ``NBA_WAREHOUSE_BACKEND=bigquery``, an Airflow connection (here from an
``AIRFLOW_CONN_*`` variable, extra ``is_anonymous``) and the client library's
``BIGQUERY_EMULATOR_HOST``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = "nba-emulator"
CONN_ID = "nba_bigquery_emulator"
START_SECONDS = 60

# The emulator loads DuckDB's spatial extension at start-up (for GEOGRAPHY, which this project does
# not use) and fails without it; the extension is downloaded at run time and none is published for
# the DuckDB this project pins. The launcher starts the emulator's own CLI without that step.
_LAUNCHER = """
import sys
from bqemulator.storage import engine
engine.DuckDBEngine._load_spatial = lambda self: None
from bqemulator.cli import main
sys.exit(main())
"""


@dataclass(frozen=True)
class Emulator:
    """A running emulator: its REST endpoint and the environment that points the backend at it."""

    rest_url: str
    log_path: Path

    def environment(self) -> dict[str, str]:
        connection = {"conn_type": "google_cloud_platform", "extra": {"project": PROJECT, "is_anonymous": True}}
        return {
            "NBA_WAREHOUSE_BACKEND": "bigquery",
            "NBA_BIGQUERY_CONN_ID": CONN_ID,
            f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(connection),
            "BIGQUERY_EMULATOR_HOST": self.rest_url,
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_emulator(folder: Path) -> Iterator[Emulator]:
    """Start the emulator, wait until its REST API answers, stop it on exit (its log stays in ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    rest_port, grpc_port = free_port(), free_port()
    log_path = folder / "bqemulator.log"
    command = [
        sys.executable, "-c", _LAUNCHER, "start", "--rest-port", str(rest_port), "--grpc-port", str(grpc_port),
        "--ephemeral", "--project", PROJECT, "--log-level", "warning", "--no-admin",
    ]  # fmt: skip
    # No Avro loads here: without this the emulator tries to download DuckDB's avro extension.
    environment = {**os.environ, "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=environment)
    emulator = Emulator(f"http://127.0.0.1:{rest_port}", log_path)
    try:
        _wait_until_up(emulator, process)
        yield emulator
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_until_up(emulator: Emulator, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    url = f"{emulator.rest_url}/bigquery/v2/projects/{PROJECT}/datasets"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bqemulator exited with {process.returncode}:\n{emulator.log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"bqemulator did not answer in {START_SECONDS}s:\n{emulator.log_path.read_text()[-3000:]}")


def environ_with(values: dict[str, str]) -> dict[str, str | None]:
    """Set ``values`` in ``os.environ``; return what they replaced (None: unset), for :func:`restore`."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    return saved


def restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
