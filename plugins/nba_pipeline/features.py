"""The feature contract of ``nba_predictions.ml_feature_store_v2`` (version ``v1_baseline_25``).

The phase 4 SQL (``include/sql/transforms/*.sql``) computes these figures in the warehouse; the small
pure functions here state the same formulas in Python, for tests and for the prediction systems that
reason about a feature vector. A change to a formula changes both places (the tests compare them).

Conventions used throughout:

* ``days_rest`` is UPGC's: days since the player's previous game, so ``1`` means he played yesterday
  (a back-to-back, "0 days of rest"); the days of rest are ``days_rest - 1``.
* Zones are ``paint``, ``mid_range``, ``three`` (and ``free_throw`` for point shares). Shares are
  fractions (0-1); a team's gap to the league in a zone is in percentage points.
* Usage rates are percentages (player_game_summary's ``usage_rate``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

FEATURE_VERSION = "v1_baseline_25"

#: weight of a feature by where its value came from
SOURCE_WEIGHTS: dict[str, int] = {"phase4": 100, "phase3": 75, "default": 40}

#: phase 5 skips a player whose feature_quality_score is below this (skip reason low_feature_quality)
QUALITY_THRESHOLD = 70

#: completeness at or above this share of the expected games makes a row production-ready
PRODUCTION_READY_PCT = 90.0

ZONES = ("paint", "mid_range", "three")
SCORING_ZONES = (*ZONES, "free_throw")


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its position, where its value comes from, and the default when nothing does.

    ``phase4`` / ``phase3`` name the source (None: the feature has no value from that phase).
    """

    name: str
    phase4: str | None
    phase3: str | None
    default: float


#: the 25 features, in vector order
FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("points_avg_last_5", "player_daily_cache", "upcoming_player_game_context", 10.0),
    FeatureSpec("points_avg_last_10", "player_daily_cache", "upcoming_player_game_context", 10.0),
    FeatureSpec("points_avg_season", "player_daily_cache", "player_game_summary", 10.0),
    FeatureSpec("points_std_last_10", "player_daily_cache", "player_game_summary", 5.0),
    FeatureSpec("games_in_last_7_days", None, "upcoming_player_game_context", 3.0),
    FeatureSpec("fatigue_score", "player_composite_factors", None, 50.0),
    FeatureSpec("shot_zone_mismatch_score", "player_composite_factors", None, 0.0),
    FeatureSpec("pace_score", "player_composite_factors", None, 0.0),
    FeatureSpec("usage_spike_score", "player_composite_factors", None, 0.0),
    FeatureSpec("rest_advantage", None, "upcoming_team_game_context", 0.0),
    FeatureSpec("injury_risk", None, "upcoming_player_game_context", 0.0),
    FeatureSpec("recent_trend", "player_daily_cache", "upcoming_player_game_context", 0.0),
    FeatureSpec("minutes_change", None, "upcoming_player_game_context + player_game_summary", 0.0),
    FeatureSpec("opponent_def_rating", "team_defense_zone_analysis", "team_defense_game_summary", 112.0),
    FeatureSpec("opponent_pace", "team_defense_zone_analysis", "team_defense_game_summary", 100.0),
    FeatureSpec("home_away", None, "upcoming_player_game_context", 0.0),
    FeatureSpec("back_to_back", None, "upcoming_player_game_context", 0.0),
    FeatureSpec("playoff_game", None, "nbac_schedule", 0.0),
    FeatureSpec("pct_paint", "player_shot_zone_analysis", None, 0.35),
    FeatureSpec("pct_mid_range", "player_shot_zone_analysis", None, 0.10),
    FeatureSpec("pct_three", "player_shot_zone_analysis", None, 0.35),
    FeatureSpec("pct_free_throw", "player_shot_zone_analysis", None, 0.20),
    FeatureSpec("team_pace", "player_daily_cache", "team_offense_game_summary", 100.0),
    FeatureSpec("team_off_rating", "player_daily_cache", "team_offense_game_summary", 112.0),
    FeatureSpec("team_win_pct", None, "team_offense_game_summary", 0.5),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
