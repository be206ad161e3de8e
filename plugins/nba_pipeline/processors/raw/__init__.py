"""Phase 2 raw processors: the newest stored payload of a source → one ``nba_raw`` table.

Each ``process_<table>`` takes a :class:`~nba_pipeline.guards.spec.ProcessorContext` and returns
a :class:`~nba_pipeline.guards.spec.ProcessorResult`. No payload yet: ``ProcessorSkip`` with
``no_data``. A payload that fails validation is quarantined and raises
:class:`PayloadValidationError`; nothing is written. Writes are MERGEs on canonical keys (the
injury report and Odds API props append snapshots, deduplicated), so reruns change nothing.
"""

from __future__ import annotations

from nba_pipeline.guards.spec import ProcessorContext, ProcessorResult
from nba_pipeline.processors.raw.bdl import BDL_BOXSCORES
from nba_pipeline.processors.raw.common import PayloadValidationError, RawTable, run_raw
from nba_pipeline.processors.raw.espn import ESPN_ROSTERS
from nba_pipeline.processors.raw.nbac import GAMEBOOK, INJURY_REPORT, PLAY_BY_PLAY, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.processors.raw.odds import BETTINGPROS, GAME_LINES, ODDS_PROPS

#: processor name (= table name in nba_raw) → its declaration
RAW_TABLES: dict[str, RawTable] = {
    raw.table.split(".")[1]: raw
    for raw in (
        SCHEDULE,
        GAMEBOOK,
        TEAM_BOXSCORE,
        PLAY_BY_PLAY,
        INJURY_REPORT,
        BDL_BOXSCORES,
        ODDS_PROPS,
        GAME_LINES,
        BETTINGPROS,
        ESPN_ROSTERS,
    )
}


def process_nbac_schedule(ctx: ProcessorContext) -> ProcessorResult:
    """NBA.com schedule → ``nba_raw.nbac_schedule`` (every game of the document, MERGE on game_id)."""
    return run_raw(ctx, SCHEDULE)


def process_nbac_gamebook_player_stats(ctx: ProcessorContext) -> ProcessorResult:
    """NBA.com gamebook → ``nba_raw.nbac_gamebook_player_stats`` (MERGE on game_id, player_lookup)."""
    return run_raw(ctx, GAMEBOOK)


def process_nbac_team_boxscore(ctx: ProcessorContext) -> ProcessorResult:
    """NBA.com team box score → ``nba_raw.nbac_team_boxscore`` (MERGE on game_id, team_abbr)."""
    return run_raw(ctx, TEAM_BOXSCORE)


def process_nbac_play_by_play(ctx: ProcessorContext) -> ProcessorResult:
    """NBA.com shot zones → ``nba_raw.nbac_play_by_play`` (MERGE on game_id, player_lookup)."""
    return run_raw(ctx, PLAY_BY_PLAY)


def process_nbac_injury_report(ctx: ProcessorContext) -> ProcessorResult:
    """NBA.com injury report → ``nba_raw.nbac_injury_report`` (append per report time, deduplicated)."""
    return run_raw(ctx, INJURY_REPORT)


def process_bdl_player_boxscores(ctx: ProcessorContext) -> ProcessorResult:
    """balldontlie box scores → ``nba_raw.bdl_player_boxscores`` (MERGE on game_id, player_lookup)."""
    return run_raw(ctx, BDL_BOXSCORES)


def process_odds_api_player_points_props(ctx: ProcessorContext) -> ProcessorResult:
    """Odds API points props → ``nba_raw.odds_api_player_points_props`` (append per snapshot)."""
    return run_raw(ctx, ODDS_PROPS)


def process_odds_api_game_lines(ctx: ProcessorContext) -> ProcessorResult:
    """Odds API game lines → ``nba_raw.odds_api_game_lines`` (MERGE on game_id, bookmaker)."""
    return run_raw(ctx, GAME_LINES)


def process_bettingpros_player_points_props(ctx: ProcessorContext) -> ProcessorResult:
    """BettingPros props → ``nba_raw.bettingpros_player_points_props`` (MERGE on game, player, book)."""
    return run_raw(ctx, BETTINGPROS)


def process_espn_team_rosters(ctx: ProcessorContext) -> ProcessorResult:
    """ESPN rosters → ``nba_raw.espn_team_rosters`` (MERGE on roster_date, team_abbr, player_lookup)."""
    return run_raw(ctx, ESPN_ROSTERS)


__all__ = [
    "RAW_TABLES",
    "PayloadValidationError",
    "process_bdl_player_boxscores",
    "process_bettingpros_player_points_props",
    "process_espn_team_rosters",
    "process_nbac_gamebook_player_stats",
    "process_nbac_injury_report",
    "process_nbac_play_by_play",
    "process_nbac_schedule",
    "process_nbac_team_boxscore",
    "process_odds_api_game_lines",
    "process_odds_api_player_points_props",
]
