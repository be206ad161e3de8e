"""The one warehouse interface: query, execute, insert a batch, read a table's schema.

Two backends implement it (embedded DuckDB, BigQuery). SQL is always GoogleSQL with ``@name``
parameters; values never enter the SQL text. Every call is counted (round trips, and mutating
statements per table) under the activity set with :func:`activity`, so the cost of the guards,
the run log and the processors' own work can be measured apart.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar

from nba_pipeline.settings import DATASETS

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


class WarehouseError(RuntimeError):
    """A warehouse call failed; the message names the statement or table involved."""


class WriteConflictError(WarehouseError):
    """A concurrent write to the same rows won; the caller may re-read and retry."""


class UnknownDatasetError(WarehouseError):
    """A table was named in a dataset the project does not declare."""


@dataclass(frozen=True, order=True)
class TableRef:
    """A ``dataset.table`` name checked against the allow-list of datasets."""

    dataset: str
    table: str

    @classmethod
    def parse(cls, name: str) -> TableRef:
        parts = name.split(".")
        if len(parts) != 2 or not all(_IDENTIFIER.match(p) for p in parts):
            raise WarehouseError(f"table name {name!r} is not of the form dataset.table")
        if parts[0] not in DATASETS:
            raise UnknownDatasetError(
                f"table {name!r} is in unknown dataset {parts[0]!r}; known datasets: {', '.join(DATASETS)}"
            )
        return cls(parts[0], parts[1])

    def __str__(self) -> str:
        return f"{self.dataset}.{self.table}"


@dataclass(frozen=True)
class ColumnSchema:
    """One column as GoogleSQL sees it: ``type`` like ``INT64`` or ``ARRAY<STRING>``.

    ``mode`` is REQUIRED, NULLABLE or REPEATED (arrays are always REPEATED).
    """

    name: str
    type: str
    mode: str


@dataclass(frozen=True)
class TableDesign:
    """What a live table says of itself beyond its columns: its ``PARTITION BY`` expression and
    ``CLUSTER BY`` columns as GoogleSQL, its options and its columns' ``DEFAULT`` expressions (values
    as :func:`option_text` writes them)."""

    partition_by: str | None
    cluster_by: tuple[str, ...]
    options: tuple[tuple[str, str], ...] = ()
    defaults: tuple[tuple[str, str], ...] = ()


def option_text(value: object) -> str:
    """A table option's value as drift reports compare and show it: numbers without a trailing
    ``.0``, strings quoted, labels as sorted ``key=value`` pairs."""
    if isinstance(value, dict):
        return "[" + ", ".join(f"{k}={v}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{float(value):g}"
    return repr(str(value))


@dataclass(frozen=True)
class QueryParam:
    """A parameter with an explicit GoogleSQL type, for values whose type cannot be inferred
    (``None``, empty arrays, JSON)."""

    value: Any
    type: str


def infer_param_type(value: Any) -> str:
    """GoogleSQL type of a Python parameter value."""
    if isinstance(value, QueryParam):
        return value.type
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, Decimal):
        return "NUMERIC"
    if isinstance(value, dt.datetime):
        return "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, (list, tuple)):
        element = next((v for v in value if v is not None), None)
        if element is None:
            return "ARRAY<STRING>"
        if isinstance(element, Mapping):
            fields = ", ".join(f"{k} {infer_param_type(v)}" for k, v in element.items())
            return f"ARRAY<STRUCT<{fields}>>"
        return f"ARRAY<{infer_param_type(element)}>"
    return "STRING"


# --------------------------------------------------------------------------- accounting

_activity: contextvars.ContextVar[str] = contextvars.ContextVar("warehouse_activity", default="processor")


@contextmanager
def activity(name: str) -> Iterator[None]:
    """Attribute the warehouse calls made inside the block to ``name`` (guards, run_log, processor…)."""
    token = _activity.set(name)
    try:
        yield
    finally:
        _activity.reset(token)


@dataclass
class WarehouseStats:
    """Round trips per activity and mutating statements per (activity, table), for the whole process."""

    round_trips: Counter[str] = field(default_factory=Counter)
    mutations: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, mutated_table: str | None) -> None:
        name = _activity.get()
        with self._lock:
            self.round_trips[name] += 1
            if mutated_table:
                self.mutations[(name, mutated_table)] += 1

    def reset(self) -> None:
        with self._lock:
            self.round_trips.clear()
            self.mutations.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "round_trips": dict(self.round_trips),
                "mutations": {f"{a}:{t}": n for (a, t), n in sorted(self.mutations.items())},
            }


STATS = WarehouseStats()


@dataclass
class JobCost:
    """What the warehouse reported for the jobs run inside a :func:`job_costs` block.

    BigQuery reports each query job's bytes processed, bytes billed and slot milliseconds; the
    figures are summed here. A figure no job reported stays None (the embedded warehouse reports
    none: it bills nothing), so a run row can tell "not measured" from zero.
    """

    jobs: int = 0
    bytes_processed: int | None = None
    bytes_billed: int | None = None
    slot_ms: int | None = None

    def add(self, bytes_processed: int | None, bytes_billed: int | None, slot_ms: int | None) -> None:
        self.jobs += 1
        if bytes_processed is not None:
            self.bytes_processed = (self.bytes_processed or 0) + int(bytes_processed)
        if bytes_billed is not None:
            self.bytes_billed = (self.bytes_billed or 0) + int(bytes_billed)
        if slot_ms is not None:
            self.slot_ms = (self.slot_ms or 0) + int(slot_ms)


_job_costs: contextvars.ContextVar[tuple[JobCost, ...]] = contextvars.ContextVar("warehouse_job_costs", default=())


@contextmanager
def job_costs() -> Iterator[JobCost]:
    """Sum the cost of the jobs run inside the block (nested blocks each see their own jobs)."""
    cost = JobCost()
    token = _job_costs.set((*_job_costs.get(), cost))
    try:
        yield cost
    finally:
        _job_costs.reset(token)


def record_job_cost(bytes_processed: int | None, bytes_billed: int | None, slot_ms: int | None) -> None:
    """Count one finished job's figures in every open :func:`job_costs` block of this context."""
    for cost in _job_costs.get():
        cost.add(bytes_processed, bytes_billed, slot_ms)

