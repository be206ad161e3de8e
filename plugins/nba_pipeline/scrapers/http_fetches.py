"""How one fetch becomes several requests, and what they cost.

The endpoint catalog declares the shape of a fetch (:mod:`nba_pipeline.scrapers.endpoints`): cursor
pages (:func:`follow_pages`), one file per publication slot (:func:`newest_slot`), one request per
item of another endpoint's answer, optionally only the items in a given state (:func:`each_item`).
For an endpoint that bills a quota, every request goes through :func:`metered`: its price is
checked against the :class:`QuotaBudget` before it is sent and its cost (the answer's
``x-requests-last``) is counted after (:class:`QuotaMeter`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from nba_pipeline.scrapers.endpoints import EACH, Endpoint, Quota, endpoint_for
from nba_pipeline.sources.fetch_results import (
    FetchedPayload,
    QuotaBudgetError,
    QuotaUse,
    SourceClientError,
    SourceContentError,
    SourceFetchError,
    SourceStoppedError,
)

if TYPE_CHECKING:
    from nba_pipeline.sources.http_client import HttpSourceClient

__all__ = [
    "NOT_PUBLISHED",
    "Fetch",
    "QuotaBudget",
    "QuotaMeter",
    "each_item",
    "follow_pages",
    "metered",
    "newest_slot",
    "values_at",
]

log = logging.getLogger(__name__)

#: What the injury report's host (S3) answers for a file that does not exist (yet).
NOT_PUBLISHED = 403


@dataclasses.dataclass(frozen=True)
class QuotaBudget:
    """The credits a fetch may use: a daily budget less what earlier fetches used that day.

    :param limit: the daily budget, in credits.
    :param used_before: credits used by earlier fetches of the day.
    :param setting: the setting the budget comes from, named in the error.
    """

    limit: int
    used_before: int
    setting: str = "NBA_ODDS_DAILY_QUOTA"


class Fetch(Protocol):
    """What issues one request: the HTTP client, or the client with a quota meter."""

    def fetch(
        self, path: str, params: Mapping[str, str] | None = None, media_type: str = "application/json"
    ) -> FetchedPayload: ...


class QuotaMeter:
    """What the requests of one fetch cost, and the budget they must stay within."""

    def __init__(self, budget: QuotaBudget | None, source: str) -> None:
        self.budget = budget
        self.source = source
        self.requests = 0
        self.used = 0
        self.remaining: int | None = None

    def use(self) -> QuotaUse:
        return QuotaUse(requests=self.requests, used=self.used, remaining=self.remaining)

    def check(self, cost: int, url: str) -> None:
        """Refuse the next request when, at its full price, the day's use would pass the budget."""
        budget = self.budget
        if budget is None or budget.used_before + self.used + cost <= budget.limit:
            return
        spent = budget.used_before + self.used
        raise QuotaBudgetError(
            url=url,
            attempts=0,
            detail=(
                f"{self.source}: the next request would cost up to {cost} credits, and {spent} of the daily budget "
                f"of {budget.limit} ({budget.setting}) are used ({budget.used_before} by earlier fetches today, "
                f"{self.used} by this one); not sent"
            ),
            quota=self.use(),
        )

    def count(self, answer: FetchedPayload, quota: Quota) -> None:
        """Add an answer's cost (its ``x-requests-last``; the declared price when it does not say)."""
        self.requests += 1
        last = _header_int(answer.headers, quota.last_header)
        if last is None:
            last = quota.cost if 200 <= answer.status_code < 300 else 0
        self.used += last
        remaining = _header_int(answer.headers, quota.remaining_header)
        if remaining is not None:
            self.remaining = remaining


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(float(headers[name]))
    except (KeyError, ValueError):
        return None


def metered(client: HttpSourceClient, quota: Quota | None, meter: QuotaMeter) -> Fetch:
    """``client``, its requests checked against the budget and counted when ``quota`` is set."""
    return _Metered(client, quota, meter)


class _Metered:
    """A client whose requests to a billed endpoint are checked against the budget and counted."""

    def __init__(self, client: HttpSourceClient, quota: Quota | None, meter: QuotaMeter) -> None:
        self.client, self.quota, self.meter = client, quota, meter

    def fetch(
        self, path: str, params: Mapping[str, str] | None = None, media_type: str = "application/json"
    ) -> FetchedPayload:
        if self.quota is None:
            return self.client.fetch(path, params, media_type=media_type)
        self.meter.check(self.quota.cost, f"{self.client.base_url}/{path.lstrip('/')}")
        try:
            answer = self.client.fetch(path, params, media_type=media_type)
        except SourceFetchError as error:
            if error.payload is not None:  # an answer came: the API may have billed it
                self.meter.count(error.payload, self.quota)
            raise
        self.meter.count(answer, self.quota)
        return answer


