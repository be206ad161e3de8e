"""Breaker rows to and from XCom-friendly dicts."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from nba_pipeline.guards.breaker import Breaker, BreakerSettings, FailureEntry, State

_TIMES = ("last_failure", "last_success", "opened_at", "half_opened_at", "updated_at")


def breaker_to_json(breaker: Breaker) -> dict[str, Any]:
    data = asdict(breaker)
    data["state"] = str(breaker.state)
    for key in _TIMES:
        data[key] = data[key].isoformat() if data[key] else None
    data["failure_history"] = [
        {**entry, "failed_at": entry["failed_at"].isoformat()} for entry in data["failure_history"]
    ]
    return data


def breaker_from_json(data: dict[str, Any]) -> Breaker:
    values = dict(data)
    values["settings"] = BreakerSettings(**values["settings"])
    values["state"] = State(values["state"])
    for key in _TIMES:
        values[key] = dt.datetime.fromisoformat(values[key]) if values[key] else None
    values["failure_history"] = tuple(
        FailureEntry(dt.datetime.fromisoformat(e["failed_at"]), e["error_message"], e["error_type"])
        for e in values["failure_history"]
    )
    return Breaker(**values)
