"""Run logging: one row per processor attempt and per skip, in its phase's run table.

The pipeline declares a :class:`RunTable` per phase, whose row builder turns a :class:`RunRecord`
into that table's columns. Rows are written in batches: the run task writes its own row at once only
when it fails (so a crash or a later retry loses nothing); successes and skips are collected per
phase and written in one statement. Writing is idempotent on ``run_id``: a retried batch writes
only the rows not yet there. A failed row is kept in a local outbox until it is written, so an
unreachable warehouse delays it instead of losing it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nba_pipeline import clock
from nba_pipeline.guards.skip_reasons import skip_reason
from nba_pipeline.warehouse.base import QueryParam, TableRef, Warehouse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskInstanceRef:
    """The orchestrator's task instance a run row came from, so the row can link to its run and log.

    :param try_number: None where the writer cannot know it (a skip recorded by a later task).
    """

    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int = -1
    try_number: int | None = None


@dataclass(frozen=True)
class RunRecord:
    """What happened to one processor in one attempt (or why it did not run)."""

    processor: str
    phase: int
    run_id: str
    status: str  # success / failed / skipped
    started_at: dt.datetime
    completed_at: dt.datetime
    target_date: dt.date  # the date the processor worked on
    skip_reason: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    rows_processed: int | None = None
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_failed: int | None = None
    rows_skipped: int | None = None
    load_seconds: float | None = None
    transform_seconds: float | None = None
    save_seconds: float | None = None
    file_path: str | None = None
    source_files: int | None = None
    date_range_start: dt.date | None = None
    date_range_end: dt.date | None = None
    dependency_check_passed: bool | None = None
    data_completeness_pct: float | None = None
    upstream_data_age_hours: float | None = None
    bytes_processed: int | None = None  # summed over the attempt's warehouse jobs (None: not measured)
    bytes_billed: int | None = None
    slot_ms: int | None = None
    warnings: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    task_instance: TaskInstanceRef | None = None  # None: written outside an orchestrator's task

    def __post_init__(self) -> None:
        if self.status not in {"success", "failed", "skipped"}:
            raise ValueError(f"status {self.status!r} is not success, failed or skipped")
        if self.status == "skipped":
            try:
                skip_reason(self.skip_reason or "")
            except ValueError as err:
                raise ValueError(f"skipped run of {self.processor} needs a known skip_reason: {err}") from None

    @property
    def duration_seconds(self) -> float:
        return round((self.completed_at - self.started_at).total_seconds(), 6)

    def to_json(self) -> dict[str, Any]:
        """XCom-friendly form."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, (dt.date, dt.datetime)):
                data[key] = value.isoformat()
        data["warnings"] = list(self.warnings)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        values = dict(data)
        for key in ("started_at", "completed_at"):
            values[key] = dt.datetime.fromisoformat(values[key])
        for key in ("target_date", "date_range_start", "date_range_end"):
            if values.get(key):
                values[key] = dt.date.fromisoformat(values[key])
        values["warnings"] = tuple(values.get("warnings") or ())
        if values.get("task_instance"):
            values["task_instance"] = TaskInstanceRef(**values["task_instance"])
        return cls(**values)


def make_run_id(dag_run_id: str, processor: str, attempt: str) -> str:
    """A stable id for an attempt: the same DAG run, processor and attempt always give the same id."""
    digest = hashlib.sha1(f"{dag_run_id}|{processor}|{attempt}".encode()).hexdigest()[:16]
    return f"{processor}-{attempt}-{digest}"


@dataclass(frozen=True)
class RunTable:
    """A run table the pipeline declares: where one phase's rows go and how a row is built.

    :param name: ``dataset.table``.
    :param build_row: a :class:`RunRecord` as the table's columns (without ``written_at``).
    :param partitioned_by: the timestamp column holding the record's ``started_at`` (its partitions).
    :param written_at: the column that gets the time of the write, from the package clock.
    """

    name: str
    build_row: Callable[[RunRecord], dict[str, Any]]
    partitioned_by: str
    written_at: str

    def __post_init__(self) -> None:
        TableRef.parse(self.name)


def write_run_records(
    warehouse: Warehouse,
    records: Sequence[RunRecord],
    tables: Mapping[int, RunTable],
    *,
    written_since: dt.datetime | None = None,
) -> int:
    """Write records not yet present (by run_id): one read and one insert per run table at most.

    ``tables`` maps a phase to its run table; records of phases without one are not written here.

    ``written_since`` bounds the ``started_at`` of any copy of these rows already in the table (a
    DAG run's ``run_after``: nothing of the run started before it; or an attempt's start). Given
    it, the presence check reads only the partitions from that day on, so on BigQuery it is not
    billed for the whole run table; without it, every partition is read.
    """
    written = 0
    now = clock.now()
    by_table: dict[str, tuple[RunTable, list[dict[str, Any]]]] = {}
    for record in records:
        table = tables.get(record.phase)
        if table is None:
            continue
        by_table.setdefault(table.name, (table, []))[1].append({**table.build_row(record), table.written_at: now})
    for name, (table, rows) in sorted(by_table.items()):
        ids = sorted({row["run_id"] for row in rows})
        params: dict[str, Any] = {"ids": QueryParam(ids, "ARRAY<STRING>")}
        sql = f"SELECT run_id FROM {name} WHERE run_id IN UNNEST(@ids)"
        if written_since is not None:
            day = written_since.astimezone(dt.UTC).date()
            params["since"] = QueryParam(dt.datetime.combine(day, dt.time(), dt.UTC), "TIMESTAMP")
            sql += f" AND {table.partitioned_by} >= @since"
        present = {r["run_id"] for r in warehouse.query(sql, params)}
        fresh = [row for row in rows if row["run_id"] not in present]
        first: dict[str, dict[str, Any]] = {}  # the first row of a run_id wins: an attempt's own record
        for row in fresh:  # comes before one rebuilt from its running mark
            first.setdefault(row["run_id"], row)
        unique = list(first.values())
        if unique:
            written += warehouse.insert_rows(name, unique)
    return written


