"""The options of one DAG run, read from its Params, its logical date and its triggering events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pendulum

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
    """

    game_date: dt.date
    reference_date: dt.date
    backfill: bool
    force: frozenset[str]
    ignore_breakers: frozenset[str]
    sources: frozenset[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "game_date": self.game_date.isoformat(),
            "backfill": self.backfill,
            "force": sorted(self.force),
            "ignore_breakers": sorted(self.ignore_breakers),
            "sources": sorted(self.sources),
        }


def local_date(moment: dt.datetime | None) -> dt.date:
    if moment is None:
        return clock.local_today()
    return pendulum.instance(moment).in_timezone(LOCAL_TIMEZONE).date()


def run_options(context: Mapping[str, Any], *, game_date: dt.date | None = None) -> RunOptions:
    """Options from the task context; ``game_date`` overrides the Param (mapped backfill tasks)."""
    params = context.get("params") or {}
    logical = context.get("logical_date") or context.get("data_interval_end")
    reference = local_date(logical)
    if game_date is None:
        raw = params.get("game_date")
        game_date = dt.date.fromisoformat(str(raw)) if raw else reference
    sources = set(params.get("sources") or ())
    for event_list in (context.get("triggering_asset_events") or {}).values():
        for event in event_list:
            source = (getattr(event, "extra", None) or {}).get("source")
            if source:
                sources.add(source)
    return RunOptions(
        game_date=game_date,
        reference_date=max(reference, game_date),
        backfill=bool(params.get("backfill", False)),
        force=frozenset(params.get("force_processors") or ()),
        ignore_breakers=frozenset(params.get("ignore_breakers") or ()),
        sources=frozenset(sources),
    )
