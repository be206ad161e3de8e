"""The five phase 5 prediction systems (``similarity_balanced_v1`` in :mod:`.similarity`).

Every system predicts a whole batch at once: the batch's features become one numpy matrix (one row
per player, columns in ``FEATURE_NAMES`` order; an absent or non-finite feature takes its default),
so a slate of 45 players and a backfill of 4,500 cost the same handful of array operations. Systems
do no I/O; only ``xgboost_v1`` loads a model, once per batch, through the loader it was given.

Rules every base system shares:

* ``edge = predicted_points - line``; predicted points are never negative and are rounded to 0.01,
  confidence (0-100) to 0.1, and the recommendation is decided on the rounded values.
* A base system recommends OVER when ``edge > 2.0``, UNDER when ``edge < -2.0``, else PASS.

The ensemble has its own rule (:func:`ensemble`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from nba_pipeline.predictions.batch_arrays import (
    EPS,
    Result,
    batch_results,
    column,
    feature_matrix,
    lines_of,
)
from nba_pipeline.predictions.contract import (
    BASE_SYSTEM_IDS,
    SYSTEM_IDS,
    PlayerInput,
    PredictionSystem,
    Recommendation,
    SystemFailure,
    SystemPrediction,
    SystemSkip,
)
from nba_pipeline.predictions.similarity import SimilaritySystem

#: the ensemble recommends only at or above both of these
ENSEMBLE_MIN_CONFIDENCE = 65.0
ENSEMBLE_MIN_EDGE = 1.5
#: added to the ensemble's confidence when at least two systems sit on the same side of the line ...
AGREEMENT_BONUS = 10.0
#: ... and this much more when, in addition, their predictions lie within TIGHT_SPREAD points
TIGHT_BONUS = 5.0
TIGHT_SPREAD = 3.0



class PointsModel(Protocol):
    """What ``xgboost_v1`` needs from a loaded model (``model.load_best_model()`` returns one)."""

    @property
    def version(self) -> str: ...

    @property
    def metrics(self) -> Mapping[str, Any]: ...

    def predict(self, features: np.ndarray) -> np.ndarray: ...


# --------------------------------------------------------------------------- moving_average


class MovingAverageSystem:
    """Recent scoring, weighted toward the last games, nudged by tonight's circumstances.

    ``base = 0.5 * points_avg_last_5 + 0.3 * points_avg_last_10 + 0.2 * points_avg_season``;
    ``predicted = base + (fatigue_score - 50) / 10 + shot_zone_mismatch_score / 5
    - 1.5 * back_to_back + pace_score + (0.5 at home, -0.5 away) + usage_spike_score / 2``.
    Confidence rises with the edge and falls with scoring volatility:
    ``clip(50 + 6 * |edge| - 2 * (points_std_last_10 - 5), 0, 100)``.
    """

    system_id = "moving_average"

    def predict_batch(self, players: Sequence[PlayerInput]) -> dict[str, Result]:
        if not players:
            return {}
        x = feature_matrix(players)
        base = (
            0.5 * column(x, "points_avg_last_5")
            + 0.3 * column(x, "points_avg_last_10")
            + 0.2 * column(x, "points_avg_season")
        )
        home = np.array([p.is_home for p in players], dtype=bool)
        adjustment = (
            (column(x, "fatigue_score") - 50.0) / 10.0
            + column(x, "shot_zone_mismatch_score") / 5.0
            + np.where(column(x, "back_to_back") >= 0.5, -1.5, 0.0)
            + column(x, "pace_score")
            + np.where(home, 0.5, -0.5)
            + column(x, "usage_spike_score") / 2.0
        )
        predicted = np.round(np.maximum(base + adjustment, 0.0), 2)
        edge = np.abs(predicted - lines_of(players))
        confidence = 50.0 + 6.0 * edge - 2.0 * (column(x, "points_std_last_10") - 5.0)
        return batch_results(self.system_id, players, predicted, confidence)


# --------------------------------------------------------------------------- zone_matchup

#: zone -> (key of the player's share, key of the opponent's gap to the league, fallback feature)
ZONE_KEYS: tuple[tuple[str, str, str], ...] = (
    ("paint", "opp_paint_vs_league", "pct_paint"),
    ("mid_range", "opp_mid_range_vs_league", "pct_mid_range"),
    ("three", "opp_three_pt_vs_league", "pct_three"),
)
#: relative change of a zone's points per unit of (gap / 100): about 1 / the league's shooting
#: percentage (~0.5), i.e. a defense allowing 1 percentage point more gives ~2 % more of those points
ZONE_FACTOR = 2.0


class ZoneMatchupSystem:
    """The season average, adjusted zone by zone for how the opponent defends that zone.

    For each of paint, mid-range and three: ``share * (gap / 100) * points_avg_season * 2.0``, where
    ``share`` is the player's share of points from the zone (``zone_matchup[zone]``, else feature
    ``pct_<zone>``) and ``gap`` the opponent's shooting allowed there minus the league's, in percentage
    points. Free throws have no zone defense and are not adjusted; a zone without a gap adds nothing.
    ``predicted = points_avg_season + sum of the zone adjustments``.
    Confidence ``clip((40 + 5 * |edge| + 3 * |sum of adjustments|) * known / 3, 0, 100)``, ``known``
    being the number of zones with a gap. A player fails without a season average (it took its
    default) or without any zone gap for the opponent.
    """

    system_id = "zone_matchup"

    def predict_batch(self, players: Sequence[PlayerInput]) -> dict[str, Result]:
        if not players:
            return {}
        x = feature_matrix(players)
        season = column(x, "points_avg_season")
        shares = np.array(
            [[p.zone_matchup.get(zone) for zone, _, _ in ZONE_KEYS] for p in players], dtype=float
        ).reshape(len(players), len(ZONE_KEYS))
        fallback = np.stack([column(x, feature) for _, _, feature in ZONE_KEYS], axis=1)
        shares = np.where(np.isfinite(shares), shares, fallback)
        gaps = np.array([[p.zone_matchup.get(key) for _, key, _ in ZONE_KEYS] for p in players], dtype=float).reshape(
            len(players), len(ZONE_KEYS)
        )
        known = np.isfinite(gaps)
        adjustments = np.where(known, shares * np.nan_to_num(gaps) / 100.0, 0.0) * season[:, None] * ZONE_FACTOR
        total = adjustments.sum(axis=1)
        predicted = np.round(np.maximum(season + total, 0.0), 2)
        edge = np.abs(predicted - lines_of(players))
        n_known = known.sum(axis=1)
        confidence = (40.0 + 5.0 * edge + 3.0 * np.abs(total)) * n_known / len(ZONE_KEYS)
        failures: dict[int, str] = {}
        for i, player in enumerate(players):
            if "points_avg_season" in player.missing_features:
                failures[i] = "no season scoring average"
            elif n_known[i] == 0:
                failures[i] = f"no zone defense known for {player.opponent_team_abbr}"
        return batch_results(self.system_id, players, predicted, confidence, failures)


# --------------------------------------------------------------------------- xgboost_v1

#: the held-out MAE assumed when a model's metrics do not carry one
DEFAULT_MODEL_MAE = 5.0


def _default_loader() -> PointsModel:
    from nba_pipeline.predictions.model import load_best_model

    return load_best_model()


class XGBoostSystem:
    """The stored gradient-boosted model on the 25 features, loaded once per batch.

    A loader that raises :class:`SystemSkip` (no model trained yet) skips the system for the batch;
    any other loading problem (e.g. a damaged model file) fails it: ``predict_batch`` raises
    :class:`SystemFailure`, which the system's breaker counts. Confidence scales the edge by the
    model's held-out MAE: ``clip(45 + 25 * |edge| / model_mae, 0, 100)`` (an edge of one MAE gives 70).

    :param model_loader: returns the model to use; ``model.load_best_model`` by default.
    """

    system_id = "xgboost_v1"

    def __init__(self, model_loader: Callable[[], PointsModel] | None = None) -> None:
        self._load = model_loader or _default_loader

    def predict_batch(self, players: Sequence[PlayerInput]) -> dict[str, Result]:
        if not players:
            return {}
        try:
            model = self._load()
        except (SystemFailure, SystemSkip):
            raise
        except Exception as error:  # any other loading problem means no model for this batch
            raise SystemFailure(f"xgboost_v1: loading the model failed: {type(error).__name__}: {error}") from error
        x = feature_matrix(players)
        try:
            raw = np.asarray(model.predict(x), dtype=float).reshape(-1)
        except Exception as error:
            version = getattr(model, "version", "?")
            raise SystemFailure(f"xgboost_v1: model {version} could not predict: {error}") from error
        if raw.shape[0] != len(players) or not np.all(np.isfinite(raw)):
            raise SystemFailure(f"xgboost_v1: model gave {raw.shape[0]} usable values for {len(players)} players")
        metrics = getattr(model, "metrics", None) or {}
        mae = float(metrics.get("model_mae") or DEFAULT_MODEL_MAE)
        predicted = np.round(np.maximum(raw, 0.0), 2)
        edge = np.abs(predicted - lines_of(players))
        confidence = 45.0 + 25.0 * edge / max(mae, 0.1)
        return batch_results(self.system_id, players, predicted, confidence)


# --------------------------------------------------------------------------- ensemble_v1


def ensemble(
    predictions: Sequence[SystemPrediction], line: float, weights: Mapping[str, float] | None = None
) -> SystemPrediction:
    """Combine the systems that succeeded for one player.

    ``predicted`` = the mean of their predictions weighted by ``weights``, the weights learned on
    the graded dates before (``grading.ensemble_weights``; a system without one counts as the least
    weighted); without learned weights, the confidence-weighted mean (equal weights if every
    confidence is 0). ``confidence`` = the mean of their confidences, plus 10 when at least two
    systems sit strictly on the same side of the line, plus 5 more when those also lie within 3 points
    of each other, capped at 100. OVER / UNDER by the edge's sign only when ``confidence >= 65`` and
    ``|edge| >= 1.5``; otherwise PASS. Raises :class:`SystemFailure` when nothing succeeded.
    """
    usable = [p for p in predictions if p.system_id != EnsembleSystem.system_id]
    if not usable:
        raise SystemFailure("ensemble_v1: no prediction system succeeded")
    values = [p.predicted_points for p in usable]
    confidences = [p.confidence for p in usable]
    shares = [weights.get(p.system_id, min(weights.values())) for p in usable] if weights else confidences
    weight = sum(shares)
    if weight > 0:
        predicted = sum(v * w for v, w in zip(values, shares, strict=True)) / weight
    else:
        predicted = sum(values) / len(values)
    predicted = round(max(predicted, 0.0), 2)
    confidence = sum(confidences) / len(confidences)
    edges = [v - line for v in values]
    if len(usable) >= 2 and (all(e > EPS for e in edges) or all(e < -EPS for e in edges)):
        confidence += AGREEMENT_BONUS
        if max(values) - min(values) <= TIGHT_SPREAD + EPS:
            confidence += TIGHT_BONUS
    confidence = round(min(100.0, max(0.0, confidence)), 1)
    edge = round(predicted - line, 6)
    recommendation = Recommendation.PASS
    if confidence >= ENSEMBLE_MIN_CONFIDENCE - EPS and abs(edge) >= ENSEMBLE_MIN_EDGE - EPS:
        recommendation = Recommendation.OVER if edge > 0 else Recommendation.UNDER
    return SystemPrediction(
        system_id=EnsembleSystem.system_id,
        predicted_points=predicted,
        confidence=confidence,
        recommendation=recommendation,
        line=float(line),
    )


class EnsembleSystem:
    """``ensemble_v1`` as a system: the worker hands it the other systems' results per player.

    :param members: the systems :meth:`predict_batch` runs itself when used on its own; a member
        that raises counts as failed for every player of the batch.
    :param weights: each member's learned weight (``grading.ensemble_weights``); empty or None:
        confidence weights.
    """

    system_id = "ensemble_v1"

    def __init__(self, members: Sequence[PredictionSystem] = (), weights: Mapping[str, float] | None = None) -> None:
        self.members = tuple(members)
        self.weights = dict(weights or {})

    def combine(self, player: PlayerInput, predictions: Mapping[str, Result] | Iterable[Result]) -> Result:
        """The ensemble for one player from the other systems' results (failures are ignored)."""
        results = predictions.values() if isinstance(predictions, Mapping) else predictions
        usable = [r for r in results if isinstance(r, SystemPrediction) and r.system_id in BASE_SYSTEM_IDS]
        try:
            return ensemble(usable, player.line, self.weights)
        except SystemFailure as failure:
            return failure

    def combine_batch(
        self, players: Sequence[PlayerInput], results: Mapping[str, Mapping[str, Result]]
    ) -> dict[str, Result]:
        """The ensemble for every player, from ``results[system_id][player_lookup]``."""
        return {
            p.player_lookup: self.combine(
                p, [by_player[p.player_lookup] for by_player in results.values() if p.player_lookup in by_player]
            )
            for p in players
        }

    def predict_batch(self, players: Sequence[PlayerInput]) -> dict[str, Result]:
        if not self.members:
            raise SystemFailure("ensemble_v1 has no member systems: combine the other systems' results instead")
        results: dict[str, Mapping[str, Result]] = {}
        for system in self.members:
            try:
                results[system.system_id] = system.predict_batch(players)
            except Exception:  # the member is unavailable for this batch; the others still count
                continue
        return self.combine_batch(players, results)


def build_systems(
    model_loader: Callable[[], PointsModel] | None = None, ensemble_weights: Mapping[str, float] | None = None
) -> list[PredictionSystem]:
    """The five systems in ``SYSTEM_IDS`` order, the ensemble last (its members are the other four).

    :param model_loader: what ``xgboost_v1`` loads its model with; ``model.load_best_model`` by default.
    :param ensemble_weights: the members' learned weights in the ensemble (None: confidence weights).
    """
    base: list[PredictionSystem] = [
        MovingAverageSystem(),
        ZoneMatchupSystem(),
        SimilaritySystem(),
        XGBoostSystem(model_loader),
    ]
    systems = [*base, EnsembleSystem(base, ensemble_weights)]
    assert tuple(s.system_id for s in systems) == SYSTEM_IDS
    return systems
