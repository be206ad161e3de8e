"""Breaker administration shared by the ``nba_breaker_admin`` DAG and the CLI."""

from __future__ import annotations

import enum
from dataclasses import replace

from nba_pipeline.guards.breaker import Breaker, BreakerSettings
from nba_pipeline.registry.catalog import breaker_settings, settings_for
from nba_pipeline.registry.guard_tables import breaker_store
from nba_pipeline.warehouse import Warehouse, activity


class BreakerAction(enum.StrEnum):
    LIST = "list"
    RESET = "reset"
    OPEN = "open"
    CONFIGURE = "configure"


def list_breakers(warehouse: Warehouse) -> list[Breaker]:
    """Every known key, with its stored row or a fresh CLOSED one."""
    with activity("guards"):
        return list(breaker_store(warehouse).read(breaker_settings()).values())


def apply_action(
    warehouse: Warehouse,
    action: BreakerAction,
    key: str | None,
    *,
    reason: str = "opened by hand",
    threshold: int | None = None,
    timeout_seconds: int | None = None,
    half_open_max_calls: int | None = None,
) -> list[Breaker]:
    """Carry out one admin action; return the affected breakers."""
    if action is BreakerAction.LIST:
        return list_breakers(warehouse)
    if not key:
        raise ValueError(f"action {action} needs a breaker name")
    defaults = settings_for(key)
    store = breaker_store(warehouse)
    with activity("guards"):
        current = store.read({key: defaults})[key]
        if action is BreakerAction.RESET:
            return [store.reset(key, current.settings)]
        if action is BreakerAction.OPEN:
            return [store.force_open(key, current.settings, reason)]
        changed: BreakerSettings = replace(
            current.settings,
            **{
                name: value
                for name, value in (
                    ("threshold", threshold),
                    ("timeout_seconds", timeout_seconds),
                    ("half_open_max_calls", half_open_max_calls),
                )
                if value is not None
            },
        )
        return [store.configure(key, changed)]


def describe(breaker: Breaker) -> str:
    opened = breaker.opened_at.isoformat(timespec="seconds") if breaker.opened_at else "-"
    return (
        f"{breaker.key:<34} {breaker.state:<9} failures={breaker.failure_count:<3} opened_at={opened:<25} "
        f"threshold={breaker.settings.threshold} timeout={breaker.settings.timeout_seconds}s "
        f"last_error={breaker.last_error_type or '-'}"
    )
