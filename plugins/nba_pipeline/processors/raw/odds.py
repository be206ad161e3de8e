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
from nba_pipeline.processors.raw.json_node import Invalid, Node, describe

_EVENT_ID = re.compile(r"^[0-9a-f]{32}$")
_BOOK_KEY = re.compile(r"^[a-z0-9_]+$")
#: How far before / after the game date an odds snapshot may be taken.
_SNAPSHOT_DAYS_BEFORE = 14
_SNAPSHOT_DAYS_AFTER = 2
_MAX_POINTS_LINE = 100.0
_MAX_TOTAL = 400.0
_MAX_SPREAD = 60.0

#: BettingPros book ids → The Odds API bookmaker keys.
BETTINGPROS_BOOKS: dict[int, str] = {12: "draftkings", 10: "fanduel", 19: "betmgm", 13: "williamhill_us"}


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
    """One row per game, book and quoted player: the Over / Under pair of the ``player_points`` market.

    The payload is ``{"events": [...]}``, each element one answer of the historical event-odds
    endpoint (``timestamp`` and its neighbours, ``data`` the event with its bookmakers); each
    answer's rows carry its own snapshot time.
    """
    rows: list[ParsedRow] = []
    for answer in doc.items("events"):
        snapshot = _snapshot(answer, day)
        event_node = answer.obj("data")
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

_BP_POINTS_MARKET = 156
_BP_SIDES = ("over", "under")


def bettingpros_bookmaker(book: Node) -> str:
    """The Odds API key of a BettingPros book id; book 0 (BettingPros' consensus) is
    ``bettingpros_consensus``, another book ``bettingpros_<id>``."""
    book_id = book.int("id", minimum=0)
    if book_id in BETTINGPROS_BOOKS:
        return BETTINGPROS_BOOKS[book_id]
    return "bettingpros_consensus" if book_id == 0 else f"bettingpros_{book_id}"


def parse_bettingpros(doc: Node, day: dt.date) -> list[ParsedRow]:
    """One row per game, player and book: the current line and the opening line.

    The payload is the day's ``/v3/events`` answer and every ``/v3/offers`` page, each as served
    (``{"events": ..., "offer_pages": [...]}``): the pages must be 1..``total_pages`` of the points
    market, none missing. A book's ``lines`` are read newest first: ``lines[0]`` is the current
    line (what BettingPros' clients read), the last one the book's opening line [unverified: the
    simulation's reading of the real ``lines`` list, docs/real-endpoints.md §5].
    """
    events = _bettingpros_events(doc.obj("events"), day)
    rows: list[ParsedRow] = []
    for page in _offer_pages(doc.items("offer_pages")):
        for offer in page.items("offers"):
            rows.extend(_offer_rows(offer, events))
    return rows


def _bettingpros_events(answer: Node, day: dt.date) -> dict[int, tuple[str, dt.date, str, str]]:
    """The ``/v3/events`` answer: event id → (game id, game date, away, home)."""
    parameters = answer.obj("_parameters")
    check_payload_date(parameters, "date", parameters.value.get("date"), iso_date(parameters, "date"), day)
    events: dict[int, tuple[str, dt.date, str, str]] = {}
    for event in answer.items("events"):
        event_id = event.int("id", minimum=1)
        home_code, visitor_code = event.str("home"), event.str("visitor")
        home = convert(event.at("home"), home_code, ids.team_code, home_code)
        away = convert(event.at("visitor"), visitor_code, ids.team_code, visitor_code)
        scheduled = event.str("scheduled")
        game_date = ids.et_date(_bp_time(event, "scheduled"))
        check_game_date(event, "scheduled", scheduled, game_date, day)
        game_id = convert(event.at("visitor"), visitor_code, ids.canonical_game_id, game_date, away, home)
        found = (game_id, game_date, away, home)
        if events.setdefault(event_id, found) != found:
            raise event.fail("id", event_id, f"is used by two different games ({describe(events[event_id][0])})")
    return events


