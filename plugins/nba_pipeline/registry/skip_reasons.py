"""The pipeline's own skip reasons, beside the guards' generic ones."""

from __future__ import annotations

import enum

from nba_pipeline.guards.skip_reasons import register_skip_reasons


@register_skip_reasons
class LeagueSkipReason(enum.StrEnum):
    NO_GAMES = "no_games"  # the calendar's reason for a day without games
    NO_FEATURES = "no_features"  # a player has no feature row (phase 5)
    LOW_FEATURE_QUALITY = "low_feature_quality"  # a player's features are below the quality bar (phase 5)
    NO_MODEL = "no_model"  # a prediction system has no trained model to serve (phase 5, per system)
    UNRESOLVED_PLAYER = "unresolved_player"  # a raw row's player name fits no registry entry: the row is held
    AMBIGUOUS_PLAYER = "ambiguous_player"  # a raw row's player name fits two or more registry entries: held
