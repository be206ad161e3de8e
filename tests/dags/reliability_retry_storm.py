"""The daily pipeline cut down to three sources, for multi-day retry scenarios.

The real scrapers and raw processors of the registry (schedule, team box score, injury report) with
their own retries and breaker settings, the real calendar, built by the same builder as
``nba_daily_pipeline``. Only the retry delay differs: retries follow each other at once, so a day
with failures takes seconds instead of minutes of backoff.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import DAG, Param

from nba_pipeline.dag_builder import build_pipeline
from nba_pipeline.dag_defaults import START_DATE, default_args
from nba_pipeline.registry.processors import CALENDAR, RAW, SCRAPERS

SOURCES = ("nbac_schedule", "nbac_team_boxscore", "nbac_injury_report")
PROCESSORS = [spec for spec in (*SCRAPERS, *RAW) if spec.sources[0] in SOURCES]

with DAG(
    dag_id="reliability_retry_storm",
    doc_md=__doc__,
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=["nba", "test"],
    default_args=default_args(retry_delay=dt.timedelta(seconds=0), retry_exponential_backoff=0),
    params={
        "game_date": Param(None, type=["null", "string"], format="date"),
        "backfill": Param(False, type="boolean"),
        "force_processors": Param([], type="array", items={"type": "string"}),
        "ignore_breakers": Param([], type="array", items={"type": "string"}),
        "sources": Param([], type="array", items={"type": "string"}),
    },
):
    build_pipeline(PROCESSORS, CALENDAR)
