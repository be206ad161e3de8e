"""Every circuit breaker of the pipeline and its settings.

A guarded processor's breaker is declared in its registry entry (``registry/processors.py``); the
prediction systems' are here, keyed by system id. Nothing else lists breaker keys.
"""

from __future__ import annotations

from nba_pipeline.guards.breaker import BreakerSettings
from nba_pipeline.guards.spec import Phase
from nba_pipeline.predictions.contract import SYSTEM_IDS
from nba_pipeline.registry.processors import DEFAULT_BREAKER, daily_processors

#: per prediction system settings that differ from the default
SYSTEM_BREAKERS: dict[str, BreakerSettings] = {
    # the model-backed system fails fast and waits longer: a missing model does not fix itself in minutes
    "xgboost_v1": BreakerSettings(threshold=3, timeout_seconds=3600, half_open_max_calls=1),
}


def processor_names(phase: Phase) -> tuple[str, ...]:
    """The names of a phase's processors, in registry order."""
    return tuple(p.name for p in daily_processors() if p.phase is phase)


RAW_PROCESSORS = processor_names(Phase.RAW)
ANALYTICS_PROCESSORS = processor_names(Phase.ANALYTICS)
PRECOMPUTE_PROCESSORS = processor_names(Phase.PRECOMPUTE)


def breaker_settings() -> dict[str, BreakerSettings]:
    """Every breaker key with its settings, in a stable order: processors, then prediction systems."""
    processors = {p.name: p.breaker for p in daily_processors() if p.breaker is not None}
    return {**processors, **{key: SYSTEM_BREAKERS.get(key, DEFAULT_BREAKER) for key in SYSTEM_IDS}}


class UnknownBreakerError(KeyError):
    def __str__(self) -> str:
        return f"unknown breaker {self.args[0]!r}; known: {', '.join(breaker_settings())}"


def settings_for(key: str) -> BreakerSettings:
    try:
        return breaker_settings()[key]
    except KeyError:
        raise UnknownBreakerError(key) from None
