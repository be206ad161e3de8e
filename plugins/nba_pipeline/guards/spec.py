"""What a pipeline declares about each processor, and what a processor is given and returns.

The pipeline's registry is a list of :class:`ProcessorSpec`; the DAG layer builds tasks and guards from it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nba_pipeline.guards.breaker import BreakerSettings
from nba_pipeline.guards.dependencies import Dependency


class Phase(enum.IntEnum):
    SCRAPERS = 1
    RAW = 2
    ANALYTICS = 3
    PRECOMPUTE = 4
    PREDICTIONS = 5

    @property
    def group_id(self) -> str:
        return f"phase_{self.value}_{self.name.lower()}"


@dataclass(frozen=True)
class ProcessorSpec:
    """One processor, declared once.

    :param name: stable id; also the breaker key and ``processor_name`` in the run tables.
    :param phase: which phase (task group) it belongs to.
    :param run: what the processor does: called with a :class:`ProcessorContext`, returns a
        :class:`ProcessorResult`. Modules that hold processors import heavy libraries on first use,
        so that building a DAG from the registry stays light.
    :param sql: the processor's SQL file, relative to the SQL root, for processors whose work is SQL.
    :param reads: tables it reads (each must have a producer in the registry).
    :param writes: tables it writes.
    :param sources: source names whose arrival concerns it; a run triggered only for other sources
        skips it with ``irrelevant_source``. Empty: every run concerns it.
    :param dependencies: the completeness checks its sensor makes before it runs.
    :param breaker: breaker settings; None for unguarded work (scrapers rely on Airflow retries).
    :param calendar_guarded: skipped on days the calendar says no to (no events, off-season, historical).
    :param retries: Airflow retries of the run task.
    :param date_offset_days: the date it works on (its target date), relative to the run's event
        date: -1 for results of the day before, 0 for the day itself.
    """

    name: str
    phase: Phase
    run: Callable[[ProcessorContext], ProcessorResult]
    sql: str | None = None
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    breaker: BreakerSettings | None = field(default_factory=BreakerSettings)
    calendar_guarded: bool = True
    retries: int = 2
    date_offset_days: int = 0
    description: str = ""

    def target_date(self, event_date: dt.date) -> dt.date:
        return event_date + dt.timedelta(days=self.date_offset_days)


@dataclass(frozen=True)
class ProcessorContext:
    """What a processor gets: where to read and write, which day, and how it was triggered.

    ``event_date`` is the run's date (the day whose events the run is for); the processor works on
    its ``target_date``.
    """

    warehouse: Any  # a Warehouse (Any keeps this module free of heavy imports)
    processor: ProcessorSpec
    event_date: dt.date
    backfill: bool
    run_id: str
    dag_run_id: str
    try_number: int
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def target_date(self) -> dt.date:
        """The date this processor works on (the event date moved by its ``date_offset_days``)."""
        return self.processor.target_date(self.event_date)


class ProcessorSkip(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a processor that has nothing to do (e.g. no input yet): a skip with a reason, not a failure."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class ProcessorResult:
    """What a processor did, for its run row. Counts default to zero; None means 'not measured'."""

    rows_processed: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_failed: int = 0
    rows_skipped: int = 0
    load_seconds: float | None = None
    transform_seconds: float | None = None
    save_seconds: float | None = None
    file_path: str | None = None
    source_files: int | None = None
    date_range: tuple[dt.date, dt.date] | None = None
    warnings: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
