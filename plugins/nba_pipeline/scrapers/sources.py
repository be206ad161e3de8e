"""Where the scrapers get their payloads: the simulated league or the real APIs.

One interface, :class:`PayloadSource`, with two implementations chosen by configuration
(``NBA_SOURCE_MODE``) in :func:`payload_source`, never by ``if`` in scraper code:

- :class:`SimulatedSource` renders the seeded simulated league (local runs replay the 2024-25
  season; no machine here reaches the real APIs). The fetch moment is the run's scheduled time
  from the endpoint catalog, never the wall clock, so a replayed day always sees the same bytes.
- :class:`HttpSource` asks the real API through the endpoint's Airflow connection, with the
  retries and content checks of :class:`~nba_pipeline.sources.http_client.HttpSourceClient`.

Both return a :class:`~nba_pipeline.sources.http_client.FetchedPayload`: the untouched bytes and
when they were fetched; for an endpoint that answers in cursor pages, the pages merged into the
first one's document (the bytes of a page that breaks the chain are kept as received).
"""

from __future__ import annotations

import abc
import datetime as dt
import json
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from nba_pipeline.scrapers.endpoints import Endpoint, endpoint_for
from nba_pipeline.settings import Settings, get_settings
from nba_pipeline.sources.fetch_results import FetchedPayload, SourceClientError, SourceContentError
from nba_pipeline.sources.simulation import IMPERFECTIONS, SimulatedLeague

if TYPE_CHECKING:
    from nba_pipeline.sources.http_client import HttpSourceClient

__all__ = [
    "SOURCE_MODES",
    "HttpSource",
    "PayloadSource",
    "SimulatedSource",
    "payload_source",
]

log = logging.getLogger(__name__)

#: What the injury report's host (S3) answers for a file that does not exist (yet).
NOT_PUBLISHED = 403


class PayloadSource(abc.ABC):
    """Fetches the payload of one source for one date."""

    #: the ``NBA_SOURCE_MODE`` value that selects this implementation
    mode: ClassVar[str]

    def fetch(self, source: str, target_date: dt.date) -> FetchedPayload:
        """The payload of ``source`` for ``target_date``, as received.

        :raises UnknownSourceError: the source is not in the endpoint catalog.
        :raises SourceFetchError: (HTTP) the source did not deliver a JSON payload; a
            ``SourceContentError`` carries the bytes in ``.payload``.
        """
        return self._fetch(endpoint_for(source), target_date)

    @abc.abstractmethod
    def _fetch(self, endpoint: Endpoint, target_date: dt.date) -> FetchedPayload: ...


@lru_cache(maxsize=4)
def _league(seed: int) -> SimulatedLeague:
    """One league per seed and process: its schedule and box scores are built once."""
    return SimulatedLeague(seed=seed)


