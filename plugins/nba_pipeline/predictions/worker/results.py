"""What a batch reports: :class:`BatchResult`, with a :class:`SystemSummary` per system."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from nba_pipeline.guards.breaker import Breaker


@dataclass(frozen=True)
class SystemSummary:
    """What one system did in a batch."""

    admission: str  # proceed / trial / reject / ignored
    attempted: int = 0
    succeeded: int = 0
    failed: int = 0
    breaker_outcome: str | None = None  # success / failure / None (not attempted)
    state_after: str | None = None
    error: str | None = None  # the batch-level error, when the system raised
    skip_reason: str | None = None  # when the system skipped itself for the batch (e.g. no_model)
    skip_detail: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """Summary of one batch (JSON-friendly through :meth:`to_json`)."""

    game_date: dt.date
    batch_index: int
    worker_id: str
    players: int
    players_predicted: int
    players_failed: int  # eligible, attempted, but no system succeeded
    skipped: dict[str, int]
    systems: dict[str, SystemSummary]
    circuits_opened: tuple[str, ...]
    predictions_written: int
    run_rows_written: int
    timings: dict[str, float]
    #: the breakers this batch's failures opened (CLOSED or HALF_OPEN → OPEN), for alerting once per opening
    opened_by_batch: dict[str, Breaker] = field(default_factory=dict, repr=False)
    #: system → when it succeeded, for the successes left to
    #: :func:`~nba_pipeline.predictions.worker.breakers.record_pending_successes`
    pending_successes: dict[str, dt.datetime] = field(default_factory=dict)

    @property
    def circuit_breaker_triggered(self) -> bool:
        return bool(self.circuits_opened)

    def to_json(self) -> dict[str, Any]:
        return {
            "game_date": self.game_date.isoformat(),
            "batch_index": self.batch_index,
            "worker_id": self.worker_id,
            "players": self.players,
            "players_predicted": self.players_predicted,
            "players_failed": self.players_failed,
            "skipped": dict(self.skipped),
            "systems": {k: vars(v) for k, v in self.systems.items()},
            "circuits_opened": list(self.circuits_opened),
            "opened_by_batch": sorted(self.opened_by_batch),
            "pending_successes": {k: v.isoformat() for k, v in sorted(self.pending_successes.items())},
            "predictions_written": self.predictions_written,
            "run_rows_written": self.run_rows_written,
            "timings": dict(self.timings),
        }
