"""What the operations pages show, read from the warehouse: the breakers, a game date's skips and
the run rows of each phase (filtered and paged). Plain data, rendered as HTML or JSON by
:mod:`nba_pipeline.ui.app`."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from nba_pipeline import clock
from nba_pipeline.breakers import list_breakers
from nba_pipeline.guards.breaker import Breaker, State
from nba_pipeline.guards.calendar import EmptyCalendarError
from nba_pipeline.registry.guard_tables import RUN_TABLES as PHASE_RUN_TABLES
from nba_pipeline.settings import LOCAL_TIMEZONE
from nba_pipeline.warehouse import Warehouse, activity

LOCAL_TZ = ZoneInfo(LOCAL_TIMEZONE)
#: run rows shown per phase on the runs page
RECENT_RUNS_PER_PHASE = 50
_STATE_ORDER = {State.OPEN: 0, State.HALF_OPEN: 1, State.CLOSED: 2}


# --------------------------------------------------------------------------- what the pages show


@dataclass(frozen=True)
class RunsView:
    """How one phase's run table answers the pages' questions (SQL fragments from constants only).

    :param phase: the pipeline phase.
    :param label: how the page names the phase.
    :param table: ``dataset.table``.
    :param written_at: the column stamped when the row was written.
    :param subject: what a row is about (a processor, or a player in phase 5).
    :param run_id: the row's id column.
    :param status: an expression giving success / failed / skipped.
    :param skipped: a predicate true for skip rows.
    :param detail: an expression giving the error or skip detail.
    :param duration: the run's duration in seconds.
    :param rows: the rows the run processed.
    :param bytes_billed: what BigQuery billed for the run (NULL on the embedded warehouse).
    :param game_date: an expression giving the row's game date, where the table holds it; else
        ``target_date`` gives the processor's target date, and the game date is that date less the
        processor's ``date_offset_days`` (box scores of D are processed on D + 1).
    """

    phase: int
    label: str
    table: str
    written_at: str
    subject: str
    run_id: str
    status: str
    skipped: str
    detail: str
    duration: str
    rows: str
    bytes_billed: str
    game_date: str | None = None
    target_date: str | None = None


#: the Airflow task instance that wrote a row (migration 0017), in every table the pages read
TASK_COLUMNS = "dag_id, dag_run_id, task_id, map_index, try_number"


_OUTCOME = "CASE WHEN success THEN 'success' WHEN NOT success THEN 'failed' ELSE 'skipped' END"

RUN_TABLES: tuple[RunsView, ...] = (
    RunsView(
        phase=2, label="raw processors", table=PHASE_RUN_TABLES[2].name, written_at=PHASE_RUN_TABLES[2].written_at,
        subject="processor_name", run_id="run_id", status="status", skipped="status = 'skipped'",
        detail="error_message", duration="total_runtime_seconds", rows="rows_processed", bytes_billed="bytes_billed",
        game_date="SAFE_CAST(JSON_VALUE(opts, '$.game_date') AS DATE)",
    ),
    RunsView(
        phase=3, label="analytics", table=PHASE_RUN_TABLES[3].name, written_at=PHASE_RUN_TABLES[3].written_at,
        subject="processor_name", run_id="run_id", status=_OUTCOME, skipped="success IS NULL",
        detail="errors_json", duration="duration_seconds", rows="records_processed", bytes_billed="bytes_billed",
        target_date="date_range_end",
    ),
    RunsView(
        phase=4, label="precompute", table=PHASE_RUN_TABLES[4].name, written_at=PHASE_RUN_TABLES[4].written_at,
        subject="processor_name", run_id="run_id", status=_OUTCOME, skipped="success IS NULL",
        detail="errors_json", duration="duration_seconds", rows="records_processed", bytes_billed="bytes_billed",
        target_date="analysis_date",
    ),
    # one row per player; success is NOT NULL there, so a skip is a row with a skip_reason
    RunsView(
        phase=5, label="predictions (one row per player)", table="nba_predictions.prediction_worker_runs",
        written_at="created_at", subject="player_lookup", run_id="request_id",
        status="CASE WHEN skip_reason IS NOT NULL THEN 'skipped' WHEN success THEN 'success' ELSE 'failed' END",
        skipped="skip_reason IS NOT NULL", detail="error_message", duration="duration_seconds",
        rows="CAST(NULL AS INT64)", bytes_billed="bytes_billed", game_date="game_date",
    ),
)


def breaker_view(breaker: Breaker) -> dict[str, Any]:
    """One breaker as the page shows it; failures newest first."""
    return {
        "key": breaker.key,
        "state": str(breaker.state),
        "failure_count": breaker.failure_count,
        "threshold": breaker.settings.threshold,
        "timeout_seconds": breaker.settings.timeout_seconds,
        "opened_at": breaker.opened_at,
        "retry_at": breaker.retry_at(),
        "last_failure": breaker.last_failure,
        "last_success": breaker.last_success,
        "last_error_type": breaker.last_error_type,
        "last_error_message": breaker.last_error_message,
        "failures": [
            {"failed_at": e.failed_at, "error_type": e.error_type, "error_message": e.error_message}
            for e in reversed(breaker.failure_history)
        ],
    }


def breakers_report(warehouse: Warehouse) -> dict[str, Any]:
    """Every registry breaker, not-closed ones first (registry order within a state)."""
    with activity("ui"):
        scanned = list_breakers(warehouse)
    breakers = sorted(scanned.breakers.values(), key=lambda b: _STATE_ORDER[b.state])
    counts = {str(state): sum(b.state is state for b in breakers) for state in State}
    invalid = [
        {"key": key, "column": e.column, "value": repr(e.value), "reason": e.reason}
        for key, e in sorted(scanned.invalid.items())
    ]
    return {"counts": counts, "breakers": [breaker_view(b) for b in breakers], "invalid": invalid}


def local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or clock.now()).astimezone(LOCAL_TZ).date()


OUTCOMES = ("success", "failed", "skipped")


def game_date_sql(view: RunsView) -> tuple[str, dict[str, Any]]:
    """SQL giving a run row's game date (a DATE), and its parameters: the table's own game date, or
    the target date less the processor's offset, from the registry."""
    if view.game_date is not None:
        return view.game_date, {}
    from nba_pipeline.registry.processors import daily_processors

    by_offset: dict[int, list[str]] = defaultdict(list)
    for spec in daily_processors():
        if spec.date_offset_days:
            by_offset[spec.date_offset_days].append(spec.name)
    cases, params = [], {}
    for number, (offset, names) in enumerate(sorted(by_offset.items())):
        shifted = f"CAST(DATE_SUB({view.target_date}, INTERVAL {offset} DAY) AS DATE)"
        cases.append(f"WHEN {view.subject} IN UNNEST(@offset_{number}) THEN {shifted}")
        params[f"offset_{number}"] = sorted(names)
    if not cases:
        return str(view.target_date), {}
    return f"CASE {' '.join(cases)} ELSE {view.target_date} END", params


