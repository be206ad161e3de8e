"""What the simulation serves: the source names, and one payload's rendering as bytes.

Each source is rendered by the module of its endpoint family (:mod:`.nbacom`,
:mod:`.balldontlie`, :mod:`.odds_api`, :mod:`.bettingpros`, :mod:`.espn`); this module checks
the request, settles the fetch moment and serializes a JSON document the same way every time
(keys in the real endpoint's order, no spaces, UTF-8), which makes a payload byte-identical
across runs; the injury report's renderer returns its PDF's bytes itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation import balldontlie, bettingpros, espn, nbacom, odds_api
from nba_pipeline.sources.simulation.calendar import ET, at
from nba_pipeline.sources.simulation.imperfections import IMPERFECTIONS

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague

__all__ = ["BOX_SCORE_SOURCES", "SOURCES", "Renderer", "render"]

SOURCES: tuple[str, ...] = (
    "nbac_schedule",
    "nbac_gamebook",
    "nbac_team_boxscore",
    "nbac_play_by_play",
    "nbac_injury_report",
    "nbac_player_list",
    "bdl_boxscores",
    "odds_api_events",
    "odds_api_player_points_props",
    "odds_api_game_lines",
    "bettingpros_player_props",
    "espn_rosters",
)
BOX_SCORE_SOURCES: frozenset[str] = frozenset(
    {"nbac_gamebook", "nbac_team_boxscore", "nbac_play_by_play", "bdl_boxscores"}
)

#: Renders one source's payload: (league, game date, fetch moment, imperfections) -> the JSON
#: document (an array for a live Odds API answer), or the bytes of a source that is not JSON (the
#: injury report's PDF).
Renderer = Callable[["SimulatedLeague", date, datetime, frozenset[str]], dict[str, Any] | list[Any] | bytes]

_RENDERERS: dict[str, Renderer] = (
    nbacom.RENDERERS | balldontlie.RENDERERS | odds_api.RENDERERS | bettingpros.RENDERERS | espn.RENDERERS
)
#: The sources that also have a live endpoint, rendered in its shape (The Odds API).
_LIVE_RENDERERS: dict[str, Renderer] = odds_api.LIVE_RENDERERS


def render(
    league: SimulatedLeague,
    source: str,
    game_date: date,
    as_of: datetime | None,
    imperfections: frozenset[str],
    live: bool = False,
) -> bytes:
    """The payload of ``source`` for ``game_date`` in ``league``; see ``SimulatedLeague.payload``.

    :raises ValueError: on an unknown source or imperfection, or ``live`` for a source without a
        live endpoint.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    if live and source not in _LIVE_RENDERERS:
        raise ValueError(f"{source} has no live endpoint; live sources: {', '.join(_LIVE_RENDERERS)}")
    unknown = set(imperfections) - IMPERFECTIONS
    if unknown:
        raise ValueError(f"unknown imperfections {sorted(unknown)}; expected a subset of {sorted(IMPERFECTIONS)}")
    if as_of is None:
        moment = at(game_date + timedelta(days=1), 6)
    elif as_of.tzinfo is None:
        moment = as_of.replace(tzinfo=ET)
    else:
        moment = as_of
    renderer = _LIVE_RENDERERS[source] if live else _RENDERERS[source]
    document = renderer(league, game_date, moment, frozenset(imperfections))
    return document if isinstance(document, bytes) else _dump(document)


def _dump(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")
