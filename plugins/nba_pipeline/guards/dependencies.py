"""Dependency completeness: is each upstream table filled for the date window, and how fresh is it?

For each declared dependency the check counts rows in the window and compares them with an expected
count that the pipeline derives from its calendar (never a fixed minimum: a fixed floor fails on
the days with few events). All dependencies of a processor are
measured in one round trip, and so are those of every processor of a wave (:func:`evaluate_many`).
The three figures are exactly:

- ``dependency_check_passed``: every critical dependency has at least its expected rows;
- ``data_completeness_pct``: mean over dependencies of ``min(100, 100 · rows / expected)``
  (100 when nothing is expected);
- ``upstream_data_age_hours``: the largest age, among dependencies with rows, of the newest load.

A processor is *ready* when every critical dependency reaches the completeness threshold
(a setting of the pipeline, default 90 %) and none is stale; ``dependency_check_passed``
stays the strict figure, so a run on 95 % data says so in its run row.

Two kinds of freshness, and each dependency says which it uses:

- **by the calendar** (``latest_sql``): the newest date present must be the latest date of the
  window that should have data (from the event calendar). A day without events, a week-long
  break or the first day after an off-season therefore expect nothing newer than the last event: old data
  is fresh when nothing newer exists. This is right for data about past events (results,
  history).
- **by load age** (``warn_after_hours`` / ``fail_after_hours``): the newest load must be recent.
  Only for data that changes during the day it is about (e.g. prices quoted for today,
  fetched today), where a load from yesterday really is out of date.

Ages are measured against the package clock, never the wall clock directly.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from nba_pipeline.warehouse.base import TableRef, Warehouse

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class TableWindow:
    """Rows of ``table`` whose ``date_column`` falls in the window; ``loaded_at_column`` dates each load.

    :param distinct_column: count distinct values of this column (e.g. an event id: events covered)
        instead of rows.
    """

    table: str
    date_column: str
    loaded_at_column: str
    distinct_column: str | None = None

    def __post_init__(self) -> None:
        TableRef.parse(self.table)
        for column in (self.date_column, self.loaded_at_column, self.distinct_column or "x"):
            if not _COLUMN.match(column):
                raise ValueError(f"{self.table}: {column!r} is not a column name")

    @property
    def count_sql(self) -> str:
        return f"COUNT(DISTINCT {self.distinct_column})" if self.distinct_column else "COUNT(*)"


@dataclass(frozen=True)
class Dependency:
    """One upstream requirement.

    :param name: label in reports (usually the upstream's processor name).
    :param tables: tables that can satisfy it; the best-filled one counts, or with ``union``
        all of them together.
    :param expected_sql: GoogleSQL returning one row with an ``expected`` column for the window
        ``@start``..``@end``; None means one row is enough.
    :param latest_sql: GoogleSQL returning one row with an ``expected_latest`` DATE column: the
        latest date of the window ``@start``..``@end`` that should have data (NULL: none). A
        critical dependency whose newest date is older is stale. None: no freshness by the calendar.
    :param critical: a critical dependency below its expected count blocks the processor.
    :param lookback_days: the window is ``[end - lookback_days, end]``.
    :param end_offset_days: ``end`` is the processor's date plus this (``-1``: history before today).
    :param warn_after_hours: a critical dependency whose newest load is older than this is stale
        (waits, then skips). Only for data that is out of date once a day old (see the module doc).
    :param fail_after_hours: a critical dependency whose newest load is older than this fails the
        processor outside backfill.
    :param union: the tables hold the same facts from different providers, each filling the others'
        gaps: an event any of them covers counts (every table needs a ``distinct_column``).
    """

    name: str
    tables: tuple[TableWindow, ...]
    expected_sql: str | None = None
    latest_sql: str | None = None
    critical: bool = True
    lookback_days: int = 0
    end_offset_days: int = 0
    warn_after_hours: float | None = None
    fail_after_hours: float | None = None
    union: bool = False

    def __post_init__(self) -> None:
        if self.union and not all(t.distinct_column for t in self.tables):
            raise ValueError(f"dependency {self.name!r}: a union counts events, so every table needs a distinct_column")

    @property
    def label(self) -> str:
        """The table that satisfies it, for reports: ``a + b`` for a union."""
        return " + ".join(t.table for t in self.tables)


@dataclass(frozen=True)
class DependencyStatus:
    name: str
    critical: bool
    rows: int
    expected: int
    completeness_pct: float
    age_hours: float | None
    best_table: str | None
    stale: bool  # newest date before the expected latest date, or newest load older than warn_after_hours
    critically_stale: bool  # newest load older than fail_after_hours
    newest_date: str | None = None  # ISO date: the newest date present in the window
    expected_latest: str | None = None  # ISO date: the latest date that should have data

    def staleness(self) -> str:
        """Why the dependency is stale, in words ("" when it is not)."""
        if not self.stale:
            return ""
        if self.expected_latest and (self.newest_date is None or self.newest_date < self.expected_latest):
            return f"{self.name} newest {self.newest_date or 'nothing'}, expected {self.expected_latest}"
        return f"{self.name} loaded {self.age_hours:.1f}h ago"

    @property
    def complete(self) -> bool:
        return self.rows >= self.expected


@dataclass(frozen=True)
class DependencyReport:
    statuses: tuple[DependencyStatus, ...]
    dependency_check_passed: bool
    data_completeness_pct: float
    upstream_data_age_hours: float | None

    threshold_pct: float = 90.0

    def incomplete(self) -> list[DependencyStatus]:
        """Critical dependencies below the readiness threshold."""
        return [s for s in self.statuses if s.critical and s.completeness_pct < self.threshold_pct]

    @property
    def ready(self) -> bool:
        return not self.incomplete()

    def stale(self) -> list[DependencyStatus]:
        return [s for s in self.statuses if s.critical and s.stale]

    def critically_stale(self) -> list[DependencyStatus]:
        return [s for s in self.statuses if s.critical and s.critically_stale]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dependency_check_passed": self.dependency_check_passed,
            "data_completeness_pct": self.data_completeness_pct,
            "upstream_data_age_hours": self.upstream_data_age_hours,
            "threshold_pct": self.threshold_pct,
            "statuses": [asdict(s) for s in self.statuses],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DependencyReport:
        """The inverse of :meth:`as_dict` (reports travel between tasks through XCom)."""
        return cls(
            statuses=tuple(DependencyStatus(**status) for status in data["statuses"]),
            dependency_check_passed=data["dependency_check_passed"],
            data_completeness_pct=data["data_completeness_pct"],
            upstream_data_age_hours=data["upstream_data_age_hours"],
            threshold_pct=data["threshold_pct"],
        )

    def describe(self) -> str:
        parts = [
            f"{s.name}{'*' if s.critical else ''} {s.rows}/{s.expected}"
            + (f" newest {s.newest_date}" if s.newest_date else "")
            + (f" (expected {s.expected_latest})" if s.expected_latest and s.expected_latest != s.newest_date else "")
            + (f" age {s.age_hours:.1f}h" if s.age_hours is not None else "")
            for s in self.statuses
        ]
        return ", ".join(parts) or "no dependencies"


def measure_sql(dependencies: Sequence[Dependency]) -> str:
    """One GoogleSQL statement measuring every dependency (rows, newest date and load, expected
    count, expected latest date)."""
    selects = []
    for i, dependency in enumerate(dependencies):
        expected = dependency.expected_sql.strip().rstrip(";") if dependency.expected_sql else "SELECT 1 AS expected"
        expected = re.sub(r"@(start|end)\b", rf"@\1_{i}", expected)
        latest = (
            dependency.latest_sql.strip().rstrip(";")
            if dependency.latest_sql
            else "SELECT CAST(NULL AS DATE) AS expected_latest"
        )
        latest = re.sub(r"@(start|end)\b", rf"@\1_{i}", latest)
        if dependency.union:
            selects.append(
                f"SELECT {i} AS dependency_index, 0 AS table_index, m.row_count, m.newest_load, m.newest_date, "
                f"e.expected, l.expected_latest FROM (SELECT COUNT(DISTINCT k) AS row_count, "
                f"MAX(loaded) AS newest_load, MAX(d) AS newest_date FROM ({_union_sql(dependency, i)})) AS m "
                f"CROSS JOIN ({expected}) AS e CROSS JOIN ({latest}) AS l"
            )
            continue
        for j, table in enumerate(dependency.tables):
            selects.append(
                f"SELECT {i} AS dependency_index, {j} AS table_index, m.row_count, m.newest_load, m.newest_date, "
                f"e.expected, l.expected_latest "
                f"FROM (SELECT {table.count_sql} AS row_count, MAX({table.loaded_at_column}) AS newest_load, "
                f"MAX({table.date_column}) AS newest_date "
                f"FROM {table.table} WHERE {table.date_column} BETWEEN @start_{i} AND @end_{i}) AS m "
                f"CROSS JOIN ({expected}) AS e CROSS JOIN ({latest}) AS l"
            )
    return "\nUNION ALL\n".join(selects)


def _best_table(dependency: Dependency, best: Mapping[str, Any] | None) -> str | None:
    if best is None:
        return None
    return dependency.label if dependency.union else dependency.tables[int(best["table_index"])].table


def _union_sql(dependency: Dependency, i: int) -> str:
    """Every table's events of the window, as one list (``k``, ``loaded``, ``d``)."""
    return " UNION ALL ".join(
        f"SELECT CAST({t.distinct_column} AS STRING) AS k, {t.loaded_at_column} AS loaded, {t.date_column} AS d "
        f"FROM {t.table} WHERE {t.date_column} BETWEEN @start_{i} AND @end_{i}"
        for t in dependency.tables
    )


def evaluate(
    warehouse: Warehouse,
    dependencies: Sequence[Dependency],
    window_end: dt.date,
    now: dt.datetime,
    threshold_pct: float = 90.0,
) -> DependencyReport:
    """Measure every dependency in one round trip and compute the three figures."""
    return evaluate_many(warehouse, {"": (dependencies, window_end)}, now, threshold_pct)[""]


def evaluate_many(
    warehouse: Warehouse,
    requests: Mapping[str, tuple[Sequence[Dependency], dt.date]],
    now: dt.datetime,
    threshold_pct: float = 90.0,
) -> dict[str, DependencyReport]:
    """Measure the dependencies of several processors in one round trip: key → (dependencies,
    window end) in, key → report out. A window that several processors share is measured once.
    """
    windows: dict[tuple[Dependency, dt.date], int] = {}
    for dependencies, window_end in requests.values():
        for dependency in dependencies:
            windows.setdefault((dependency, window_end + dt.timedelta(days=dependency.end_offset_days)), len(windows))
    rows: list[dict[str, Any]] = []
    if windows:
        params: dict[str, Any] = {}
        for (dependency, end), i in windows.items():
            params[f"end_{i}"] = end
            params[f"start_{i}"] = end - dt.timedelta(days=dependency.lookback_days)
        rows = warehouse.query(measure_sql([dependency for dependency, _ in windows]), params)
    by_window: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_window.setdefault(int(row["dependency_index"]), []).append(row)
    reports = {}
    for key, (dependencies, window_end) in requests.items():
        own_rows: list[dict[str, Any]] = []
        for i, dependency in enumerate(dependencies):
            measured = windows[(dependency, window_end + dt.timedelta(days=dependency.end_offset_days))]
            own_rows.extend({**row, "dependency_index": i} for row in by_window.get(measured, ()))
        reports[key] = summarise(dependencies, own_rows, now, threshold_pct)
    return reports


def _iso_date(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def summarise(
    dependencies: Sequence[Dependency],
    rows: Sequence[dict[str, Any]],
    now: dt.datetime,
    threshold_pct: float = 90.0,
) -> DependencyReport:
    """The report for measured rows (split out so the arithmetic is testable on its own)."""
    if not dependencies:
        return DependencyReport((), True, 100.0, None, threshold_pct)
    by_dependency: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_dependency.setdefault(int(row["dependency_index"]), []).append(row)
    statuses = []
    for i, dependency in enumerate(dependencies):
        measured = by_dependency.get(i, [])
        best = max(measured, key=lambda r: (int(r["row_count"]), -int(r["table_index"])), default=None)
        count = int(best["row_count"]) if best else 0
        expected = max(0, int(best["expected"] or 0)) if best else 0
        pct = 100.0 if expected == 0 else min(100.0, 100.0 * count / expected)
        age = None
        if best and best["newest_load"] is not None:
            age = max(0.0, (now - best["newest_load"]).total_seconds() / 3600.0)
        newest_date = max((d for d in (_iso_date(r.get("newest_date")) for r in measured) if d), default=None)
        expected_latest = _iso_date(best.get("expected_latest")) if best else None
        behind = expected_latest is not None and (newest_date is None or newest_date < expected_latest)
        old = age is not None and dependency.warn_after_hours is not None and age > dependency.warn_after_hours
        critical_stale = (
            age is not None and dependency.fail_after_hours is not None and age > dependency.fail_after_hours
        )
        statuses.append(
            DependencyStatus(
                name=dependency.name,
                critical=dependency.critical,
                rows=count,
                expected=expected,
                completeness_pct=round(pct, 4),
                age_hours=None if age is None else round(age, 4),
                best_table=_best_table(dependency, best),
                stale=behind or old,
                critically_stale=critical_stale,
                newest_date=newest_date,
                expected_latest=expected_latest,
            )
        )
    ages = [s.age_hours for s in statuses if s.age_hours is not None]
    return DependencyReport(
        statuses=tuple(statuses),
        dependency_check_passed=all(s.complete for s in statuses if s.critical),
        data_completeness_pct=round(sum(s.completeness_pct for s in statuses) / len(statuses), 4),
        upstream_data_age_hours=max(ages) if ages else None,
        threshold_pct=threshold_pct,
    )
