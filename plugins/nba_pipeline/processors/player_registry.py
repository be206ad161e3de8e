"""The ``player_registry`` processor: every raw row that names a player, resolved to one person.

For the run's date and the day before (the box scores it loaded are the day before's; after days
without games, back to the last game date), it reads the players of every raw table that names
one, resolves them date by date with :class:`~nba_pipeline.processors.identity.Registry` — the
listing sources first (NBA.com's player list and box scores, then balldontlie, then ESPN), so the
naming sources (the books, the injury report) are matched against the day's rosters — and writes
three tables of ``nba_analytics``:

* ``player_registry``: one row per person, with each source's id and spelling;
* ``player_identity_resolutions``: one row per source, date, game (or roster team) and player,
  with the ``universal_player_id`` or, for a held row, its ``skip_reason``;
* ``unresolved_player_names``: the held names per source and raw string, rebuilt from the held
  resolutions (first and last game date, how many rows), so a name drops out once it resolves.

Reruns change nothing: every write is a MERGE, and the queue is derived, not counted up.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from nba_pipeline.guards.spec import ProcessorContext, ProcessorResult
from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.identity import Person, Registry, Resolution, SourceRow
from nba_pipeline.processors.merge import merge_rows
from nba_pipeline.warehouse.base import QueryParam, Warehouse

REGISTRY_TABLE = "nba_analytics.player_registry"
RESOLUTIONS_TABLE = "nba_analytics.player_identity_resolutions"
UNRESOLVED_TABLE = "nba_analytics.unresolved_player_names"
_RESOLUTION_KEY = ("source", "game_date", "scope", "player_lookup")
_QUEUE_KEY = ("source", "raw_name")
#: the key of each table the processor writes (its MERGE condition)
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    REGISTRY_TABLE: ("universal_player_id",),
    RESOLUTIONS_TABLE: _RESOLUTION_KEY,
    UNRESOLVED_TABLE: _QUEUE_KEY,
}


@dataclass(frozen=True)
class PlayerSource:
    """Where a source's players are: its raw table and the columns that name them.

    :param id_kind: ``nba`` / ``bdl`` / ``espn`` for a listing source; None for a naming one.
    :param team_column: None when the source does not say which team a player is on.
    """

    source: str
    table: str
    id_kind: str | None = None
    id_column: str | None = None
    date_column: str = "game_date"
    game_column: str | None = "game_id"
    team_column: str | None = "team_abbr"

    def sql(self) -> str:
        """One row per date, scope and player_lookup in the window ``[@start, @end]``."""
        none = "CAST(NULL AS STRING)"
        source_id = f"MIN(CAST({self.id_column} AS STRING))" if self.id_column else none
        grouped = [c for c in (self.date_column, self.game_column, self.team_column, "player_lookup") if c]
        return (
            f"SELECT {self.date_column} AS game_date, {self.game_column or none} AS game_id, "
            f"{self.team_column or none} AS team_abbr, player_lookup, "
            f"MIN(player_name) AS raw_name, {source_id} AS source_id "
            f"FROM {self.table} WHERE {self.date_column} BETWEEN @start AND @end "
            f"GROUP BY {', '.join(grouped)}"
        )


#: in the order they are resolved on each date: the listing sources (NBA.com first: its spelling
#: is the registry's), then the naming ones
PLAYER_SOURCES: tuple[PlayerSource, ...] = (
    PlayerSource(
        "nbac_player_list",
        "nba_raw.nbac_player_list",
        "nba",
        "nba_player_id",
        date_column="list_date",
        game_column=None,
    ),
    PlayerSource("nbac_gamebook", "nba_raw.nbac_gamebook_player_stats", "nba", "nba_player_id"),
    PlayerSource("nbac_play_by_play", "nba_raw.nbac_play_by_play", "nba", "nba_player_id"),
    PlayerSource("bdl_boxscores", "nba_raw.bdl_player_boxscores", "bdl", "bdl_player_id"),
    PlayerSource(
        "espn_rosters",
        "nba_raw.espn_team_rosters",
        "espn",
        "espn_player_id",
        date_column="roster_date",
        game_column=None,
    ),
    PlayerSource("odds_api_player_points_props", "nba_raw.odds_api_player_points_props", team_column=None),
    PlayerSource("bettingpros_player_props", "nba_raw.bettingpros_player_points_props"),
    PlayerSource("nbac_injury_report", "nba_raw.nbac_injury_report"),
)
SCHEDULE_TABLE = "nba_raw.nbac_schedule"
#: the raw tables the processor reads (its registry entry's ``reads``)
PLAYER_SOURCE_TABLES: tuple[str, ...] = (*(source.table for source in PLAYER_SOURCES), SCHEDULE_TABLE)


def window_start(warehouse: Warehouse, day: dt.date) -> dt.date:
    """The first date to resolve for ``day``: the day before, or the last earlier date with games
    when that is further back. The box scores of a game date are loaded the next day; when that
    day has no games (the All-Star break, the end of a season) the processor does not run, so the
    next game day resolves them."""
    rows = warehouse.query(
        f"SELECT MAX(game_date) AS last FROM {SCHEDULE_TABLE} "
        "WHERE game_date < @day AND NOT COALESCE(is_postponed, FALSE)",
        {"day": day},
    )
    last: dt.date | None = rows[0]["last"] if rows else None
    before = day - dt.timedelta(days=1)
    return before if last is None else min(before, last)


def _source_rows_sql() -> str:
    """Every source's players in one query (one job, not one per source), each row with its
    source's rank in :data:`PLAYER_SOURCES`, in resolution order."""
    branches = [f"SELECT {rank} AS source_rank, s.* FROM ({source.sql()}) AS s"
                for rank, source in enumerate(PLAYER_SOURCES)]
    return " UNION ALL ".join(branches) + " ORDER BY game_date, source_rank, game_id, team_abbr, player_lookup"


