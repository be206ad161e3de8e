"""The toy processor of the guard-cost benchmark: copy the seed rows of the date into its own table."""

from __future__ import annotations

from nba_pipeline.guards.spec import ProcessorContext, ProcessorResult


def copy_seed(ctx: ProcessorContext) -> ProcessorResult:
    table = ctx.processor.writes[0]
    ctx.warehouse.execute(f"CREATE TABLE IF NOT EXISTS {table} (event_date DATE, item STRING)")
    changed = ctx.warehouse.execute(
        f"INSERT INTO {table} SELECT event_date, item FROM nba_raw.bench_seed WHERE event_date = @d",
        {"d": ctx.target_date},
    )
    return ProcessorResult(rows_processed=changed, rows_inserted=changed)