def skips_report(warehouse: Warehouse, day: dt.date) -> dict[str, Any]:
    """The skip rows of game date ``day``, grouped by phase and skip reason, whenever they were written."""
    phases = []
    with activity("ui"):
        for spec in RUN_TABLES:
            game_date, params = game_date_sql(spec)
            rows = warehouse.query(
                f"SELECT skip_reason, {spec.subject} AS subject, COUNT(*) AS n FROM {spec.table} "
                f"WHERE {game_date} = @day AND {spec.skipped} GROUP BY skip_reason, {spec.subject}",
                {**params, "day": day},
            )
            by_reason: dict[str, dict[str, int]] = defaultdict(dict)
            for row in rows:
                by_reason[row["skip_reason"] or "(none)"][row["subject"]] = int(row["n"])
            reasons: list[dict[str, Any]] = [
                {"reason": reason, "count": sum(subjects.values()), "subjects": sorted(subjects)}
                for reason, subjects in by_reason.items()
            ]
            reasons.sort(key=lambda r: (-r["count"], r["reason"]))
            phases.append(
                {
                    "phase": spec.phase,
                    "label": spec.label,
                    "table": spec.table,
                    "total": sum(r["count"] for r in reasons),
                    "reasons": reasons,
                }
            )
    return {"day": day, "timezone": LOCAL_TIMEZONE, "total": sum(p["total"] for p in phases), "phases": phases}


