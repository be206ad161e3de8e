"""Running the systems over a batch's ready players, collecting each player's outcome.

* Each admitted base system gets the whole batch at once (``predict_batch(players)``); then the
  ensemble combines, per player, the base systems that succeeded for it, and fails for a player with none.
* A system that raises fails for the whole batch; a :class:`SystemFailure` (or any exception, or an
  answer that is missing, not a :class:`SystemPrediction`, or not finite) fails that player only.
* A system that raises :class:`SystemSkip` (``xgboost_v1`` with no trained model) is skipped for the
  batch: not attempted, no breaker outcome, the reason in the batch summary.

Per player, the outcomes land on its :class:`~nba_pipeline.predictions.worker.inputs.PlayerWork`
(``attempted``, ``predictions``, ``errors``); the batch-level ones come back as a :class:`SystemsRun`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nba_pipeline.predictions.contract import BASE_SYSTEM_IDS, SYSTEM_IDS, SystemFailure, SystemPrediction, SystemSkip
from nba_pipeline.predictions.worker.inputs import PlayerWork

log = logging.getLogger(__name__)

ENSEMBLE_ID = "ensemble_v1"
ERROR_LIMIT = 1000


@dataclass(frozen=True)
class SystemsRun:
    """The batch-level outcomes of the systems that ran."""

    errors: dict[str, str]  # system → ``"ErrorType: message"``, when it raised (it failed for the whole batch)
    skips: dict[str, SystemSkip]  # the systems that skipped themselves for the batch


def run_systems(by_id: Mapping[str, Any], admitted: Sequence[str], ready: Sequence[PlayerWork]) -> SystemsRun:
    """Run the admitted base systems, then the ensemble if admitted."""
    errors: dict[str, str] = {}
    skips: dict[str, SystemSkip] = {}
    for key in (k for k in BASE_SYSTEM_IDS if k in admitted):
        outcome = _run_base_system(key, by_id.get(key), ready)
        if isinstance(outcome, SystemSkip):
            skips[key] = outcome
        elif outcome:
            errors[key] = outcome
    if ENSEMBLE_ID in admitted:
        error = _run_ensemble(by_id.get(ENSEMBLE_ID), ready)
        if error:
            errors[ENSEMBLE_ID] = error
    return SystemsRun(errors, skips)


def model_versions(
    by_id: Mapping[str, Any], admitted: Sequence[str], model_version: Callable[[], str | None] | None
) -> dict[str, str | None]:
    """The model version of each admitted system, asked after the systems ran."""
    versions = {key: getattr(by_id.get(key), "model_version", None) for key in admitted}
    if model_version is not None and "xgboost_v1" in admitted:
        versions["xgboost_v1"] = model_version()
    return versions


class ModelVersionRecorder:
    """A model loader that remembers the version of the model it last loaded.

    Give it to ``build_systems(model_loader=...)`` and its :meth:`current` to
    :func:`~nba_pipeline.predictions.worker.predict_batch` as ``model_version``, so ``xgboost_v1``
    rows carry the version that produced them. ``before``, the game date predicted, limits the
    choice to models trained on earlier dates (``model.load_best_model``).
    """

    def __init__(self, load: Callable[[], Any] | None = None, *, before: dt.date | None = None) -> None:
        self._load = load
        self._before = before
        self.version: str | None = None

    def __call__(self) -> Any:
        if self._load is None:
            from nba_pipeline.predictions.model import load_best_model

            model = load_best_model(before=self._before)
        else:
            model = self._load()
        self.version = getattr(model, "version", None)
        return model

    def current(self) -> str | None:
        return self.version


def systems_by_id(systems: Iterable[Any]) -> dict[str, Any]:
    by_id: dict[str, Any] = {}
    for system in systems:
        key = getattr(system, "system_id", None)
        if key not in SYSTEM_IDS:
            raise ValueError(f"unknown prediction system {key!r}; known: {', '.join(SYSTEM_IDS)}")
        if key in by_id:
            raise ValueError(f"prediction system {key!r} given twice")
        by_id[key] = system
    return by_id


def _describe(error: BaseException) -> tuple[str, str]:
    return type(error).__name__, (str(error) or type(error).__name__)[:ERROR_LIMIT]


def _valid(prediction: Any) -> str | None:
    """Why a system's answer cannot be stored, or None."""
    if not isinstance(prediction, SystemPrediction):
        return f"returned {type(prediction).__name__}, not a SystemPrediction"
    if not math.isfinite(prediction.predicted_points) or not math.isfinite(prediction.confidence):
        return f"non-finite prediction {prediction.predicted_points} (confidence {prediction.confidence})"
    return None


def _run_base_system(key: str, system: Any, ready: Sequence[PlayerWork]) -> str | SystemSkip | None:
    """Run one base system for the batch; return the batch-level error if it raised, the skip if it
    skipped itself (then it counts as not attempted)."""
    try:
        if system is None:
            raise SystemFailure(f"{key} is not configured")
        answers = system.predict_batch([w.inputs for w in ready])
    except SystemSkip as skip:
        log.warning("%s skipped for the batch: %s", key, skip)
        return skip
    except Exception as error:  # a system that raises is unavailable for the whole batch
        error_type, message = _describe(error)
        log.warning("%s failed for the whole batch: %s: %s", key, error_type, message)
        for w in ready:
            w.attempted.append(key)
            w.errors[key] = (error_type, message)
        return f"{error_type}: {message}"
    for w in ready:
        w.attempted.append(key)
        answer = answers.get(w.player.player_lookup) if isinstance(answers, Mapping) else None
        if answer is None:
            w.errors[key] = ("SystemFailure", "no prediction returned for the player")
        elif isinstance(answer, BaseException):
            w.errors[key] = _describe(answer)
        elif (problem := _valid(answer)) is not None:
            w.errors[key] = ("InvalidPrediction", problem)
        else:
            w.predictions[key] = answer
    return None


def _run_ensemble(ensemble: Any, ready: Sequence[PlayerWork]) -> str | None:
    """Combine, per player, the base systems that succeeded; a player with none fails."""
    if ensemble is None:
        for w in ready:
            w.attempted.append(ENSEMBLE_ID)
            w.errors[ENSEMBLE_ID] = ("SystemFailure", f"{ENSEMBLE_ID} is not configured")
        return f"SystemFailure: {ENSEMBLE_ID} is not configured"
    for w in ready:
        w.attempted.append(ENSEMBLE_ID)
        base = [w.predictions[k] for k in BASE_SYSTEM_IDS if k in w.predictions]
        if not base:
            w.errors[ENSEMBLE_ID] = ("SystemFailure", "no base system succeeded for the player")
            continue
        try:
            answer = ensemble.combine(w.inputs, base)
        except Exception as error:  # one player's failure (SystemFailure or otherwise)
            w.errors[ENSEMBLE_ID] = _describe(error)
            continue
        if isinstance(answer, BaseException):
            w.errors[ENSEMBLE_ID] = _describe(answer)
        elif (problem := _valid(answer)) is not None:
            w.errors[ENSEMBLE_ID] = ("InvalidPrediction", problem)
        else:
            w.predictions[ENSEMBLE_ID] = answer
    return None
