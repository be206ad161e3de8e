"""The player registry's entry: one identity per player across the sources (docs/architecture.md,
"Player identity"). Declared here and listed once, in ``registry.processors.ANALYTICS``."""

from __future__ import annotations

from nba_pipeline.guards.breaker import BreakerSettings
from nba_pipeline.guards.spec import Phase, ProcessorSpec
from nba_pipeline.processors import player_registry as identity

#: the registry's resolution of every raw row that names a player; transforms read it to leave the
#: rows it holds out (``include/sql/fragments/held_players.sql``)
RESOLUTIONS = identity.RESOLUTIONS_TABLE


def player_registry_entry(breaker: BreakerSettings) -> ProcessorSpec:
    """The ``player_registry`` processor: the players of the date and the day before, from every raw
    table that names one, resolved to universal_player_ids; names that fit no one, or several
    people, are held with a skip reason and queued."""
    return ProcessorSpec(
        name="player_registry",
        phase=Phase.ANALYTICS,
        run=identity.resolve_player_identities,
        reads=identity.PLAYER_SOURCE_TABLES,
        writes=(identity.REGISTRY_TABLE, identity.RESOLUTIONS_TABLE, identity.UNRESOLVED_TABLE),
        breaker=breaker,
        date_offset_days=0,
        description="Resolve every source's player ids and names to one universal_player_id; queue the rest",
    )
