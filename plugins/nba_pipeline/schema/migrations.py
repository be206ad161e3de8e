"""Migrations with a ledger.

Files ``include/sql/migrations/NNNN_name.sql`` run in order, each once. The ledger
``nba_orchestration.schema_migrations`` records id, checksum, applied_at and duration. A file
changed after it was applied is refused (naming it); a malformed file is refused before anything
runs (naming file and line). Each statement is idempotent, so a warehouse that already has some of
the changes (applied by hand, or half-way) gets the rest. A migration that fails is not recorded.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.schema.sqlfile import SqlFileError, Statement, read_statements
from nba_pipeline.settings import MIGRATIONS_DIR
from nba_pipeline.warehouse.base import Warehouse, WarehouseError

LEDGER_TABLE = "nba_orchestration.schema_migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """A migration was refused or failed; the message names the file."""


@dataclass(frozen=True)
class Migration:
    """One migration file: id (the file stem), checksum of its bytes, statements."""

    id: str
    path: Path
    checksum: str
    statements: tuple[Statement, ...]


@dataclass
class MigrationReport:
    """What :func:`apply_migrations` did."""

    applied: list[str] = field(default_factory=list)
    already_applied: list[str] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migration files in order, every one parsed before any is run."""
    migrations: list[Migration] = []
    seen_numbers: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake_case.sql")
        if match.group(1) in seen_numbers:
            raise MigrationError(f"{path.name}: number {match.group(1)} is also used by {seen_numbers[match.group(1)]}")
        seen_numbers[match.group(1)] = path.name
        raw = path.read_bytes()
        try:
            statements = read_statements(path, includes=False)
        except SqlFileError as err:
            raise MigrationError(f"malformed migration {err}") from err
        if not statements:
            raise MigrationError(f"{path.name}: no statements")
        migrations.append(Migration(path.stem, path, hashlib.sha256(raw).hexdigest(), tuple(statements)))
    return migrations


def applied_migrations(warehouse: Warehouse) -> dict[str, str]:
    """id → checksum of the migrations the ledger records (empty if there is no ledger yet)."""
    if warehouse.table_schema(LEDGER_TABLE) is None:
        return {}
    rows = warehouse.query(f"SELECT id, checksum FROM {LEDGER_TABLE}")
    return {row["id"]: row["checksum"] for row in rows}


def apply_migrations(warehouse: Warehouse, directory: Path = MIGRATIONS_DIR) -> MigrationReport:
    """Bring the warehouse up to date; safe to run any number of times."""
    migrations = load_migrations(directory)
    warehouse.ensure_datasets()
    warehouse.execute(declared_tables()[LEDGER_TABLE].ddl)
    ledger = applied_migrations(warehouse)
    for migration in migrations:
        recorded = ledger.get(migration.id)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(
                f"migration {migration.path.name} was changed after it was applied "
                f"(ledger checksum {recorded[:12]}…, file {migration.checksum[:12]}…); "
                "add a new migration instead of editing an applied one"
            )
    report = MigrationReport()
    for migration in migrations:
        if migration.id in ledger:
            report.already_applied.append(migration.id)
            continue
        started = time.monotonic()
        try:
            warehouse.run_script([s.sql for s in migration.statements])
        except WarehouseError as err:
            raise MigrationError(f"migration {migration.path.name} failed and was not recorded: {err}") from err
        duration = time.monotonic() - started
        warehouse.execute(
            f"INSERT INTO {LEDGER_TABLE} (id, checksum, applied_at, duration_seconds) "
            "VALUES (@id, @checksum, CURRENT_TIMESTAMP(), @duration)",
            {"id": migration.id, "checksum": migration.checksum, "duration": round(duration, 6)},
        )
        report.applied.append(migration.id)
        report.durations[migration.id] = duration
    return report
