"""Warehouse state for the reliability scenarios, read straight from the DuckDB file.

Per table: a row count and an order-independent checksum computed in SQL (the sum of one hash per
row), either over every column (``strict``) or over the content only (load timestamps left out and
payload paths cut to their part below the payload root, so two warehouses in different folders
compare). Plus each table's natural key, for duplicate checks, and the breaker rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

RUN_TABLES = (
    "nba_processing.processor_runs",
    "nba_processing.analytics_processor_runs",
    "nba_processing.precompute_processor_runs",
)
BREAKER_TABLE = "nba_orchestration.circuit_breaker_state"
#: tables that legitimately change on every run: run logs (a row per attempt, or per player and
#: date rewritten with the latest run's figures) and the breaker rows (success counts, versions)
LEDGERS = (*RUN_TABLES, "nba_predictions.prediction_worker_runs", BREAKER_TABLE)
#: set when a row is inserted or its content changes; differ between two warehouses built apart
LOAD_TIMESTAMPS = frozenset({"loaded_at", "created_at", "graded_at", "processed_at", "completed_at"})
_MERGE_TARGET = re.compile(r"\bMERGE\s+([a-z_]+\.[a-z0-9_]+)\s+(?:AS\s+)?T\b", re.IGNORECASE)
#: ``T.key = S.key`` pairs, and ``T.date = @game_date`` (a MERGE kept to the rows of one date)
_ON_TERM = r"T\.\w+\s*=\s*(?:S\.\w+|@\w+)"
_MERGE_ON = re.compile(rf"^ON\s+({_ON_TERM}(?:\s+AND\s+{_ON_TERM})*)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Fingerprint:
    rows: int
    digest: int


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection with the backend's own configuration (so it can share an open instance)."""
    return duckdb.connect(str(path))


def tables(path: Path) -> list[str]:
    with connect(path) as con:
        rows = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema LIKE 'nba_%' ORDER BY 1"
        ).fetchall()
    return [r[0] for r in rows]


def _column_expressions(con: duckdb.DuckDBPyConnection, table: str, strict: bool) -> list[str]:
    schema, name = table.split(".")
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
    ]
    if strict:
        return [f'"{c}"' for c in columns]
    expressions = []
    for column in columns:
        if column in LOAD_TIMESTAMPS:
            continue
        if column in {"source_file_path", "file_path"}:
            expressions.append(f"regexp_replace(\"{column}\", '^.*/payloads/', '')")
        else:
            expressions.append(f'"{column}"')
    return expressions


def fingerprints(path: Path, names: Iterable[str] | None = None, *, strict: bool = True) -> dict[str, Fingerprint]:
    """Row count and checksum of each table (every table of the warehouse when ``names`` is None)."""
    wanted = list(names) if names is not None else tables(path)
    result = {}
    with connect(path) as con:
        for table in wanted:
            expressions = ", ".join(_column_expressions(con, table, strict))
            rows, digest = con.execute(
                f"SELECT COUNT(*), COALESCE(SUM(hash({expressions})::HUGEINT), 0) FROM {table}"
            ).fetchone()
            result[table] = Fingerprint(int(rows), int(digest))
    return result


def changed(before: dict[str, Fingerprint], after: dict[str, Fingerprint]) -> dict[str, tuple]:
    """Tables whose fingerprint differs: name → (before, after)."""
    return {name: (before.get(name), after.get(name)) for name in sorted({*before, *after})
            if before.get(name) != after.get(name)}


def natural_keys() -> dict[str, tuple[str, ...]]:
    """Each table's natural key, taken from the code that writes it where the code declares it."""
    from nba_pipeline.processors.player_registry import NATURAL_KEYS as PLAYER_REGISTRY_KEYS
    from nba_pipeline.processors.transform import TRANSFORMS_DIR
    from nba_pipeline.registry.processors import RAW_TABLES
    from nba_pipeline.scrapers.run import QUOTA_TABLE

    keys = {spec.table: tuple(spec.key_columns) for spec in RAW_TABLES.values()}
    for path in sorted(TRANSFORMS_DIR.glob("*.sql")):
        text = path.read_text()
        target, on = _MERGE_TARGET.search(text), _MERGE_ON.search(text)
        assert target and on, f"{path.name}: no MERGE ... T ... ON T.x = S.x found"
        keys[target.group(1)] = tuple(re.findall(r"T\.(\w+)\s*=", on.group(1)))
    keys.update(PLAYER_REGISTRY_KEYS)
    keys.update({
        "nba_predictions.player_prop_predictions": ("system_id", "player_lookup", "game_date"),
        "nba_predictions.prediction_worker_runs": ("request_id",),
        "nba_predictions.prediction_grades": ("game_date", "system_id"),
        **{table: ("run_id",) for table in (*RUN_TABLES, QUOTA_TABLE)},
        BREAKER_TABLE: ("processor_name",),
        "nba_orchestration.schema_migrations": ("id",),
        # one row per processed date and attempt; a date is complete at most once per backfill run
        "nba_orchestration.backfill_progress": ("game_date", "dag_run_id", "status"),
    })
    return keys


def duplicate_keys(path: Path, keys: dict[str, tuple[str, ...]]) -> dict[str, list[tuple]]:
    """Tables with a natural key held by more than one row: name → a few of those keys."""
    found = {}
    with connect(path) as con:
        for table, columns in sorted(keys.items()):
            listed = ", ".join(columns)
            rows = con.execute(
                f"SELECT {listed}, COUNT(*) FROM {table} GROUP BY {listed} HAVING COUNT(*) > 1 LIMIT 5"
            ).fetchall()
            if rows:
                found[table] = rows
    return found


def breakers(path: Path) -> dict[str, dict[str, Any]]:
    with connect(path) as con:
        cursor = con.execute(
            f"SELECT processor_name, state, failure_count, success_count, version, half_open_calls, "
            f"len(failure_history) AS history, opened_at, last_error_type, last_error_message FROM {BREAKER_TABLE}"
        )
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def query(path: Path, sql: str, params: list | None = None) -> list[dict[str, Any]]:
    """DuckDB SQL on the file (for checks the scenarios make, not for code under test)."""
    with connect(path) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