def each_item(
    client: HttpSourceClient,
    fetch: Fetch,
    meter: QuotaMeter,
    endpoint: Endpoint,
    target_date: dt.date,
    index_client: HttpSourceClient | None = None,
) -> FetchedPayload:
    """One request per item (and one more per request the entry declares in ``also``), the answers,
    each as received (parsed), in one document under the entry's ``stored_as`` key (and each
    further request's). The items are the distinct ids in the index endpoint's answer (asked for
    first, on ``index_client`` when the index is on another connection), or the entry's declared
    ``ids``.

    :raises SourceContentError: the index has no ids where declared, or too many; an item's body
        is not JSON (``.payload`` holds that body).
    :raises SourceFetchError: the first request failed (for declared ids: the first item's).
    :raises SourceStoppedError: a request after the first failed, or the budget stopped it
        (``QuotaBudgetError``); ``.received`` holds the answers received before, in the stored shape.
    """
    per_item = endpoint.per_item
    assert per_item is not None
    index, distinct, where = _item_ids(index_client or client, meter, endpoint, target_date)
    answers: dict[str, list[Any]] = {key: [] for key in per_item.stored_lists}
    last: FetchedPayload | None = index
    attempts = index.attempts if index is not None else 0
    done = 0

    kept = {per_item.index_stored_as: json.loads(index.body)} if index and per_item.index_stored_as else {}

    def document(final: FetchedPayload) -> FetchedPayload:
        body = json.dumps({**kept, **answers}, separators=(",", ":")).encode()
        url = index.url if index is not None else first_url
        quota = meter.use() if endpoint.quota is not None else None  # an unbilled API records no use
        return dataclasses.replace(final, url=url, status_code=200, body=body, attempts=attempts, quota=quota)

    first_url = ""
    for item in distinct:
        for stored_as, path, params in endpoint.item_requests(target_date, item):
            try:
                last = fetch.fetch(path, params, media_type=endpoint.media_type)
            except SourceContentError:
                raise
            except SourceFetchError as error:
                received_any = any(answers.values())
                if index is None and not received_any:
                    raise  # the first request of the fetch: nothing was received
                received = document(last) if (received_any or kept) and last is not None else None
                cls = QuotaBudgetError if isinstance(error, QuotaBudgetError) else SourceStoppedError
                raise cls(
                    url=error.url,
                    attempts=attempts + error.attempts,
                    detail=f"{error.detail} (after {done} of the {len(distinct)} items {where})",
                    status_code=error.status_code,
                    body_excerpt=error.body_excerpt,
                    payload=error.payload,
                    received=received,
                    quota=meter.use() if endpoint.quota is not None else None,
                ) from error
            first_url = first_url or last.url
            attempts += last.attempts
            answers[stored_as].append(json.loads(last.body))
        done += 1
    assert last is not None, f"{endpoint.source}: no item to ask for"
    return document(last)


def _item_ids(
    client: HttpSourceClient, meter: QuotaMeter, endpoint: Endpoint, target_date: dt.date
) -> tuple[FetchedPayload | None, list[str], str]:
    """The index's answer (None for declared ids), the distinct ids in order, and where they come from."""
    per_item = endpoint.per_item
    assert per_item is not None
    if not per_item.asks_index:
        return None, list(dict.fromkeys(per_item.ids)), f"of {endpoint.source}'s declared ids"
    if per_item.index is not None:
        index_endpoint = endpoint_for(per_item.index).variant(live=endpoint.is_live)  # a live fetch lists live
        index = metered(client, index_endpoint.quota, meter).fetch(
            *index_endpoint.request(target_date), media_type=index_endpoint.media_type
        )
    else:  # an index path on the endpoint's own host, or on its index connection (NBA.com's scoreboard)
        index = metered(client, endpoint.quota, meter).fetch(*endpoint.index_request(target_date))
    ids = _ids(json.loads(index.body), per_item.ids_at, per_item.only)
    where = "/".join(map(str, per_item.ids_at))
    if per_item.only is not None:
        where += f" where {per_item.only[0]} = {per_item.only[1]!r}"
    if ids is None or not all(isinstance(item, str) and item for item in ids):
        raise SourceContentError(
            url=index.url, attempts=index.attempts, detail=f"no list of ids at {where} in the index", payload=index
        )
    distinct = list(dict.fromkeys(ids))  # an event listed twice is asked for (and billed) once
    if len(distinct) > per_item.max_items:
        raise SourceContentError(
            url=index.url,
            attempts=index.attempts,
            detail=f"{len(distinct)} ids at {where}, more than the {per_item.max_items} expected",
            payload=index,
        )
    return index, distinct, f"at {where}"


def _ids(document: Any, ids_at: tuple[str | int, ...], only: tuple[str, object] | None) -> list[Any] | None:
    """The ids at ``ids_at``; with ``only``, those of the items (the last ``"*"`` list's elements)
    whose ``only[0]`` holds ``only[1]`` (an item that is not an object is kept, and fails as an id)."""
    if only is None or EACH not in ids_at:
        return values_at(document, ids_at)
    split = len(ids_at) - 1 - ids_at[::-1].index(EACH)
    items = values_at(document, (*ids_at[:split], EACH))
    if items is None:
        return None
    key, value = only
    kept = [item for item in items if not isinstance(item, dict) or item.get(key) == value]
    found: list[Any] = []
    for item in kept:
        values = values_at(item, ids_at[split + 1 :])
        if values is None:
            return None
        found.extend(values)
    return found


