"""The ``xgboost_v1`` model: training data, training and evaluation, versioned storage, loading.

The model is trained from the feature store's history against the points the players then scored,
evaluated on the latest dates (never seen in training) against the obvious baseline — the season
average the feature store already holds — and stored with its metrics. Prediction tasks only ever
load a stored model (:func:`load_best_model`); they never train.

Storage layout under ``NBA_MODEL_ROOT`` (a local folder by default, ``gs://bucket/prefix`` in
production, through Airflow's ``ObjectStoragePath`` and the connection
:func:`nba_pipeline.storage.object_path` picks)::

    xgboost_v1/<version: UTC %Y%m%dT%H%M%SZ>/model.json     xgboost's JSON model format
    xgboost_v1/<version>/metrics.json                       written last: a version without it is ignored

Nothing is overwritten; the newest version whose metrics beat the baseline on the current feature
set is the one served. With none (a fresh install) ``xgboost_v1`` is skipped with ``no_model``, not
failed; a damaged version that leaves nothing to serve is a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nba_pipeline import clock
from nba_pipeline.features import FEATURE_COUNT, FEATURE_NAMES, FEATURE_VERSION, QUALITY_THRESHOLD
from nba_pipeline.predictions.contract import SystemFailure, SystemSkip
from nba_pipeline.registry.skip_reasons import LeagueSkipReason
from nba_pipeline.settings import get_settings
from nba_pipeline.storage import object_path
from nba_pipeline.warehouse import QueryParam, Warehouse

log = logging.getLogger(__name__)

SYSTEM_ID = "xgboost_v1"
VERSION_FORMAT = "%Y%m%dT%H%M%SZ"
_VERSION = re.compile(r"^\d{8}T\d{6}Z$")
DEFAULT_SEED = 2024
#: a training run with fewer rows or dates stores nothing (a model from a week of games is noise)
MIN_TRAINING_ROWS = 2000
MIN_TRAINING_DATES = 10

#: modest trees: a season (~60k rows) trains in seconds. The absolute-error objective aims at the
#: median, which is what MAE rewards (points are right-skewed). One thread: the result is the same
#: with more, but on a busy shared worker extra threads made this objective many times slower.
XGB_PARAMS: dict[str, Any] = {
    "n_estimators": 300,
    "max_depth": 3,
    "learning_rate": 0.05,
    "min_child_weight": 20,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "objective": "reg:absoluteerror",
    "tree_method": "hist",
    "n_jobs": 1,
}

_SEASON_COLUMN = FEATURE_NAMES.index("points_avg_season")

TRAINING_SQL = """
SELECT f.player_lookup, f.game_date, f.features, CAST(g.points AS FLOAT64) AS points
FROM nba_predictions.ml_feature_store_v2 AS f
JOIN nba_analytics.player_game_summary AS g
  ON g.player_lookup = f.player_lookup AND g.game_date = f.game_date
WHERE f.feature_version = @feature_version
  AND f.feature_count = @feature_count
  AND f.feature_quality_score >= @min_quality
  AND g.points IS NOT NULL
  AND g.minutes_played > 0
  AND (@start_date IS NULL OR f.game_date >= @start_date)
  AND (@end_date IS NULL OR f.game_date <= @end_date)
