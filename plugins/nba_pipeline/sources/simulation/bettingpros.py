"""BettingPros as the simulation serves it: the day's points-market offers, one per player, with
every book's line.

BettingPros quotes more players than The Odds API (bench players down to 12 expected
minutes), which is why the pipeline reads both (``docs/payloads.md``).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.books import BOOKS, MOVE_HOUR, PropLine, book_post_time
from nba_pipeline.sources.simulation.calendar import et_iso
from nba_pipeline.sources.simulation.imperfections import duplicate_first

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague
    from nba_pipeline.sources.simulation.payloads import Renderer

__all__ = ["RENDERERS"]

_BETTINGPROS_MARKET_ID = 156


def _player_props(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    games = league.games_on(day)
    game_by_id = {game.game_id: game for game in games}
    by_player: dict[tuple[str, str], list[PropLine]] = {}
    for line in league.prop_lines(day):
        by_player.setdefault((line.game_id, line.player_lookup), []).append(line)
    offers = []
    for (game_id, lookup), lines in by_player.items():
        player = league.player(lookup)
        books = []
        for book, line in zip(BOOKS, lines, strict=True):
            posted = book_post_time(day, book, as_of)
            if posted is None:
                continue
            books.append(
                {
                    "book_id": book.bettingpros_id,
                    "book_name": book.title,
                    "line": line.current_line if posted.hour >= MOVE_HOUR else line.opening_line,
                    "opening_line": line.opening_line,
                    "over_odds": line.over_price,
                    "under_odds": line.under_price,
                    "updated": et_iso(posted),
                }
            )
        if books:
            offers.append(
                {
                    "offer_id": hashlib.sha256(f"{league.seed}|bp|{game_id}|{lookup}".encode()).hexdigest()[
                        :24
                    ],
                    "event_id": game_by_id[game_id].bettingpros_event_id,
                    "market_id": _BETTINGPROS_MARKET_ID,
                    "player": {
                        "name": player.full_name,
                        "slug": player.slug,
                        "team": player.team,
                        "position": player.position,
                    },
                    "books": books,
                }
            )
    duplicate_first(offers, imperfections)
    events = [
        {
            "id": game.bettingpros_event_id,
            "home": game.home,
            "visitor": game.away,
            "scheduled": et_iso(game.start_time),
        }
        for game in games
    ]
    return {
        "date": day.isoformat(),
        "market": {"id": _BETTINGPROS_MARKET_ID, "name": "Points"},
        "events": events,
        "offers": offers,
        "pagination": {"page": 1, "total_pages": 1, "total_items": len(offers)},
    }


#: The sources this module renders, by name.
RENDERERS: dict[str, Renderer] = {
    "bettingpros_player_props": _player_props,
}
