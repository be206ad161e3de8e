"""Defaults every DAG of the project shares: owner, retries with capped exponential backoff,
a timezone-aware start date in America/New_York, tags."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import pendulum

from nba_pipeline.settings import LOCAL_TIMEZONE

TIMEZONE = pendulum.timezone(LOCAL_TIMEZONE)
START_DATE = pendulum.datetime(2024, 10, 1, tz=TIMEZONE)
OWNER = "nba-data"


def default_args(**overrides: Any) -> dict[str, Any]:
    """Task defaults: two retries, exponential backoff from 1 minute capped at 10."""
    args: dict[str, Any] = {
        "owner": OWNER,
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(minutes=10),
        "execution_timeout": dt.timedelta(minutes=30),
    }
    args.update(overrides)
    return args


def one_of(names: Iterable[str]) -> str:
    """A JSON-schema pattern matching exactly one of ``names`` (for Param validation)."""
    return "^(" + "|".join(re.escape(n) for n in sorted(names)) + ")$"