ORDER BY f.game_date, f.player_lookup, g.game_id
"""


class InsufficientTrainingData(ValueError):
    """Too few rows or dates to train a model worth storing."""


@dataclass(frozen=True)
class TrainingFrame:
    """Training rows in date order: features ``x`` (n x 25, ``FEATURE_NAMES`` order), actual points
    ``y``, game ``dates`` (datetime64[D]) and the baseline's prediction, the season average."""

    x: np.ndarray
    y: np.ndarray
    dates: np.ndarray
    season_average: np.ndarray
    player_lookups: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    @property
    def rows(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_dates(self) -> int:
        return int(np.unique(self.dates).size)


@dataclass
class TrainingResult:
    """A fitted regressor and its evaluation (``metrics``: JSON-ready)."""

    model: Any  # xgboost.XGBRegressor
    metrics: dict[str, Any]


@dataclass(frozen=True)
class LoadedModel:
    """A stored model ready to predict: ``predict(x)`` takes n x 25 features in ``FEATURE_NAMES`` order."""

    version: str
    metrics: dict[str, Any]
    booster: Any  # xgboost.Booster

    def predict(self, features: np.ndarray) -> np.ndarray:
        x = np.asarray(features, dtype=float)
        if x.ndim != 2 or x.shape[1] != FEATURE_COUNT:
            raise ValueError(f"expected an n x {FEATURE_COUNT} feature matrix, got shape {x.shape}")
        if x.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(self.booster.inplace_predict(x), dtype=float).reshape(-1)


# --------------------------------------------------------------------------- data


def load_training_frame(
    warehouse: Warehouse,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    min_quality: float = QUALITY_THRESHOLD,
) -> TrainingFrame:
    """Feature-store rows of ``v1_baseline_25`` joined with the points scored that day, in one query.

    Only games the player played (minutes > 0) and rows of the quality the predictions accept
    (``feature_quality_score >= 70`` by default) are used; ``start`` / ``end`` bound the game dates.
    """
    rows = warehouse.query(
        TRAINING_SQL,
        {
            "feature_version": FEATURE_VERSION,
            "feature_count": FEATURE_COUNT,
            "min_quality": float(min_quality),
            "start_date": QueryParam(start, "DATE"),
            "end_date": QueryParam(end, "DATE"),
        },
    )
    x = np.array([row["features"] for row in rows], dtype=float).reshape(len(rows), FEATURE_COUNT)
    return TrainingFrame(
        x=x,
        y=np.array([row["points"] for row in rows], dtype=float),
        dates=np.array([row["game_date"] for row in rows], dtype="datetime64[D]"),
        season_average=x[:, _SEASON_COLUMN].copy(),
        player_lookups=np.array([row["player_lookup"] for row in rows], dtype=object),
    )


# --------------------------------------------------------------------------- training


def split_by_date(dates: np.ndarray, holdout_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """(train mask, holdout mask): the latest ``holdout_fraction`` of the distinct dates are held out
    (at least one date, and at least one left for training)."""
    if not 0 < holdout_fraction < 1:
        raise ValueError(f"holdout_fraction must be between 0 and 1, got {holdout_fraction}")
    distinct = np.unique(dates)
    if distinct.size < 2:
        raise InsufficientTrainingData(f"{distinct.size} game date(s): at least 2 are needed to hold any out")
    n_holdout = min(distinct.size - 1, max(1, round(distinct.size * holdout_fraction)))
    cutoff = distinct[-n_holdout]
    holdout = dates >= cutoff
    return ~holdout, holdout


def _span(dates: np.ndarray) -> dict[str, Any]:
    distinct = np.unique(dates)
    return {"first": str(distinct[0]), "last": str(distinct[-1]), "count": int(distinct.size)}


def feature_importance(model: Any) -> dict[str, float]:
    """Each feature's share of the model's total gain (its splits' loss reduction), largest first;
    a feature never split on has none."""
    gains = model.get_booster().get_score(importance_type="total_gain")
    total = sum(gains.values()) or 1.0
    named = {FEATURE_NAMES[int(key[1:])] if key.startswith("f") and key[1:].isdigit() else key: value
             for key, value in gains.items()}
    return {name: round(value / total, 4) for name, value in sorted(named.items(), key=lambda kv: -kv[1])}


def train_and_evaluate(frame: TrainingFrame, holdout_fraction: float = 0.2, seed: int = DEFAULT_SEED) -> TrainingResult:
    """Fit on the earlier dates, measure MAE of the model and of the season average on the held-out
    latest dates. ``beats_baseline`` is ``model_mae < baseline_mae``."""
    import xgboost

    train, holdout = split_by_date(frame.dates, holdout_fraction)
    model = xgboost.XGBRegressor(**XGB_PARAMS, random_state=seed)
    model.fit(frame.x[train], frame.y[train])
    predicted = np.asarray(model.predict(frame.x[holdout]), dtype=float)
    actual = frame.y[holdout]
    model_mae = float(np.mean(np.abs(predicted - actual)))
    baseline_mae = float(np.mean(np.abs(frame.season_average[holdout] - actual)))
    metrics: dict[str, Any] = {
        "system_id": SYSTEM_ID,
        "model_mae": round(model_mae, 4),
        "baseline_mae": round(baseline_mae, 4),
        "baseline": "points_avg_season",
        "beats_baseline": model_mae < baseline_mae,
        "improvement_pct": round(100 * (baseline_mae - model_mae) / baseline_mae, 2) if baseline_mae else None,
        "rows": frame.rows,
        "train_rows": int(train.sum()),
        "holdout_rows": int(holdout.sum()),
        "dates": _span(frame.dates),
        "train_dates": _span(frame.dates[train]),
        "holdout_dates": _span(frame.dates[holdout]),
        "holdout_fraction": holdout_fraction,
        "feature_version": FEATURE_VERSION,
        "feature_names": list(FEATURE_NAMES),
        "params": {**XGB_PARAMS, "random_state": seed},
        "feature_importance": feature_importance(model),
        "xgboost_version": xgboost.__version__,
        "trained_at": clock.now().isoformat(),
    }
    return TrainingResult(model=model, metrics=metrics)


# --------------------------------------------------------------------------- storage


def _root(root: str | None) -> Any:
    return object_path(root or get_settings().model_root) / SYSTEM_ID


def save_model(result: TrainingResult, root: str | None = None, *, now: dt.datetime | None = None) -> str:
    """Store the model and its metrics as a new version; return the version (UTC ``YYYYMMDDTHHMMSSZ``).

    ``now`` fixes the version's time (default: the current time); a version already taken moves on by
    a second, so versions stay unique and ordered. ``metrics.json`` is written last.
    """
    base = _root(root)
    moment = (now or clock.now()).astimezone(dt.UTC).replace(microsecond=0)
    while (base / moment.strftime(VERSION_FORMAT)).exists():
        moment += dt.timedelta(seconds=1)
    version = moment.strftime(VERSION_FORMAT)
    folder = base / version
    folder.mkdir(parents=True, exist_ok=True)
    raw = result.model.get_booster().save_raw(raw_format="json")
    (folder / "model.json").write_bytes(bytes(raw))
    metrics = {**result.metrics, "version": version}
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    log.info("stored %s model %s at %s", SYSTEM_ID, version, folder)
    return version


def list_versions(root: str | None = None) -> list[str]:
    """Every stored version, newest first (complete or not)."""
    base = _root(root)
    if not base.exists():
        return []
    return sorted((p.name for p in base.iterdir() if _VERSION.match(p.name)), reverse=True)


def read_metrics(version: str, root: str | None = None) -> dict[str, Any] | None:
    """A version's metrics, or None when it has none (unfinished) or they cannot be read."""
    return _read_metrics(version, root)[0]


def _read_metrics(version: str, root: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """(metrics, problem): metrics None and no problem when the file is absent (training unfinished);
    a problem when it is there but unreadable (a damaged version)."""
    path = _root(root) / version / "metrics.json"
    try:
        return json.loads(path.read_text()), None
    except FileNotFoundError as error:
        log.warning("ignoring %s model %s: no metrics.json yet (%s)", SYSTEM_ID, version, error)
        return None, None
    except ValueError as error:
        log.warning("ignoring %s model %s: unreadable metrics.json (%s)", SYSTEM_ID, version, error)
        return None, f"metrics.json: {type(error).__name__}: {error}"


def _usable(metrics: dict[str, Any]) -> bool:
    return metrics.get("beats_baseline") is True and list(metrics.get("feature_names") or []) == list(FEATURE_NAMES)


def _trained_before(metrics: dict[str, Any], day: dt.date | None) -> bool:
    """True when the version learned from game dates strictly before ``day`` (always, without a day)."""
    if day is None:
        return True
    last = (metrics.get("dates") or {}).get("last")
    return last is not None and dt.date.fromisoformat(last) < day


def load_best_model(root: str | None = None, *, before: dt.date | None = None) -> LoadedModel:
    """The newest stored version that beats its baseline on the current feature set and, given
    ``before`` (the game date predicted), learned only from game dates before it: a past date is
    predicted by the model that could have existed then, whatever was trained since (walk-forward).

    A damaged version (unreadable ``metrics.json``, or a qualifying version whose ``model.json`` does
    not load) is passed over for an older one. When nothing loads:

    * raises :class:`SystemSkip` with ``no_model`` when nothing was damaged: no version stored, none
      finished, or none qualifies. Not a fault: ``xgboost_v1`` is skipped and its breaker untouched.
    * raises :class:`SystemFailure` when a version was damaged: a fault, which the breaker counts.
    """
    import xgboost

    versions = list_versions(root)
    damaged: list[str] = []
    for version in versions:
        metrics, problem = _read_metrics(version, root)
        if problem is not None:
            damaged.append(f"{version} {problem}")
        if metrics is None or not _usable(metrics) or not _trained_before(metrics, before):
            continue
        try:
            raw = (_root(root) / version / "model.json").read_bytes()
            booster = xgboost.Booster()
            booster.load_model(bytearray(raw))
        except Exception as error:  # a damaged version is skipped, an older one may still serve
            log.warning("ignoring %s model %s: cannot load model.json (%s)", SYSTEM_ID, version, error)
            damaged.append(f"{version} model.json: {type(error).__name__}: {error}")
            continue
        return LoadedModel(version=version, metrics=metrics, booster=booster)
    where = root or get_settings().model_root
    if damaged:
        raise SystemFailure(
            f"no loadable {SYSTEM_ID} model under {where}: {len(damaged)} damaged version(s): "
            + "; ".join(damaged)[:500]
        )
    raise SystemSkip(
        LeagueSkipReason.NO_MODEL,
        f"no usable {SYSTEM_ID} model under {where}: {len(versions)} stored version(s), none "
        + (f"trained on dates before {before} " if before else "")
        + f"beats the season-average baseline with feature set {FEATURE_VERSION}; run the nba_model_training DAG",
    )


# --------------------------------------------------------------------------- the training task


def train(
    warehouse: Warehouse,
    root: str | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    min_rows: int = MIN_TRAINING_ROWS,
    min_dates: int = MIN_TRAINING_DATES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Load the history, train, evaluate and store a new version; return its metrics (with ``version``).

    Raises :class:`InsufficientTrainingData` (storing nothing) below ``min_rows`` rows or ``min_dates``
    dates. A model that does not beat the baseline is stored all the same (its metrics say so) and is
    never served.
    """
    frame = load_training_frame(warehouse, start=start, end=end)
    window = f"{start or 'the beginning'} to {end or 'the latest date'}"
    if frame.rows < min_rows or frame.n_dates < min_dates:
        raise InsufficientTrainingData(
            f"{frame.rows} training rows over {frame.n_dates} game dates from {window}: at least {min_rows} rows "
            f"and {min_dates} dates are needed; backfill the feature store first (nba_backfill)"
        )
    result = train_and_evaluate(frame, seed=seed)
    version = save_model(result, root)
    return {**result.metrics, "version": version}