def values_at(document: Any, path: tuple[str | int, ...]) -> list[Any] | None:
    """The values at ``path``, where :data:`EACH` steps into every element of a list."""
    if not path:
        return [document]
    step, rest = path[0], path[1:]
    if step == EACH:
        if not isinstance(document, list):
            return None
        found: list[Any] = []
        for element in document:
            values = values_at(element, rest)
            if values is None:
                return None
            found.extend(values)
        return found
    if isinstance(step, str) and isinstance(document, dict) and step in document:
        return values_at(document[step], rest)
    if isinstance(step, int) and isinstance(document, list) and -len(document) <= step < len(document):
        return values_at(document[step], rest)
    return None


def newest_slot(client: Fetch, endpoint: Endpoint, target_date: dt.date) -> FetchedPayload:
    """The file of the newest slot that is published, asking slot by slot while the answer is
    :data:`NOT_PUBLISHED`.

    :raises SourceClientError: another client error at once, or after every slot answered
        :data:`NOT_PUBLISHED`, naming the first and last slot asked for.
    """
    assert endpoint.slots is not None
    slots = endpoint.slots(endpoint.fetch_moment(target_date))
    missing: SourceClientError | None = None
    for slot in slots:
        try:
            return client.fetch(*endpoint.request(target_date, slot), media_type=endpoint.media_type)
        except SourceClientError as error:
            if error.status_code != NOT_PUBLISHED:
                raise
            missing = error
            log.info("%s for %s: no file for slot %s; asking for the one before", endpoint.source, target_date, slot)
    assert missing is not None, f"{endpoint.source}: no slot to ask for"
    raise SourceClientError(
        url=missing.url,
        attempts=len(slots),
        status_code=NOT_PUBLISHED,
        detail=f"no file published in the {len(slots)} slots from {slots[0]} back to {slots[-1]} "
        f"(each answered {NOT_PUBLISHED}, which is also the answer to a blocked client)",
        body_excerpt=missing.body_excerpt,
        payload=missing.payload,
    )


def follow_pages(client: Fetch, endpoint: Endpoint, path: str, params: dict[str, str]) -> FetchedPayload:
    """Every page of a cursor-paged answer, merged into the first page's document: its
    :attr:`~Endpoint.items` list holds every page's items in order, and the cursor is null (an
    answer of one page is returned as served).

    :raises SourceContentError: a page without the items list, a cursor seen before, or more than
        the endpoint's ``max_pages``; ``.payload`` holds that page's bytes, which the scraper keeps.
    """
    assert endpoint.paging is not None
    paging, key = endpoint.paging, endpoint.paging.next_at[-1]
    first = page = client.fetch(path, params, media_type=endpoint.media_type)
    document = json.loads(first.body)
    merged, holder = _items_at(document, endpoint.items), _parent_at(document, paging.next_at)
    if merged is None or holder is None or holder.get(key) is None:
        return first  # one page, stored as served; or not a page, which the raw processor names
    cursor, attempts = holder[key], first.attempts
    cursors: list[Any] = []
    while cursor is not None:
        if cursor in cursors:
            problem = f"the cursor {cursor!r} came back after {cursors}: the pages loop"
        elif len(cursors) + 1 >= paging.max_pages:
            problem = f"more than {paging.max_pages} pages"
        else:
            cursors.append(cursor)
            page = client.fetch(path, {**params, paging.param: str(cursor)}, media_type=endpoint.media_type)
            attempts += page.attempts
            body = json.loads(page.body)
            items, page_holder = _items_at(body, endpoint.items), _parent_at(body, paging.next_at)
            if items is not None and page_holder is not None:
                merged.extend(items)
                cursor = page_holder.get(key)
                continue
            shape = f"no {'/'.join(map(str, endpoint.items))} list or no {'/'.join(paging.next_at)}"
            problem = f"page {len(cursors) + 1} (cursor {cursor!r}) is not a page: {shape}"
        raise SourceContentError(url=page.url, attempts=attempts, detail=problem, payload=page)
    holder[key] = None
    return FetchedPayload(
        url=first.url,
        status_code=page.status_code,
        content_type=first.content_type,
        body=json.dumps(document, ensure_ascii=False).encode(),
        fetched_at=page.fetched_at,
        attempts=attempts,
    )


def _items_at(document: Any, path: tuple[str | int, ...]) -> list[Any] | None:
    for step in path:
        if not isinstance(document, dict) or not isinstance(step, str) or step not in document:
            return None
        document = document[step]
    return document if isinstance(document, list) else None


def _parent_at(document: Any, path: tuple[str, ...]) -> dict[str, Any] | None:
    """The object that holds (or, on a last page, may leave out) the last key of ``path``."""
    for step in path[:-1]:
        document = document.get(step) if isinstance(document, dict) else None
    return document if isinstance(document, dict) else None
