"""Run a processor whose work is a GoogleSQL file: ``include/sql/transforms/<processor>.sql``.

The file holds one or more statements (typically one ``MERGE``) using these parameters:
``@game_date`` (the processor's target date) and ``@loaded_at`` (this attempt's timestamp, written
only to rows that are inserted or whose content changed, so a rerun changes nothing). CTEs that
several transforms share are fragments (``include/sql/fragments/``), pulled in by a line
``-- @include fragments/<name>.sql`` (see :mod:`nba_pipeline.schema.sqlfile`).
"""

from __future__ import annotations

import time
from functools import cache
from pathlib import Path

from nba_pipeline import clock
from nba_pipeline.guards.spec import ProcessorContext, ProcessorResult
from nba_pipeline.schema.sqlfile import Statement, read_statements
from nba_pipeline.settings import SQL_ROOT

TRANSFORMS_DIR = SQL_ROOT / "transforms"


@cache
def transform_statements(name: str, directory: Path = TRANSFORMS_DIR) -> tuple[Statement, ...]:
    """The statements of ``<directory>/<name>.sql``, fragments included from ``directory``'s parent."""
    path = directory / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"processor {name!r} has no SQL file {path}")
    return tuple(read_statements(path, root=directory.parent))


def run_sql_transform(ctx: ProcessorContext) -> ProcessorResult:
    """Execute the processor's SQL for its target date; count rows inserted and updated."""
    table = ctx.processor.writes[0]
    params = {"game_date": ctx.target_date, "loaded_at": clock.now()}
    started = time.perf_counter()
    before = _count(ctx, table)
    changed = 0
    for statement in transform_statements(ctx.processor.name):
        changed += ctx.warehouse.execute(statement.sql, params)
    after = _count(ctx, table)
    inserted = after - before
    return ProcessorResult(
        rows_processed=changed,
        rows_inserted=inserted,
        rows_updated=max(0, changed - inserted),
        transform_seconds=round(time.perf_counter() - started, 6),
        date_range=(ctx.target_date, ctx.target_date),
    )


def _count(ctx: ProcessorContext, table: str) -> int:
    return int(ctx.warehouse.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])
