"""Simulated NBA league: the seeded, deterministic local stand-in for the real data sources.

No machine here reaches NBA.com, balldontlie, The Odds API, BettingPros or ESPN, so the local
run reads this simulation instead. It invents rosters for the 30 real franchises, plays the
2024-25 calendar (regular season, a simplified playoff bracket, then the 2025-26 opener) and
renders payloads in the shapes of the real endpoints; ``docs/payloads.md`` documents every
shape. Nothing in a payload says "simulated": the payloads must look like the real thing so
that the raw processors written against them work unchanged on real data.

Every random draw comes from a stream keyed by a SHA-256 of the seed and of what is drawn (a
game id, a player, a date), never from Python's ``hash()`` or from call order, so a date's
payload is byte-identical whatever else was generated before it, in any process.

The model: ``calendar`` (the season's dates), ``rosters`` (franchises, players, minutes),
``injuries``, ``schedule`` and ``playoffs``, ``games`` (box scores) and ``books`` (lines), drawing
from ``draws`` and the tables in ``data``. What it serves: ``payloads`` (source names, canonical
JSON), ``imperfections`` (injectable faults) and one renderer module per endpoint family
(``nbacom``, ``balldontlie``, ``odds_api``, ``bettingpros``, ``espn``). ``league`` ties them
together in :class:`SimulatedLeague`.

This package's namespace is the simulation's public interface; callers import from here, not
from the modules, which are free to move things between them.
"""

from nba_pipeline.sources.simulation.books import BOOKS, GameLine, PropLine, Sportsbook
from nba_pipeline.sources.simulation.calendar import (
    ALL_STAR_BREAK,
    ET,
    NEXT_SEASON_OPENER,
    OFF_DAYS,
    PLAYOFFS_START,
    REGULAR_SEASON_END,
    SEASON_OPENER,
)
from nba_pipeline.sources.simulation.games import PlayerLine, SimulatedBoxScore
from nba_pipeline.sources.simulation.imperfections import (
    DUPLICATE_ROWS,
    GAME_POSTPONED,
    IMPERFECTIONS,
    LATE_BOXSCORES,
    MIXED_GAME_ID,
    PLAYER_MISSING_FROM_BOOK,
)
from nba_pipeline.sources.simulation.injuries import InjuryReportEntry
from nba_pipeline.sources.simulation.league import SimulatedLeague
from nba_pipeline.sources.simulation.payloads import BOX_SCORE_SOURCES, SOURCES
from nba_pipeline.sources.simulation.rosters import (
    TEAM_CODES,
    TEAM_INFO,
    TEAMS,
    ScoringProfile,
    SimulatedPlayer,
    TeamInfo,
    player_lookup_from_name,
)
from nba_pipeline.sources.simulation.schedule import SimulatedGame, canonical_game_id

__all__ = [
    "ALL_STAR_BREAK",
    "BOOKS",
    "BOX_SCORE_SOURCES",
    "DUPLICATE_ROWS",
    "ET",
    "GAME_POSTPONED",
    "IMPERFECTIONS",
    "LATE_BOXSCORES",
    "MIXED_GAME_ID",
    "NEXT_SEASON_OPENER",
    "OFF_DAYS",
    "PLAYER_MISSING_FROM_BOOK",
    "PLAYOFFS_START",
    "REGULAR_SEASON_END",
    "SEASON_OPENER",
    "SOURCES",
    "TEAMS",
    "TEAM_CODES",
    "TEAM_INFO",
    "GameLine",
    "InjuryReportEntry",
    "PlayerLine",
    "PropLine",
    "ScoringProfile",
    "SimulatedBoxScore",
    "SimulatedGame",
    "SimulatedLeague",
    "SimulatedPlayer",
    "Sportsbook",
    "TeamInfo",
    "canonical_game_id",
    "player_lookup_from_name",
]