class AttemptLostError(RuntimeError):
    """An attempt whose process ended without recording an outcome: killed with SIGKILL, out of
    memory, or its machine lost. Its row is written from its running mark (:class:`RunLogOutbox`)."""


class RunLogOutbox:
    """Run rows kept on local disk until the warehouse takes them.

    A failed attempt's row is kept here before the warehouse write is tried, and removed once it
    is written, so neither an unreachable warehouse nor a kill during the write loses it. The
    phase's ``record_runs`` task takes whatever is left (``claim``) into its own batch. Claiming
    renames a file, which one process wins; a claim older than ``stale_after`` (its holder died)
    is taken over. Rewriting a row is harmless: ``write_run_records`` skips ids already present.

    An attempt also leaves a *running* mark here while it runs (:meth:`mark_running`): the row it
    would have if it died without recording anything, removed when it records its outcome. A mark
    whose process is gone (``kill -9``, an out-of-memory kill, a lost machine) is claimed like a
    waiting row, so the attempt still gets a failed row: at once when the process ran on this host
    and no longer exists, otherwise once the mark is older than ``lost_after``.

    :param directory: the outbox folder; every worker that writes run rows must see the same one
        (on Cloud Composer, a folder of the mounted bucket).
    """

    SUFFIX = ".json"
    RUNNING = ".running"

    def __init__(
        self,
        directory: Path,
        *,
        stale_after: dt.timedelta = dt.timedelta(minutes=15),
        lost_after: dt.timedelta = dt.timedelta(hours=2),
    ) -> None:
        self.directory = Path(directory)
        self.stale_after = stale_after
        self.lost_after = lost_after

    def mark_running(self, record: RunRecord) -> Path:
        """Keep the row of an attempt that is starting, for the case that its process dies unrecorded;
        the file name says which host and process hold it."""
        path = self.keep(record)
        marked = path.with_name(f"{record.run_id}{self.RUNNING}@{socket.gethostname()}@{os.getpid()}")
        os.replace(path, marked)
        return marked

    def keep(self, record: RunRecord) -> Path:
        """Store one row (atomically: a reader never sees half a file); the same run_id overwrites."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{record.run_id}{self.SUFFIX}"
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(record.to_json(), sort_keys=True))
        os.replace(partial, path)
        return path

    def discard(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def claim(self) -> list[tuple[Path, RunRecord]]:
        """Take the rows waiting here (and stale claims), each for this process alone."""
        if not self.directory.is_dir():
            return []
        mine = f".claimed-{socket.gethostname()}-{os.getpid()}"
        now = dt.datetime.now().timestamp()
        claimed = []
        for path in sorted(self.directory.iterdir()):
            waiting = path.name.endswith(self.SUFFIX)
            claimed_by_other = ".claimed-" in path.name and not path.name.endswith(".bad")
            stale = claimed_by_other and now - _mtime(path) > self.stale_after.total_seconds()
            lost = f"{self.RUNNING}@" in path.name and ".claimed-" not in path.name and self._lost(path, now)
            if not (waiting or stale or lost) or path.name.startswith("."):
                continue
            name = path.name.split(".claimed-")[0]
            target = path.with_name((name.split(self.RUNNING)[0] + self.SUFFIX if lost else name) + mine)
            try:
                os.rename(path, target)
                os.utime(target)
            except FileNotFoundError:  # another process claimed it first
                continue
            try:
                claimed.append((target, RunRecord.from_json(json.loads(target.read_text()))))
            except (ValueError, TypeError, KeyError) as err:  # keep it for a person to look at
                log.error("run-log outbox file %s is unreadable (%s); left as %s.bad", target, err, target.name)
                os.replace(target, target.with_name(target.name + ".bad"))
        return claimed

    def _lost(self, mark: Path, now: float) -> bool:
        """Whether the process holding a running mark is gone."""
        _, host, pid = mark.name.rsplit("@", 2)
        if host == socket.gethostname() and pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return True
            except PermissionError:  # it exists, under another user
                return False
            return False
        return now - _mtime(mark) > self.lost_after.total_seconds()

    def settle(self, claimed: Sequence[tuple[Path, RunRecord]]) -> None:
        """The claimed rows are in the warehouse: remove their files."""
        for path, _ in claimed:
            path.unlink(missing_ok=True)

    def release(self, claimed: Sequence[tuple[Path, RunRecord]]) -> None:
        """The write failed: put the claimed rows back for the next writer."""
        for path, _ in claimed:
            try:
                os.replace(path, path.with_name(path.name.split(".claimed-")[0]))
            except FileNotFoundError:
                continue


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")
