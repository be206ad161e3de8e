"""The Odds API's payloads: player points props and game lines (BettingPros is :mod:`.bettingpros`).

The Odds API's payloads come from its historical endpoints (past dates: each answer wrapped as a
snapshot, ``{timestamp, previous_timestamp, next_timestamp, data}``) or its live ones (today and
later: the bare answer, no ``timestamp``); the parsers read either, answer by answer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw.common import (
    ParsedRow,
    RawTable,
    american_odds,
    check_game_date,
    convert,
)
from nba_pipeline.processors.raw.json_node import Invalid, Node, decode

_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
_BOOK_KEY = re.compile(r"^[a-z0-9_]+$")
#: How far before / after the game date an odds snapshot may be taken.
_SNAPSHOT_DAYS_BEFORE = 14
_SNAPSHOT_DAYS_AFTER = 2
#: the highest points line any book offers (also BettingPros')
MAX_POINTS_LINE = 100.0
_MAX_TOTAL = 400.0
_MAX_SPREAD = 60.0

@dataclass(frozen=True)
class _Event:
    game_id: str
    game_date: dt.date
    event_id: str
    home: str
    away: str
    home_name: str
    away_name: str


def _utc(node: Node, key: str, *, nullable: bool = False) -> Any:
    text = node.str(key, nullable=nullable)
    if text is None:
        return None
    return convert(node.at(key), text, ids.parse_utc_z, text)


def _snapshot(doc: Node, day: dt.date) -> dt.datetime:
    """The payload's ``timestamp``: when the odds were fetched; it must be near the game date."""
    return _near(doc, "timestamp", _utc(doc, "timestamp"), day)


def _near(node: Node, key: str, moment: dt.datetime, day: dt.date) -> dt.datetime:
    """``moment`` (``node[key]``), once it is a time a snapshot of ``day``'s odds can be taken at."""
    taken = ids.et_date(moment)
    if not day - dt.timedelta(days=_SNAPSHOT_DAYS_BEFORE) <= taken <= day + dt.timedelta(days=_SNAPSHOT_DAYS_AFTER):
        raise node.fail(key, node.value[key], f"a snapshot of {day}'s odds cannot be taken on {taken}")
    return moment


#: What every Odds API event with odds holds (the SDK's required keys are a superset of these).
_EVENT_KEYS = ("id", "commence_time", "home_team", "away_team", "bookmakers")
_HISTORICAL_KEYS = ("timestamp", "data")


def _is_historical(node: Node) -> bool:
    """A historical answer: an object with the snapshot wrapper's keys (a faulty one then fails by
    the key it lacks)."""
    return isinstance(node.value, dict) and any(key in node.value for key in _HISTORICAL_KEYS)


_AN_EVENT = f"an event with {', '.join(_EVENT_KEYS)}"


def _neither(answer: str) -> str:
    historical = f"an object with {' and '.join(_HISTORICAL_KEYS)}"
    return f"neither a historical {answer} answer ({historical}) nor a live one ({_AN_EVENT})"


def _live_event(node: Node, expected: str) -> Node:
    """``node`` as a live answer's event: an object with the keys of an event with odds; else the
    fault names what was ``expected`` there and the keys it lacks."""
    value = node.value
    missing = [key for key in _EVENT_KEYS if key not in value] if isinstance(value, dict) else list(_EVENT_KEYS)
    if missing:
        shown = sorted(value) if isinstance(value, dict) else value
        raise Invalid(node.path or "(root)", shown, f"{expected}: no {', '.join(missing)}")
    return node


def _event_odds(answer: Node, day: dt.date) -> tuple[Node, dt.datetime | None]:
    """One event-odds answer: the event (with its bookmakers) and the moment its quotes are as of.

    Historical: the wrapper's ``timestamp``. Live: no timestamp is served, so the moment is the
    newest ``last_update`` of the event's bookmakers and markets (when its data were last
    refreshed; None without bookmakers, when there is no row to date), near the date as a
    snapshot must be.
    """
    if _is_historical(answer):
        snapshot = _snapshot(answer, day)
        return answer.obj("data"), snapshot
    event = _live_event(answer, _neither("event-odds"))
    newest: tuple[dt.datetime, Node] | None = None
    for book in event.items("bookmakers"):
        for node in (book, *book.items("markets")):
            moment = _utc(node, "last_update", nullable=True)
            if moment is not None and (newest is None or moment > newest[0]):
                newest = (moment, node)
    if newest is not None:
        return event, _near(newest[1], "last_update", newest[0], day)
    if event.value["bookmakers"]:
        raise event.fail(
            "bookmakers", "(no last_update)", "a live answer's rows are dated by its newest last_update; none is given"
        )
    return event, None


