"""Every processor of the pipeline, declared once. DAGs are built from this list.

Dates: the daily run for game date D fetches and processes the *results* of D-1 (box scores are
final by ~04:00 ET) and everything about D's upcoming games (schedule, injuries, lines, rosters).
"""

from __future__ import annotations

from typing import Any

from nba_pipeline.guards.breaker import BreakerSettings
from nba_pipeline.guards.calendar import CalendarSpec
from nba_pipeline.guards.dependencies import Dependency, TableWindow
from nba_pipeline.guards.spec import Phase, ProcessorSpec
from nba_pipeline.processors.raw import (
    BDL_BOXSCORES,
    BETTINGPROS,
    ESPN_ROSTERS,
    GAME_LINES,
    GAMEBOOK,
    INJURY_REPORT,
    ODDS_PROPS,
    PLAY_BY_PLAY,
    PLAYER_LIST,
    SCHEDULE,
    TEAM_BOXSCORE,
    RawTable,
)
from nba_pipeline.processors.transform import run_sql_transform
from nba_pipeline.registry.identity import RESOLUTIONS, player_registry_entry
from nba_pipeline.registry.skip_reasons import LeagueSkipReason
from nba_pipeline.scrapers.run import scrape

#: every raw table, with the date it loads relative to the run's game date (-1: the results of the
#: day before). A :class:`RawTable` (its source, table, key and parser) is declared beside its
#: parser in ``processors/raw/`` and is the ``run`` of its entry.
RAW_LOADS: tuple[tuple[RawTable, int], ...] = (
    (SCHEDULE, 0),
    (GAMEBOOK, -1),
    (TEAM_BOXSCORE, -1),
    (PLAY_BY_PLAY, -1),
    (INJURY_REPORT, 0),
    (PLAYER_LIST, 0),
    (BDL_BOXSCORES, -1),
    (ODDS_PROPS, 0),
    (GAME_LINES, 0),
    (BETTINGPROS, 0),
    (ESPN_ROSTERS, 0),
)
#: sources fetched for the record but not parsed into a table of their own
UNPARSED_SOURCES: dict[str, int] = {"odds_api_events": 0}

#: the breaker of every guarded processor unless its entry says otherwise
DEFAULT_BREAKER = BreakerSettings(threshold=5, timeout_seconds=1800, half_open_max_calls=1)

CALENDAR = CalendarSpec(
    table="nba_raw.nbac_schedule",
    date_column="game_date",
    exclude_sql="COALESCE(is_postponed, FALSE)",
    offseason_gap_days=30,
    historical_days=90,
    no_events_reason=LeagueSkipReason.NO_GAMES,
)


def _scraper(source: str, offset: int) -> ProcessorSpec:
    return ProcessorSpec(
        name=f"scrape_{source}",
        phase=Phase.SCRAPERS,
        run=scrape,
        sources=(source,),
        writes=(f"payload:{source}",),
        breaker=None,  # Airflow retries with backoff do this job for scrapers
        calendar_guarded=source != "nbac_schedule",  # the schedule is what the calendar is read from
        retries=3,
        date_offset_days=offset,
        description=f"Fetch the {source} payload and store it untouched",
    )


def _raw(raw: RawTable, offset: int) -> ProcessorSpec:
    return ProcessorSpec(
        name=raw.name,
        phase=Phase.RAW,
        run=raw,
        reads=(f"payload:{raw.source}",),
        writes=(raw.table,),
        sources=(raw.source,),
        breaker=DEFAULT_BREAKER,
        calendar_guarded=raw is not SCHEDULE,
        date_offset_days=offset,
        description=f"Validate the {raw.source} payload and merge it into {raw.table}",
    )


SCRAPERS: tuple[ProcessorSpec, ...] = tuple(
    _scraper(source, offset)
    for source, offset in [*((raw.source, o) for raw, o in RAW_LOADS), *UNPARSED_SOURCES.items()]
)
RAW: tuple[ProcessorSpec, ...] = tuple(_raw(raw, offset) for raw, offset in RAW_LOADS)
#: raw processor name → its parse rules
RAW_TABLES: dict[str, RawTable] = {raw.name: raw for raw, _ in RAW_LOADS}


# --------------------------------------------------------------------------- phases 3-4
# Expected counts come from the schedule (games in the window), never from fixed minimums: the
# original's 200-row floor failed on opening night (68 rows) and in the Finals (24).

