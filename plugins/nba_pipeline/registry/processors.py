"""Every processor of the pipeline, declared once. DAGs are built from this list.

Dates: the daily run for game date D fetches and processes the *results* of D-1 (box scores are
final by ~04:00 ET) and everything about D's upcoming games (schedule, injuries, lines, rosters).
"""

from __future__ import annotations

from nba_pipeline.guards.calendar import CalendarSpec
from nba_pipeline.registry.catalog import settings_for
from nba_pipeline.registry.model import Phase, ProcessorSpec

#: source → (raw processor / table, date offset). Offset -1: results of the previous day.
RAW_SOURCES: dict[str, tuple[str, int]] = {
    "nbac_schedule": ("nbac_schedule", 0),
    "nbac_gamebook": ("nbac_gamebook_player_stats", -1),
    "nbac_team_boxscore": ("nbac_team_boxscore", -1),
    "nbac_play_by_play": ("nbac_play_by_play", -1),
    "nbac_injury_report": ("nbac_injury_report", 0),
    "bdl_boxscores": ("bdl_player_boxscores", -1),
    "odds_api_player_points_props": ("odds_api_player_points_props", 0),
    "odds_api_game_lines": ("odds_api_game_lines", 0),
    "bettingpros_player_props": ("bettingpros_player_points_props", 0),
    "espn_rosters": ("espn_team_rosters", 0),
}
#: sources fetched for the record but not parsed into a table of their own
UNPARSED_SOURCES: dict[str, int] = {"odds_api_events": 0}

CALENDAR = CalendarSpec(
    table="nba_raw.nbac_schedule",
    date_column="game_date",
    exclude_sql="COALESCE(is_postponed, FALSE)",
    offseason_gap_days=30,
    historical_days=90,
)


def _scraper(source: str, offset: int) -> ProcessorSpec:
    return ProcessorSpec(
        name=f"scrape_{source}",
        phase=Phase.SCRAPERS,
        run="nba_pipeline.scrapers.run:scrape",
        sources=(source,),
        writes=(f"payload:{source}",),
        breaker=None,  # Airflow retries with backoff do this job for scrapers
        calendar_guarded=source != "nbac_schedule",  # the schedule is what the calendar is read from
        retries=3,
        date_offset_days=offset,
        description=f"Fetch the {source} payload and store it untouched",
    )


def _raw(source: str, table: str, offset: int) -> ProcessorSpec:
    return ProcessorSpec(
        name=table,
        phase=Phase.RAW,
        run=f"nba_pipeline.processors.raw:process_{table}",
        reads=(f"payload:{source}",),
        writes=(f"nba_raw.{table}",),
        sources=(source,),
        breaker=settings_for(table),
        calendar_guarded=table != "nbac_schedule",
        date_offset_days=offset,
        description=f"Validate the {source} payload and merge it into nba_raw.{table}",
    )


SCRAPERS: tuple[ProcessorSpec, ...] = tuple(
    _scraper(source, offset)
    for source, offset in [*((s, o) for s, (_, o) in RAW_SOURCES.items()), *UNPARSED_SOURCES.items()]
)
RAW: tuple[ProcessorSpec, ...] = tuple(_raw(source, table, offset) for source, (table, offset) in RAW_SOURCES.items())


def daily_processors() -> tuple[ProcessorSpec, ...]:
    """The processors of the daily pipeline, in phase order."""
    return (*SCRAPERS, *RAW)


def processor(name: str) -> ProcessorSpec:
    for spec in daily_processors():
        if spec.name == name:
            return spec
    raise KeyError(f"unknown processor {name!r}")
