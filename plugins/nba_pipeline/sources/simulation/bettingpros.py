"""BettingPros as the simulation serves it: the day's events, then the points-market offers of
all of them in pages of 10, each body in the shape of the real v3 API (docs/real-endpoints.md §5).

A fetch stores the answers together, as the HTTP source does (:mod:`nba_pipeline.scrapers.page_numbers`):
``{"events": <GET /v3/events answer>, "offer_pages": [<GET /v3/offers answer, page 1>, ...]}``.
An offer is one player; its ``over`` and ``under`` selections list every book that quotes him, each
book's ``lines`` newest first (the current line, then the opening line once the book has moved it),
and the selection's ``opening_line`` is the first book's opening. Times are ``YYYY-MM-DD HH:MM:SS``
in UTC. BettingPros quotes more players than The Odds API (bench players down to 12 expected
minutes), which is why the pipeline reads both (``docs/payloads.md``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.books import BOOKS, MOVE_HOUR, PropLine, book_open_time, book_post_time
from nba_pipeline.sources.simulation.imperfections import duplicate_first

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague
    from nba_pipeline.sources.simulation.payloads import Renderer

__all__ = ["PAGE_SIZE", "RENDERERS"]

_MARKET_ID = 156  # points
#: offers per page: the most the real API returns for ``limit`` (four independent sources).
PAGE_SIZE = 10


def _player_props(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    games = league.games_on(day)
    events = {
        "_parameters": {"sport": "NBA", "date": day.isoformat()},
        "events": [
            {
                "id": game.bettingpros_event_id,
                "home": game.home,
                "visitor": game.away,
                "scheduled": _stamp(game.start_time),
                "status": "scheduled",
            }
            for game in games
        ],
    }
    event_ids = {game.game_id: game.bettingpros_event_id for game in games}
    by_player: dict[tuple[str, str], list[PropLine]] = {}
    for line in league.prop_lines(day):
        by_player.setdefault((line.game_id, line.player_lookup), []).append(line)
    offers = []
    for (game_id, lookup), lines in by_player.items():
        offer = _offer(league, day, as_of, event_ids[game_id], lookup, lines)
        if offer is not None:
            offers.append(offer)
    duplicate_first(offers, imperfections)
    joined = ":".join(str(game.bettingpros_event_id) for game in games)
    return {"events": events, "offer_pages": _pages(offers, joined) if games else []}


def _offer(
    league: SimulatedLeague, day: date, as_of: datetime, event_id: int, lookup: str, lines: list[PropLine]
) -> dict[str, Any] | None:
    """One player's offer, or None before any book has posted his line."""
    player = league.player(lookup)
    offer_id = _number(f"{league.seed}|bp|{event_id}|{lookup}")
    quoted: list[tuple[int, PropLine, datetime, datetime]] = []
    for book, line in zip(BOOKS, lines, strict=True):
        posted = book_post_time(day, book, as_of)
        if posted is not None:
            quoted.append((book.bettingpros_id, line, book_open_time(day, book), posted))
    if not quoted:
        return None
    selections = [_selection(offer_id, side, quoted) for side in ("over", "under")]
    return {
        "id": offer_id,
        "event_id": event_id,
        "market_id": _MARKET_ID,
        "player_id": _number(f"bp-player|{lookup}"),
        "active": True,
        "link": f"https://www.bettingpros.com/nba/props/{player.slug}/points/",
        "participants": [
            {
                "id": str(_number(f"bp-player|{lookup}")),
                "name": player.full_name,
                "player": {
                    "slug": player.slug,
                    "short_name": f"{player.first_name[0]}. {player.last_name}",
                    "position": player.position,
                    "team": player.team,
                },
            }
        ],
        "selections": selections,
    }


def _selection(offer_id: int, side: str, quoted: list[tuple[int, PropLine, datetime, datetime]]) -> dict[str, Any]:
    first_book, first_line, first_opened, _ = min(quoted, key=lambda q: q[2])
    books = []
    for book_id, line, opened, posted in quoted:
        history = [(line.current_line, posted)] if posted.hour >= MOVE_HOUR else []
        history.append((line.opening_line, opened))
        books.append(
            {
                "id": book_id,
                "lines": [
                    {
                        "id": _number(f"{offer_id}|{side}|{book_id}|{n}"),
                        "line": value,
                        "cost": _cost(line, side),
                        "updated": _stamp(moment),
                        "active": n == 0,
                        "best": False,
                        "main": n == 0,
                        "is_off": False,
                    }
                    for n, (value, moment) in enumerate(history)
                ],
            }
        )
    return {
        "id": f"{offer_id}:{side}",
        "selection": side,
        "label": side.capitalize(),
        "active": True,
        "opening_line": {
            "line": first_line.opening_line,
            "cost": _cost(first_line, side),
            "book_id": first_book,
            "created": _stamp(first_opened),
        },
        "books": books,
    }


def _cost(line: PropLine, side: str) -> int:
    return line.over_price if side == "over" else line.under_price


def _pages(offers: list[dict[str, Any]], joined: str) -> list[dict[str, Any]]:
    """The answers of ``/v3/offers?...&limit=10&page=n``: at least one page, the last maybe short."""
    total = max(1, -(-len(offers) // PAGE_SIZE))
    return [
        {
            "_parameters": {
                "sport": "NBA", "market_id": str(_MARKET_ID), "event_id": joined, "location": "ALL",
                "limit": str(PAGE_SIZE), "page": str(page),
            },  # fmt: skip
            "markets": [_MARKET_ID],
            "offers": offers[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            "_pagination": {"page": page, "total_pages": total, "total_items": len(offers)},
        }
        for page in range(1, total + 1)
    ]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _number(text: str) -> int:
    """A stable positive id below ten million, from ``text``."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) % 9_000_000 + 1_000_000


#: The sources this module renders, by name.
RENDERERS: dict[str, Renderer] = {
    "bettingpros_player_props": _player_props,
}
