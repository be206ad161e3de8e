"""Betting payloads: The Odds API player points props and game lines, BettingPros points props."""

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
    check_payload_date,
    convert,
    iso_date,
)
from nba_pipeline.processors.raw.json_node import Node, describe

_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
_BOOK_KEY = re.compile(r"^[a-z0-9_]+$")
#: How far before / after the game date an odds snapshot may be taken.
_SNAPSHOT_DAYS_BEFORE = 14
_SNAPSHOT_DAYS_AFTER = 2
_MAX_POINTS_LINE = 100.0
_MAX_TOTAL = 400.0
_MAX_SPREAD = 60.0

#: BettingPros book ids and names → The Odds API bookmaker keys.
BETTINGPROS_BOOKS: dict[int, str] = {12: "draftkings", 10: "fanduel", 19: "betmgm", 13: "williamhill_us"}
_BOOK_NAMES = {
    "draftkings": "draftkings",
    "fanduel": "fanduel",
    "betmgm": "betmgm",
    "caesars": "williamhill_us",
}


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
    moment: dt.datetime = _utc(doc, "timestamp")
    taken = ids.et_date(moment)
    if not day - dt.timedelta(days=_SNAPSHOT_DAYS_BEFORE) <= taken <= day + dt.timedelta(days=_SNAPSHOT_DAYS_AFTER):
        raise doc.fail("timestamp", doc.value["timestamp"], f"a snapshot of {day}'s odds cannot be taken on {taken}")
    return moment


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
    """One row per game, book and quoted player: the Over / Under pair of the ``player_points`` market."""
    snapshot = _snapshot(doc, day)
    rows: list[ParsedRow] = []
    for event_node in doc.items("data"):
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
                    point = outcome.num("point", minimum=0.5, maximum=_MAX_POINTS_LINE)
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
    """One row per game and book: moneylines (h2h), the home spread and the total."""
    _snapshot(doc, day)
    rows: list[ParsedRow] = []
    for event_node in doc.items("data"):
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


# --------------------------------------------------------------------------- BettingPros


def bettingpros_bookmaker(book: Node) -> str:
    """The Odds API key of a BettingPros book (by id, then by name); other books keep a slug of their name."""
    book_id = book.int("book_id")
    if book_id in BETTINGPROS_BOOKS:
        return BETTINGPROS_BOOKS[book_id]
    name = book.str("book_name")
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug:
        raise book.fail("book_name", name, "cannot make a bookmaker key from it")
    return _BOOK_NAMES.get(slug, slug)


def parse_bettingpros(doc: Node, day: dt.date) -> list[ParsedRow]:
    """One row per game, player and book: the current line and the opening line."""
    check_payload_date(doc, "date", doc.value.get("date"), iso_date(doc, "date"), day)
    market = doc.obj("market")
    market_name = market.str("name")
    if market_name.strip().lower() != "points":
        raise market.fail("name", market_name, "expected the Points market")
    events: dict[int, tuple[str, dt.date, str, str]] = {}
    for event in doc.items("events"):
        event_id = event.int("id", minimum=1)
        home_code, visitor_code = event.str("home"), event.str("visitor")
        home = convert(event.at("home"), home_code, ids.team_code, home_code)
        away = convert(event.at("visitor"), visitor_code, ids.team_code, visitor_code)
        scheduled = event.str("scheduled")
        game_date = ids.et_date(convert(event.at("scheduled"), scheduled, ids.parse_et_iso, scheduled))
        check_game_date(event, "scheduled", scheduled, game_date, day)
        game_id = convert(event.at("visitor"), visitor_code, ids.canonical_game_id, game_date, away, home)
        found = (game_id, game_date, away, home)
        if events.setdefault(event_id, found) != found:
            raise event.fail("id", event_id, f"is used by two different games ({describe(events[event_id][0])})")
    rows: list[ParsedRow] = []
    for offer in doc.items("offers"):
        event_id = offer.int("event_id")
        if event_id not in events:
            raise offer.fail("event_id", event_id, "is not one of the payload's events")
        game_id, game_date, away, home = events[event_id]
        player = offer.obj("player")
        name = player.str("name")
        lookup = ids.player_lookup(name)
        if not lookup:
            raise player.fail("name", name, "has no letters to make a player_lookup from")
        team_text = player.str("team")
        team = convert(player.at("team"), team_text, ids.team_code, team_text)
        if team not in (away, home):
            raise player.fail("team", team_text, f"does not play in {game_id}")
        for book in offer.items("books"):
            updated = book.str("updated", nullable=True)
            row = {
                "game_id": game_id,
                "game_date": game_date,
                "bookmaker": bettingpros_bookmaker(book),
                "player_lookup": lookup,
                "player_name": name.strip(),
                "team_abbr": team,
                "bettingpros_event_id": event_id,
                "points_line": book.num("line", minimum=0.5, maximum=_MAX_POINTS_LINE),
                "opening_line": book.num("opening_line", nullable=True, minimum=0.5, maximum=_MAX_POINTS_LINE),
                "over_odds": american_odds(book, "over_odds"),
                "under_odds": american_odds(book, "under_odds"),
                "line_updated_at": convert(book.at("updated"), updated, ids.parse_et_iso, updated) if updated else None,
            }
            rows.append(ParsedRow(book.path, row))
    return rows


ODDS_PROPS = RawTable(
    "odds_api_player_points_props",
    "nba_raw.odds_api_player_points_props",
    ("game_id", "player_lookup", "bookmaker", "snapshot_time"),
    parse_odds_props,
    append_only=True,
)
GAME_LINES = RawTable("odds_api_game_lines", "nba_raw.odds_api_game_lines", ("game_id", "bookmaker"), parse_game_lines)
BETTINGPROS = RawTable(
    "bettingpros_player_props",
    "nba_raw.bettingpros_player_points_props",
    ("game_id", "player_lookup", "bookmaker"),
    parse_bettingpros,
)
