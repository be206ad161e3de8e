"""Fixtures of the end-to-end tier: a real Airflow stack on PostgreSQL and Redis, started once per
module and always taken down (processes, metadata database, Redis database) when it ends."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import (
    DAG_ID,
    POSTGRES,
    REDIS,
    STATE_WRITE_POOL,
    USERNAME,
    ApiClient,
    Stack,
    unreachable,
)

GAME_DAY = dt.date(2025, 1, 15)
HISTORY_DAYS = 10


_SUMMARY: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    """The tier's wall time and where it went, whatever the capture mode."""
    for line in _SUMMARY:
        terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def services() -> None:
    """Skip the tier, with the reason, when PostgreSQL or Redis does not accept connections."""
    refused = unreachable([POSTGRES, REDIS])
    if refused:
        pytest.skip(f"e2e tier needs PostgreSQL and Redis on 127.0.0.1; no answer from {', '.join(refused)}")


@pytest.fixture(scope="module")
def stack(services, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The running stack with ``nba_daily_pipeline`` parsed and unpaused, history in the warehouse and
    ``stack.api`` logged in. Its folder (logs, warehouse) is kept only when something failed."""
    started = time.monotonic()
    failures_before = request.session.testsfailed
    stack = Stack(Path(tempfile.mkdtemp(prefix="nba-e2e-")))
    api = stack.api = ApiClient(stack.api_url)
    ok = False
    try:
        try:
            stack.provision()
            stack.prepare_history(GAME_DAY - dt.timedelta(days=HISTORY_DAYS), GAME_DAY - dt.timedelta(days=1))
            stack.migrate_metadata()
            phase = time.monotonic()
            stack.start()
            api.wait_until_healthy(stack, timeout=90)
            api.login(USERNAME, stack.password)
            api.wait_for_dag(stack, DAG_ID, timeout=150)
            api.request("POST", "/api/v2/pools", expect=(201,), json={
                "name": STATE_WRITE_POOL, "slots": 4, "description": "bounds concurrent breaker and run-log writes",
            })
            api.request("PATCH", f"/api/v2/dags/{DAG_ID}", json={"is_paused": False})
            stack.timings["startup"] = round(time.monotonic() - phase, 1)
        except Exception as err:  # reported once by `running_stack`; the teardown below still runs
            stack.setup_error = f"{type(err).__name__}: {err}"
        yield stack
        ok = stack.setup_error is None
    finally:
        api.close()
        try:
            stack.close()
        finally:
            timings = ", ".join(f"{name} {seconds}s" for name, seconds in stack.timings.items())
            kept = not ok or request.session.testsfailed > failures_before
            if not kept:
                shutil.rmtree(stack.root, ignore_errors=True)
            _SUMMARY.append(f"e2e tier wall time: {time.monotonic() - started:.1f}s ({timings})"
                            + (f"; logs kept in {stack.log_dir}" if kept else ""))


_reported: set[str] = set()


@pytest.fixture
def running_stack(stack: Stack) -> Stack:
    """The stack, or a failure explaining (in full the first time only) why it did not come up."""
    if stack.setup_error:
        first = stack.stack_id not in _reported
        _reported.add(stack.stack_id)
        pytest.fail(stack.setup_error if first else "the stack did not come up (see the first failure)",
                    pytrace=False)
    return stack