_GAMES = (
    "SELECT COUNT(*) AS expected FROM nba_raw.nbac_schedule "
    "WHERE game_date BETWEEN @start AND @end AND NOT COALESCE(is_postponed, FALSE)"
)
_TEAM_GAMES = _GAMES.replace("COUNT(*)", "2 * COUNT(*)")
#: the latest date of the window with games: data about games is fresh when it reaches that date
_LATEST_GAME_DATE = _GAMES.replace("COUNT(*) AS expected", "MAX(game_date) AS expected_latest")
_UPCOMING_PLAYERS = (
    "SELECT COUNT(DISTINCT player_lookup) AS expected FROM nba_analytics.upcoming_player_game_context "
    "WHERE game_date BETWEEN @start AND @end"
)
_HISTORY_DAYS = 29  # a 30-day window of history before the date


def _games(table: str, date_column: str = "game_date", loaded: str = "loaded_at") -> TableWindow:
    return TableWindow(table, date_column, loaded, distinct_column="game_id")


def _rows(table: str, date_column: str = "game_date", loaded: str = "loaded_at") -> TableWindow:
    return TableWindow(table, date_column, loaded)


def _dep(
    name: str, *tables: TableWindow, expected: str | None = _GAMES, critical: bool = True, history: bool = False,
    warn: float | None = None, fail: float | None = None, union: bool = False,
) -> Dependency:
    return Dependency(
        name=name,
        tables=tables,
        expected_sql=expected,
        latest_sql=_LATEST_GAME_DATE if expected in (_GAMES, _TEAM_GAMES) else None,
        critical=critical,
        lookback_days=_HISTORY_DAYS if history else 0,
        end_offset_days=-1 if history else 0,
        warn_after_hours=warn,
        fail_after_hours=fail,
        union=union,
    )


# Freshness. Data about games (results, history, today's context) is fresh when it reaches the
# latest date with games in its window, whenever it was loaded: after a day without games or the
# All-Star break, the newest box scores are days old and still the newest there can be. Load age
# is checked only for today's lines, which the books move during the day: a load from yesterday
# is out of date (warn 12 h, fail 48 h).
_PROPS: dict[str, Any] = {"warn": 12.0, "fail": 48.0}


def _transform(
    name: str,
    phase: Phase,
    reads: tuple[str, ...],
    writes: str,
    deps: tuple[Dependency, ...],
    offset: int,
    description: str,
    *,
    sql: str,
    breaker: BreakerSettings = DEFAULT_BREAKER,
) -> ProcessorSpec:
    return ProcessorSpec(
        name=name,
        phase=phase,
        run=run_sql_transform,
        sql=sql,
        reads=reads,
        writes=(writes,),
        dependencies=deps,
        breaker=breaker,
        date_offset_days=offset,
        description=description,
    )