_MUTATING = re.compile(
    r"^\s*(?:INSERT\s+(?:INTO\s+)?|UPDATE\s+|DELETE\s+(?:FROM\s+)?|MERGE\s+(?:INTO\s+)?|"
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|SCHEMA)\s+(?:IF\s+NOT\s+EXISTS\s+)?|"
    r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?|DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?|TRUNCATE\s+TABLE\s+)"
    r"`?([A-Za-z0-9_.\-]+)`?",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def mutated_table(sql: str) -> str | None:
    """The table a statement writes to, or None for a read (comments stripped)."""
    body = re.sub(r"--[^\n]*", "", sql)
    match = _MUTATING.match(body)
    return match.group(1) if match else None


# --------------------------------------------------------------------------- interface


@dataclass(frozen=True)
class DmlCounts:
    """The rows one DML statement inserted, updated and deleted."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.deleted


class Warehouse(ABC):
    """Where data lives. One instance per task attempt; close it (or use ``with``) when done."""

    backend_name: ClassVar[str]

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one GoogleSQL statement with ``@name`` parameters and return its rows as dicts."""

    @abstractmethod
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run one statement; return the number of rows it changed (0 for DDL)."""

    @abstractmethod
    def execute_dml(self, sql: str, params: Mapping[str, Any] | None = None) -> DmlCounts:
        """Run one INSERT, UPDATE, DELETE or MERGE; return what it inserted, updated and deleted,
        in the one job (no count before and after)."""

    @abstractmethod
    def run_script(self, statements: Sequence[str]) -> None:
        """Run several statements in order, in one transaction where the backend allows DDL in one."""

    @abstractmethod
    def insert_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Append a batch of rows to ``dataset.table`` in one round trip; return the count."""

    @abstractmethod
    def table_schema(self, table: str) -> list[ColumnSchema] | None:
        """The live columns of ``dataset.table`` in order, or None if it does not exist."""

    def table_design(self, table: str) -> TableDesign | None:
        """The live table's partitioning, clustering, options and defaults, where the backend has
        them; None where it has none (DuckDB) or the table does not exist."""
        return None

    @abstractmethod
    def location(self) -> str:
        """Where the warehouse is, for people: a file path or ``project (location)``."""

    def close(self) -> None:
        """Release connections (the DuckDB file lock, in particular)."""

    # shared helpers -------------------------------------------------------

    def list_tables(self, dataset: str) -> list[str]:
        """Tables of a dataset, sorted."""
        if dataset not in DATASETS:
            raise UnknownDatasetError(f"unknown dataset {dataset!r}; known datasets: {', '.join(DATASETS)}")
        return sorted(self._list_tables(dataset))

    @abstractmethod
    def _list_tables(self, dataset: str) -> list[str]: ...

    def ensure_datasets(self) -> None:
        """Create every declared dataset that is missing."""
        for dataset in DATASETS:
            self._ensure_dataset(dataset)

    @abstractmethod
    def _ensure_dataset(self, dataset: str) -> None: ...
