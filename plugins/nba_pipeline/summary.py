"""A readable summary of one pipeline run, from the run tables and the warehouse itself."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from nba_pipeline.guards.breaker import State
from nba_pipeline.guards.spec import Phase
from nba_pipeline.predictions.coordinator import describe_groups, slate_groups
from nba_pipeline.registry.catalog import breaker_settings
from nba_pipeline.registry.guard_tables import RUN_TABLES, breaker_store
from nba_pipeline.registry.processors import daily_processors
from nba_pipeline.storage import PayloadStore
from nba_pipeline.warehouse import Warehouse

_RUN_COLUMNS = {
    2: ("processed_at", "status", "rows_inserted", "rows_updated"),
    3: (
        "created_at",
        "CASE WHEN success THEN 'success' WHEN NOT success THEN 'failed' ELSE 'skipped' END",
        "records_inserted",
        "records_updated",
    ),
    4: (
        "created_at",
        "CASE WHEN success THEN 'success' WHEN NOT success THEN 'failed' ELSE 'skipped' END",
        "records_inserted",
        "records_updated",
    ),
}


def run_rows(
    warehouse: Warehouse, since: dt.datetime, until: dt.datetime | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Run rows written from ``since`` (to ``until``, when given), per phase.

    ``until`` matters when the package clock is set back (a replay): rows that runs at the real
    time wrote into the same warehouse are later than any replayed run and must not count.
    """
    found: dict[int, list[dict[str, Any]]] = {}
    params: dict[str, Any] = {"since": since} if until is None else {"since": since, "until": until}
    for phase, table in ((phase, t.name) for phase, t in RUN_TABLES.items()):
        written_at, status, inserted, updated = _RUN_COLUMNS[phase]
        window = f"{written_at} >= @since" + ("" if until is None else f" AND {written_at} <= @until")
        found[phase] = warehouse.query(
            f"SELECT processor_name, {status} AS status, skip_reason, {inserted} AS inserted, {updated} AS updated "
            f"FROM {table} WHERE {window} ORDER BY processor_name",
            params,
        )
    return found


def game_date_reasons(warehouse: Warehouse, game_date: dt.date, since: dt.datetime) -> list[str]:
    """How the runs from ``since`` chose ``game_date`` (given, or the day of their logical date), as
    their raw run rows' options recorded it."""
    table = RUN_TABLES[Phase.RAW.value].name
    rows = warehouse.query(
        f"SELECT DISTINCT JSON_VALUE(opts, '$.game_date_reason') AS reason FROM {table} "
        "WHERE processed_at >= @since AND JSON_VALUE(opts, '$.game_date') = @day "
        "AND JSON_VALUE(opts, '$.game_date_reason') IS NOT NULL ORDER BY reason",
        {"since": since, "day": game_date.isoformat()},
    )
    return [row["reason"] for row in rows]


