"""BettingPros points props: the day's ``/v3/events`` answer and every ``/v3/offers`` page."""

from __future__ import annotations

import datetime as dt
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
from nba_pipeline.processors.raw.odds import MAX_POINTS_LINE

#: BettingPros book ids → The Odds API bookmaker keys.
BETTINGPROS_BOOKS: dict[int, str] = {12: "draftkings", 10: "fanduel", 19: "betmgm", 13: "williamhill_us"}

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
            "points_line": lines[0].num("line", minimum=0.5, maximum=MAX_POINTS_LINE),
            "opening_line": lines[-1].num("line", nullable=True, minimum=0.5, maximum=MAX_POINTS_LINE),
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


BETTINGPROS = RawTable(
    "bettingpros_player_props",
    "nba_raw.bettingpros_player_points_props",
    ("game_id", "player_lookup", "bookmaker"),
    parse_bettingpros,
    never_lowered=("line_updated_at",),
)
