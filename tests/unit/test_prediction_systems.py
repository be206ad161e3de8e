"""The five prediction systems on hand-computed cases, and their speed on a large batch."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

import numpy as np
import pytest
from pytest import approx

from nba_pipeline.features import FEATURE_DEFAULTS, FEATURE_NAMES
from nba_pipeline.predictions.contract import (
    SYSTEM_IDS,
    PastGame,
    PlayerInput,
    Recommendation,
    SystemFailure,
    SystemPrediction,
    SystemSkip,
)
from nba_pipeline.predictions.systems import (
    EnsembleSystem,
    MovingAverageSystem,
    SimilaritySystem,
    XGBoostSystem,
    ZoneMatchupSystem,
    build_systems,
    ensemble,
    feature_matrix,
)

DAY = dt.date(2025, 1, 15)
OVER, UNDER, PASS = Recommendation.OVER, Recommendation.UNDER, Recommendation.PASS


def make_player(
    lookup: str = "player_one",
    *,
    line: float = 20.0,
    is_home: bool = True,
    history: Sequence[PastGame] = (),
    zone: dict[str, float | None] | None = None,
    missing: Sequence[str] = (),
    **features: float,
) -> PlayerInput:
    """A player whose features are the defaults except those given."""
    unknown = set(features) - set(FEATURE_NAMES)
    assert not unknown, unknown
    return PlayerInput(
        player_lookup=lookup, game_id="20250115_BOS_NYK", game_date=DAY, team_abbr="NYK",
        opponent_team_abbr="BOS", is_home=is_home, line=line, line_source="draftkings", line_estimated=False,
        features={**FEATURE_DEFAULTS, **features}, feature_quality_score=92.0, missing_features=tuple(missing),
        zone_matchup=zone or {}, history=tuple(history),
    )


def one(system, player: PlayerInput) -> SystemPrediction | SystemFailure:
    return system.predict_batch([player])[player.player_lookup]


def prediction(system_id: str, points: float, confidence: float, line: float = 20.0) -> SystemPrediction:
    return SystemPrediction(system_id, points, confidence, PASS, line)


# --------------------------------------------------------------------------- features


def test_feature_matrix_follows_the_feature_order_and_fills_defaults():
    p = make_player(points_avg_last_5=31.0, team_win_pct=0.75)
    q = PlayerInput(**{**p.__dict__, "features": {"points_avg_season": 12.0, "pace_score": None}})
    x = feature_matrix([p, q])
    assert x.shape == (2, 25)
    assert x[0, 0] == 31.0 and x[0, 24] == 0.75
    assert x[1, FEATURE_NAMES.index("points_avg_season")] == 12.0
    assert x[1, FEATURE_NAMES.index("pace_score")] == FEATURE_DEFAULTS["pace_score"]
    assert x[1, FEATURE_NAMES.index("opponent_def_rating")] == 112.0


# --------------------------------------------------------------------------- moving_average


def test_moving_average_base_is_weighted_toward_the_last_games():
    # base 0.5*20 + 0.3*18 + 0.2*16 = 18.6; neutral adjustments except home +0.5 -> 19.1
    p = make_player(line=15.0, points_avg_last_5=20.0, points_avg_last_10=18.0, points_avg_season=16.0)
    result = one(MovingAverageSystem(), p)
    assert result.predicted_points == approx(19.1)
    assert result.edge == approx(4.1)
    assert result.recommendation is OVER
    assert result.confidence == approx(50 + 6 * 4.1)  # std 5 (default): no consistency term


def test_moving_average_adjustments():
    # fatigue 80 -> +3, mismatch 5 -> +1, back-to-back -1.5, pace +2, away -0.5, usage 3 -> +1.5: +5.5
    p = make_player(
        line=25.0, is_home=False, points_avg_last_5=20.0, points_avg_last_10=18.0, points_avg_season=16.0,
        fatigue_score=80.0, shot_zone_mismatch_score=5.0, back_to_back=1.0, pace_score=2.0,
        usage_spike_score=3.0, points_std_last_10=8.0,
    )
    result = one(MovingAverageSystem(), p)
    assert result.predicted_points == approx(24.1)
    assert result.recommendation is PASS  # edge -0.9
    assert result.confidence == approx(50 + 6 * 0.9 - 2 * (8 - 5))


@pytest.mark.parametrize(
    ("line", "expected"),
    [(18.5, PASS), (22.5, PASS), (18.49, OVER), (22.51, UNDER), (20.5, PASS)],
)
def test_moving_average_passes_unless_the_edge_exceeds_two_points(line, expected):
    # every average 20, home: 20.5
    p = make_player(line=line, points_avg_last_5=20.0, points_avg_last_10=20.0, points_avg_season=20.0)
    result = one(MovingAverageSystem(), p)
    assert result.predicted_points == approx(20.5)
    assert result.recommendation is expected


def test_moving_average_never_predicts_negative_points():
    p = make_player(line=0.5, is_home=False, points_avg_last_5=0.0, points_avg_last_10=0.0, points_avg_season=0.0,
                    fatigue_score=0.0)
    assert one(MovingAverageSystem(), p).predicted_points == 0.0


# --------------------------------------------------------------------------- zone_matchup

ZONES = {"paint": 0.5, "mid_range": 0.1, "three": 0.3, "free_throw": 0.1,
         "opp_paint_vs_league": 4.0, "opp_mid_range_vs_league": -2.0, "opp_three_pt_vs_league": None}


def test_zone_matchup_adjusts_the_season_average_zone_by_zone():
    # paint 0.5 * 0.04 * 20 * 2 = 0.8; mid-range 0.1 * -0.02 * 20 * 2 = -0.08; three unknown: 0
    p = make_player(line=18.5, points_avg_season=20.0, zone=ZONES)
    result = one(ZoneMatchupSystem(), p)
    assert result.predicted_points == approx(20.72)
    assert result.recommendation is OVER  # edge 2.22
    assert result.confidence == approx(round((40 + 5 * 2.22 + 3 * 0.72) * 2 / 3, 1))


def test_zone_matchup_falls_back_to_the_feature_shares():
    # no shares given: pct_paint 0.6 from the features; only the paint gap is known
    p = make_player(line=30.0, points_avg_season=25.0, pct_paint=0.6,
                    zone={"opp_paint_vs_league": -5.0})
    result = one(ZoneMatchupSystem(), p)
    assert result.predicted_points == approx(25.0 - 0.6 * 0.05 * 25.0 * 2)  # 23.5
    assert result.recommendation is UNDER


def test_zone_matchup_fails_without_zone_defense_or_season_average():
    system = ZoneMatchupSystem()
    no_defense = make_player("a", points_avg_season=20.0, zone={"paint": 0.5})
    no_average = make_player("b", zone=ZONES, missing=["points_avg_season"])
    fine = make_player("c", points_avg_season=20.0, zone=ZONES)
    results = system.predict_batch([no_defense, no_average, fine])
    assert isinstance(results["a"], SystemFailure) and "BOS" in str(results["a"])
    assert isinstance(results["b"], SystemFailure)
    assert isinstance(results["c"], SystemPrediction)


# --------------------------------------------------------------------------- similarity_balanced_v1

LAST_GAME = DAY - dt.timedelta(days=2)  # tonight: one day off (days_rest 2)


def past(days_ago: int, points: float, *, rating: float = 108.0, rest: int = 2, home: bool = True,
         form: float = 20.0) -> PastGame:
    return PastGame(game_date=LAST_GAME - dt.timedelta(days=days_ago), points=points, minutes=30.0,
                    opponent_def_rating=rating, days_rest=rest, home_game=home, points_avg_last_5_before=form)


def tonight(history: Sequence[PastGame], line: float = 10.0) -> PlayerInput:
    """Tonight: a strong defense (108, tier 0), at home, form 20, one day off."""
    return make_player(line=line, opponent_def_rating=108.0, points_avg_last_5=20.0, history=history)


DISSIMILAR = [past(30 + i, 50.0, rating=120.0, home=False) for i in range(10)]  # 100 - 40 - 15 = 45


def test_similarity_averages_the_similar_games_and_needs_five():
    four = [past(i, 12.0) for i in range(4)]
    result = one(SimilaritySystem(), tonight(four + DISSIMILAR))
    assert isinstance(result, SystemFailure) and "4 similar" in str(result)

    five = [past(i, p) for i, p in enumerate([10.0, 12.0, 14.0, 16.0, 18.0])]
    result = one(SimilaritySystem(), tonight(five + DISSIMILAR))
    assert result.predicted_points == approx(14.0)
    assert result.recommendation is OVER  # edge 4
    std = np.std([10, 12, 14, 16, 18], ddof=1)
    assert result.confidence == approx(round(30 + 2 * 5 + 5 * 4 - 1.5 * std, 1))


def test_similarity_score_threshold_on_hand_computed_games():
    # tier one apart (-20), away (-15), form 21 vs 20 (-1.5): 63.5, similar
    close = [past(i, 30.0, rating=112.0, home=False, form=21.0) for i in range(5)]
    # tier one apart (-20), rest differs (-15), form 26 vs 20 (-9): 56, not similar
    far = [past(10 + i, 0.0, rating=112.0, rest=4, form=26.0) for i in range(5)]
    result = one(SimilaritySystem(), tonight([past(0, 30.0), *close[1:], *far]))
    assert result.predicted_points == approx(30.0)
    result = one(SimilaritySystem(), tonight([past(0, 30.0), *far[:3]]))
    assert isinstance(result, SystemFailure)


def test_similarity_uses_at_most_the_best_twenty():
    best = [past(i, 30.0) for i in range(20)]  # score 100
    next_best = [past(20 + i, 0.0, home=False) for i in range(5)]  # score 85
    assert one(SimilaritySystem(), tonight(best + next_best)).predicted_points == approx(30.0)
    # equal scores: the most recent twenty
    recent = [past(i, 10.0) for i in range(20)]
    older = [past(40 + i, 40.0) for i in range(5)]
    result = one(SimilaritySystem(), tonight(older + recent))
    assert result.predicted_points == approx(10.0)
    assert result.confidence == approx(30 + 40 + 0 - 0)  # 20 games, edge 0, no spread


def test_similarity_ignores_games_on_or_after_the_date_and_unplayed_games():
    five = [past(i, 20.0) for i in range(5)]
    future = PastGame(DAY, 99.0, 30.0, 108.0, 2, True, 20.0)
    dnp = PastGame(LAST_GAME - dt.timedelta(days=9), 0.0, 0.0, 108.0, 2, True, 20.0)
    result = one(SimilaritySystem(), tonight([*five, future, dnp]))
    assert result.predicted_points == approx(20.0)


# --------------------------------------------------------------------------- xgboost_v1


class FakeModel:
    version = "20250101T000000Z"
    metrics = {"model_mae": 4.0, "beats_baseline": True}

    def predict(self, x: np.ndarray) -> np.ndarray:
        assert x.shape[1] == 25
        return x[:, FEATURE_NAMES.index("points_avg_last_5")] + x[:, FEATURE_NAMES.index("home_away")]


def test_xgboost_uses_the_loaded_model_once_per_batch():
    calls = []

    def loader():
        calls.append(1)
        return FakeModel()

    players = [make_player("a", line=18.0, points_avg_last_5=19.0, home_away=1.0),
               make_player("b", line=30.0, points_avg_last_5=25.0)]
    results = XGBoostSystem(loader).predict_batch(players)
    assert len(calls) == 1
    assert results["a"].predicted_points == 20.0 and results["a"].recommendation is PASS
    assert results["a"].confidence == approx(45 + 25 * 2 / 4)
    assert results["b"].predicted_points == 25.0 and results["b"].recommendation is UNDER
    assert XGBoostSystem(loader).predict_batch([]) == {}


@pytest.mark.parametrize("error", [SystemFailure("damaged xgboost_v1 model"), FileNotFoundError("model.json")])
def test_xgboost_whose_model_cannot_load_fails_the_whole_batch(error):
    def loader():
        raise error

    with pytest.raises(SystemFailure):
        XGBoostSystem(loader).predict_batch([make_player()])


def test_xgboost_with_no_model_trained_yet_skips_the_batch():
    def loader():
        raise SystemSkip("no_model", "no model version stored yet")

    with pytest.raises(SystemSkip, match="no_model"):
        XGBoostSystem(loader).predict_batch([make_player()])


def test_xgboost_rejects_a_model_giving_nonsense():
    class Broken(FakeModel):
        def predict(self, x):
            return np.full(x.shape[0], np.nan)

    with pytest.raises(SystemFailure):
        XGBoostSystem(Broken).predict_batch([make_player()])


# --------------------------------------------------------------------------- ensemble_v1


def test_ensemble_is_confidence_weighted_and_pays_no_bonus_on_disagreement():
    # (20 * 80 + 26 * 40) / 120 = 22.0; one under, one over: no bonus; confidence mean 60
    result = ensemble([prediction("moving_average", 20.0, 80.0), prediction("zone_matchup", 26.0, 40.0)], 22.0)
    assert result.predicted_points == approx(22.0)
    assert result.confidence == approx(60.0)
    assert result.recommendation is PASS
    assert result.system_id == "ensemble_v1"


def test_ensemble_with_learned_weights_ignores_confidence():
    """Weights learned on earlier grades replace the confidences; a member without a learned weight
    counts as the least weighted; the confidence and the call are computed as before."""
    members = [prediction("moving_average", 20.0, 80.0), prediction("xgboost_v1", 26.0, 40.0)]
    learned = {"moving_average": 0.25, "xgboost_v1": 0.75}
    # (20 * 0.25 + 26 * 0.75) / 1.0 = 24.5
    result = ensemble(members, 22.0, learned)
    assert result.predicted_points == approx(24.5) and result.confidence == approx(60.0)
    partial = ensemble([*members, prediction("zone_matchup", 30.0, 90.0)], 22.0, learned)
    assert partial.predicted_points == approx((20 * 0.25 + 26 * 0.75 + 30 * 0.25) / 1.25)
    assert ensemble(members, 22.0, {}).predicted_points == approx(22.0), "no weights: by confidence"
    system = EnsembleSystem(weights=learned)
    player = make_player()
    combined = system.combine(player, [prediction("moving_average", 20.0, 80.0, player.line),
                                       prediction("xgboost_v1", 26.0, 40.0, player.line)])
    assert isinstance(combined, SystemPrediction) and combined.predicted_points == approx(24.5)


def test_ensemble_agreement_bonus():
    tight = [prediction(s, p, 60.0) for s, p in zip(SYSTEM_IDS, (25.0, 26.0, 27.0), strict=False)]
    result = ensemble(tight, 22.0)
    assert result.confidence == approx(75.0)  # 60 + 10 same side + 5 within 3 points
    assert result.predicted_points == approx(26.0) and result.recommendation is OVER
    wide = [prediction("moving_average", 24.0, 60.0), prediction("xgboost_v1", 30.0, 60.0)]
    assert ensemble(wide, 22.0).confidence == approx(70.0)  # same side, 6 points apart
    under = [prediction("moving_average", 18.0, 50.0), prediction("xgboost_v1", 19.0, 50.0)]
    result = ensemble(under, 22.0)
    assert result.confidence == approx(65.0) and result.recommendation is UNDER
    alone = ensemble([prediction("moving_average", 30.0, 60.0)], 22.0)
    assert alone.confidence == approx(60.0), "one system is no agreement"


@pytest.mark.parametrize(
    ("confidence", "points", "expected"),
    [(64.9, 25.0, PASS), (65.0, 21.5, OVER), (65.0, 21.4, PASS), (65.0, 18.5, UNDER), (90.0, 18.6, PASS)],
)
def test_ensemble_recommends_only_at_65_confidence_and_one_and_a_half_points(confidence, points, expected):
    result = ensemble([prediction("moving_average", points, confidence)], 20.0)
    assert result.confidence == approx(confidence)
    assert result.recommendation is expected


def test_ensemble_combines_only_what_succeeded():
    system = EnsembleSystem()
    p = make_player(line=20.0)
    results = {
        "moving_average": prediction("moving_average", 24.0, 70.0),
        "zone_matchup": SystemFailure("no zone defense"),
        "ensemble_v1": prediction("ensemble_v1", 0.0, 100.0),
    }
    combined = system.combine(p, results)
    assert combined.predicted_points == 24.0 and combined.confidence == 70.0
    assert isinstance(system.combine(p, {"zone_matchup": SystemFailure("x")}), SystemFailure)
    with pytest.raises(SystemFailure):
        ensemble([], 20.0)


def test_ensemble_system_runs_its_members_and_survives_one_failing():
    def no_model():
        raise SystemFailure("no model")

    systems = build_systems(model_loader=no_model)
    assert [s.system_id for s in systems] == list(SYSTEM_IDS)
    p = make_player(line=10.0, points_avg_last_5=20.0, points_avg_last_10=20.0, points_avg_season=20.0,
                    zone=ZONES, opponent_def_rating=108.0, history=[past(i, 20.0) for i in range(6)])
    result = systems[-1].predict_batch([p])[p.player_lookup]
    assert isinstance(result, SystemPrediction) and result.recommendation is OVER
    with pytest.raises(SystemFailure):
        EnsembleSystem().predict_batch([p])


# --------------------------------------------------------------------------- batch behaviour


def synthetic_batch(n: int, games: int = 30, seed: int = 7) -> list[PlayerInput]:
    rng = random.Random(seed)
    players = []
    for i in range(n):
        level = rng.uniform(3, 30)
        features = {name: FEATURE_DEFAULTS[name] * rng.uniform(0.8, 1.2) for name in FEATURE_NAMES}
        features.update(points_avg_last_5=level * rng.uniform(0.8, 1.2), points_avg_last_10=level,
                        points_avg_season=level, opponent_def_rating=rng.uniform(105, 120))
        history = tuple(
            PastGame(DAY - dt.timedelta(days=2 * g + 1), max(0.0, rng.gauss(level, 5)), 30.0,
                     rng.uniform(105, 120), rng.choice((1, 2, 3)), rng.random() < 0.5, level * rng.uniform(0.7, 1.3))
            for g in range(games)
        )
        zone = {"paint": 0.4, "mid_range": 0.1, "three": 0.35, "free_throw": 0.15,
                "opp_paint_vs_league": rng.uniform(-5, 5), "opp_mid_range_vs_league": rng.uniform(-5, 5),
                "opp_three_pt_vs_league": rng.uniform(-5, 5)}
        players.append(PlayerInput(
            player_lookup=f"player{i:05d}", game_id="g", game_date=DAY, team_abbr="NYK", opponent_team_abbr="BOS",
            is_home=rng.random() < 0.5, line=round(level * 2) / 2, line_source="draftkings", line_estimated=False,
            features=features, feature_quality_score=92.0, zone_matchup=zone, history=history,
        ))
    return players


def test_a_batch_of_4500_players_gets_a_prediction_from_every_system():
    """Correctness at full-league size; players per second is measured by bench/phase5.py."""
    players = synthetic_batch(4500)
    systems = build_systems(model_loader=FakeModel)
    results = {s.system_id: s.predict_batch(players) for s in systems[:-1]}
    combined = systems[-1].combine_batch(players, results)
    assert len(combined) == 4500
    assert all(isinstance(r, SystemPrediction) for r in combined.values())
    assert sum(isinstance(r, SystemPrediction) for r in results["similarity_balanced_v1"].values()) > 4000


def test_batches_are_deterministic_and_independent_of_batch_size():
    players = synthetic_batch(60, seed=11)
    for system in build_systems(model_loader=FakeModel)[:-1]:
        whole = system.predict_batch(players)
        assert whole == system.predict_batch(players)
        assert all(whole[p.player_lookup] == system.predict_batch([p])[p.player_lookup] for p in players[:10])
