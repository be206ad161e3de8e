"""What the prediction systems take and give. Workers build :class:`PlayerInput` for a whole batch
in one query; each system predicts for the batch; the ensemble combines the systems that succeeded.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

SYSTEM_IDS: tuple[str, ...] = ("moving_average", "zone_matchup", "similarity_balanced_v1", "xgboost_v1", "ensemble_v1")
BASE_SYSTEM_IDS: tuple[str, ...] = SYSTEM_IDS[:-1]  # the ensemble combines these


class Recommendation(enum.StrEnum):
    OVER = "OVER"
    UNDER = "UNDER"
    PASS = "PASS"


@dataclass(frozen=True)
class PastGame:
    """One of the player's earlier games, as the similarity system compares them."""

    game_date: dt.date
    points: float
    minutes: float
    opponent_def_rating: float | None  # the opponent's defensive rating before that game (tiering)
    days_rest: int | None
    home_game: bool
    points_avg_last_5_before: float | None  # the player's form going into that game


@dataclass(frozen=True)
class PlayerInput:
    """Everything a system may use for one player on one game date.

    ``features`` holds the 25 feature-store values by name (``nba_pipeline.features.FEATURE_NAMES``);
    ``zone_matchup`` holds the player's point share per zone (``paint``, ``mid_range``, ``three``,
    ``free_throw``) and the opponent's allowed-vs-league gap per zone in percentage points
    (``opp_paint_vs_league``, ``opp_mid_range_vs_league``, ``opp_three_pt_vs_league``), None when unknown.
    """

    player_lookup: str
    game_id: str
    game_date: dt.date
    team_abbr: str
    opponent_team_abbr: str
    is_home: bool
    line: float
    line_source: str  # draftkings / fanduel / <book> / bettingpros / estimated
    line_estimated: bool
    features: Mapping[str, float]
    feature_quality_score: float
    missing_features: tuple[str, ...] = ()
    zone_matchup: Mapping[str, float | None] = field(default_factory=dict)
    history: tuple[PastGame, ...] = ()


@dataclass(frozen=True)
class SystemPrediction:
    system_id: str
    predicted_points: float
    confidence: float  # 0-100
    recommendation: Recommendation
    line: float

    @property
    def edge(self) -> float:
        return self.predicted_points - self.line


class SystemFailure(Exception):
    """A system could not predict for a player (or, raised from ``predict_batch``, for the batch)."""


class NotEnoughData(SystemFailure):
    """A system cannot predict for a player because the player's data does not allow it yet (e.g.
    fewer than five similar past games early in a season). The player goes without this system's
    prediction, but the system is not at fault: a batch in which no player had enough data gives
    its breaker no outcome, instead of a failure that would open it every autumn."""


class SystemSkip(Exception):
    """Raised from ``predict_batch``: the system cannot run for a reason that is no fault of its own
    (e.g. no trained model yet). The worker leaves it out of the batch; its breaker is not touched,
    since a skip is neither a success nor a failure.

    :param reason: a registered skip reason, e.g. ``no_model``.
    :param detail: what is missing and how to fix it.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = str(reason)
        self.detail = detail


class PredictionSystem(Protocol):
    system_id: str

    def predict_batch(self, players: Sequence[PlayerInput]) -> Mapping[str, SystemPrediction | SystemFailure]:
        """Predictions by player_lookup; a player's failure is returned, not raised. Raising means
        the whole system is unavailable for the batch (e.g. an unreadable model): its breaker counts
        it, unless what is raised is a :class:`SystemSkip` (e.g. no model trained yet)."""
        ...
