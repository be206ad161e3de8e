"""# NBA model training

Trains the `xgboost_v1` points model from the feature store's history (`nba_predictions.ml_feature_store_v2`
joined with the points scored, `nba_analytics.player_game_summary`) and stores it as a new version under
`NBA_MODEL_ROOT` with its metrics. The latest ~20 % of game dates are held out: the model's MAE there is
compared with the season-average baseline's, and only a model that beats it is ever served to the
prediction tasks (they load the newest such version; they never train).

Schedule: weekly, Mondays 06:00 America/New_York (before the day's predictions). No catchup.
Params `start_date` / `end_date` optionally bound the game dates trained on (empty: all history).
Fails, storing nothing, when the window has too few rows (e.g. the first week of a season).
"""

from __future__ import annotations

from airflow.sdk import DAG

from nba_pipeline.alerts import on_dag_run_failure
from nba_pipeline.dag.defaults import START_DATE, default_args, param
from nba_pipeline.dag.training import TrainModelOperator

with DAG(
    dag_id="nba_model_training",
    description="Weekly: train, evaluate and store the xgboost_v1 points model",
    doc_md=__doc__,
    schedule="0 6 * * 1",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    on_failure_callback=on_dag_run_failure,
    tags=["nba", "ml"],
    default_args=default_args(retries=1),
    params={
        "start_date": param(
            None,
            type=["null", "string"],
            format="date",
            description="first game date to train on (empty: the whole history)",
        ),
        "end_date": param(
            None,
            type=["null", "string"],
            format="date",
            description="last game date to train on (empty: up to the latest)",
        ),
    },
):
    TrainModelOperator(
        task_id="train_model",
        window_start="{{ params.start_date or '' }}",
        window_end="{{ params.end_date or '' }}",
    )
