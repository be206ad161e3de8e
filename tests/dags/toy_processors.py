"""Toy processors for guard scenarios: they write a few rows per date, or fail on request.

A processor fails while its name is listed in ``nba_raw.toy_faults`` (fault injection through the
warehouse itself, so it works in any process).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from nba_pipeline.guards.spec import ProcessorContext, ProcessorResult
from tests.dags.toy_state import create_state_tables

TABLES = {
    "nba_raw.toy_events": "event_date DATE, label STRING, loaded_at TIMESTAMP",
    "nba_raw.toy_faults": "processor STRING, message STRING",
    "nba_raw.toy_alpha": "event_date DATE, item STRING, loaded_at TIMESTAMP",
    "nba_raw.toy_flaky": "event_date DATE, item STRING, loaded_at TIMESTAMP",
    "nba_analytics.toy_beta": "event_date DATE, item STRING, loaded_at TIMESTAMP",
    "nba_analytics.toy_gamma": "event_date DATE, item STRING, loaded_at TIMESTAMP",
    "nba_precompute.toy_delta": "event_date DATE, item STRING, loaded_at TIMESTAMP",
}


def create_tables(warehouse) -> None:
    """The toy data tables and the toy pipelines' guard state tables."""
    warehouse.ensure_datasets()
    for table, columns in TABLES.items():
        warehouse.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    create_state_tables(warehouse)


def _fail_if_injected(ctx: ProcessorContext) -> None:
    rows = ctx.warehouse.query("SELECT message FROM nba_raw.toy_faults WHERE processor = @p", {"p": ctx.processor.name})
    if rows:
        raise ConnectionError(rows[0]["message"])


def _write(ctx: ProcessorContext, table: str, per_event: int) -> ProcessorResult:
    _fail_if_injected(ctx)
    events = ctx.warehouse.query(
        "SELECT COUNT(*) AS n FROM nba_raw.toy_events WHERE event_date = @d", {"d": ctx.event_date}
    )[0]["n"]
    ctx.warehouse.execute(f"DELETE FROM {table} WHERE event_date = @d", {"d": ctx.event_date})
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"event_date": ctx.event_date, "item": f"{ctx.processor.name}-{i}", "loaded_at": now}
        for i in range(events * per_event)
    ]
    ctx.warehouse.insert_rows(table, rows)
    return ProcessorResult(
        rows_processed=len(rows), rows_inserted=len(rows), date_range=(ctx.event_date, ctx.event_date)
    )


def alpha(ctx: ProcessorContext) -> ProcessorResult:
    return _write(ctx, "nba_raw.toy_alpha", 2)


def flaky(ctx: ProcessorContext) -> ProcessorResult:
    return _write(ctx, "nba_raw.toy_flaky", 1)


def beta(ctx: ProcessorContext) -> ProcessorResult:
    return _write(ctx, "nba_analytics.toy_beta", 2)


def gamma(ctx: ProcessorContext) -> ProcessorResult:
    return _write(ctx, "nba_analytics.toy_gamma", 1)


def delta(ctx: ProcessorContext) -> ProcessorResult:
    return _write(ctx, "nba_precompute.toy_delta", 2)


# Attempts that time out or are killed (tests/dags/run_row_paths.py) ---------------------------

UNFINISHED = "nba_raw.toy_unfinished"
_HOLD_LOCK = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); time.sleep(4)"


def create_unfinished_table(warehouse) -> None:
    warehouse.ensure_datasets()
    warehouse.execute(f"CREATE TABLE IF NOT EXISTS {UNFINISHED} (event_date DATE, item STRING, loaded_at TIMESTAMP)")


def _begin_unfinished_write(ctx: ProcessorContext) -> None:
    """Open a transaction holding one uncommitted row: the processor's connection has a write in flight."""
    ctx.warehouse.execute("BEGIN TRANSACTION")
    row = {"event_date": ctx.event_date, "item": ctx.processor.name, "loaded_at": dt.datetime.now(dt.UTC)}
    ctx.warehouse.insert_rows(UNFINISHED, [row])


def _work(ctx: ProcessorContext, seconds: float) -> ProcessorResult:
    """Warehouse queries back to back for ``seconds`` (a signal almost surely lands inside one), then commit."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ctx.warehouse.query("SELECT COUNT(*) AS n FROM RANGE(100000000) AS t(x) WHERE x % 7 = 3")
    ctx.warehouse.execute("COMMIT")
    return ProcessorResult(rows_processed=1, rows_inserted=1)


def started_marker(warehouse_file: str | Path, processor: str) -> Path:
    """Where a processor writes its pid and start time once it runs: next to the warehouse file."""
    return Path(warehouse_file).with_name(f"{processor}.started")


def _say_started(ctx: ProcessorContext) -> None:
    marker = started_marker(ctx.warehouse.location(), ctx.processor.name)
    marker.write_text(f"{os.getpid()} {time.time()}")


def sleepy(ctx: ProcessorContext) -> ProcessorResult:
    """Sleeps in Python, with a write in flight, far past any execution timeout."""
    _begin_unfinished_write(ctx)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.1)
    ctx.warehouse.execute("COMMIT")
    return ProcessorResult(rows_processed=1, rows_inserted=1)


def grinding(ctx: ProcessorContext) -> ProcessorResult:
    """Warehouse queries back to back, with a write in flight: a timeout fires inside a query."""
    _begin_unfinished_write(ctx)
    return _work(ctx, 30)


def jammed(ctx: ProcessorContext) -> ProcessorResult:
    """Fails while another process holds the warehouse file for 4 s, so recording the failure waits for it."""
    ctx.warehouse.close()
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, ctx.warehouse.location()], stdout=subprocess.PIPE)
    locked = holder.stdout.readline().strip() == b"locked"
    threading.Thread(target=holder.communicate, daemon=True).start()  # reaped once it lets go
    if not locked:
        raise RuntimeError("the lock holder could not open the warehouse")
    raise ConnectionError("feed unreachable")


def doomed(ctx: ProcessorContext) -> ProcessorResult:
    """Says it has started, then works for 4 s with a write in flight: killed meanwhile, it ends within the grace."""
    _begin_unfinished_write(ctx)
    _say_started(ctx)
    return _work(ctx, 4)


def stubborn(ctx: ProcessorContext) -> ProcessorResult:
    """Like :func:`doomed`, but works for 60 s: killed, it runs until the supervisor's SIGKILL."""
    _begin_unfinished_write(ctx)
    _say_started(ctx)
    return _work(ctx, 60)


def stranded(ctx: ProcessorContext) -> ProcessorResult:
    """Reads the warehouse: fails exactly while the warehouse is unreachable."""
    ctx.warehouse.query("SELECT 1 AS one")
    return ProcessorResult(rows_processed=1)


def denied(ctx: ProcessorContext) -> ProcessorResult:
    """Fails as a write to a read-only payload folder does."""
    raise PermissionError(13, "Permission denied", "/payloads/denied/2025-01-15/20250115T150000000000Z.json")
