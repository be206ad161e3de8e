"""The Odds API as the simulation serves it: the day's events, player points props and game
lines (moneyline, spread, total) per bookmaker.

Teams are full names, times UTC; a book's markets show its opening line until it moves them in
the afternoon, and nothing before it has posted (``docs/payloads.md``). Player props are the
real API's per-event answers (``/historical/.../events/{eventId}/odds``, ``data`` one event), all
of the day's events together in one document, as the HTTP scraper stores them.

Each source has two renderings: :data:`RENDERERS`, the historical endpoints' snapshot wrapper
(``{timestamp, previous_timestamp, next_timestamp, data}``, the snapshot at or before the fetch),
and :data:`LIVE_RENDERERS`, the live endpoints' bare answers as of the fetch moment itself: the
events and the game lines as lists, each event's props as one event object. The quotes are the
same for the same moment; only the wrapping differs.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from nba_pipeline.sources.simulation.books import BOOKS, MOVE_HOUR, PropLine, book_post_time
from nba_pipeline.sources.simulation.calendar import utc_z
from nba_pipeline.sources.simulation.imperfections import PLAYER_MISSING_FROM_BOOK, duplicate_first
from nba_pipeline.sources.simulation.rosters import TEAMS
from nba_pipeline.sources.simulation.schedule import SimulatedGame

if TYPE_CHECKING:
    from nba_pipeline.sources.simulation.league import SimulatedLeague
    from nba_pipeline.sources.simulation.payloads import Renderer

__all__ = ["LIVE_RENDERERS", "RENDERERS"]

_SNAPSHOT_INTERVAL = timedelta(minutes=5)


def _odds_event(game: SimulatedGame) -> dict[str, Any]:
    return {
        "id": game.odds_event_id,
        "sport_key": "basketball_nba",
        "sport_title": "NBA",
        "commence_time": utc_z(game.start_time),
        "home_team": TEAMS[game.home],
        "away_team": TEAMS[game.away],
    }


def _snapshot(as_of: datetime) -> datetime:
    """The historical snapshot a request at ``as_of`` gets: the last one at or before it (every five
    minutes). The data are rendered as of that moment, so no quote is newer than its snapshot."""
    return as_of - timedelta(minutes=as_of.minute % 5, seconds=as_of.second, microseconds=as_of.microsecond)


def _historical(taken: datetime, data: Any) -> dict[str, Any]:
    """The historical endpoints' wrapper: the snapshot's time and its neighbours', then the data."""
    return {
        "timestamp": utc_z(taken),
        "previous_timestamp": utc_z(taken - _SNAPSHOT_INTERVAL),
        "next_timestamp": utc_z(taken + _SNAPSHOT_INTERVAL),
        "data": data,
    }


