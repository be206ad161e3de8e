"""An Airflow DAG: the daily pipeline cut down to three sources, for multi-day retry scenarios.

The real scrapers and raw processors of the registry (schedule, team box score, injury report) with
their own retries and breaker settings, the real calendar, built by the same builder as
``nba_daily_pipeline``. Only the retry delay differs: retries follow each other at once, so a day
with failures takes seconds instead of minutes of backoff.
"""

from __future__ import annotations

from nba_pipeline.dag.builder import build_pipeline
from nba_pipeline.registry.guard_tables import GUARD_TABLES  # the pipeline's state tables
from nba_pipeline.registry.processors import CALENDAR, RAW, SCRAPERS
from tests.dags.toy_dag import toy_dag

SOURCES = ("nbac_schedule", "nbac_team_boxscore", "nbac_injury_report")
PROCESSORS = [spec for spec in (*SCRAPERS, *RAW) if spec.sources[0] in SOURCES]

with toy_dag("reliability_retry_storm", __doc__):
    build_pipeline(PROCESSORS, CALENDAR, GUARD_TABLES)
