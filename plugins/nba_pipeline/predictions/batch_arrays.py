"""What the base systems share: a batch of players as arrays, and arrays back as one result per
player (rounded, with the recommendation decided on the rounded values)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nba_pipeline.features import FEATURE_DEFAULTS, FEATURE_NAMES
from nba_pipeline.predictions.contract import PlayerInput, Recommendation, SystemFailure, SystemPrediction

#: a base system recommends OVER / UNDER only when |edge| is strictly above this
EDGE_THRESHOLD = 2.0
EPS = 1e-9
_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}
_DEFAULTS = np.array([FEATURE_DEFAULTS[name] for name in FEATURE_NAMES], dtype=float)
_RECOMMENDATIONS = (Recommendation.PASS, Recommendation.OVER, Recommendation.UNDER)


Result = SystemPrediction | SystemFailure


def feature_matrix(players: Sequence[PlayerInput]) -> np.ndarray:
    """The batch's features, n x 25 in ``FEATURE_NAMES`` order; absent, None or NaN values take the default."""
    matrix = np.array([[p.features.get(name) for name in FEATURE_NAMES] for p in players], dtype=float)
    matrix = matrix.reshape(len(players), len(FEATURE_NAMES))
    return np.where(np.isfinite(matrix), matrix, _DEFAULTS)


def column(matrix: np.ndarray, name: str) -> np.ndarray:
    return matrix[:, _COLUMN[name]]


def lines_of(players: Sequence[PlayerInput]) -> np.ndarray:
    return np.array([p.line for p in players], dtype=float)


def recommend(edge: np.ndarray, threshold: float = EDGE_THRESHOLD) -> list[Recommendation]:
    """OVER when edge > threshold, UNDER when edge < -threshold, else PASS (element-wise)."""
    codes = np.where(edge > threshold + EPS, 1, np.where(edge < -threshold - EPS, 2, 0))
    return [_RECOMMENDATIONS[c] for c in codes.tolist()]


def batch_results(
    system_id: str,
    players: Sequence[PlayerInput],
    predicted: np.ndarray,
    confidence: np.ndarray,
    failures: Mapping[int, str] | None = None,
    failure: type[SystemFailure] = SystemFailure,
) -> dict[str, Result]:
    """Round, recommend and wrap one system's batch arrays; rows listed in ``failures`` fail with their
    reason, as ``failure``."""
    failures = failures or {}
    lines = lines_of(players)
    predicted = np.round(np.maximum(predicted, 0.0), 2)
    confidence = np.round(np.clip(confidence, 0.0, 100.0), 1)
    recommendations = recommend(np.round(predicted - lines, 6))
    out: dict[str, Result] = {}
    for i, player in enumerate(players):
        if i in failures:
            out[player.player_lookup] = failure(f"{system_id}: {failures[i]}")
            continue
        out[player.player_lookup] = SystemPrediction(
            system_id=system_id,
            predicted_points=float(predicted[i]),
            confidence=float(confidence[i]),
            recommendation=recommendations[i],
            line=float(lines[i]),
        )
    return out