def _event(event: Node, day: dt.date) -> _Event:
    """An Odds API event: the game from its UTC start (read on the ET date) and full team names."""
    event_id = event.str("id")
    if not _EVENT_ID.match(event_id):
        raise event.fail("id", event_id, "is not a 32-character hex Odds API event id")
    start = _utc(event, "commence_time")
    game_date = ids.et_date(start)
    check_game_date(event, "commence_time", event.value["commence_time"], game_date, day)
    home_name, away_name = event.str("home_team"), event.str("away_team")
    home = convert(event.at("home_team"), home_name, ids.team_from_name, home_name)
    away = convert(event.at("away_team"), away_name, ids.team_from_name, away_name)
    game_id = convert(event.at("away_team"), away_name, ids.canonical_game_id, game_date, away, home)
    return _Event(game_id, game_date, event_id, home, away, home_name.strip(), away_name.strip())


def _bookmaker_key(book: Node) -> str:
    key: str = book.str("key")
    if not _BOOK_KEY.match(key):
        raise book.fail("key", key, "is not a bookmaker key (lowercase letters, digits, _)")
    return key


def _outcomes_by_name(market: Node, names: tuple[str, ...], *, point: bool) -> dict[str, tuple[Node, int, Any]]:
    """Outcome name → (node, price, point); a verbatim repeat is ignored, a conflicting one is a fault."""
    found: dict[str, tuple[Node, int, Any]] = {}
    for outcome in market.items("outcomes"):
        name = outcome.one_of("name", names)
        value = (
            outcome,
            american_odds(outcome, "price", nullable=False),
            outcome.num("point") if point else None,
        )
        previous = found.get(name)
        if previous is not None and previous[1:] != value[1:]:
            raise outcome.fail("price", value[1], f"a second {name!r} outcome differs from {previous[0].path}")
        found.setdefault(name, value)
    return found


# --------------------------------------------------------------------------- Odds API props


def parse_odds_props(doc: Node, day: dt.date) -> list[ParsedRow]:
    """One row per game, book and quoted player: the Over / Under pair of the ``player_points`` market.

    The payload is ``{"events": [...]}``, each element one answer of the event-odds endpoint:
    historical (``timestamp`` and its neighbours, ``data`` the event with its bookmakers) or live
    (the event with its bookmakers). Each answer's rows carry its own snapshot time: the historical
    ``timestamp``, or for a live answer the newest ``last_update`` among its bookmakers and markets.
    """
    rows: list[ParsedRow] = []
    for answer in doc.items("events"):
        event_node, snapshot = _event_odds(answer, day)
        event = _event(event_node, day)
        for book in event_node.items("bookmakers"):
            bookmaker = _bookmaker_key(book)
            book_update = _utc(book, "last_update", nullable=True)
            for market in book.items("markets"):
                if market.str("key") != "player_points":
                    continue
                updated = _utc(market, "last_update", nullable=True) or book_update
                sides: dict[str, dict[str, tuple[Node, str, int, float]]] = {}
                for outcome in market.items("outcomes"):
                    side = outcome.one_of("name", ("Over", "Under"))
                    name = outcome.str("description")
                    lookup = ids.player_lookup(name)
                    if not lookup:
                        raise outcome.fail("description", name, "has no letters to make a player_lookup from")
                    price = american_odds(outcome, "price", nullable=False)
                    point = outcome.num("point", minimum=0.5, maximum=MAX_POINTS_LINE)
                    quote = (outcome, name.strip(), price, point)
                    previous = sides.setdefault(lookup, {}).get(side)
                    if previous is not None and previous[1:] != quote[1:]:
                        raise outcome.fail(
                            "price", price, f"a second {side} for {name} differs from {previous[0].path}"
                        )
                    sides[lookup].setdefault(side, quote)
                for lookup, pair in sides.items():
                    over, under = pair.get("Over"), pair.get("Under")
                    if over and under and over[3] != under[3]:
                        raise under[0].fail(
                            "point", under[3], f"differs from the Over point {over[3]} ({over[0].path})"
                        )
                    first = over or under
                    assert first is not None
                    row = {
                        "snapshot_time": snapshot,
                        "game_id": event.game_id,
                        "game_date": event.game_date,
                        "event_id": event.event_id,
                        "bookmaker": bookmaker,
                        "player_lookup": lookup,
                        "player_name": first[1],
                        "points_line": first[3],
                        "over_price": over[2] if over else None,
                        "under_price": under[2] if under else None,
                        "line_updated_at": updated,
                    }
                    rows.append(ParsedRow(first[0].path, row))
    return rows