def _offer_pages(pages: list[Node]) -> list[Node]:
    """The offer pages, once they are pages 1..N of the points market's offers, none missing."""
    for number, page in enumerate(pages, start=1):
        if not isinstance(page.value, dict) or not {"offers", "_pagination"} <= page.value.keys():
            keys = sorted(page.value) if isinstance(page.value, dict) else page.value
            raise Invalid(page.path, keys, "not a page of /v3/offers: it has no offers and _pagination")
        markets = page.value.get("markets")
        if markets != [_BP_POINTS_MARKET]:
            raise page.fail("markets", markets, f"not an offers page of the points market ({_BP_POINTS_MARKET})")
        pagination = page.obj("_pagination")
        total = pagination.int("total_pages", minimum=1)
        named = pagination.int("page", minimum=1)
        if named != number:
            missing = f"page {number} is missing" if named > number else f"page {named} comes twice"
            raise pagination.fail("page", named, f"expected page {number} of {total} here: {missing}")
        if total != len(pages):
            raise pagination.fail("total_pages", total, f"the payload holds {len(pages)} of the {total} pages")
    return pages


def _offer_rows(offer: Node, events: dict[int, tuple[str, dt.date, str, str]]) -> list[ParsedRow]:
    event_id = offer.int("event_id")
    if event_id not in events:
        raise offer.fail("event_id", event_id, "is not one of the payload's events")
    market = offer.int("market_id")
    if market != _BP_POINTS_MARKET:
        raise offer.fail("market_id", market, f"expected the points market ({_BP_POINTS_MARKET})")
    game_id, game_date, away, home = events[event_id]
    participants = offer.items("participants")
    if len(participants) != 1:
        raise offer.fail("participants", len(participants), "expected one participant, the player")
    participant = participants[0]
    name = participant.str("name")
    lookup = ids.player_lookup(name)
    if not lookup:
        raise participant.fail("name", name, "has no letters to make a player_lookup from")
    player = participant.obj("player")
    team_text = player.str("team")
    team = convert(player.at("team"), team_text, ids.team_code, team_text)
    if team not in (away, home):
        raise player.fail("team", team_text, f"does not play in {game_id}")
    sides: dict[str, dict[int, Node]] = {}
    for selection in offer.items("selections"):
        side = selection.one_of("selection", _BP_SIDES)
        if side in sides:
            raise selection.fail("selection", side, "a second selection of the same side")
        sides[side] = {book.int("id", minimum=0): book for book in selection.items("books")}
    rows: list[ParsedRow] = []
    for book_id in dict.fromkeys([*sides.get("over", {}), *sides.get("under", {})]):
        quoted = {side: _lines(sides[side][book_id]) for side in _BP_SIDES if book_id in sides.get(side, {})}
        lines = quoted.get("over") or quoted["under"]
        book = sides["over" if "over" in quoted else "under"][book_id]
        row = {
            "game_id": game_id,
            "game_date": game_date,
            "bookmaker": bettingpros_bookmaker(book),
            "player_lookup": lookup,
            "player_name": name.strip(),
            "team_abbr": team,
            "bettingpros_event_id": event_id,
            "points_line": lines[0].num("line", minimum=0.5, maximum=_MAX_POINTS_LINE),
            "opening_line": lines[-1].num("line", nullable=True, minimum=0.5, maximum=_MAX_POINTS_LINE),
            "over_odds": american_odds(quoted["over"][0], "cost") if "over" in quoted else None,
            "under_odds": american_odds(quoted["under"][0], "cost") if "under" in quoted else None,
            "line_updated_at": _bp_time(lines[0], "updated", nullable=True),
        }
        rows.append(ParsedRow(book.path, row))
    return rows


def _lines(book: Node) -> list[Node]:
    lines = book.items("lines")
    if not lines:
        raise book.fail("lines", [], "a book without a line")
    return lines


def _bp_time(node: Node, key: str, *, nullable: bool = False) -> Any:
    """A BettingPros time, ``YYYY-MM-DD HH:MM:SS`` in UTC, as an aware datetime."""
    text = node.str(key, nullable=nullable)
    if text is None:
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    except ValueError:
        raise node.fail(key, text, "expected a UTC time as YYYY-MM-DD HH:MM:SS") from None


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
