"""The options of one DAG run: its game date (a templated field of each task), its Params, its
logical date and its triggering events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import pendulum
from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from nba_pipeline import clock
from nba_pipeline.settings import LOCAL_TIMEZONE


@dataclass(frozen=True)
class RunOptions:
    """:param game_date: the local date the run works on.
    :param reference_date: the run's own local date (its logical date), against which "historical" is judged.
    :param backfill: backfill mode: no historical skip, no staleness failure.
    :param force: processors to run even if a smart skip or the dependency check says otherwise.
    :param ignore_breakers: breakers whose gate is bypassed (outcomes are still recorded).
    :param sources: the sources this run was triggered for; empty means all.
    :param game_date_reason: where the game date came from, for the run's log and, through the
        raw run rows' ``opts``, for ``nba-pipeline summary``.
    """

    game_date: dt.date
    reference_date: dt.date
    backfill: bool
    force: frozenset[str]
    ignore_breakers: frozenset[str]
    sources: frozenset[str]
    game_date_reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "game_date": self.game_date.isoformat(),
            "backfill": self.backfill,
            "force": sorted(self.force),
            "ignore_breakers": sorted(self.ignore_breakers),
            "sources": sorted(self.sources),
            **({"game_date_reason": self.game_date_reason} if self.game_date_reason else {}),
        }


def local_date(moment: dt.datetime | None) -> dt.date:
    if moment is None:
        return clock.local_today()
    return pendulum.instance(moment).in_timezone(LOCAL_TIMEZONE).date()


#: The run's game date as each run task renders it into its ``game_date`` field: the trigger form's
#: ``game_date``, or empty for the day of the run's logical date in New York (a scheduled run).
GAME_DATE_TEMPLATE = "{{ params.game_date or '' }}"


class RunDated(BaseOperator):
    """Base of the operators of a daily run: the game date comes in as the keyword argument and
    templated field ``game_date`` (default :data:`GAME_DATE_TEMPLATE`; a DAG author may pin it, the
    Rendered Template tab shows what a task used), the other options from the Params and the
    triggering asset events. With another operator class, list it first."""

    template_fields: Collection[str] = ("game_date",)

    def __init__(self, *, game_date: str = GAME_DATE_TEMPLATE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.game_date = game_date

    def options_for(self, context: Mapping[str, Any]) -> RunOptions:
        return run_options(context, game_date=self.game_date)


def run_options(context: Mapping[str, Any], *, game_date: str | None) -> RunOptions:
    """Options from the task context.

    :param game_date: the run's game date as the task's templated field rendered it; empty or None:
        the day of the logical date in New York.
    :raises ValueError: ``game_date`` is not an ISO date.
    :raises AirflowFailException: the run's conf names a key the DAG declares no Param for (a
        misspelt ``gamedate`` would otherwise be ignored without a word); no retry can mend it.
    """
    _check_conf(context)
    params = context.get("params") or {}
    logical = context.get("logical_date") or context.get("data_interval_end")
    reference = local_date(logical)
    day = _date(game_date) or reference
    if _date(game_date):
        reason = f"game date {day}: given (the game_date Param or the task's game_date)"
    else:
        reason = (
            f"game date {day}: no game_date given, so the day of the run's logical date "
            f"({logical.isoformat() if logical else 'none: now'}) in {LOCAL_TIMEZONE}"
        )
    sources = set(params.get("sources") or ())
    for event_list in (context.get("triggering_asset_events") or {}).values():
        for event in event_list:
            source = (getattr(event, "extra", None) or {}).get("source")
            if source:
                sources.add(source)
    return RunOptions(
        game_date=day,
        reference_date=max(reference, day),
        backfill=bool(params.get("backfill", False)),
        force=frozenset(params.get("force_processors") or ()),
        ignore_breakers=frozenset(params.get("ignore_breakers") or ()),
        sources=frozenset(sources),
        game_date_reason=reason,
    )


def _check_conf(context: Mapping[str, Any]) -> None:
    """Refuse conf keys the DAG has no Param for; the Params themselves validate the values."""
    dag, dag_run = context.get("dag"), context.get("dag_run")
    conf = getattr(dag_run, "conf", None) or {}
    declared = set(getattr(dag, "params", None) or ())
    unknown = sorted(set(conf) - declared) if declared else []
    if unknown:
        raise AirflowFailException(
            f"the run's conf has keys the DAG does not declare: {', '.join(unknown)}; "
            f"its Params are: {', '.join(sorted(declared))}"
        )


def _date(value: str | None) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"game_date {text!r} is not a date (YYYY-MM-DD)") from None
