"""The entry point of every scraper task: fetch one source for one date, store it untouched.

``scrape`` is the ``run`` of every phase-1 processor. The payload is
written to the payload store before anything parses it. A body that is not JSON (an HTML error
page, a truncated or empty response), for the injury report a PDF that cannot be read, or a body
larger than ``NBA_MAX_PAYLOAD_BYTES`` is stored as received, moved to quarantine with its error,
and the task fails naming the source, the URL and the quarantine path; Airflow's retries take it
from there. Other fetch errors (rate limits, 5xx, timeouts after the client's own retries, a
missing connection) propagate with their messages.
Scrapers have no circuit breaker.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any, NoReturn

from nba_pipeline.guards.spec import ProcessorContext, ProcessorResult
from nba_pipeline.scrapers.endpoints import endpoint_for
from nba_pipeline.scrapers.sources import payload_source
from nba_pipeline.settings import get_settings
from nba_pipeline.sources.fetch_results import FetchedPayload, SourceContentError
from nba_pipeline.sources.injury_report import MEDIA_TYPE as REPORT_MEDIA_TYPE
from nba_pipeline.sources.injury_report import UnreadableReportError, read_report
from nba_pipeline.storage import SUFFIXES, PayloadStore

__all__ = ["QuarantinedPayloadError", "scrape"]

log = logging.getLogger(__name__)


class QuarantinedPayloadError(RuntimeError):
    """A source answered with a body that is not a JSON payload; the bytes are in quarantine.

    :param source: the source name.
    :param target_date: the date that was scraped.
    :param url: the requested URL, without the API key.
    :param quarantine_uri: where the untouched bytes (and ``<name>.error.txt``) now are.
    :param detail: what was wrong with the body.
    """

    def __init__(self, source: str, target_date: dt.date, url: str, quarantine_uri: str, detail: str) -> None:
        super().__init__(
            f"{source} for {target_date.isoformat()}: GET {url} returned an unusable payload ({detail}); "
            f"the body is quarantined at {quarantine_uri}"
        )
        self.source = source
        self.target_date = target_date
        self.url = url
        self.quarantine_uri = quarantine_uri
        self.detail = detail

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.source, self.target_date, self.url, self.quarantine_uri, self.detail))


def _quarantine(
    store: PayloadStore,
    source: str,
    target_date: dt.date,
    bad: FetchedPayload,
    error: str,
    detail: str,
    cause: BaseException | None = None,
) -> NoReturn:
    """Keep the unusable bytes in quarantine with ``error`` beside them, and fail naming them."""
    uri = store.store(source, target_date, bad.body, bad.fetched_at, _suffix(source))
    quarantined = store.quarantine(uri, error)
    log.error("%s for %s: unusable payload quarantined at %s", source, target_date, quarantined)
    raise QuarantinedPayloadError(source, target_date, bad.url, quarantined, detail) from cause


def _suffix(source: str) -> str:
    return SUFFIXES[endpoint_for(source).media_type]


def scrape(ctx: ProcessorContext) -> ProcessorResult:
    """Fetch ``ctx.processor.sources[0]`` for ``ctx.target_date`` and store the payload untouched.

    :returns: the stored payload's URI in ``file_path``; ``rows_processed`` is the number of
        items in the payload (games, rows, offers... as the endpoint declares), 0 if it could not
        be counted (then with a warning); ``load_seconds`` is the fetch time.
    :raises QuarantinedPayloadError: the body was not JSON (not a readable PDF for the injury
        report), or larger than ``NBA_MAX_PAYLOAD_BYTES``; it is kept in quarantine.
    :raises SourceFetchError: the source could not deliver (after the client's retries).
    """
    if not ctx.processor.sources:
        raise ValueError(f"scraper {ctx.processor.name!r} declares no source")
    source = ctx.processor.sources[0]
    target_date = ctx.target_date
    endpoint = endpoint_for(source)
    fetcher = payload_source()
    store = PayloadStore()

    started = time.monotonic()
    try:
        fetched = fetcher.fetch(source, target_date)
    except SourceContentError as exc:
        _quarantine(store, source, target_date, exc.payload, str(exc), exc.detail, cause=exc)
    load_seconds = time.monotonic() - started
    limit = get_settings().max_payload_bytes
    if len(fetched.body) > limit:
        detail = f"body is {len(fetched.body)} bytes, over the {limit}-byte limit (NBA_MAX_PAYLOAD_BYTES)"
        _quarantine(store, source, target_date, fetched, f"{detail}: GET {fetched.url}", detail)

    if endpoint.media_type == REPORT_MEDIA_TYPE:
        try:
            items: int | None = len(read_report(fetched.body).lines)
        except UnreadableReportError as exc:
            _quarantine(store, source, target_date, fetched, f"{exc}: GET {fetched.url}", str(exc), cause=exc)
    else:
        try:
            items = endpoint.count_items(json.loads(fetched.body))
        except ValueError:
            items = None

    saving = time.monotonic()
    uri = store.store(source, target_date, fetched.body, fetched.fetched_at, _suffix(source))
    save_seconds = time.monotonic() - saving

    warnings: list[str] = []
    if items is None:
        warnings.append(f"could not count the items of {source} at {'/'.join(map(str, endpoint.items))}")
    log.info(
        "%s for %s: %d bytes, %s items from %s (%s) stored at %s",
        source,
        target_date,
        len(fetched.body),
        items,
        fetched.url,
        fetcher,
        uri,
    )
    return ProcessorResult(
        rows_processed=items or 0,
        load_seconds=load_seconds,
        save_seconds=save_seconds,
        file_path=uri,
        source_files=1,
        date_range=(target_date, target_date),
        warnings=warnings,
        details={
            "source": source,
            "url": fetched.url,
            "fetched_at": fetched.fetched_at.isoformat(),
            "attempts": fetched.attempts,
            "bytes": len(fetched.body),
        },
    )
