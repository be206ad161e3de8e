"""The DAG arguments every test pipeline shares: manual runs only, immediate retries (same number of
attempts, no minutes of backoff) and the run Params the guards read.

A file defining a DAG through this helper must still name Airflow and DAG somewhere (its
docstring will do): in safe mode the DAG processor skips a file lacking either word."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.sdk import DAG, Param

from nba_pipeline.dag.defaults import START_DATE, default_args


def guard_params() -> dict[str, Param]:
    """The Params the guards read (see ``nba_pipeline.dag.options``)."""
    return {
        "game_date": Param(None, type=["null", "string"], format="date"),
        "backfill": Param(False, type="boolean"),
        "force_processors": Param([], type="array", items={"type": "string"}),
        "ignore_breakers": Param([], type="array", items={"type": "string"}),
        "sources": Param([], type="array", items={"type": "string"}),
    }


def toy_dag(dag_id: str, doc_md: str | None, params: dict[str, Any] | None = None) -> DAG:
    return DAG(
        dag_id=dag_id,
        doc_md=doc_md,
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=["nba", "test"],
        default_args=default_args(retry_delay=dt.timedelta(seconds=0), retry_exponential_backoff=0),
        params=guard_params() if params is None else params,
    )
