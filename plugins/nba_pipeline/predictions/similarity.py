"""``similarity_balanced_v1``: a player's points in past games most like today's (opponent's
defensive tier, rest, venue, form), weighted by how alike they are."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from nba_pipeline.predictions.batch_arrays import EPS, Result, batch_results, column, feature_matrix, lines_of
from nba_pipeline.predictions.contract import NotEnoughData, PlayerInput

# --------------------------------------------------------------------------- similarity_balanced_v1

#: opponent defensive-rating tiers: < 110 strong, 110-115 average, >= 115 weak
DEF_RATING_TIERS = (110.0, 115.0)
SIMILARITY_THRESHOLD = 60.0
MIN_SIMILAR_GAMES = 5
MAX_SIMILAR_GAMES = 20
TIER_PENALTY = 20.0  # per tier apart; also when either tier is unknown
REST_PENALTY = 15.0  # different rest bucket (back-to-back / one day off / two or more), or unknown
VENUE_PENALTY = 15.0
FORM_PENALTY_MAX = 30.0  # reached at a 100 % difference in form
FORM_UNKNOWN_PENALTY = 15.0


def _tier(rating: np.ndarray) -> np.ndarray:
    """0 strong defense, 1 average, 2 weak; -1 unknown."""
    tiers = np.digitize(np.nan_to_num(rating), DEF_RATING_TIERS)
    return np.where(np.isfinite(rating), tiers, -1)


def _rest_bucket(days_rest: np.ndarray) -> np.ndarray:
    """0 back-to-back (days_rest 1), 1 one day off, 2 two or more; -1 unknown."""
    buckets = np.clip(np.nan_to_num(days_rest, nan=0.0) - 1, 0, 2).astype(int)
    return np.where(np.isfinite(days_rest), buckets, -1)


class SimilaritySystem:
    """The average of the player's past games that looked most like tonight.

    Each past game (played before the date, minutes > 0) scores ``100 - 20 * tiers apart (20 if
    either is unknown) - 15 if the rest bucket differs or is unknown - 15 if the venue differs
    - min(30, 30 * |form then - form now| / max(form now, 5))`` (15 when the form is unknown); the
    form is the points average of the last 5 games going in (tonight: ``points_avg_last_5``), the
    tier comes from the opponent's defensive rating, tonight's rest from the days since the last
    game in the history (else ``back_to_back``). Games scoring >= 60 are similar; a player with
    fewer than 5 gets :class:`NotEnoughData`; the best 20 (most recent first on ties) are averaged.
    Confidence ``clip(30 + 2 * games used + 5 * |edge| - 1.5 * their standard deviation, 0, 100)``.
    """

    system_id = "similarity_balanced_v1"

    def predict_batch(self, players: Sequence[PlayerInput]) -> dict[str, Result]:
        if not players:
            return {}
        n = len(players)
        x = feature_matrix(players)
        owner: list[int] = []
        columns: list[list[float]] = [[], [], [], [], [], []]  # points, rating, days_rest, home, form, ordinal
        rest_now = np.full(n, np.nan)
        for i, player in enumerate(players):
            latest = None
            for game in player.history:
                if game.game_date >= player.game_date or not game.minutes or game.minutes <= 0:
                    continue
                owner.append(i)
                columns[0].append(game.points)
                columns[1].append(math.nan if game.opponent_def_rating is None else game.opponent_def_rating)
                columns[2].append(math.nan if game.days_rest is None else game.days_rest)
                columns[3].append(1.0 if game.home_game else 0.0)
                columns[4].append(math.nan if game.points_avg_last_5_before is None else game.points_avg_last_5_before)
                columns[5].append(game.game_date.toordinal())
                if latest is None or game.game_date > latest:
                    latest = game.game_date
            if latest is not None:
                rest_now[i] = (player.game_date - latest).days
        if np.isnan(rest_now).any():
            rest_now = np.where(np.isnan(rest_now) & (column(x, "back_to_back") >= 0.5), 1.0, rest_now)

        idx = np.array(owner, dtype=int)
        points, rating, days_rest, home, form, ordinal = (np.array(c, dtype=float) for c in columns)
        tier_now = _tier(column(x, "opponent_def_rating"))[idx]
        bucket_now = _rest_bucket(rest_now)[idx]
        home_now = np.array([p.is_home for p in players], dtype=float)[idx]
        form_now = column(x, "points_avg_last_5")[idx]

        tier_then = _tier(rating)
        tier_gap = np.where((tier_then < 0) | (tier_now < 0), 1, np.abs(tier_then - tier_now))
        bucket_then = _rest_bucket(days_rest)
        form_diff = np.minimum(FORM_PENALTY_MAX, FORM_PENALTY_MAX * np.abs(form - form_now) / np.maximum(form_now, 5.0))
        score = (
            100.0
            - TIER_PENALTY * tier_gap
            - REST_PENALTY * ((bucket_then != bucket_now) | (bucket_then < 0))
            - VENUE_PENALTY * (home != home_now)
            - np.where(np.isfinite(form), form_diff, FORM_UNKNOWN_PENALTY)
        )

        similar = score >= SIMILARITY_THRESHOLD - EPS
        s_idx, s_score, s_points, s_ordinal = idx[similar], score[similar], points[similar], ordinal[similar]
        order = np.lexsort((-s_ordinal, -s_score, s_idx))  # by player, best score first, most recent first
        s_idx, s_points = s_idx[order], s_points[order]
        starts = np.searchsorted(s_idx, np.arange(n))
        rank = np.arange(s_idx.size) - starts[s_idx]
        used = rank < MAX_SIMILAR_GAMES
        u_idx, u_points = s_idx[used], s_points[used]

        similar_count = np.bincount(s_idx, minlength=n)
        count = np.bincount(u_idx, minlength=n).astype(float)
        safe = np.maximum(count, 1.0)
        mean = np.bincount(u_idx, weights=u_points, minlength=n) / safe
        variance = np.bincount(u_idx, weights=u_points**2, minlength=n) / safe - mean**2
        std = np.sqrt(np.maximum(variance, 0.0) * count / np.maximum(count - 1.0, 1.0))  # sample std

        predicted = np.round(mean, 2)
        edge = np.abs(predicted - lines_of(players))
        confidence = 30.0 + 2.0 * count + 5.0 * edge - 1.5 * std
        failures = {
            i: f"{int(similar_count[i])} similar past games, {MIN_SIMILAR_GAMES} needed"
            for i in range(n)
            if similar_count[i] < MIN_SIMILAR_GAMES
        }
        return batch_results(self.system_id, players, predicted, confidence, failures, NotEnoughData)