class SimulatedSource(PayloadSource):
    """Payloads of the seeded simulated league, fetched at the run's scheduled moment.

    For an endpoint that really serves the whole season (the NBA.com schedule), the simulation
    emits one document of the same shape whose ``gameDates`` cover the endpoint's window
    (the dates with games from date-1 to date+60, as the real file lists only dates with games):
    enough for the calendar guard to tell an off-day from the off-season. Imperfections apply
    to every date of the window, as they would to that date's own fetch.

    :param seed: the simulated league's seed.
    :param imperfections: faults to inject (``docs/payloads.md`` §3).
    :raises ValueError: an imperfection the simulated league does not know.
    """

    mode = "simulated"

    def __init__(self, seed: int = 2024, imperfections: frozenset[str] = frozenset()) -> None:
        unknown = set(imperfections) - IMPERFECTIONS
        if unknown:
            raise ValueError(
                f"unknown simulation imperfections {sorted(unknown)} (NBA_SIMULATION_IMPERFECTIONS); "
                f"expected a subset of {sorted(IMPERFECTIONS)}"
            )
        self.seed = seed
        self.imperfections = frozenset(imperfections)

    @classmethod
    def from_settings(cls, settings: Settings) -> SimulatedSource:
        return cls(seed=settings.simulation_seed, imperfections=settings.simulation_imperfections)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed}, imperfections={sorted(self.imperfections)})"

    def _fetch(self, endpoint: Endpoint, target_date: dt.date) -> FetchedPayload:
        as_of = endpoint.fetch_moment(target_date)
        window = endpoint.window(target_date)
        body = (
            self._window_document(endpoint, target_date, window, as_of)
            if window
            else self._render(endpoint, target_date, as_of)
        )
        path, params = endpoint.request(target_date)
        query = f"?{urlencode(params)}" if params else ""
        return FetchedPayload(
            url=f"simulated://{endpoint.conn_id}{path}{query}",
            status_code=200,
            content_type=endpoint.media_type,
            body=body,
            fetched_at=as_of.astimezone(dt.UTC),
            attempts=1,
        )

    def _render(self, endpoint: Endpoint, day: dt.date, as_of: dt.datetime) -> bytes:
        return _league(self.seed).payload(endpoint.source, day, as_of=as_of, imperfections=self.imperfections)

    def _window_document(
        self, endpoint: Endpoint, target_date: dt.date, window: list[dt.date], as_of: dt.datetime
    ) -> bytes:
        """The target date's schedule document with the ``gameDates`` of every date of the window."""
        document: dict[str, Any] = json.loads(self._render(endpoint, target_date, as_of))
        game_dates: list[Any] = []
        for day in window:
            game_dates.extend(json.loads(self._render(endpoint, day, as_of))["leagueSchedule"]["gameDates"])
        document["leagueSchedule"]["gameDates"] = game_dates
        return json.dumps(document, separators=(",", ":")).encode("utf-8")


ClientFactory = Callable[..., "HttpSourceClient"]


class HttpSource(PayloadSource):
    """Payloads of the real APIs, through the Airflow connection of each endpoint.

    The connection gives the base URL, the key (password or extra ``api_key``, sent as extra
    ``api_key_param`` or ``api_key_header``) and the client's timeout, attempts and backoff
    (extras); see :func:`~nba_pipeline.sources.http_connection.client_from_connection`.

    :param client_factory: builds a client from a connection id (keyword overrides allowed);
        by default ``client_from_connection``, imported here so that only HTTP mode loads the HTTP
        library (the registry, and with it every DAG file, imports this module).
    """

    mode = "http"

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        if client_factory is None:
            from nba_pipeline.sources.http_connection import client_from_connection

            client_factory = client_from_connection
        self._client_factory = client_factory

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpSource:
        return cls()

    def _fetch(self, endpoint: Endpoint, target_date: dt.date) -> FetchedPayload:
        """One request; for a paged answer, every page; for a file per slot, the newest published."""
        overrides: dict[str, Any] = {"extra_headers": dict(endpoint.headers)} if endpoint.headers else {}
        with self._client_factory(endpoint.conn_id, **overrides) as client:
            if endpoint.paging is not None:
                return _follow_pages(client, endpoint, *endpoint.request(target_date))
            if endpoint.slots is not None:
                return _newest_slot(client, endpoint, target_date)
            return client.fetch(*endpoint.request(target_date), media_type=endpoint.media_type)


def _newest_slot(client: HttpSourceClient, endpoint: Endpoint, target_date: dt.date) -> FetchedPayload:
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


def _follow_pages(
    client: HttpSourceClient, endpoint: Endpoint, path: str, params: dict[str, str]
) -> FetchedPayload:
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


#: ``NBA_SOURCE_MODE`` value -> how to build that source from the settings.
SOURCE_MODES: dict[str, Callable[[Settings], PayloadSource]] = {
    SimulatedSource.mode: SimulatedSource.from_settings,
    HttpSource.mode: HttpSource.from_settings,
}


def payload_source(settings: Settings | None = None) -> PayloadSource:
    """The configured payload source (``NBA_SOURCE_MODE``: ``simulated`` by default, or ``http``).

    :raises ValueError: the mode is not one of :data:`SOURCE_MODES`.
    """
    settings = settings or get_settings()
    try:
        build = SOURCE_MODES[settings.source_mode]
    except KeyError:
        raise ValueError(
            f"NBA_SOURCE_MODE={settings.source_mode!r} is not a source mode; expected one of "
            f"{', '.join(SOURCE_MODES)}"
        ) from None
    return build(settings)
