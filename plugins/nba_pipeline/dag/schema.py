"""Operators that migrate and verify the warehouse schema from the Airflow UI."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException


class ApplyMigrationsOperator(BaseOperator):
    """Apply pending migrations of ``include/sql/migrations`` to the configured warehouse.

    Idempotent: applied migrations are skipped by their ledger entry. A changed or malformed
    migration fails the task without retries (retrying cannot fix a file) and runs nothing.
    Returns the ids applied in this run.
    """

    ui_color = "#d9ead3"

    def execute(self, context: Any) -> list[str]:
        from nba_pipeline.schema.migrations import MigrationError, apply_migrations
        from nba_pipeline.warehouse import get_warehouse

        with get_warehouse() as warehouse:
            try:
                report = apply_migrations(warehouse)
            except MigrationError as err:
                raise AirflowFailException(str(err)) from err
        for migration_id in report.applied:
            self.log.info("applied %s in %.3fs", migration_id, report.durations[migration_id])
        self.log.info("%d applied, %d already applied", len(report.applied), len(report.already_applied))
        return report.applied


class VerifySchemaOperator(BaseOperator):
    """Compare the live warehouse with the declared schemas; fail, listing every drift, if any.

    Returns ``{table: [drift, …]}`` (empty lists when the schema matches).
    """

    ui_color = "#cfe2f3"

    def execute(self, context: Any) -> dict[str, list[str]]:
        from nba_pipeline.registry.guard_tables import UNIQUE_KEYS
        from nba_pipeline.schema.verify import verify_schema
        from nba_pipeline.warehouse import get_warehouse

        with get_warehouse() as warehouse:
            reports = verify_schema(warehouse, unique_keys=UNIQUE_KEYS)
        summary = {r.table: [str(d) for d in r.drifts] for r in reports}
        for table, drifts in summary.items():
            self.log.info("%s: %s", table, "OK" if not drifts else "; ".join(drifts))
        drifted = [t for t, d in summary.items() if d]
        if drifted:
            raise AirflowFailException(f"schema drift in {len(drifted)} table(s): {', '.join(drifted)}")
        return summary
