"""The model-training task."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException


def _optional_date(value: Any) -> dt.date | None:
    text = "" if value is None else str(value).strip()
    if text in {"", "None", "null"}:
        return None
    return dt.date.fromisoformat(text)


class TrainModelOperator(BaseOperator):
    """Train ``xgboost_v1`` on the feature store's history and store it as a new model version.

    Reads the feature store joined with the points actually scored, holds out the latest ~20 % of the
    dates, and stores the model with its metrics (model and season-average MAE on the held-out dates,
    ``beats_baseline``). A model that does not beat the baseline is stored but never served, and the
    task logs a warning. Too few rows or dates fail the task without retries (retrying cannot create
    history) and store nothing. Returns the metrics, with the new ``version``.

    :param window_start: first game date to train on (``YYYY-MM-DD``; empty: the whole history).
    :param window_end: last game date to train on (``YYYY-MM-DD``; empty: up to the latest).
    :param model_root: where models are stored; ``NBA_MODEL_ROOT`` when None.
    :param min_rows: the fewest training rows worth a model.
    """

    template_fields = ("window_start", "window_end", "model_root")
    ui_color = "#fce5cd"

    def __init__(
        self,
        *,
        window_start: str | None = None,
        window_end: str | None = None,
        model_root: str | None = None,
        min_rows: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.window_start = window_start
        self.window_end = window_end
        self.model_root = model_root
        self.min_rows = min_rows

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline.predictions.model import MIN_TRAINING_ROWS, InsufficientTrainingData, train
        from nba_pipeline.warehouse import get_warehouse

        try:
            start, end = _optional_date(self.window_start), _optional_date(self.window_end)
        except ValueError as error:
            raise AirflowFailException(f"bad training window: {error}") from error
        if start and end and end < start:
            raise AirflowFailException(f"end_date {end} is before start_date {start}")
        with get_warehouse() as warehouse:
            try:
                metrics = train(
                    warehouse,
                    self.model_root or None,
                    start=start,
                    end=end,
                    min_rows=self.min_rows if self.min_rows is not None else MIN_TRAINING_ROWS,
                )
            except InsufficientTrainingData as error:
                raise AirflowFailException(str(error)) from error
        self.log.info(
            "model %s: MAE %.3f vs season-average baseline %.3f on %d held-out rows (%s to %s), %d training rows",
            metrics["version"],
            metrics["model_mae"],
            metrics["baseline_mae"],
            metrics["holdout_rows"],
            metrics["holdout_dates"]["first"],
            metrics["holdout_dates"]["last"],
            metrics["train_rows"],
        )
        top = list(metrics["feature_importance"].items())[:8]
        self.log.info("feature importance (share of total gain): %s", ", ".join(f"{k} {v:.3f}" for k, v in top))
        if not metrics["beats_baseline"]:
            self.log.warning(
                "model %s does not beat the baseline: stored, but it will not be served", metrics["version"]
            )
        return metrics
