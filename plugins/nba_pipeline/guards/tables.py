"""Where a pipeline's guards keep their state: one breaker table and a run table per phase."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nba_pipeline.guards.breaker import Clock
from nba_pipeline.guards.breaker_store import BreakerStore
from nba_pipeline.guards.run_log import RunTable
from nba_pipeline.warehouse.base import TableRef, Warehouse


@dataclass(frozen=True)
class GuardTables:
    """The state tables a pipeline declares for its guards.

    :param breakers: the breaker state table, one row per breaker key.
    :param runs: phase → its run table; a phase without one is logged by Airflow alone.
    """

    breakers: str
    runs: Mapping[int, RunTable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        TableRef.parse(self.breakers)

    def breaker_store(self, warehouse: Warehouse, *, clock: Clock | None = None) -> BreakerStore:
        if clock is None:
            return BreakerStore(warehouse, self.breakers)
        return BreakerStore(warehouse, self.breakers, clock)

    def run_table(self, phase: int) -> RunTable | None:
        return self.runs.get(phase)