FEATURE_COUNT = len(FEATURE_NAMES)
FEATURE_DEFAULTS: dict[str, float] = {f.name: f.default for f in FEATURES}

#: the best score a player can get: features without a phase 4 value count at most as phase 3
MAX_QUALITY_SCORE = (
    sum(SOURCE_WEIGHTS["phase4"] if f.phase4 else SOURCE_WEIGHTS["phase3"] for f in FEATURES) / FEATURE_COUNT
)

# --------------------------------------------------------------------------- composite factors

FATIGUE_BASE = 50.0
BACK_TO_BACK_PENALTY = -15.0  # on top of the -20 rest tier of a back-to-back
MISMATCH_SCALE = 2.0  # points of mismatch per (share x percentage point)
MISMATCH_LIMIT = 10.0
PACE_DIVISOR = 3.0
PACE_LIMIT = 3.0
USAGE_DIVISOR = 2.0
USAGE_LIMIT = 3.0

#: injury status (lower case) -> injury_risk feature
INJURY_RISK: dict[str, float] = {"available": 0.0, "probable": 0.0, "questionable": 1.0, "doubtful": 2.0, "out": 3.0}


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def played_yesterday(days_rest: int | None, back_to_back: bool | None = None) -> bool:
    """A back-to-back for the player: days_rest <= 1; the team flag decides only when days_rest is unknown."""
    if days_rest is not None:
        return days_rest <= 1
    return bool(back_to_back)


def rest_points(days_rest: int | None, back_to_back: bool | None = None) -> float:
    """The rest tier of the fatigue score: 3+ days off +30, 2 days off +15, 1 day off 0, back-to-back -20."""
    if played_yesterday(days_rest, back_to_back):
        return -20.0
    if days_rest is None:
        return 0.0
    days_off = days_rest - 1
    if days_off >= 3:
        return 30.0
    if days_off == 2:
        return 15.0
    return 0.0


def minutes_points(minutes_last_7_days: float | None) -> float:
    """The workload tier: > 245 minutes in 7 days -20, > 210 -10, < 140 +10."""
    if minutes_last_7_days is None:
        return 0.0
    if minutes_last_7_days > 245:
        return -20.0
    if minutes_last_7_days > 210:
        return -10.0
    if minutes_last_7_days < 140:
        return 10.0
    return 0.0


def fatigue_score(days_rest: int | None, minutes_last_7_days: float | None, back_to_back: bool | None = None) -> float:
    """0-100, 50 neutral, higher = fresher. ``days_rest`` as in UPGC (1 = played yesterday)."""
    penalty = BACK_TO_BACK_PENALTY if played_yesterday(days_rest, back_to_back) else 0.0
    raw = FATIGUE_BASE + rest_points(days_rest, back_to_back) + minutes_points(minutes_last_7_days) + penalty
    return clamp(raw, 0.0, 100.0)


def zone_extremes(gaps: Mapping[str, float | None]) -> tuple[str | None, str | None]:
    """(strongest, weakest) zone of a defense from its gaps to the league (percentage points).

    Strongest = lowest gap, weakest = highest; ties go to the first of paint, mid_range, three.
    """
    values = [gaps.get(z) for z in ZONES]
    if any(v is None for v in values):
        return None, None
    strongest = min(ZONES, key=lambda z: (gaps[z], ZONES.index(z)))
    weakest = max(ZONES, key=lambda z: (gaps[z], -ZONES.index(z)))
    return strongest, weakest


def primary_scoring_zone(shares: Mapping[str, float | None]) -> str | None:
    """The zone with the largest share of points; ties go to paint, mid_range, three, free_throw."""
    if any(shares.get(z) is None for z in SCORING_ZONES):
        return None
    return max(SCORING_ZONES, key=lambda z: (shares[z], -SCORING_ZONES.index(z)))


