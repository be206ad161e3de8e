"""Breaker administration shared by the ``nba_breaker_admin`` DAG and the CLI."""

from __future__ import annotations

import enum
from dataclasses import replace

from nba_pipeline.guards.breaker import Breaker, BreakerSettings
from nba_pipeline.guards.breaker_store import BreakerScan, InvalidBreakerRowError
from nba_pipeline.registry.catalog import breaker_settings, settings_for
from nba_pipeline.registry.guard_tables import breaker_store
from nba_pipeline.warehouse import Warehouse, activity


class BreakerAction(enum.StrEnum):
    LIST = "list"
    RESET = "reset"
    OPEN = "open"
    CONFIGURE = "configure"
    REPAIR = "repair"
    DELETE = "delete"


def list_breakers(warehouse: Warehouse) -> BreakerScan:
    """Every declared key, with its stored row or a fresh CLOSED one, and apart every stored row
    that is invalid (several rows for a key, a value no breaker holds), declared or not."""
    store = breaker_store(warehouse)
    with activity("guards"):
        declared = store.scan(breaker_settings())
        stored = store.scan_all()
    return BreakerScan(declared.breakers, {**stored.invalid, **declared.invalid})


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
    """Carry out one admin action; return the affected breakers (``list``: the valid ones).

    ``repair`` replaces a declared key's rows, whatever they hold, with one CLOSED row;
    ``delete`` removes a key's rows, declared or not. The other actions refuse an invalid row.

    :raises InvalidBreakerRowError: ``reset``, ``open`` or ``configure`` on an invalid row.
    """
    if action is BreakerAction.LIST:
        return list(list_breakers(warehouse).breakers.values())
    if not key:
        raise ValueError(f"action {action} needs a breaker name")
    store = breaker_store(warehouse)
    if action is BreakerAction.DELETE:
        with activity("guards"):
            store.delete(key)
        return []
    defaults = settings_for(key)
    with activity("guards"):
        if action is BreakerAction.REPAIR:
            return [store.repair(key, defaults)]
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


def describe_invalid(error: InvalidBreakerRowError) -> str:
    """One line for a key whose stored rows are invalid, with what to run."""
    return f"{error.key:<34} INVALID   {error.column} = {error.value!r}: {error.reason} (breakers repair/delete)"


def describe(breaker: Breaker) -> str:
    opened = breaker.opened_at.isoformat(timespec="seconds") if breaker.opened_at else "-"
    return (
        f"{breaker.key:<34} {breaker.state:<9} failures={breaker.failure_count:<3} opened_at={opened:<25} "
        f"threshold={breaker.settings.threshold} timeout={breaker.settings.timeout_seconds}s "
        f"last_error={breaker.last_error_type or '-'}"
    )
