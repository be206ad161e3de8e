"""One entry of the endpoint catalog (:mod:`nba_pipeline.scrapers.endpoints`): what a source's
endpoint declares, and the path, query and fetch moment it gives for a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from nba_pipeline import clock
from nba_pipeline.scrapers.fetch_shapes import CursorPaging, JoinedIds, PageNumbers, PerItem, Quota
from nba_pipeline.settings import LOCAL_TIMEZONE

__all__ = ["EACH", "ET", "FETCH_HOUR_ET", "Endpoint", "UnknownSourceError", "fetches_live", "season_label"]

ET = ZoneInfo(LOCAL_TIMEZONE)

#: The local hour of the daily fetch (box scores of the previous day are final by ~04:00 ET,
#: opening lines are posted from ~09:00 ET, predictions are wanted before noon).
FETCH_HOUR_ET = 10

#: In an ``items`` path, "every element of this list" (the counts are summed).
EACH = "*"



class UnknownSourceError(ValueError):
    """A source name that the catalog does not know."""


def fetches_live(target_date: dt.date) -> bool:
    """True when ``target_date`` is today or later on the package clock (America/New_York): its
    odds are asked of the live endpoints, which serve only current and upcoming games; a past date
    is asked of the historical ones. Replays move the clock, so a replayed day fetches live."""
    return target_date >= clock.local_today()


def season_label(day: dt.date) -> str:
    """The NBA season a date belongs to, NBA.com style (``"2024-25"``); seasons turn in October."""
    first = day.year if day.month >= 10 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


@dataclass(frozen=True)
class Endpoint:
    """How one source is fetched for a date.

    Path and parameter values are ``str.format`` templates over these fields: ``date``
    (``2025-01-15``), ``date_compact`` (``20250115``), ``date_us`` (``01/15/2025``), ``season``
    (``2024-25``), ``as_of_utc`` (the fetch moment, UTC ``Z``), ``day_start_utc`` /
    ``day_end_utc`` (the ET calendar day in UTC ``Z``, for APIs that filter on UTC times),
    ``slot`` (for a source published as one file per slot: the slot's file-name token, by default
    the newest at the fetch moment).

    :param source: the source name (a key of ``nba_pipeline.sources.simulation.SOURCES``).
    :param conn_id: the Airflow connection with the base URL, key and client extras.
    :param path: the path template below the connection's base URL.
    :param params: query parameter templates, in request order.
    :param results: True for box-score sources: date D is fetched on D+1, for the day before the
        run's game date.
    :param items: where the payload's item list sits (keys, list indexes, ``"*"`` for each
        element of a list; empty when the payload is the list itself, as a live Odds API answer);
        used to report how many items a payload holds.
    :param window_days: set when the real endpoint answers with the whole season: the days around
        the date, (first, last) offsets, that any stand-in must cover at least.
    :param headers: fixed request headers the API expects.
    :param media_type: what the body is: JSON, or a PDF (the injury report).
    :param slots: for a source published as one file per slot (the injury report): the file-name
        tokens of the slots to ask for at a fetch moment, newest first. The HTTP source moves on to
        the next slot while the site answers that a file does not exist.
    :param paging: set for an endpoint that answers in cursor pages: the HTTP source follows them
        and merges their :attr:`items` lists into the first page's document.
    :param per_item: set for an endpoint served once per item of another endpoint's answer: the
        HTTP source asks for every item and stores the answers together (:class:`PerItem`).
    :param joined_ids: set for an endpoint whose requests name every id of a first request's
        answer in one parameter (:class:`JoinedIds`).
    :param pages: set for an endpoint that answers in numbered pages (:class:`PageNumbers`); the
        HTTP source asks for every page and stores them as served.
    :param quota: set for an endpoint that bills requests against a quota (:class:`Quota`).
    :param note: how this entry departs from the real API, if it does.
    :param live: the entry that serves the same source for today's and later dates, with its own
        path, parameters, items and quota (:meth:`for_date`); None when one endpoint serves all dates.
    :param is_live: True on a ``live`` variant. Its answers are as of the moment they are asked
        (:meth:`answer_moment`), and an index it names (:class:`PerItem`) is asked live too.
    """

    source: str
    conn_id: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    results: bool = False
    items: tuple[str | int, ...] = ()
    window_days: tuple[int, int] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    media_type: str = "application/json"
    slots: Callable[[dt.datetime], list[str]] | None = None
    paging: CursorPaging | None = None
    per_item: PerItem | None = None
    joined_ids: JoinedIds | None = None
    pages: PageNumbers | None = None
    quota: Quota | None = None
    note: str = ""
    live: Endpoint | None = None
    is_live: bool = False

    @property
    def date_offset_days(self) -> int:
        """The offset of the scraped date from the run's game date (-1 for results sources)."""
        return -1 if self.results else 0

    def fetch_moment(self, target_date: dt.date) -> dt.datetime:
        """When the payload of ``target_date`` is fetched: 10:00 ET that day, or the next day for results."""
        day = target_date + dt.timedelta(days=1 if self.results else 0)
        return dt.datetime.combine(day, dt.time(FETCH_HOUR_ET), tzinfo=ET)

    def for_date(self, target_date: dt.date) -> Endpoint:
        """The entry that fetches ``target_date``: :attr:`live` when there is one and
        :func:`fetches_live` says so, else this entry."""
        return self.variant(live=fetches_live(target_date))

    def variant(self, *, live: bool) -> Endpoint:
        """:attr:`live` when ``live`` and the entry has one, else the entry itself."""
        return self.live if live and self.live is not None else self

    def answer_moment(self, target_date: dt.date) -> dt.datetime:
        """The moment an answer describes: the scheduled :meth:`fetch_moment`, or for a live variant
        the package clock's now floored to the minute (a live answer is as of when it is asked; the
        floor keeps a simulated answer from holding a quote newer than its fetch)."""
        if not self.is_live:
            return self.fetch_moment(target_date)
        return clock.now().replace(second=0, microsecond=0)

    def request(
        self, target_date: dt.date, slot: str | None = None, item: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """The path and query parameters for ``target_date`` (without any API key); ``slot`` picks
        one of :attr:`slots` (by default the newest), ``item`` the item of a :class:`PerItem`
        endpoint or the joined ids of a :class:`JoinedIds` one (without it, the field keeps its
        placeholder: a template, not a URL)."""
        moment = self.fetch_moment(target_date)
        fields = _template_fields(target_date, moment)
        if self.slots is not None:
            fields["slot"] = slot if slot is not None else self.slots(moment)[0]
        for field in (self.per_item, self.joined_ids):
            if field is not None:
                fields[field.field] = item if item is not None else f"{{{field.field}}}"
        return self.path.format(**fields), {name: value.format(**fields) for name, value in self.params}

    def first_request(self, target_date: dt.date) -> tuple[str, dict[str, str]]:
        """The path and query of the :class:`JoinedIds` request that comes first."""
        assert self.joined_ids is not None, f"{self.source} has no first request"
        fields = _template_fields(target_date, self.fetch_moment(target_date))
        joined = self.joined_ids
        return joined.path.format(**fields), {name: value.format(**fields) for name, value in joined.params}

    def index_request(self, target_date: dt.date) -> tuple[str, dict[str, str]]:
        """The path and query of a :class:`PerItem` endpoint's own index request (``index_path``)."""
        assert self.per_item is not None and self.per_item.index_path, f"{self.source} has no index path"
        fields = _template_fields(target_date, self.fetch_moment(target_date))
        params = {name: value.format(**fields) for name, value in self.per_item.index_params}
        return self.per_item.index_path.format(**fields), params

    def item_requests(self, target_date: dt.date, item: str) -> list[tuple[str, str, dict[str, str]]]:
        """The requests of one item of a :class:`PerItem` endpoint, in order: ``(stored_as, path,
        query)`` of the endpoint's own, then of each further request it declares (``also``)."""
        assert self.per_item is not None, f"{self.source} is not served per item"
        fields = {**_template_fields(target_date, self.fetch_moment(target_date)), self.per_item.field: item}
        requests = [(self.per_item.stored_as, *self.request(target_date, item=item))]
        for also in self.per_item.also:
            query = {name: value.format(**fields) for name, value in also.params}
            requests.append((also.stored_as, also.path.format(**fields), query))
        return requests

    def window(self, target_date: dt.date) -> list[dt.date]:
        """The dates a stand-in for a whole-season endpoint must cover, in order (empty if none)."""
        if self.window_days is None:
            return []
        first, last = self.window_days
        return [target_date + dt.timedelta(days=offset) for offset in range(first, last + 1)]

    def count_items(self, document: Any) -> int | None:
        """How many items the parsed payload holds, or None when it is not shaped as declared."""
        return _count(document, self.items)


def _template_fields(target_date: dt.date, as_of: dt.datetime) -> dict[str, str]:
    start = dt.datetime.combine(target_date, dt.time(), tzinfo=ET)
    end = dt.datetime.combine(target_date + dt.timedelta(days=1), dt.time(), tzinfo=ET) - dt.timedelta(
        seconds=1
    )
    return {
        "date": target_date.isoformat(),
        "date_compact": target_date.strftime("%Y%m%d"),
        "date_us": target_date.strftime("%m/%d/%Y"),
        "season": season_label(target_date),
        "as_of_utc": _utc_z(as_of),
        "day_start_utc": _utc_z(start),
        "day_end_utc": _utc_z(end),
    }


def _utc_z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count(node: Any, path: Sequence[str | int]) -> int | None:
    if not path:
        return len(node) if isinstance(node, list) else None
    step, rest = path[0], path[1:]
    if step == EACH:
        if not isinstance(node, list):
            return None
        counts = [_count(element, rest) for element in node]
        return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)
    if isinstance(step, int):
        return _count(node[step], rest) if isinstance(node, list) and -len(node) <= step < len(node) else None
    return _count(node[step], rest) if isinstance(node, dict) and step in node else None