ANALYTICS: tuple[ProcessorSpec, ...] = (
    player_registry_entry(DEFAULT_BREAKER),
    _transform(
        "player_game_summary",
        Phase.ANALYTICS,
        (
            "nba_raw.nbac_gamebook_player_stats",
            "nba_raw.bdl_player_boxscores",
            "nba_raw.nbac_play_by_play",
            "nba_raw.odds_api_player_points_props",
            "nba_raw.bettingpros_player_points_props",
            "nba_raw.nbac_schedule",
            RESOLUTIONS,
        ),
        "nba_analytics.player_game_summary",
        (
            _dep(  # balldontlie fills the games the gamebook lacks: together they count
                "box_scores", _games("nba_raw.nbac_gamebook_player_stats"), _games("nba_raw.bdl_player_boxscores"),
                union=True,
            ),
            _dep("props", _games("nba_raw.odds_api_player_points_props"), critical=False),
            _dep("shot_zones", _games("nba_raw.nbac_play_by_play"), critical=False),
        ),
        -1,
        "One row per player per game: gamebook first, balldontlie for games it lacks",
        sql="transforms/player_game_summary.sql",
    ),
    _transform(
        "team_offense_game_summary",
        Phase.ANALYTICS,
        ("nba_raw.nbac_team_boxscore", "nba_raw.nbac_play_by_play", "nba_raw.nbac_schedule"),
        "nba_analytics.team_offense_game_summary",
        (
            _dep("team_box_scores", _games("nba_raw.nbac_team_boxscore")),
            _dep("shot_zones", _games("nba_raw.nbac_play_by_play"), critical=False),
        ),
        -1,
        "Team offense per game: possessions, offensive rating, pace",
        sql="transforms/team_offense_game_summary.sql",
    ),
    _transform(
        "team_defense_game_summary",
        Phase.ANALYTICS,
        (
            "nba_raw.nbac_team_boxscore",
            "nba_raw.nbac_gamebook_player_stats",
            "nba_raw.bdl_player_boxscores",
            "nba_raw.nbac_play_by_play",
            "nba_raw.nbac_schedule",
        ),
        "nba_analytics.team_defense_game_summary",
        (
            _dep("team_box_scores", _games("nba_raw.nbac_team_boxscore")),
            _dep(
                "player_box_scores", _games("nba_raw.nbac_gamebook_player_stats"),
                _games("nba_raw.bdl_player_boxscores"), union=True,
            ),
        ),
        -1,
        "Team defense per game: points allowed per 100 possessions, zones allowed",
        sql="transforms/team_defense_game_summary.sql",
    ),
    _transform(
        "upcoming_player_game_context",
        Phase.ANALYTICS,
        (
            "nba_raw.nbac_schedule",
            "nba_raw.odds_api_player_points_props",
            "nba_raw.bettingpros_player_points_props",
            "nba_raw.odds_api_game_lines",
            "nba_raw.bdl_player_boxscores",
            "nba_raw.nbac_gamebook_player_stats",
            "nba_raw.nbac_injury_report",
            "nba_raw.espn_team_rosters",
            RESOLUTIONS,
        ),
        "nba_analytics.upcoming_player_game_context",
        (
            _dep("schedule", _games("nba_raw.nbac_schedule")),
            _dep(
                "props",
                _games("nba_raw.odds_api_player_points_props"),
                _games("nba_raw.bettingpros_player_points_props"),
                **_PROPS,
            ),
            _dep("game_lines", _games("nba_raw.odds_api_game_lines"), **_PROPS),
            _dep(
                "box_score_history", _games("nba_raw.bdl_player_boxscores"),
                _games("nba_raw.nbac_gamebook_player_stats"), history=True, union=True,
            ),
            _dep("injury_report", _rows("nba_raw.nbac_injury_report"), expected=None, critical=False),
        ),
        0,
        "Each player expected to play today: lines, rest, recent minutes and points, status",
        sql="transforms/upcoming_player_game_context.sql",
    ),
    _transform(
        "upcoming_team_game_context",
        Phase.ANALYTICS,
        ("nba_raw.nbac_schedule", "nba_raw.odds_api_game_lines", "nba_raw.nbac_injury_report"),
        "nba_analytics.upcoming_team_game_context",
        (
            _dep("schedule", _games("nba_raw.nbac_schedule")),
            _dep("game_lines", _games("nba_raw.odds_api_game_lines"), critical=False),
            _dep("injury_report", _rows("nba_raw.nbac_injury_report"), expected=None, critical=False),
        ),
        0,
        "Each team playing today: opponent, rest, spread, total, injuries",
        sql="transforms/upcoming_team_game_context.sql",
    ),
)

