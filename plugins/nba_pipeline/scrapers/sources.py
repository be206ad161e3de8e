"""Where the scrapers get their payloads: the simulated league or the real APIs.

One interface, :class:`PayloadSource`, with two implementations chosen by configuration
(``NBA_SOURCE_MODE``) in :func:`payload_source`, never by ``if`` in scraper code:

- :class:`SimulatedSource` renders the seeded simulated league (local runs replay the 2024-25
  season; no machine here reaches the real APIs). The fetch moment is the run's scheduled time
  from the endpoint catalog, never the wall clock, so a replayed day always sees the same bytes
  (a live endpoint's answer follows the package clock, which a replay sets to the scheduled time).
- :class:`HttpSource` asks the real API through the endpoint's Airflow connection, with the
  retries and content checks of :class:`~nba_pipeline.sources.http_client.HttpSourceClient`.

Both return a :class:`~nba_pipeline.sources.http_client.FetchedPayload`: the untouched bytes and
when they were fetched; for an endpoint that answers in cursor pages, the pages merged into the
first one's document (the bytes of a page that breaks the chain are kept as received); for an
endpoint served per item (The Odds API's event odds, ESPN's rosters, NBA.com's box scores and
play-by-play), every item's answer in one document; for numbered pages (BettingPros' offers), the
first request's answer and every page.

For an endpoint that bills a quota (:class:`~nba_pipeline.scrapers.endpoints.Quota`), the HTTP
source adds up what each answer says it cost (:class:`~nba_pipeline.sources.fetch_results.QuotaUse`)
and, given a :class:`QuotaBudget`, sends no request that could take the day's use past it.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from nba_pipeline.scrapers.endpoints import Endpoint, endpoint_for
from nba_pipeline.scrapers.http_fetches import (
    QuotaBudget,
    QuotaMeter,
    each_item,
    follow_pages,
    metered,
    newest_slot,
)
from nba_pipeline.scrapers.page_numbers import numbered_pages
from nba_pipeline.settings import Settings, get_settings
from nba_pipeline.sources.fetch_results import FetchedPayload
from nba_pipeline.sources.simulation import IMPERFECTIONS, SimulatedLeague

if TYPE_CHECKING:
    from nba_pipeline.sources.http_client import HttpSourceClient

__all__ = [
    "SOURCE_MODES",
    "HttpSource",
    "PayloadSource",
    "QuotaBudget",
    "SimulatedSource",
    "payload_source",
]

log = logging.getLogger(__name__)

class PayloadSource(abc.ABC):
    """Fetches the payload of one source for one date."""

    #: the ``NBA_SOURCE_MODE`` value that selects this implementation
    mode: ClassVar[str]

    def fetch(self, source: str, target_date: dt.date, budget: QuotaBudget | None = None) -> FetchedPayload:
        """The payload of ``source`` for ``target_date``, as received, from the catalog entry
        that serves that date (:meth:`~nba_pipeline.scrapers.endpoints.Endpoint.for_date`: The Odds
        API's live endpoints for today and later, its historical ones before).

        :param budget: for a source that bills a quota, the most it may use (the HTTP source
            checks it before each request; the simulated league bills nothing).
        :raises UnknownSourceError: the source is not in the endpoint catalog.
        :raises SourceFetchError: (HTTP) the source did not deliver a JSON payload; a
            ``SourceContentError`` carries the bytes in ``.payload``; a ``SourceStoppedError``
            (``QuotaBudgetError`` for the budget) the answers received before the stop.
        """
        return self._fetch(endpoint_for(source).for_date(target_date), target_date, budget)

    @abc.abstractmethod
    def _fetch(self, endpoint: Endpoint, target_date: dt.date, budget: QuotaBudget | None) -> FetchedPayload: ...


@lru_cache(maxsize=4)
def _league(seed: int) -> SimulatedLeague:
    """One league per seed and process: its schedule and box scores are built once."""
    return SimulatedLeague(seed=seed)


class SimulatedSource(PayloadSource):
    """Payloads of the seeded simulated league, fetched at the run's scheduled moment; a live
    endpoint's answer (The Odds API for today and later) is as of the package clock's now, floored
    to the minute, as a live request is answered when it is made.

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

    def _fetch(self, endpoint: Endpoint, target_date: dt.date, budget: QuotaBudget | None) -> FetchedPayload:
        as_of = endpoint.answer_moment(target_date)
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
        imperfections, live = self.imperfections, endpoint.is_live
        return _league(self.seed).payload(endpoint.source, day, as_of=as_of, imperfections=imperfections, live=live)

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

    def _fetch(self, endpoint: Endpoint, target_date: dt.date, budget: QuotaBudget | None) -> FetchedPayload:
        """One request; for a paged answer, every page (after the first request naming the ids
        the pages are for); for a file per slot, the newest published; for an endpoint served per
        item, the index (through its own connection's client when it names one) and every item. A
        billed endpoint's payload carries what its requests cost."""
        overrides: dict[str, Any] = {"extra_headers": dict(endpoint.headers)} if endpoint.headers else {}
        with contextlib.ExitStack() as clients:
            client = clients.enter_context(self._client_factory(endpoint.conn_id, **overrides))
            meter = QuotaMeter(budget, endpoint.source)
            fetch = metered(client, endpoint.quota, meter)
            if endpoint.per_item is not None:
                index_conn_id = endpoint.per_item.index_conn_id
                index_client = (  # an index on another host (NBA.com's scoreboard for the CDN's feeds)
                    clients.enter_context(self._client_factory(index_conn_id, **overrides)) if index_conn_id else None
                )
                fetched = each_item(client, fetch, meter, endpoint, target_date, index_client)
            elif endpoint.pages is not None:
                fetched = numbered_pages(fetch, endpoint, target_date)
            elif endpoint.paging is not None:
                fetched = follow_pages(fetch, endpoint, *endpoint.request(target_date))
            elif endpoint.slots is not None:
                fetched = newest_slot(fetch, endpoint, target_date)
            else:
                fetched = fetch.fetch(*endpoint.request(target_date), media_type=endpoint.media_type)
        return dataclasses.replace(fetched, quota=meter.use()) if endpoint.quota is not None else fetched


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
