"""How one fetch of a source becomes several requests: the shapes an endpoint entry declares.

Each is plain data read by the HTTP source (:mod:`nba_pipeline.scrapers.http_fetches`,
:mod:`nba_pipeline.scrapers.page_numbers`); the simulated source renders the stored document
directly, so both modes store the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CursorPaging", "ItemRequest", "JoinedIds", "PageNumbers", "PerItem", "Quota"]


@dataclass(frozen=True)
class CursorPaging:
    """An endpoint that answers in pages: each page names the next one's cursor at ``next_at``
    (null on the last), and the next request sends it as ``param``.

    :param max_pages: more pages than this is an error (a cursor that never ends).
    """

    param: str = "cursor"
    next_at: tuple[str, ...] = ("meta", "next_cursor")
    max_pages: int = 50


@dataclass(frozen=True)
class ItemRequest:
    """A further request a :class:`PerItem` endpoint sends for each item, on the endpoint's own host
    and with its headers: ``path`` and ``params`` are templates over the same fields, the item's id
    included; the answers are stored, each as served, as the list ``stored_as`` (NBA.com's live box
    score beside each game's play-by-play feed)."""

    path: str
    stored_as: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PerItem:
    """An endpoint the real API serves once per item of another endpoint's answer (The Odds API's
    event odds: one request per event of the events endpoint; NBA.com's box scores and play-by-play
    feeds: one per final game of the date's scoreboard).

    The HTTP source asks the ``index`` endpoint first (a catalog entry, or ``index_path`` with
    ``index_params`` on the endpoint's own host, or on ``index_conn_id``'s), then this one once per
    distinct id found at ``ids_at`` in the index's answer (in order), with the id as the field
    ``field``; or, for items that never change, once per id of the declared ``ids`` (no index
    request). The answers are stored together, each body as received, as the list ``stored_as`` of
    one document, so every body stays parseable by the real API's own client.

    :param only: ``(key, value)``: ask only for the items (the elements of the last ``"*"`` list
        of ``ids_at``) whose ``key`` holds ``value``: NBA.com's final games (``gameStatus`` 3).
    :param index_stored_as: store the index's answer, as served, under this key beside the
        answers (the scoreboard the box scores' games come from); by default it is not kept.
    :param index_conn_id: the connection ``index_path`` is asked on, when it is not the endpoint's
        (the play-by-play feeds are on NBA.com's CDN, the dated scoreboard on its stats host).
    :param also: further requests per item, after the endpoint's own, each stored as its own list
        in the same order as the items.
    :param max_items: more ids than this is an error (an index that is not the day's events).
    """

    field: str
    stored_as: str
    index: str | None = None
    ids_at: tuple[str | int, ...] = ()
    ids: tuple[str, ...] = ()
    index_path: str = ""
    index_params: tuple[tuple[str, str], ...] = ()
    only: tuple[str, object] | None = None
    index_stored_as: str | None = None
    index_conn_id: str | None = None
    also: tuple[ItemRequest, ...] = ()
    max_items: int = 100

    def __post_init__(self) -> None:
        if sum((self.index is not None, bool(self.index_path), bool(self.ids))) != 1:
            raise ValueError(
                f"PerItem {self.field!r}: declare one of an index endpoint, an index path or a list of ids"
            )
        if self.index_conn_id is not None and not self.index_path:
            raise ValueError(f"PerItem {self.field!r}: index_conn_id names the connection of an index_path")
        keys = [self.stored_as, *(request.stored_as for request in self.also)]
        if self.index_stored_as is not None:
            keys.append(self.index_stored_as)
        if len(set(keys)) != len(keys):
            raise ValueError(f"PerItem {self.field!r}: each answer needs its own key in the document, got {keys}")

    @property
    def asks_index(self) -> bool:
        """True when the ids come from an index request (not from a declared list)."""
        return not self.ids

    @property
    def stored_lists(self) -> tuple[str, ...]:
        """The document's keys of the items' answers: ``stored_as``, then each of ``also``'s."""
        return (self.stored_as, *(request.stored_as for request in self.also))


@dataclass(frozen=True)
class JoinedIds:
    """A first request whose ids, joined into one value, fill the field ``field`` of the endpoint's
    own requests (BettingPros: the day's events, then the offers of all of them in one query).

    The first answer is stored as served under ``stored_as`` beside the endpoint's answers.
    """

    path: str
    params: tuple[tuple[str, str], ...]
    ids_at: tuple[str | int, ...]
    field: str
    stored_as: str
    separator: str = ":"


@dataclass(frozen=True)
class PageNumbers:
    """An endpoint that answers in numbered pages: ``param`` = 1, 2, ... up to the count the first
    page gives at ``total_at``; each page names its own number at ``page_at``. The pages are
    stored as served, in order, as the list ``stored_as``.

    :param max_pages: a first page announcing more pages than this is an error.
    """

    stored_as: str
    param: str = "page"
    total_at: tuple[str, ...] = ("_pagination", "total_pages")
    page_at: tuple[str, ...] = ("_pagination", "page")
    max_pages: int = 60


@dataclass(frozen=True)
class Quota:
    """An endpoint that bills each request against the account's quota and reports it in response
    headers (The Odds API: ``x-requests-last`` is the request's cost, ``x-requests-remaining`` what
    is left, ``x-requests-used`` what was used in the billing period).

    :param cost: the most one request can cost, in credits; the daily budget check counts the
        next request at this price (historical event odds: 10 x markets x regions).
    """

    cost: int
    last_header: str = "x-requests-last"
    remaining_header: str = "x-requests-remaining"
    used_header: str = "x-requests-used"