_PRE = "analysis_date"
_TEAM_OFFENSE, _TEAM_DEFENSE = "nba_analytics.team_offense_game_summary", "nba_analytics.team_defense_game_summary"
#: in the order phase 4 runs when sequential (DOMAIN §2): each reads only those before it
PRECOMPUTE: tuple[ProcessorSpec, ...] = (
    _transform(
        "team_defense_zone_analysis",
        Phase.PRECOMPUTE,
        ("nba_analytics.team_defense_game_summary", "nba_raw.nbac_schedule"),
        "nba_precompute.team_defense_zone_analysis",
        (
            _dep("team_defense_history", _rows(_TEAM_DEFENSE), expected=_TEAM_GAMES, history=True),
        ),
        0,
        "Per team, last 15 games: shooting allowed per zone against the league",
        sql="transforms/team_defense_zone_analysis.sql",
    ),
    _transform(
        "player_shot_zone_analysis",
        Phase.PRECOMPUTE,
        ("nba_analytics.player_game_summary", "nba_analytics.upcoming_player_game_context"),
        "nba_precompute.player_shot_zone_analysis",
        (_dep("player_game_history", _games("nba_analytics.player_game_summary"), history=True),),
        0,
        "Per player, last 10 and 20 games: share and efficiency per zone",
        sql="transforms/player_shot_zone_analysis.sql",
    ),
    _transform(
        "player_composite_factors",
        Phase.PRECOMPUTE,
        (
            "nba_analytics.upcoming_player_game_context",
            "nba_analytics.upcoming_team_game_context",
            "nba_precompute.player_shot_zone_analysis",
            "nba_precompute.team_defense_zone_analysis",
            "nba_analytics.team_offense_game_summary",
            "nba_analytics.player_game_summary",
        ),
        "nba_precompute.player_composite_factors",
        (
            _dep("upcoming_players", _games("nba_analytics.upcoming_player_game_context")),
            _dep("upcoming_teams", _rows("nba_analytics.upcoming_team_game_context"), expected=_TEAM_GAMES),
            _dep("shot_zones", _rows("nba_precompute.player_shot_zone_analysis", _PRE), expected=_UPCOMING_PLAYERS),
            _dep("team_defense_zones", _rows("nba_precompute.team_defense_zone_analysis", _PRE), expected=_TEAM_GAMES),
        ),
        0,
        "Fatigue, zone mismatch, pace and usage adjustments",
        sql="transforms/player_composite_factors.sql",
    ),
    _transform(
        "player_daily_cache",
        Phase.PRECOMPUTE,
        (
            "nba_analytics.player_game_summary",
            "nba_analytics.team_offense_game_summary",
            "nba_analytics.upcoming_player_game_context",
            "nba_precompute.player_shot_zone_analysis",
        ),
        "nba_precompute.player_daily_cache",
        (
            _dep("player_game_history", _games("nba_analytics.player_game_summary"), history=True),
            _dep("team_offense_history", _rows(_TEAM_OFFENSE), expected=_TEAM_GAMES, history=True),
            _dep("upcoming_players", _games("nba_analytics.upcoming_player_game_context")),
            _dep("shot_zones", _rows("nba_precompute.player_shot_zone_analysis", _PRE), expected=_UPCOMING_PLAYERS),
        ),
        0,
        "Rolling points, minutes, usage and team pace per player",
        sql="transforms/player_daily_cache.sql",
    ),
    _transform(
        "ml_feature_store",
        Phase.PRECOMPUTE,
        (
            "nba_precompute.player_daily_cache",
            "nba_precompute.player_composite_factors",
            "nba_precompute.player_shot_zone_analysis",
            "nba_precompute.team_defense_zone_analysis",
            "nba_analytics.upcoming_player_game_context",
            "nba_analytics.player_game_summary",
            "nba_analytics.team_offense_game_summary",
            "nba_analytics.team_defense_game_summary",
        ),
        "nba_predictions.ml_feature_store_v2",
        (
            _dep("daily_cache", _rows("nba_precompute.player_daily_cache", _PRE), expected=_UPCOMING_PLAYERS),
            _dep(
                "composite_factors", _rows("nba_precompute.player_composite_factors", _PRE), expected=_UPCOMING_PLAYERS
            ),
            _dep("shot_zones", _rows("nba_precompute.player_shot_zone_analysis", _PRE), expected=_UPCOMING_PLAYERS),
            _dep("team_defense_zones", _rows("nba_precompute.team_defense_zone_analysis", _PRE), expected=_TEAM_GAMES),
        ),
        0,
        "The 25 features per player, with quality score and missing features",
        sql="transforms/ml_feature_store.sql",
    ),
)


def daily_processors() -> tuple[ProcessorSpec, ...]:
    """The processors of the daily pipeline, in phase order."""
    return (*SCRAPERS, *RAW, *ANALYTICS, *PRECOMPUTE)


def backfill_processors() -> tuple[ProcessorSpec, ...]:
    """The processors of one backfilled date, in the order they run: the schedule first, then
    phases 1 → 2 → 3 → 4 (each phase in its declared order; phase 4's is the documented one)."""
    ordered = daily_processors()
    schedule_chain = tuple(p for p in ordered if not p.calendar_guarded)
    return (*schedule_chain, *(p for p in ordered if p.calendar_guarded))


def processor(name: str) -> ProcessorSpec:
    for spec in daily_processors():
        if spec.name == name:
            return spec
    raise KeyError(f"unknown processor {name!r}")
