"""Assets the pipeline produces, so other DAGs can be scheduled on them."""

from __future__ import annotations

from airflow.sdk import Asset

# A name-only asset: a URI scheme would make Airflow load every provider to normalise it, which
# costs about a second of DAG parse time; the table goes in ``extra``.
FEATURE_STORE = Asset(name="nba_feature_store", extra={"table": "nba_predictions.ml_feature_store_v2"})

#: table → the asset updated when a processor writing it succeeds
TABLE_ASSETS: dict[str, Asset] = {"nba_predictions.ml_feature_store_v2": FEATURE_STORE}