@dataclass(frozen=True)
class RunFilter:
    """What the runs page shows: each filter is optional; ``page`` counts from 1 in every phase."""

    day: dt.date | None = None
    phase: int | None = None
    processor: str | None = None
    outcome: str | None = None
    page: int = 1
    per_page: int = RECENT_RUNS_PER_PHASE

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links that keep them)."""
        values = {"day": self.day, "phase": self.phase, "processor": self.processor, "outcome": self.outcome}
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def airflow_links(row: dict[str, Any], base: str = "") -> dict[str, str | None]:
    """Where Airflow's UI shows the DAG run and the task instance (its log, at the row's try) that
    wrote a run row; None where the row names none. ``base``: the path Airflow's UI is served under."""
    if not row.get("dag_id") or not row.get("dag_run_id"):
        return {"dag_run": None, "task_instance": None}
    dag_run = f"{base}/dags/{quote(row['dag_id'], safe='')}/runs/{quote(row['dag_run_id'], safe='')}"
    task = None
    if row.get("task_id"):
        task = f"{dag_run}/tasks/{quote(row['task_id'], safe='')}"
        if row.get("map_index") is not None and row["map_index"] >= 0:
            task += f"/mapped/{row['map_index']}"
        if row.get("try_number"):
            task += f"?try_number={row['try_number']}"
    return {"dag_run": dag_run, "task_instance": task}


