"""Names of everything that has a circuit breaker, and their settings.

Processor keys are the original system's processor names; phase 5 keys are prediction systems.
The processors' full declarations (inputs, outputs, dependencies) build on these names.
"""

from __future__ import annotations

from nba_pipeline.guards.breaker import BreakerSettings

RAW_PROCESSORS = (
    "nbac_schedule",
    "nbac_gamebook_player_stats",
    "nbac_team_boxscore",
    "nbac_play_by_play",
    "nbac_injury_report",
    "bdl_player_boxscores",
    "odds_api_player_points_props",
    "odds_api_game_lines",
    "bettingpros_player_points_props",
    "espn_team_rosters",
)
ANALYTICS_PROCESSORS = (
    "player_game_summary",
    "team_offense_game_summary",
    "team_defense_game_summary",
    "upcoming_player_game_context",
    "upcoming_team_game_context",
)
PRECOMPUTE_PROCESSORS = (
    "team_defense_zone_analysis",
    "player_shot_zone_analysis",
    "player_composite_factors",
    "player_daily_cache",
    "ml_feature_store",
)
PREDICTION_SYSTEMS = ("moving_average", "zone_matchup", "similarity_balanced_v1", "xgboost_v1", "ensemble_v1")

DEFAULT_BREAKER = BreakerSettings(threshold=5, timeout_seconds=1800, half_open_max_calls=1)
#: per-key settings that differ from the default
BREAKER_OVERRIDES: dict[str, BreakerSettings] = {
    # the model-backed system fails fast and waits longer: a missing model does not fix itself in minutes
    "xgboost_v1": BreakerSettings(threshold=3, timeout_seconds=3600, half_open_max_calls=1),
}


def breaker_settings() -> dict[str, BreakerSettings]:
    """Every breaker key with its settings, in a stable order."""
    keys = (*RAW_PROCESSORS, *ANALYTICS_PROCESSORS, *PRECOMPUTE_PROCESSORS, *PREDICTION_SYSTEMS)
    return {key: BREAKER_OVERRIDES.get(key, DEFAULT_BREAKER) for key in keys}


class UnknownBreakerError(KeyError):
    def __str__(self) -> str:
        return f"unknown breaker {self.args[0]!r}; known: {', '.join(breaker_settings())}"


def settings_for(key: str) -> BreakerSettings:
    try:
        return breaker_settings()[key]
    except KeyError:
        raise UnknownBreakerError(key) from None