def shot_zone_mismatch_score(
    primary_zone: str | None,
    zone_share: float | None,
    zone_gap: float | None,
    weakest_zone: str | None,
    strongest_zone: str | None,
) -> float | None:
    """-10..+10: the player's primary zone against the opponent's zone defense.

    +min(10, 2 * share * |gap|) when the primary zone is the opponent's weakest, the negative of it when
    it is the strongest, 0 for any other zone or for free throws; None without the inputs.
    """
    if primary_zone is None or weakest_zone is None:
        return None
    if primary_zone == "free_throw":
        return 0.0
    if zone_share is None or zone_gap is None:
        return None
    magnitude = min(MISMATCH_LIMIT, MISMATCH_SCALE * zone_share * abs(zone_gap))
    if primary_zone == weakest_zone:
        return magnitude
    if primary_zone == strongest_zone:
        return -magnitude
    return 0.0


def pace_score(team_pace: float | None, opponent_pace: float | None, league_pace: float | None) -> float | None:
    """-3..+3 = clamp((mean of both teams' last-10 pace - league pace) / 3)."""
    if team_pace is None or opponent_pace is None or league_pace is None:
        return None
    expected = (team_pace + opponent_pace) / 2
    return clamp((expected - league_pace) / PACE_DIVISOR, -PACE_LIMIT, PACE_LIMIT)


def usage_spike_score(usage_last_5: float | None, usage_last_20: float | None) -> float | None:
    """-3..+3 = clamp((mean usage of the last 5 games - mean usage of the last 20) / 2)."""
    if usage_last_5 is None or usage_last_20 is None:
        return None
    return clamp((usage_last_5 - usage_last_20) / USAGE_DIVISOR, -USAGE_LIMIT, USAGE_LIMIT)


def total_composite_adjustment(
    fatigue: float, mismatch: float | None, pace: float | None, usage: float | None
) -> float:
    """(fatigue - 50) / 5 + mismatch + pace + usage; a missing part counts as 0."""
    return (fatigue - FATIGUE_BASE) / 5 + (mismatch or 0.0) + (pace or 0.0) + (usage or 0.0)


# --------------------------------------------------------------------------- feature store


def injury_risk(player_status: str | None) -> float | None:
    return None if player_status is None else INJURY_RISK.get(player_status.lower())


def pick_feature(name: str, phase4: float | None, phase3: float | None) -> tuple[float, str]:
    """(value, source) of one feature: phase 4 when present, else phase 3, else the default."""
    if phase4 is not None:
        return float(phase4), "phase4"
    if phase3 is not None:
        return float(phase3), "phase3"
    return FEATURE_DEFAULTS[name], "default"


def feature_quality_score(sources: Iterable[str]) -> float:
    """Mean of the per-feature source weights (0-100)."""
    weights = [SOURCE_WEIGHTS[s] for s in sources]
    if not weights:
        raise ValueError("no feature sources")
    return sum(weights) / len(weights)


def missing_features(names: Sequence[str], sources: Sequence[str]) -> list[str]:
    """The features that took their default value, in vector order."""
    if len(names) != len(sources):
        raise ValueError("names and sources differ in length")
    return [n for n, s in zip(names, sources, strict=True) if s == "default"]


def completeness_percentage(expected: int, actual: int) -> float:
    """100 * actual / expected, capped at 100; 0 without any game; 100 when the schedule expects none."""
    if actual <= 0:
        return 0.0
    if expected <= 0:
        return 100.0
    return round(100 * min(actual, expected) / expected, 2)


def is_production_ready(completeness_pct: float) -> bool:
    return completeness_pct >= PRODUCTION_READY_PCT


def as_mapping(features: Sequence[float]) -> dict[str, float]:
    """A stored feature vector as name -> value (checks the length)."""
    if len(features) != FEATURE_COUNT:
        raise ValueError(f"expected {FEATURE_COUNT} features, got {len(features)}")
    return dict(zip(FEATURE_NAMES, features, strict=True))
