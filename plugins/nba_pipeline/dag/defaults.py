"""Defaults every DAG of the project shares: owner, retries with capped exponential backoff,
a timezone-aware start date in America/New_York, tags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pendulum
from airflow.sdk import Param

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


#: The JSON Schema dialect every Param declares. Airflow validates each Param of each task every
#: time it serializes a DAG (some 3,900 validations in one daily run under ``dag.test()``), and
#: checking a schema against draft 2020-12's meta-schema, the default, costs five times what
#: draft-07's does; no schema here uses anything newer than draft-07.
SCHEMA_DIALECT = "http://json-schema.org/draft-07/schema#"


def param(default: Any, description: str | None = None, **schema: Any) -> Param:
    """A trigger-form Param whose JSON Schema (``schema``: ``type``, ``format``, ``enum``...) is
    checked as :data:`SCHEMA_DIALECT`."""
    return Param(default, description, schema={"$schema": SCHEMA_DIALECT, **schema})


def names_param(names: Iterable[str], description: str) -> Param:
    """An optional list of names, each one of ``names`` (default ``[]``).

    The trigger form shows a multi-select whose options are the schema's ``examples``; ``items.enum``
    refuses any other name with a message naming it and the allowed ones. ``null`` is allowed because
    the form sends it when the selection is cleared.
    """
    allowed = list(dict.fromkeys(names))
    return param([], description, type=["array", "null"], items={"type": "string", "enum": allowed}, examples=allowed)


def optional_name_param(names: Iterable[str], description: str) -> Param:
    """An optional name, one of ``names`` (default ``None``).

    The trigger form shows a text field suggesting ``names`` (a dropdown built from an ``enum`` would
    offer ``null`` as a choice); a string must be one of them (``if``/``then``), so a wrong one is
    refused with a message naming it and the allowed ones.
    """
    allowed = list(names)
    conditional = {"if": {"type": "string"}, "then": {"enum": allowed}}  # ``if`` is a Python keyword
    return param(None, description, type=["null", "string"], examples=allowed, **conditional)