def source_rows(warehouse: Warehouse, start: dt.date, end: dt.date) -> list[SourceRow]:
    """Every source's players in the window, in resolution order (date, source, scope, player)."""
    found: list[tuple[dt.date, int, SourceRow]] = []
    for row in warehouse.query(_source_rows_sql(), {"start": start, "end": end}):
        rank = int(row["source_rank"])
        source = PLAYER_SOURCES[rank]
        game_id, team = row["game_id"], row["team_abbr"]
        if team is not None:
            teams = frozenset({team})
        else:  # a book names the game, not the team: either team of the game
            _, away, home = ids.parse_canonical(game_id)
            teams = frozenset({away, home})
        resolved_row = SourceRow(
            source=source.source,
            game_date=row["game_date"],
            scope=game_id or team,
            player_lookup=row["player_lookup"],
            raw_name=row["raw_name"],
            teams=teams,
            game_id=game_id,
            team_abbr=team,
            id_kind=source.id_kind,
            source_id=row["source_id"],
        )
        found.append((resolved_row.game_date, rank, resolved_row))
    found.sort(key=lambda item: (item[0], item[1], item[2].scope, item[2].player_lookup))
    return [row for _, _, row in found]


def load_registry(warehouse: Warehouse) -> Registry:
    rows = warehouse.query(f"SELECT * FROM {REGISTRY_TABLE}")
    fields = set(Person.__dataclass_fields__)
    return Registry(Person(**{k: v for k, v in row.items() if k in fields}) for row in rows)


def resolution_row(row: SourceRow, resolution: Resolution) -> dict[str, Any]:
    return {
        "source": row.source,
        "game_date": row.game_date,
        "scope": row.scope,
        "player_lookup": row.player_lookup,
        "raw_name": row.raw_name,
        "source_player_id": row.source_id,
        "game_id": row.game_id,
        "team_abbr": row.team_abbr or resolution.team_abbr,
        "universal_player_id": resolution.universal_player_id,
        "resolved_by": resolution.resolved_by,
        "skip_reason": resolution.skip_reason,
        "candidates": ",".join(resolution.candidates) or None,
    }


