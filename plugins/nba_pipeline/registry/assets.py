"""Assets the pipeline produces, so other DAGs can be scheduled on them."""

from __future__ import annotations

from airflow.sdk import Asset

FEATURE_STORE = Asset(name="nba_feature_store", uri="nba-warehouse://nba_predictions/ml_feature_store_v2")

#: table → the asset updated when a processor writing it succeeds
TABLE_ASSETS: dict[str, Asset] = {"nba_predictions.ml_feature_store_v2": FEATURE_STORE}
