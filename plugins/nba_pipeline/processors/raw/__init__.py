"""Phase 2 raw processors: the newest stored payload of a source → one ``nba_raw`` table.

Each processor is a :class:`RawTable` declared beside its parser (``nbac``, ``nbac_boxscores``,
``nbac_play_by_play``, ``nbac_players``, ``bdl``, ``odds``, ``bettingpros``, ``espn``) and named by
its registry entry, which calls it with a :class:`~nba_pipeline.guards.spec.ProcessorContext`.
No payload yet: ``ProcessorSkip`` with ``no_data``. A payload that fails validation is quarantined
and raises :class:`PayloadValidationError`; nothing is written. Writes are MERGEs on canonical keys
(the injury report and Odds API props append snapshots, deduplicated), so reruns change nothing.
"""

from __future__ import annotations

from nba_pipeline.processors.raw.bdl import BDL_BOXSCORES
from nba_pipeline.processors.raw.bettingpros import BETTINGPROS
from nba_pipeline.processors.raw.common import PayloadValidationError, RawTable, run_raw
from nba_pipeline.processors.raw.espn import ESPN_ROSTERS
from nba_pipeline.processors.raw.nbac import INJURY_REPORT, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.processors.raw.nbac_boxscores import GAMEBOOK
from nba_pipeline.processors.raw.nbac_play_by_play import PLAY_BY_PLAY
from nba_pipeline.processors.raw.nbac_players import PLAYER_LIST
from nba_pipeline.processors.raw.odds import GAME_LINES, ODDS_PROPS

__all__ = [
    "BDL_BOXSCORES",
    "BETTINGPROS",
    "ESPN_ROSTERS",
    "GAMEBOOK",
    "GAME_LINES",
    "INJURY_REPORT",
    "ODDS_PROPS",
    "PLAYER_LIST",
    "PLAY_BY_PLAY",
    "SCHEDULE",
    "TEAM_BOXSCORE",
    "PayloadValidationError",
    "RawTable",
    "run_raw",
]
