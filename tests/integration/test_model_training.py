"""Training ``xgboost_v1`` on a backfilled stretch of the simulated 2024-25 season, storing and loading
versions, and the training DAG under ``dag.test()``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.airflow_runs import load_dag, run_dag, task_states
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration

FIRST, LAST = dt.date(2024, 12, 12), dt.date(2025, 1, 15)  # about 5,000 training rows


@pytest.fixture(scope="module")
def season(tmp_path_factory) -> Iterator[Path]:
    """A warehouse with FIRST..LAST backfilled (phases 1-4), the configured one for the module."""
    from nba_pipeline.backfill import dates_between, record_progress, run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.settings import get_settings
    from nba_pipeline.warehouse import get_warehouse

    folder = tmp_path_factory.mktemp("training_season")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NBA_DATA_DIR", str(folder))
        env.setenv("NBA_DUCKDB_PATH", str(folder / "warehouse.duckdb"))
        env.setenv("NBA_PAYLOAD_ROOT", str(folder / "payloads"))
        env.setenv("NBA_MODEL_ROOT", str(folder / "no_models_here"))
        get_settings.cache_clear()
        with get_warehouse() as warehouse:
            apply_migrations(warehouse)
            for day in dates_between(FIRST, LAST):
                outcome = run_date(warehouse, backfill_processors(), CALENDAR, day, dag_run_id="training_backfill")
                record_progress(warehouse, outcome, "training_backfill")
                assert outcome.count("failed") == 0, outcome.outcome
        yield folder
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def frame(season):
    from nba_pipeline.predictions.model import load_training_frame
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        return load_training_frame(warehouse)


@pytest.fixture(scope="module")
def trained(frame):
    from nba_pipeline.predictions.model import train_and_evaluate

    return train_and_evaluate(frame, holdout_fraction=0.2, seed=2024)


def _holdout_mask(dates: np.ndarray) -> np.ndarray:
    """The latest 20 % of the distinct dates, computed here independently of the code under test."""
    distinct = sorted(set(dates.tolist()))
    held = set(distinct[-round(len(distinct) * 0.2):])
    return np.array([d in held for d in dates.tolist()])


def test_the_training_frame_pairs_features_with_the_points_scored(frame):
    from nba_pipeline.features import FEATURE_NAMES
    from nba_pipeline.warehouse import get_warehouse

    assert frame.x.shape == (frame.rows, 25) and frame.rows > 4000
    assert frame.n_dates >= 25
    assert np.array_equal(frame.season_average, frame.x[:, FEATURE_NAMES.index("points_avg_season")])
    assert np.all(np.diff(frame.dates.astype("int64")) >= 0), "rows come in date order"
    with get_warehouse() as warehouse:
        sample = warehouse.query(
            "SELECT points FROM nba_analytics.player_game_summary WHERE player_lookup = @p AND game_date = @d",
            {"p": str(frame.player_lookups[-1]), "d": frame.dates[-1].item()},
        )
    assert sample == [{"points": int(frame.y[-1])}]


def test_the_model_beats_the_season_average_on_the_held_out_dates(frame, trained):
    from nba_pipeline.predictions.model import InsufficientTrainingData, split_by_date

    holdout = _holdout_mask(frame.dates)
    train_dates, held_dates = frame.dates[~holdout], frame.dates[holdout]
    assert train_dates.max() < held_dates.min(), "the split is by date: nothing held out is trained on"
    actual = frame.y[holdout]
    model_mae = float(np.mean(np.abs(trained.model.predict(frame.x[holdout]) - actual)))
    baseline_mae = float(np.mean(np.abs(frame.season_average[holdout] - actual)))
    print(f"\nheld out {holdout.sum()} rows on {len(set(held_dates.tolist()))} dates "
          f"({held_dates.min()}..{held_dates.max()}), trained on {(~holdout).sum()}: "
          f"model MAE {model_mae:.3f}, season-average MAE {baseline_mae:.3f}")
    assert model_mae < baseline_mae

    metrics = trained.metrics
    assert metrics["model_mae"] == pytest.approx(model_mae, abs=1e-4)
    assert metrics["baseline_mae"] == pytest.approx(baseline_mae, abs=1e-4)
    assert metrics["beats_baseline"] is True
    assert (metrics["train_rows"], metrics["holdout_rows"]) == (int((~holdout).sum()), int(holdout.sum()))
    assert metrics["holdout_dates"]["first"] == str(held_dates.min())
    with pytest.raises(InsufficientTrainingData):
        split_by_date(frame.dates[frame.dates == frame.dates[0]], 0.2)


def test_training_is_deterministic(frame, trained):
    from nba_pipeline.predictions.model import train_and_evaluate

    again = train_and_evaluate(frame, holdout_fraction=0.2, seed=2024)
    assert again.metrics["model_mae"] == trained.metrics["model_mae"]


def test_feature_importance_is_reported_as_shares_of_the_gain(trained):
    from nba_pipeline.features import FEATURE_NAMES

    importance = trained.metrics["feature_importance"]
    assert set(importance) <= set(FEATURE_NAMES) and len(importance) >= 10
    assert sum(importance.values()) == pytest.approx(1.0, abs=1e-3)
    assert list(importance.values()) == sorted(importance.values(), reverse=True)
    assert next(iter(importance)) in {"points_avg_season", "points_avg_last_10", "points_avg_last_5"}, importance


def test_a_saved_model_loads_back_and_serves_the_xgboost_system(season, frame, trained, tmp_path):
    from nba_pipeline.features import FEATURE_NAMES
    from nba_pipeline.predictions.contract import PlayerInput, SystemPrediction
    from nba_pipeline.predictions.model import load_best_model, save_model
    from nba_pipeline.predictions.systems import XGBoostSystem
    from nba_pipeline.warehouse import get_warehouse

    root = str(tmp_path / "models")
    version = save_model(trained, root)
    folder = tmp_path / "models" / "xgboost_v1" / version
    assert json.loads((folder / "model.json").read_text())["learner"]
    stored = json.loads((folder / "metrics.json").read_text())
    assert stored["feature_names"] == list(FEATURE_NAMES) and stored["version"] == version

    loaded = load_best_model(root)
    assert loaded.version == version and loaded.metrics["beats_baseline"] is True
    x = frame.x[-200:]
    assert np.allclose(loaded.predict(x), trained.model.predict(x), atol=1e-4)

    with get_warehouse() as warehouse:
        rows = warehouse.query(
            "SELECT player_lookup, game_id, features FROM nba_predictions.ml_feature_store_v2 "
            "WHERE game_date = @d ORDER BY player_lookup LIMIT 45", {"d": LAST})
    players = [
        PlayerInput(player_lookup=r["player_lookup"], game_id=r["game_id"], game_date=LAST, team_abbr="",
                    opponent_team_abbr="", is_home=True, line=12.5, line_source="estimated", line_estimated=True,
                    features=dict(zip(FEATURE_NAMES, r["features"], strict=True)), feature_quality_score=92.0)
        for r in rows
    ]
    results = XGBoostSystem(lambda: load_best_model(root)).predict_batch(players)
    assert len(results) == 45 and all(isinstance(r, SystemPrediction) for r in results.values())
    expected = loaded.predict(np.array([[p.features[n] for n in FEATURE_NAMES] for p in players]))
    assert [r.predicted_points for r in results.values()] == pytest.approx(np.round(expected, 2).tolist())


def test_newer_versions_that_do_not_qualify_are_ignored(trained, tmp_path):
    from nba_pipeline.predictions.model import TrainingResult, list_versions, load_best_model, save_model

    root = str(tmp_path / "models")
    t0 = dt.datetime(2025, 1, 20, 11, 0, tzinfo=dt.UTC)
    good = save_model(trained, root, now=t0)
    assert good == "20250120T110000Z"
    worse = TrainingResult(trained.model, {**trained.metrics, "beats_baseline": False, "model_mae": 9.9})
    other_features = TrainingResult(trained.model, {**trained.metrics, "feature_names": ["points_avg_last_5"]})
    assert save_model(worse, root, now=t0 + dt.timedelta(hours=1)) == "20250120T120000Z"
    assert save_model(other_features, root, now=t0 + dt.timedelta(hours=2)) == "20250120T130000Z"
    unfinished = tmp_path / "models" / "xgboost_v1" / "20250120T140000Z"
    unfinished.mkdir()
    (unfinished / "model.json").write_text("{}")
    assert list_versions(root)[0] == "20250120T140000Z"
    assert load_best_model(root).version == good
    # the same second twice: the second version moves on by a second
    assert save_model(trained, root, now=t0) == "20250120T110001Z"
    assert load_best_model(root).version == "20250120T110001Z"


def test_no_look_ahead_later_games_change_neither_the_model_nor_its_predictions(season, settings_env, tmp_path):
    """Walk-forward: the model for a date learns from the dates before it, and a date is predicted
    only by such a model. Every later game is then changed (points and features): the model trained
    for the date is the same to the byte, and so is what it predicts for the date; a newer model
    that learned from the changed games is passed over for that date."""
    import shutil

    from nba_pipeline.features import FEATURE_NAMES
    from nba_pipeline.predictions.model import load_best_model, train
    from nba_pipeline.warehouse import get_warehouse

    day = LAST - dt.timedelta(days=7)
    shutil.copy(season / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    settings_env.setenv("NBA_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    features_sql = ("SELECT features FROM nba_predictions.ml_feature_store_v2 WHERE game_date = @d "
                    "ORDER BY player_lookup")

    def model_for_day(root: Path):
        with get_warehouse() as warehouse:
            metrics = train(warehouse, str(root), end=day - dt.timedelta(days=1))
        folder = root / "xgboost_v1" / metrics["version"]
        if not metrics["beats_baseline"]:  # served or not, it is the model the date would have had
            (folder / "metrics.json").write_text(json.dumps({**metrics, "beats_baseline": True}))
        return metrics, (folder / "model.json").read_bytes()

    with get_warehouse() as warehouse:
        x = np.array([r["features"] for r in warehouse.query(features_sql, {"d": day})], dtype=float)
    assert x.shape[0] > 50 and x.shape[1] == len(FEATURE_NAMES)
    before_metrics, before_bytes = model_for_day(tmp_path / "before")
    assert before_metrics["dates"]["last"] < day.isoformat()
    predicted_before = load_best_model(str(tmp_path / "before"), before=day).predict(x)

    with get_warehouse() as warehouse:
        changed = warehouse.execute_dml(
            "UPDATE nba_analytics.player_game_summary SET points = points + 20 WHERE game_date >= @d", {"d": day})
        warehouse.execute_dml(
            "UPDATE nba_predictions.ml_feature_store_v2 "
            "SET features = ARRAY(SELECT v * 3 + 1 FROM UNNEST(features) AS v) WHERE game_date >= @d", {"d": day})
    assert changed.updated > 500
    after_metrics, after_bytes = model_for_day(tmp_path / "after")
    assert after_bytes == before_bytes and after_metrics["dates"] == before_metrics["dates"]
    assert np.array_equal(load_best_model(str(tmp_path / "after"), before=day).predict(x), predicted_before)

    with get_warehouse() as warehouse:  # a later model, trained on the changed games, is newer
        newest = train(warehouse, str(tmp_path / "after"), end=LAST)["version"]
    folder = tmp_path / "after" / "xgboost_v1" / newest
    (folder / "metrics.json").write_text(json.dumps({**json.loads((folder / "metrics.json").read_text()),
                                                     "beats_baseline": True}))
    assert load_best_model(str(tmp_path / "after")).version == newest
    assert load_best_model(str(tmp_path / "after"), before=day).version == after_metrics["version"]
    assert load_best_model(str(tmp_path / "after"), before=LAST + dt.timedelta(days=1)).version == newest


def test_no_model_at_all_skips_the_system(season, settings_env, tmp_path, trained):
    """Nothing to serve is no fault: no version stored, only an unfinished one, or only versions that
    do not beat the baseline all raise SystemSkip(no_model), which the worker does not count."""
    from nba_pipeline.predictions.contract import SystemFailure, SystemSkip
    from nba_pipeline.predictions.model import TrainingResult, load_best_model, save_model
    from nba_pipeline.predictions.systems import XGBoostSystem
    from nba_pipeline.settings import get_settings
    from tests.unit.test_prediction_systems import make_player

    settings_env.setenv("NBA_MODEL_ROOT", str(tmp_path / "empty"))
    get_settings.cache_clear()
    with pytest.raises(SystemSkip, match="no usable xgboost_v1 model") as skip:
        load_best_model()
    assert skip.value.reason == "no_model" and not isinstance(skip.value, SystemFailure)
    assert "0 stored version(s)" in skip.value.detail and "nba_model_training" in skip.value.detail
    with pytest.raises(SystemSkip, match="nba_model_training"):
        XGBoostSystem().predict_batch([make_player()])

    root = tmp_path / "not_served"
    unfinished = root / "xgboost_v1" / "20250120T140000Z"
    unfinished.mkdir(parents=True)
    (unfinished / "model.json").write_text("{}")  # metrics.json is written last: training still running
    worse = TrainingResult(trained.model, {**trained.metrics, "beats_baseline": False})
    save_model(worse, str(root), now=dt.datetime(2025, 1, 20, 11, 0, tzinfo=dt.UTC))
    with pytest.raises(SystemSkip, match="2 stored version"):
        load_best_model(str(root))


def test_a_damaged_model_is_a_failure_unless_an_older_one_serves(season, tmp_path, trained):
    """A model that is there but cannot be read is a fault (SystemFailure, counted by the breaker);
    an older good version still serves when the newest is damaged."""
    from nba_pipeline.predictions.contract import SystemFailure, SystemSkip
    from nba_pipeline.predictions.model import load_best_model, save_model
    from nba_pipeline.predictions.systems import XGBoostSystem
    from tests.unit.test_prediction_systems import make_player

    t0 = dt.datetime(2025, 1, 20, 11, 0, tzinfo=dt.UTC)
    broken_model = str(tmp_path / "broken_model")
    version = save_model(trained, broken_model, now=t0)
    (tmp_path / "broken_model" / "xgboost_v1" / version / "model.json").write_bytes(b"\x00 not a model")
    with pytest.raises(SystemFailure, match="1 damaged version") as failure:
        load_best_model(broken_model)
    assert not isinstance(failure.value, SystemSkip) and f"{version} model.json" in str(failure.value)
    with pytest.raises(SystemFailure, match="damaged version"):
        XGBoostSystem(lambda: load_best_model(broken_model)).predict_batch([make_player()])

    broken_metrics = str(tmp_path / "broken_metrics")
    version = save_model(trained, broken_metrics, now=t0)
    (tmp_path / "broken_metrics" / "xgboost_v1" / version / "metrics.json").write_text('{"beats_baseline": tr')
    with pytest.raises(SystemFailure, match=f"{version} metrics.json: JSONDecodeError"):
        load_best_model(broken_metrics)

    older = save_model(trained, broken_model, now=t0 - dt.timedelta(days=1))
    assert load_best_model(broken_model).version == older


def test_too_few_rows_store_nothing(season, tmp_path):
    from nba_pipeline.predictions.model import InsufficientTrainingData, list_versions, train
    from nba_pipeline.warehouse import get_warehouse

    root = str(tmp_path / "models")
    with get_warehouse() as warehouse, pytest.raises(InsufficientTrainingData, match="training rows"):
        train(warehouse, root, start=LAST - dt.timedelta(days=3))
    assert list_versions(root) == []


def test_the_training_dag_stores_a_model_and_refuses_a_tiny_window(airflow_db, season, settings_env, tmp_path):
    from nba_pipeline.predictions.model import list_versions, load_best_model
    from nba_pipeline.settings import get_settings

    root = str(tmp_path / "models")
    settings_env.setenv("NBA_MODEL_ROOT", root)
    get_settings.cache_clear()
    dag = load_dag(PROJECT_ROOT / "dags", "nba_model_training")
    assert set(dag.tags) == {"nba", "ml"} and dag.max_active_runs == 1 and not dag.catchup

    dag_run = run_dag(dag, LAST + dt.timedelta(days=5))
    assert dag_run.state == "success", task_states(dag_run)
    versions = list_versions(root)
    assert len(versions) == 1
    assert load_best_model(root).version == versions[0]
    metrics = json.loads((tmp_path / "models" / "xgboost_v1" / versions[0] / "metrics.json").read_text())
    assert metrics["model_mae"] < metrics["baseline_mae"]
    assert metrics["dates"]["last"] == str(LAST - dt.timedelta(days=1)), "the latest date with points scored"

    tiny = {"start_date": (LAST - dt.timedelta(days=2)).isoformat(), "end_date": LAST.isoformat()}
    dag_run = run_dag(dag, LAST + dt.timedelta(days=6), tiny)
    assert task_states(dag_run) == {"train_model": "failed"}
    assert list_versions(root) == versions, "nothing stored from too few rows"