def _event_list(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> list[dict[str, Any]]:
    """The day's events (the live events answer)."""
    data = [_odds_event(game) for game in league.games_on(day)]
    duplicate_first(data, imperfections)
    return data


def _events(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    taken = _snapshot(as_of)
    return _historical(taken, _event_list(league, day, taken, imperfections))


def _player_points_props(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """``{"events": [...]}``: per event of the day, in day order, the historical event-odds answer."""
    taken = _snapshot(as_of)
    return {"events": [_historical(taken, event) for event in _props_events(league, day, taken, imperfections)]}


def _live_player_points_props(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    """``{"events": [...]}``: per event of the day, in day order, the live event-odds answer (the
    event with its bookmakers, quoted as of ``as_of``)."""
    return {"events": _props_events(league, day, as_of, imperfections)}


def _props_events(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> list[dict[str, Any]]:
    """Each event of the day with its books' ``player_points`` markets as posted by ``as_of``."""
    lines_by_game_book: dict[tuple[str, str], list[PropLine]] = {}
    for line in league.prop_lines(day):
        if line.in_odds_api:
            lines_by_game_book.setdefault((line.game_id, line.book), []).append(line)
    data = []
    for game_index, game in enumerate(league.games_on(day)):
        omitted = None
        if PLAYER_MISSING_FROM_BOOK in imperfections and game_index == 0:
            covered = lines_by_game_book.get((game.game_id, BOOKS[0].key), [])
            if covered:
                omitted = min(league.player(line.player_lookup).full_name for line in covered)
        bookmakers = []
        for book in BOOKS:
            posted = book_post_time(day, book, as_of)
            if posted is None:
                continue
            outcomes = []
            lines = sorted(
                lines_by_game_book.get((game.game_id, book.key), []),
                key=lambda line: league.player(line.player_lookup).full_name,
            )
            for line in lines:
                name = league.player(line.player_lookup).full_name
                if book is BOOKS[0] and name == omitted:
                    continue
                point = line.current_line if posted.hour >= MOVE_HOUR else line.opening_line
                outcomes.append(
                    {"name": "Over", "description": name, "price": line.over_price, "point": point}
                )
                outcomes.append(
                    {"name": "Under", "description": name, "price": line.under_price, "point": point}
                )
            duplicate_first(outcomes, imperfections)
            bookmakers.append(
                {
                    "key": book.key,
                    "title": book.title,
                    "last_update": utc_z(posted),
                    "markets": [{"key": "player_points", "last_update": utc_z(posted), "outcomes": outcomes}],
                }
            )
        data.append(_odds_event(game) | {"bookmakers": bookmakers})
    return data


def _game_lines(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> dict[str, Any]:
    taken = _snapshot(as_of)
    return _historical(taken, _game_line_events(league, day, taken, imperfections))


def _game_line_events(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> list[dict[str, Any]]:
    """Each event of the day with its books' h2h, spreads and totals as posted by ``as_of`` (the
    live game-lines answer)."""
    by_game_book = {(line.game_id, line.book): line for line in league.game_lines(day)}
    data = []
    for game in league.games_on(day):
        home, away = TEAMS[game.home], TEAMS[game.away]
        bookmakers = []
        for book in BOOKS:
            posted = book_post_time(day, book, as_of)
            if posted is None:
                continue
            line = by_game_book[(game.game_id, book.key)]
            moved = posted.hour >= MOVE_HOUR
            spread = line.current_home_spread if moved else line.opening_home_spread
            total = line.current_total if moved else line.opening_total
            home_price = line.current_home_price if moved else line.opening_home_price
            away_price = line.current_away_price if moved else line.opening_away_price
            stamp = utc_z(posted)
            markets = [
                {
                    "key": "h2h",
                    "last_update": stamp,
                    "outcomes": [
                        {"name": home, "price": home_price},
                        {"name": away, "price": away_price},
                    ],
                },
                {
                    "key": "spreads",
                    "last_update": stamp,
                    "outcomes": [
                        {"name": home, "price": -110, "point": spread},
                        {"name": away, "price": -110, "point": -spread},
                    ],
                },
                {
                    "key": "totals",
                    "last_update": stamp,
                    "outcomes": [
                        {"name": "Over", "price": -110, "point": total},
                        {"name": "Under", "price": -110, "point": total},
                    ],
                },
            ]
            bookmakers.append(
                {"key": book.key, "title": book.title, "last_update": stamp, "markets": markets}
            )
        data.append(_odds_event(game) | {"bookmakers": bookmakers})
    duplicate_first(data, imperfections)
    return data


#: The sources this module renders, by name: the historical endpoints' answers.
RENDERERS: dict[str, Renderer] = {
    "odds_api_events": _events,
    "odds_api_player_points_props": _player_points_props,
    "odds_api_game_lines": _game_lines,
}

#: The same sources as the live endpoints answer them (no snapshot wrapper, as of the fetch).
LIVE_RENDERERS: dict[str, Renderer] = {
    "odds_api_events": _event_list,
    "odds_api_player_points_props": _live_player_points_props,
    "odds_api_game_lines": _game_line_events,
}
