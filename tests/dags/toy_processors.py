"""Toy processors for guard scenarios: they write a few rows per date, or fail on request.

A processor fails while its name is listed in ``nba_raw.toy_faults`` (fault injection through the
warehouse itself, so it works in any process).
"""

from __future__ import annotations

import datetime as dt

from nba_pipeline.registry.model import ProcessorContext, ProcessorResult

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
    warehouse.ensure_datasets()
    for table, columns in TABLES.items():
        warehouse.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")


def _fail_if_injected(ctx: ProcessorContext) -> None:
    rows = ctx.warehouse.query("SELECT message FROM nba_raw.toy_faults WHERE processor = @p", {"p": ctx.processor.name})
    if rows:
        raise ConnectionError(rows[0]["message"])


def _write(ctx: ProcessorContext, table: str, per_event: int) -> ProcessorResult:
    _fail_if_injected(ctx)
    events = ctx.warehouse.query(
        "SELECT COUNT(*) AS n FROM nba_raw.toy_events WHERE event_date = @d", {"d": ctx.game_date}
    )[0]["n"]
    ctx.warehouse.execute(f"DELETE FROM {table} WHERE event_date = @d", {"d": ctx.game_date})
    now = dt.datetime.now(dt.UTC)
    rows = [
        {"event_date": ctx.game_date, "item": f"{ctx.processor.name}-{i}", "loaded_at": now}
        for i in range(events * per_event)
    ]
    ctx.warehouse.insert_rows(table, rows)
    return ProcessorResult(rows_processed=len(rows), rows_inserted=len(rows), date_range=(ctx.game_date, ctx.game_date))


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
