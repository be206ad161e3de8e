"""Numbered pages after a first request whose ids they name (BettingPros: events, then offers).

An endpoint with :class:`~nba_pipeline.scrapers.fetch_shapes.JoinedIds` asks its first request
(the day's events), joins the ids found in the answer into one parameter of its own requests, and,
with :class:`~nba_pipeline.scrapers.fetch_shapes.PageNumbers`, asks for pages 1, 2, ... up to the
count the first page announces. Every answer is stored as served: the first under its
``stored_as`` key, the pages in order as the list under theirs. A day without ids asks for no page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from nba_pipeline.scrapers.endpoints import Endpoint
from nba_pipeline.scrapers.http_fetches import Fetch, values_at
from nba_pipeline.sources.fetch_results import FetchedPayload, SourceContentError

__all__ = ["numbered_pages"]


def numbered_pages(client: Fetch, endpoint: Endpoint, target_date: dt.date) -> FetchedPayload:
    """The first request's answer and every page, each as served, in one document.

    The later pages are stored as served, unchecked: the raw processor validates the whole fetch
    (each page the one asked for, of the right endpoint, none missing) and, when it is not, keeps
    every answer together in quarantine, the evidence of what the API served.

    :raises SourceContentError: the first answer has no ids where declared; a page is not JSON; the
        first page announces no page count, or more than ``max_pages`` (``.payload`` holds that
        answer, which the scraper keeps in quarantine).
    """
    pages, joined = endpoint.pages, endpoint.joined_ids
    assert pages is not None and joined is not None, f"{endpoint.source} declares no numbered pages"
    first = client.fetch(*endpoint.first_request(target_date), media_type=endpoint.media_type)
    ids = _ids(json.loads(first.body), joined.ids_at)
    if ids is None:
        where = "/".join(map(str, joined.ids_at))
        raise SourceContentError(url=first.url, attempts=first.attempts, detail=f"no ids at {where}", payload=first)
    answers: list[Any] = []
    attempts, last = first.attempts, first
    if ids:
        path, params = endpoint.request(target_date, item=joined.separator.join(dict.fromkeys(ids)))
        total, number = 1, 0
        while number < total:
            number += 1
            last = client.fetch(path, {**params, pages.param: str(number)}, media_type=endpoint.media_type)
            attempts += last.attempts
            page = _json(last)
            if number == 1:
                total = _page_count(endpoint, page, last)
            answers.append(page)
    body = {joined.stored_as: json.loads(first.body), pages.stored_as: answers}
    return dataclasses.replace(
        last, url=first.url, status_code=200, body=json.dumps(body, separators=(",", ":")).encode(), attempts=attempts
    )


def _ids(document: Any, path: tuple[str | int, ...]) -> list[str] | None:
    """The ids at ``path`` (``"*"`` steps into each element of a list) as text, or None when absent."""
    values = values_at(document, path)
    if values is None or not all(isinstance(v, str | int) and not isinstance(v, bool) and str(v) for v in values):
        return None
    return [str(value) for value in values]


def _json(answer: FetchedPayload) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        raise SourceContentError(
            url=answer.url, attempts=answer.attempts, detail="a page is not JSON", payload=answer
        ) from None


def _page_count(endpoint: Endpoint, page: Any, answer: FetchedPayload) -> int:
    """The number of pages the first page announces."""
    pages = endpoint.pages
    assert pages is not None
    announced = _at(page, pages.total_at)
    where = "/".join(pages.total_at)
    problem = ""
    if not isinstance(announced, int) or isinstance(announced, bool) or announced < 1:
        problem = f"no page count at {where}"
    elif announced > pages.max_pages:
        problem = f"{announced} pages announced at {where}, more than the {pages.max_pages} expected"
    if problem:
        raise SourceContentError(
            url=answer.url, attempts=answer.attempts, detail=f"page 1 is not a first page: {problem}", payload=answer
        )
    return int(announced)


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if not isinstance(document, dict) or not isinstance(step, str):
            return None
        document = document.get(step)
    return document
