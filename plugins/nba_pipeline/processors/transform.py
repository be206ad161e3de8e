"""Run a processor whose work is a GoogleSQL file: the ``sql`` of its registry entry.

The file holds one or more statements (typically one ``MERGE``) using these parameters:
``@target_date`` (the processor's target date) and ``@loaded_at`` (this attempt's timestamp, written
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
def sql_statements(path: Path, root: Path = SQL_ROOT) -> tuple[Statement, ...]:
    """The statements of a SQL file, fragments included from ``root``."""
    if not path.exists():
        raise FileNotFoundError(f"no SQL file {path}")
    return tuple(read_statements(path, root=root))


def transform_statements(name: str, directory: Path = TRANSFORMS_DIR) -> tuple[Statement, ...]:
    """The statements of the transform file ``<directory>/<name>.sql``."""
    return sql_statements(directory / f"{name}.sql", directory.parent)


def run_sql_transform(ctx: ProcessorContext) -> ProcessorResult:
    """Execute the processor's SQL for its target date. The rows inserted and updated are the
    statements' own DML statistics (one job each: no count of the table before and after, which
    would put two more jobs on the run's critical path); ``rows_processed`` also counts the rows
    deleted (keys gone from the source)."""
    if ctx.processor.sql is None:
        raise ValueError(f"{ctx.processor.name} runs SQL but its registry entry names no sql file")
    params = {"target_date": ctx.target_date, "loaded_at": clock.now()}
    started = time.perf_counter()
    inserted = updated = changed = 0
    for statement in sql_statements(SQL_ROOT / ctx.processor.sql):
        counts = ctx.warehouse.execute_dml(statement.sql, params)
        inserted, updated, changed = inserted + counts.inserted, updated + counts.updated, changed + counts.changed
    return ProcessorResult(
        rows_processed=changed,
        rows_inserted=inserted,
        rows_updated=updated,
        transform_seconds=round(time.perf_counter() - started, 6),
        date_range=(ctx.target_date, ctx.target_date),
    )
