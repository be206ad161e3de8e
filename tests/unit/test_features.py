"""The feature contract and the pure formulas of phase 4 (plugins/nba_pipeline/features.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nba_pipeline import features as F

DOMAIN_ORDER = [
    "points_avg_last_5", "points_avg_last_10", "points_avg_season", "points_std_last_10",
    "games_in_last_7_days", "fatigue_score", "shot_zone_mismatch_score", "pace_score", "usage_spike_score",
    "rest_advantage", "injury_risk", "recent_trend", "minutes_change", "opponent_def_rating", "opponent_pace",
    "home_away", "back_to_back", "playoff_game", "pct_paint", "pct_mid_range", "pct_three", "pct_free_throw",
    "team_pace", "team_off_rating", "team_win_pct",
]  # fmt: skip


# --------------------------------------------------------------------------- contract


def test_feature_names_are_the_25_domain_features_in_order():
    assert list(F.FEATURE_NAMES) == DOMAIN_ORDER
    assert F.FEATURE_COUNT == 25 == len(set(F.FEATURE_NAMES))


def test_constants():
    assert F.FEATURE_VERSION == "v1_baseline_25"
    assert F.SOURCE_WEIGHTS == {"phase4": 100, "phase3": 75, "default": 40}
    assert F.QUALITY_THRESHOLD == 70


def test_every_feature_has_a_default_and_some_source():
    assert set(F.FEATURE_DEFAULTS) == set(F.FEATURE_NAMES)
    assert all(f.phase4 or f.phase3 for f in F.FEATURES)
    # zone share defaults form a split of all points
    assert sum(F.FEATURE_DEFAULTS[n] for n in ("pct_paint", "pct_mid_range", "pct_three", "pct_free_throw")) == (
        pytest.approx(1.0)
    )
    assert F.FEATURE_DEFAULTS["fatigue_score"] == 50.0  # neutral


def test_best_possible_quality_counts_context_features_as_phase3():
    # 17 features have a phase 4 value, 8 exist only in the game context: (17*100 + 8*75) / 25
    assert sum(1 for f in F.FEATURES if f.phase4) == 17
    assert F.MAX_QUALITY_SCORE == pytest.approx(92.0)


# --------------------------------------------------------------------------- fatigue


def test_fatigue_rested_three_days_light_week():
    # days_rest 4 = three full days off: 50 + 30 (rest) + 10 (120 minutes < 140)
    assert F.fatigue_score(4, 120.0) == 90.0


def test_fatigue_back_to_back_after_a_heavy_week_is_clamped_at_zero():
    # played yesterday (days_rest 1): 50 - 20 (rest) - 20 (250 > 245) - 15 (back-to-back) = -5 -> 0
    assert F.fatigue_score(1, 250.0, True) == 0.0
    assert F.fatigue_score(1, 250.0, False) == 0.0  # days_rest decides, not the team flag


@pytest.mark.parametrize(
    ("days_rest", "minutes", "back_to_back", "expected"),
    [
        (3, 150.0, False, 65.0),  # two days off +15, 150 minutes 0
        (2, 230.0, False, 40.0),  # one day off 0, 230 > 210 -10
        (2, 245.0, False, 40.0),  # 245 is not > 245: still -10
        (2, 246.0, False, 30.0),  # > 245: -20
        (2, 210.0, False, 50.0),  # 210 is not > 210
        (2, 140.0, False, 50.0),  # 140 is not < 140
        (2, 139.0, False, 60.0),
        (10, 100.0, False, 90.0),  # any 3+ days off: +30
        (1, 180.0, True, 15.0),  # back-to-back, normal week: 50 - 20 - 15
        (None, 0.0, False, 60.0),  # no previous game: rest neutral, 0 minutes +10
        (None, None, None, 50.0),
        (None, 180.0, True, 15.0),  # unknown days_rest: the team's back-to-back flag decides
    ],
)
def test_fatigue_tiers(days_rest, minutes, back_to_back, expected):
    assert F.fatigue_score(days_rest, minutes, back_to_back) == expected


@given(
    st.one_of(st.none(), st.integers(min_value=1, max_value=200)),
    st.one_of(st.none(), st.floats(min_value=0, max_value=400)),
    st.one_of(st.none(), st.booleans()),
)
def test_fatigue_stays_within_0_and_100(days_rest, minutes, back_to_back):
    assert 0.0 <= F.fatigue_score(days_rest, minutes, back_to_back) <= 100.0


# --------------------------------------------------------------------------- zones


def test_zone_extremes_and_ties():
    assert F.zone_extremes({"paint": 10.0, "mid_range": 0.0, "three": -5.0}) == ("three", "paint")
    assert F.zone_extremes({"paint": -5.0, "mid_range": 10.0, "three": 0.0}) == ("paint", "mid_range")
    assert F.zone_extremes({"paint": 0.0, "mid_range": 0.0, "three": 0.0}) == ("paint", "paint")
    assert F.zone_extremes({"paint": 1.0, "mid_range": None, "three": 0.0}) == (None, None)


def test_primary_scoring_zone():
    assert F.primary_scoring_zone({"paint": 0.52, "mid_range": 0.12, "three": 0.24, "free_throw": 0.12}) == "paint"
    assert F.primary_scoring_zone({"paint": 0.3, "mid_range": 0.1, "three": 0.3, "free_throw": 0.3}) == "paint"
    assert F.primary_scoring_zone({"paint": 0.2, "mid_range": 0.1, "three": 0.3, "free_throw": 0.4}) == "free_throw"
    assert F.primary_scoring_zone({"paint": None, "mid_range": 0.1, "three": 0.3, "free_throw": 0.4}) is None


@pytest.mark.parametrize(
    ("zone", "share", "gap", "weakest", "strongest", "expected"),
    [
        ("paint", 0.52, -5.0, "mid_range", "paint", -5.2),  # into the strongest zone: -(2 * 0.52 * 5)
        ("three", 0.6, 5.0, "three", "mid_range", 6.0),  # into the weakest zone: 2 * 0.6 * 5
        ("paint", 0.6, 10.0, "paint", "three", 10.0),  # 2 * 0.6 * 10 = 12 -> clamp 10
        ("mid_range", 0.6, -10.0, "three", "mid_range", -10.0),  # -12 -> clamp -10
        ("mid_range", 0.5, 3.0, "paint", "three", 0.0),  # neither the weakest nor the strongest
        ("free_throw", 0.4, None, "paint", "three", 0.0),  # free throws meet no zone defense
        ("paint", 0.6, 0.0, "paint", "paint", 0.0),  # a defense at the league everywhere
        (None, None, None, "paint", "three", None),  # no history
        ("paint", 0.5, None, None, None, None),  # opponent without zone figures
    ],
)
def test_shot_zone_mismatch(zone, share, gap, weakest, strongest, expected):
    result = F.shot_zone_mismatch_score(zone, share, gap, weakest, strongest)
    assert result == (None if expected is None else pytest.approx(expected))


# --------------------------------------------------------------------------- pace, usage, composite


def test_pace_score():
    assert F.pace_score(114.0, 106.0, 100.0) == 3.0  # (110 - 100) / 3 = 3.33 -> clamp 3
    assert F.pace_score(96.0, 100.0, 100.0) == pytest.approx(-2 / 3)  # (98 - 100) / 3
    assert F.pace_score(80.0, 80.0, 100.0) == -3.0
    assert F.pace_score(None, 100.0, 100.0) is None


def test_usage_spike_score():
    assert F.usage_spike_score(30.0, 27.0) == 1.5  # (30 - 27) / 2
    assert F.usage_spike_score(40.0, 20.0) == 3.0  # 10 -> clamp 3
    assert F.usage_spike_score(10.0, 20.0) == -3.0
    assert F.usage_spike_score(None, 20.0) is None


def test_total_composite_adjustment():
    assert F.total_composite_adjustment(90.0, -5.2, 3.0, 1.5) == pytest.approx(7.3)  # 8 - 5.2 + 3 + 1.5
    assert F.total_composite_adjustment(0.0, -4.0, 3.0, 0.0) == pytest.approx(-11.0)  # -10 - 4 + 3
    assert F.total_composite_adjustment(60.0, None, 3.0, None) == pytest.approx(5.0)  # missing parts count 0
    assert F.total_composite_adjustment(50.0, None, None, None) == 0.0


# --------------------------------------------------------------------------- feature store


def test_quality_score_of_mixed_sources():
    sources = ["phase4"] * 20 + ["phase3"] * 3 + ["default"] * 2
    assert F.feature_quality_score(sources) == pytest.approx(92.2)  # (2000 + 225 + 80) / 25
    assert F.feature_quality_score(["phase4"] * 25) == 100.0
    assert F.feature_quality_score(["default"] * 25) == 40.0
    # a player without history: 6 phase 4, 7 phase 3, 12 defaults: (600 + 525 + 480) / 25
    assert F.feature_quality_score(["phase4"] * 6 + ["phase3"] * 7 + ["default"] * 12) == pytest.approx(64.2)
    with pytest.raises(ValueError):
        F.feature_quality_score([])
    with pytest.raises(KeyError):
        F.feature_quality_score(["calculated"])


def test_pick_feature_and_missing_features():
    assert F.pick_feature("points_avg_last_5", 30.0, 29.0) == (30.0, "phase4")
    assert F.pick_feature("points_avg_last_5", None, 29.0) == (29.0, "phase3")
    assert F.pick_feature("points_avg_last_5", None, None) == (10.0, "default")
    assert F.pick_feature("home_away", None, 0.0) == (0.0, "phase3")  # a zero is a value, not a gap
    names = ["a", "b", "c"]
    assert F.missing_features(names, ["phase4", "default", "default"]) == ["b", "c"]
    assert F.missing_features(names, ["phase4", "phase3", "phase4"]) == []
    with pytest.raises(ValueError):
        F.missing_features(names, ["phase4"])


def test_injury_risk():
    assert [F.injury_risk(s) for s in ("available", "Probable", "questionable", "doubtful", "OUT")] == [
        0.0,
        0.0,
        1.0,
        2.0,
        3.0,
    ]
    assert F.injury_risk(None) is None and F.injury_risk("unknown") is None


def test_completeness():
    assert F.completeness_percentage(10, 10) == 100.0
    assert F.completeness_percentage(15, 12) == 80.0
    assert F.completeness_percentage(10, 5) == 50.0
    assert F.completeness_percentage(10, 0) == 0.0
    assert F.completeness_percentage(0, 3) == 100.0  # the schedule expected nothing
    assert F.completeness_percentage(10, 12) == 100.0
    assert F.is_production_ready(90.0) and not F.is_production_ready(89.99)


def test_as_mapping():
    vector = [float(i) for i in range(25)]
    assert F.as_mapping(vector)["team_win_pct"] == 24.0
    with pytest.raises(ValueError):
        F.as_mapping(vector[:24])