def summarise_run(warehouse: Warehouse, game_date: dt.date, since: dt.datetime) -> str:
    lines = [f"NBA pipeline run for game date {game_date} (results of {game_date - dt.timedelta(days=1)})"]
    lines += [f"  {reason}" for reason in game_date_reasons(warehouse, game_date, since)]
    lines.append("")
    rows_by_phase = run_rows(warehouse, since)
    store = PayloadStore()
    scrapers = [p for p in daily_processors() if p.phase is Phase.SCRAPERS]
    stored = [p for p in scrapers if store.latest(p.sources[0], p.target_date(game_date))]
    lines.append(f"phase 1 scrapers    payloads stored for {len(stored)} of {len(scrapers)} sources")
    #: table -> (inserted, updated) by this run; None where the processor writes several tables,
    #: since its run row counts them together
    writes: dict[str, tuple[int | None, int | None]] = {}
    specs = {p.name: p for p in daily_processors()}
    for phase in Phase:
        if phase.value not in rows_by_phase:
            continue
        rows = rows_by_phase[phase.value]
        final: dict[str, dict[str, Any]] = {}
        failed_attempts: Counter[str] = Counter()
        for row in rows:
            if row["status"] == "failed":
                failed_attempts[row["processor_name"]] += 1
            if row["processor_name"] not in final or row["status"] != "failed":
                final[row["processor_name"]] = row
        outcome = Counter(r["status"] for r in final.values())
        reasons = Counter(r["skip_reason"] for r in final.values() if r["status"] == "skipped")
        reason_text = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) or "-"
        lines.append(
            f"phase {phase.value} {phase.name.lower():<11} run {outcome['success']:>2}   "
            f"skipped {outcome['skipped']:>2} ({reason_text})   failed {outcome['failed']:>2}"
            + (f"   failed attempts {sum(failed_attempts.values())}" if failed_attempts else "")
        )
        for row in final.values():
            spec = specs.get(row["processor_name"])
            if spec and row["status"] == "success":
                counts = (row["inserted"] or 0, row["updated"] or 0) if len(spec.writes) == 1 else (None, None)
                for table in spec.writes:
                    writes[table] = counts
    lines += _phase5_lines(warehouse, game_date, since)
    lines += [
        "",
        f"rows per table (rows dated {game_date - dt.timedelta(days=1)}..{game_date} / inserted / updated in this run)",
    ]
    for table in sorted(writes):
        total = _rows_for_date(warehouse, table, game_date)
        inserted, updated = ("-" if n is None else n for n in writes[table])
        lines.append(f"  {table:<48} {total:>7} {inserted:>7} {updated:>7}")
    scanned = breaker_store(warehouse).scan(breaker_settings())
    breakers = scanned.breakers
    not_closed = [b for b in breakers.values() if b.state is not State.CLOSED]
    invalid = f", {len(scanned.invalid)} with an invalid row" if scanned.invalid else ""
    lines += ["", f"breakers: {len(breakers) - len(not_closed)} closed, {len(not_closed)} not closed{invalid}"]
    for breaker in not_closed:
        lines.append(
            f"  {breaker.key}: {breaker.state} since {breaker.opened_at:%Y-%m-%d %H:%M}Z after "
            f"{breaker.failure_count} failures ({breaker.last_error_type}: {breaker.last_error_message})"
        )
    lines += [f"  {error} (nba-pipeline breakers repair {key})" for key, error in sorted(scanned.invalid.items())]
    return "\n".join(lines)


def _phase5_lines(warehouse: Warehouse, game_date: dt.date, since: dt.datetime) -> list[str]:
    """Players predicted or skipped (by reason) and predictions per system, for the game date."""
    players = warehouse.query(
        "SELECT success, skip_reason, COUNT(*) AS n FROM nba_predictions.prediction_worker_runs "
        "WHERE game_date = @d GROUP BY success, skip_reason",
        {"d": game_date},
    )
    if not players:
        groups = describe_groups(slate_groups(warehouse, game_date))
        return [f"phase 5 predictions no players predicted for this date; the expected players: {groups}"]
    predicted = sum(r["n"] for r in players if r["success"])
    skipped = Counter({r["skip_reason"] or "no system succeeded": r["n"] for r in players if not r["success"]})
    by_system = warehouse.query(
        "SELECT system_id, COUNT(*) AS n, COUNTIF(recommendation != 'PASS') AS calls "
        "FROM nba_predictions.player_prop_predictions WHERE game_date = @d GROUP BY system_id ORDER BY system_id",
        {"d": game_date},
    )
    skipped_text = ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "-"
    lines = [f"phase 5 predictions players predicted {predicted}   skipped {sum(skipped.values())} ({skipped_text})"]
    lines += [f"    {r['system_id']:<24} {r['n']:>4} predictions, {r['calls']:>4} OVER/UNDER calls" for r in by_system]
    return lines


def _rows_for_date(warehouse: Warehouse, table: str, game_date: dt.date) -> int:
    columns = {c.name for c in warehouse.table_schema(table) or []}
    column = next((c for c in ("game_date", "roster_date", "list_date", "analysis_date") if c in columns), None)
    if column is None:
        return int(warehouse.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])
    window = {"start": game_date - dt.timedelta(days=1), "end": game_date}
    return int(
        warehouse.query(f"SELECT COUNT(*) AS n FROM {table} WHERE {column} BETWEEN @start AND @end", window)[0]["n"]
    )