# --------------------------------------------------------------------------- Odds API game lines


def parse_game_lines(doc: Node, day: dt.date) -> list[ParsedRow]:
    """One row per game and book: moneylines (h2h), the home spread and the total.

    The payload is the live answer, a JSON array of events with their bookmakers, or the historical
    one, the snapshot wrapper whose ``data`` is that array (its ``timestamp`` near the date).
    """
    rows: list[ParsedRow] = []
    for event_node in _game_line_events(doc, day):
        event = _event(event_node, day)
        for book in event_node.items("bookmakers"):
            row: dict[str, Any] = {
                "game_id": event.game_id,
                "game_date": event.game_date,
                "bookmaker": _bookmaker_key(book),
                "event_id": event.event_id,
                "home_team_abbr": event.home,
                "away_team_abbr": event.away,
                "home_spread": None,
                "home_spread_price": None,
                "away_spread_price": None,
                "total_points": None,
                "over_price": None,
                "under_price": None,
                "home_moneyline": None,
                "away_moneyline": None,
                "line_updated_at": _utc(book, "last_update", nullable=True),
            }
            for market in book.items("markets"):
                _read_market(market, event, row)
            rows.append(ParsedRow(book.path, row))
    return rows


def _game_line_events(doc: Node, day: dt.date) -> list[Node]:
    """The events of a game-lines answer, live (the array itself) or historical (its ``data``)."""
    if isinstance(doc.value, list):
        expected = f"not an element of a live game-lines answer ({_AN_EVENT})"
        return [_live_event(Node(item, f"[{index}]"), expected) for index, item in enumerate(doc.value)]
    if _is_historical(doc):
        _snapshot(doc, day)
        return doc.items("data")
    _live_event(doc, _neither("game-lines"))  # an object that is neither: fails naming what it lacks
    raise Invalid("(root)", sorted(doc.value), "a single event where the live game-lines answer is a list")


def _read_market(market: Node, event: _Event, row: dict[str, Any]) -> None:
    """Fill ``row`` from one market of a book: moneylines (h2h), spreads or totals."""
    key = market.str("key")
    teams = (event.home_name, event.away_name)
    if key == "h2h":
        prices = _outcomes_by_name(market, teams, point=False)
        row["home_moneyline"] = prices[event.home_name][1] if event.home_name in prices else None
        row["away_moneyline"] = prices[event.away_name][1] if event.away_name in prices else None
    elif key == "spreads":
        spreads = _outcomes_by_name(market, teams, point=True)
        home, away = spreads.get(event.home_name), spreads.get(event.away_name)
        if home is not None:
            if abs(home[2]) > _MAX_SPREAD:
                raise home[0].fail("point", home[2], f"a spread beyond ±{_MAX_SPREAD:g}")
            if away is not None and away[2] != -home[2]:
                raise away[0].fail("point", away[2], f"is not the opposite of the home spread {home[2]}")
            row["home_spread"], row["home_spread_price"] = home[2], home[1]
        row["away_spread_price"] = away[1] if away else None
    elif key == "totals":
        totals = _outcomes_by_name(market, ("Over", "Under"), point=True)
        over, under = totals.get("Over"), totals.get("Under")
        first = over or under
        if first is not None:
            if not 0 < first[2] <= _MAX_TOTAL:
                raise first[0].fail("point", first[2], f"a total outside (0, {_MAX_TOTAL:g}]")
            if over and under and over[2] != under[2]:
                raise under[0].fail("point", under[2], f"differs from the Over point {over[2]}")
            row["total_points"] = first[2]
        row["over_price"] = over[1] if over else None
        row["under_price"] = under[1] if under else None


ODDS_PROPS = RawTable(
    "odds_api_player_points_props",
    "nba_raw.odds_api_player_points_props",
    ("game_id", "player_lookup", "bookmaker", "snapshot_time"),
    parse_odds_props,
    append_only=True,
)


def _decode_game_lines(body: bytes) -> Node:
    """The stored game lines: the historical wrapper (an object) or the live answer (an array)."""
    return decode(body, array=True)


GAME_LINES = RawTable(
    "odds_api_game_lines",
    "nba_raw.odds_api_game_lines",
    ("game_id", "bookmaker"),
    parse_game_lines,
    decode=_decode_game_lines,
    never_lowered=("line_updated_at",),  # a rerun's older quote leaves the newer one
)