def runs_report(warehouse: Warehouse, show: RunFilter | None = None, airflow_base: str = "") -> dict[str, Any]:
    """Each phase's run rows matching the filter, newest first, one page of ``per_page``, with the
    number of matching rows and pages, each with its links into Airflow's UI."""
    show = show or RunFilter()
    phases = []
    with activity("ui"):
        for spec in RUN_TABLES:
            if show.phase is not None and spec.phase != show.phase:
                continue
            game_date, params = game_date_sql(spec)
            where = ["TRUE"]
            if show.day is not None:
                where.append(f"{game_date} = @day")
                params["day"] = show.day
            if show.processor:
                where.append(f"{spec.subject} = @subject")
                params["subject"] = show.processor
            if show.outcome:
                where.append(f"{spec.status} = @outcome")
                params["outcome"] = show.outcome
            condition = " AND ".join(where)
            total = int(warehouse.query(f"SELECT COUNT(*) AS n FROM {spec.table} WHERE {condition}", params)[0]["n"])
            rows = warehouse.query(
                f"SELECT {game_date} AS game_date, {spec.subject} AS subject, {spec.run_id} AS run_id, "
                f"{spec.status} AS status, skip_reason, {spec.detail} AS detail, "
                f"{spec.duration} AS duration_seconds, {spec.rows} AS rows, {spec.bytes_billed} AS bytes_billed, "
                f"{spec.written_at} AS written_at, {TASK_COLUMNS} FROM {spec.table} WHERE {condition} "
                f"ORDER BY {spec.written_at} DESC, {spec.run_id} DESC LIMIT @limit OFFSET @offset",
                {**params, "limit": show.per_page, "offset": (show.page - 1) * show.per_page},
            )
            for row in rows:
                row["detail"] = _detail(row["detail"])
                row["links"] = airflow_links(row, airflow_base)
            pages = max(1, -(-total // show.per_page))
            phases.append(
                {"phase": spec.phase, "label": spec.label, "table": spec.table, "total": total, "pages": pages,
                 "rows": rows}
            )
    return {
        "limit": show.per_page,
        "page": show.page,
        "filters": show.query(),
        "outcomes": list(OUTCOMES),
        "phase_numbers": [spec.phase for spec in RUN_TABLES],
        "phases": phases,
    }


def _detail(value: Any) -> str | None:
    """A readable error or skip detail; phases 3–4 store ``[{"type": ..., "message": ...}]`` as JSON text."""
    if value is None:
        return None
    text = str(value)
    if text.startswith("["):
        try:
            errors = json.loads(text)
            return "; ".join(
                f"{e['type']}: {e['message']}" if e.get("type") else str(e.get("message")) for e in errors
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            return text
    return text


def day_report(warehouse: Warehouse, day: dt.date, airflow_base: str = "") -> dict[str, Any]:
    """Everything about one game date: the calendar's verdict for each date its processors work on,
    and per phase each processor's latest outcome (ran, skipped and why, failed, or no row), with
    links to the Airflow task instance that decided it; phase 5 as counts of players."""
    from nba_pipeline.registry.processors import CALENDAR, daily_processors

    processors = daily_processors()
    with activity("ui"):
        offsets = sorted({0, *(p.date_offset_days for p in processors)}, reverse=True)
        calendar = []
        for offset in offsets:
            date = day + dt.timedelta(days=offset)
            try:
                verdict = CALENDAR.decide(warehouse, date, reference_date=day, backfill=False).as_dict()
            except EmptyCalendarError as empty:  # nothing loaded yet: undecided, not an error page
                verdict = {"proceed": None, "reason": None, "events_on_date": 0, "detail": str(empty)}
            calendar.append({"date": date, "offset_days": offset, **verdict})
        phases: list[dict[str, Any]] = []
        for spec in RUN_TABLES:
            game_date, params = game_date_sql(spec)
            if spec.phase == 5:
                counts = warehouse.query(
                    f"SELECT {spec.status} AS status, skip_reason, COUNT(*) AS n FROM {spec.table} "
                    f"WHERE {game_date} = @day GROUP BY 1, 2 ORDER BY 3 DESC", {**params, "day": day})
                phases.append({"phase": 5, "label": spec.label, "table": spec.table, "players": counts})
                continue
            rows = warehouse.query(
                f"SELECT {spec.subject} AS subject, {spec.run_id} AS run_id, {spec.status} AS status, skip_reason, "
                f"{spec.detail} AS detail, {spec.duration} AS duration_seconds, {spec.rows} AS rows, "
                f"{spec.written_at} AS written_at, {TASK_COLUMNS} FROM {spec.table} "
                f"WHERE {game_date} = @day ORDER BY {spec.written_at}, {spec.run_id}", {**params, "day": day})
            latest: dict[str, dict[str, Any]] = {}
            attempts: dict[str, int] = defaultdict(int)
            for row in rows:  # oldest first: the last one written wins
                row["detail"] = _detail(row["detail"])
                row["links"] = airflow_links(row, airflow_base)
                latest[row["subject"]] = row
                attempts[row["subject"]] += 1
            names = [p.name for p in processors if p.phase.value == spec.phase]
            names += sorted(set(latest) - set(names))  # rows of processors the registry no longer has
            phases.append({
                "phase": spec.phase, "label": spec.label, "table": spec.table,
                "processors": [{"name": name, "rows_written": attempts.get(name, 0), "latest": latest.get(name)}
                               for name in names],
            })
    outcomes: dict[str, int] = defaultdict(int)
    for phase in phases:
        for entry in phase.get("processors", ()):
            outcomes[entry["latest"]["status"] if entry["latest"] else "no row"] += 1
    return {"day": day, "timezone": LOCAL_TIMEZONE, "calendar": calendar, "outcomes": dict(outcomes),
            "phases": phases}
