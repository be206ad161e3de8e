"""Why a processor or a player did not run: the typed values of every ``skip_reason`` column."""

from __future__ import annotations

import enum


class SkipReason(enum.StrEnum):
    NO_GAMES = "no_games"
    OFFSEASON = "offseason"
    HISTORICAL = "historical"
    IRRELEVANT_SOURCE = "irrelevant_source"
    CIRCUIT_OPEN = "circuit_open"
    UPSTREAM_INCOMPLETE = "upstream_incomplete"
    UPSTREAM_STALE = "upstream_stale"
    UPSTREAM_SKIPPED = "upstream_skipped"
    UPSTREAM_FAILED = "upstream_failed"
    NO_FEATURES = "no_features"
    LOW_FEATURE_QUALITY = "low_feature_quality"
    NOT_SELECTED = "not_selected"
    NO_DATA = "no_data"
    NO_MODEL = "no_model"  # a prediction system has no trained model to serve (phase 5, per system)