def _keep_first_method(
    warehouse: Warehouse, resolutions: list[dict[str, Any]], start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """A row that resolves to the person it resolved to before keeps the ``resolved_by`` of then: a
    rerun finds by id what the first run bound by name, and that is no change."""
    before = {
        tuple(row[k] for k in _RESOLUTION_KEY): row
        for row in warehouse.query(
            "SELECT source, game_date, scope, player_lookup, universal_player_id, resolved_by "
            f"FROM {RESOLUTIONS_TABLE} WHERE game_date BETWEEN @start AND @end AND universal_player_id IS NOT NULL",
            {"start": start, "end": end},
        )
    }
    for row in resolutions:
        earlier = before.get(tuple(row[k] for k in _RESOLUTION_KEY))
        if earlier is not None and earlier["universal_player_id"] == row["universal_player_id"]:
            row["resolved_by"] = earlier["resolved_by"]
    return resolutions


def rebuild_unresolved_queue(warehouse: Warehouse) -> int:
    """The queue from the held resolutions: one row per source and raw name; returns its size."""
    held = warehouse.query(
        f"SELECT source, raw_name, player_lookup, game_date, skip_reason, candidates FROM {RESOLUTIONS_TABLE} "
        "WHERE skip_reason IS NOT NULL ORDER BY game_date, scope"
    )
    queue: dict[tuple[str, str], dict[str, Any]] = {}
    for row in held:
        entry = queue.get((row["source"], row["raw_name"]))
        if entry is None:
            queue[(row["source"], row["raw_name"])] = {
                "source": row["source"],
                "raw_name": row["raw_name"],
                "player_lookup": row["player_lookup"],
                "skip_reason": row["skip_reason"],
                "candidates": row["candidates"],
                "first_seen_date": row["game_date"],
                "last_seen_date": row["game_date"],
                "occurrences": 1,
            }
            continue
        entry["occurrences"] += 1
        entry["last_seen_date"] = row["game_date"]  # rows come in date order: the latest reason wins
        entry["skip_reason"], entry["candidates"] = row["skip_reason"], row["candidates"]
    merge_rows(warehouse, UNRESOLVED_TABLE, list(queue.values()), _QUEUE_KEY)
    keep = [{"source": source, "raw_name": raw_name} for source, raw_name in queue]
    warehouse.execute(
        f"DELETE FROM {UNRESOLVED_TABLE} AS T WHERE NOT EXISTS "
        "(SELECT 1 FROM UNNEST(@keep) AS k WHERE k.source = T.source AND k.raw_name = T.raw_name)",
        {"keep": QueryParam(keep, "ARRAY<STRUCT<source STRING, raw_name STRING>>")},
    )
    return len(queue)


def resolve_player_identities(ctx: ProcessorContext) -> ProcessorResult:
    """Resolve the players of the target date and the days since the last game date before it
    (:func:`window_start`); write registry, resolutions, queue."""
    started = time.monotonic()
    end = ctx.target_date
    start = window_start(ctx.warehouse, end)
    registry = load_registry(ctx.warehouse)
    rows = source_rows(ctx.warehouse, start, end)
    loaded = time.monotonic()
    resolutions = _keep_first_method(
        ctx.warehouse, [resolution_row(row, registry.resolve(row)) for row in rows], start, end
    )
    people = [registry.people[uid].row() for uid in sorted(registry.changed)]
    transformed = time.monotonic()
    registry_counts = merge_rows(ctx.warehouse, REGISTRY_TABLE, people, NATURAL_KEYS[REGISTRY_TABLE])
    counts = merge_rows(ctx.warehouse, RESOLUTIONS_TABLE, resolutions, _RESOLUTION_KEY, partition_column="game_date")
    queued = rebuild_unresolved_queue(ctx.warehouse)
    held: dict[str, int] = defaultdict(int)
    for row in resolutions:
        if row["skip_reason"] is not None:
            held[f"{row['source']}:{row['skip_reason']}"] += 1
    return ProcessorResult(
        rows_processed=len(resolutions),
        rows_inserted=counts.inserted,
        rows_updated=counts.updated,
        rows_skipped=sum(held.values()),
        load_seconds=round(loaded - started, 6),
        transform_seconds=round(transformed - loaded, 6),
        save_seconds=round(time.monotonic() - transformed, 6),
        date_range=(start, end),
        warnings=[f"{n} rows held ({key})" for key, n in sorted(held.items())],
        details={
            "players_new": registry_counts.inserted,
            "players_updated": registry_counts.updated,
            "players_known": len(registry.people),
            "held": dict(sorted(held.items())),
            "unresolved_names": queued,
        },
    )
