"""The entry point of every scraper task: fetch one source for one date, store it untouched.

``scrape`` is the ``run`` of every phase-1 processor. The payload is
written to the payload store before anything parses it. A body that is not JSON (an HTML error
page, a truncated or empty response), for the injury report a PDF that cannot be read, or a body
larger than ``NBA_MAX_PAYLOAD_BYTES`` is stored as received, moved to quarantine with its error,
and the task fails naming the source, the URL and the quarantine path; Airflow's retries take it
from there. Other fetch errors (rate limits, 5xx, timeouts after the client's own retries, a
missing connection) propagate with their messages.
Scrapers have no circuit breaker.

A source that bills a quota (The Odds API) is fetched within the day's budget
(``NBA_ODDS_DAILY_QUOTA``, less what :data:`QUOTA_TABLE` says earlier fetches of the day used),
and every billed attempt writes what it cost to :data:`QUOTA_TABLE`. A fetch of several requests
that stops part-way (the budget, or the API refusing a request, e.g. out of credits) keeps the
answers it received in quarantine with the reason (a partial day is never loaded, so a later
complete fetch adds no duplicate), records its cost, and fails naming both.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any, NoReturn

from nba_pipeline import clock
from nba_pipeline.guards.spec import ProcessorContext, ProcessorResult
from nba_pipeline.scrapers.endpoints import Endpoint, endpoint_for
from nba_pipeline.scrapers.sources import QuotaBudget, payload_source
from nba_pipeline.settings import get_settings
from nba_pipeline.sources.fetch_results import FetchedPayload, QuotaUse, SourceContentError, SourceStoppedError
from nba_pipeline.sources.injury_report import MEDIA_TYPE as REPORT_MEDIA_TYPE
from nba_pipeline.sources.injury_report import UnreadableReportError, read_report
from nba_pipeline.storage import SUFFIXES, PayloadStore

__all__ = ["QUOTA_TABLE", "IncompleteFetchError", "QuarantinedPayloadError", "scrape"]

log = logging.getLogger(__name__)

#: One row per billed scraper attempt: what it cost, what was left (migration 0014).
QUOTA_TABLE = "nba_processing.scraper_quota_usage"


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


class IncompleteFetchError(RuntimeError):
    """A fetch of several requests stopped part-way; the answers received are kept in quarantine.

    :param source: the source name.
    :param target_date: the date that was scraped.
    :param detail: why it stopped (the budget and what was used, or the API's refusal).
    :param kept_uri: where the answers received before the stop are, or None when none came.
    :param quota: what the requests made cost, when the source bills a quota.
    """

    def __init__(
        self, source: str, target_date: dt.date, detail: str, kept_uri: str | None, quota: QuotaUse | None
    ) -> None:
        kept = f"the answers received before the stop are kept at {kept_uri}" if kept_uri else "nothing was received"
        cost = f"; this fetch used {quota.used} credits in {quota.requests} requests" if quota else ""
        remaining = f", {quota.remaining} remain" if quota and quota.remaining is not None else ""
        super().__init__(f"{source} for {target_date.isoformat()} stopped: {detail}; {kept}{cost}{remaining}")
        self.source = source
        self.target_date = target_date
        self.detail = detail
        self.kept_uri = kept_uri
        self.quota = quota

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.source, self.target_date, self.detail, self.kept_uri, self.quota))


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
    :raises IncompleteFetchError: a fetch of several requests stopped part-way (the daily quota
        budget, or a refused request); what it received is kept in quarantine.
    :raises SourceFetchError: the source could not deliver (after the client's retries).
    """
    if not ctx.processor.sources:
        raise ValueError(f"scraper {ctx.processor.name!r} declares no source")
    source = ctx.processor.sources[0]
    target_date = ctx.target_date
    endpoint = endpoint_for(source).for_date(target_date)  # the entry the fetch uses (live or historical)
    fetcher = payload_source()
    store = PayloadStore()

    started = time.monotonic()
    budget = _budget(ctx, endpoint)
    try:
        fetched = fetcher.fetch(source, target_date, budget)
    except SourceContentError as exc:
        _quarantine(store, source, target_date, exc.payload, str(exc), exc.detail, cause=exc)
    except SourceStoppedError as exc:
        kept = None
        if exc.received is not None:
            uri = store.store(source, target_date, exc.received.body, exc.received.fetched_at, _suffix(source))
            kept = store.quarantine(uri, f"incomplete fetch, not loaded: {exc}")
        if exc.quota is not None:
            _record_quota(ctx, endpoint, exc.quota, clock.now(), "stopped", str(exc))
        log.error("%s for %s stopped: %s (kept: %s)", source, target_date, exc, kept)
        raise IncompleteFetchError(source, target_date, str(exc), kept, exc.quota) from exc
    if fetched.quota is not None:
        _record_quota(ctx, endpoint, fetched.quota, fetched.fetched_at, "success", None)
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
            **_quota_details(fetched.quota),
        },
    )


def _quota_details(quota: QuotaUse | None) -> dict[str, Any]:
    if quota is None:
        return {}
    return {"requests": quota.requests, "quota_used": quota.used, "quota_remaining": quota.remaining}


def _budget(ctx: ProcessorContext, endpoint: Endpoint) -> QuotaBudget | None:
    """The daily budget less what earlier attempts of the day (America/New_York) used, for a
    source that bills a quota when ``NBA_ODDS_DAILY_QUOTA`` is set; otherwise None."""
    limit = get_settings().odds_daily_quota
    if endpoint.quota is None or limit is None:
        return None
    if ctx.warehouse is None:
        raise ValueError(f"{endpoint.source}: the daily quota budget needs the warehouse to read the day's use")
    (row,) = ctx.warehouse.query(
        f"SELECT COALESCE(SUM(quota_used), 0) AS used FROM {QUOTA_TABLE} WHERE conn_id = @conn AND usage_date = @day",
        {"conn": endpoint.conn_id, "day": clock.local_today()},
    )
    return QuotaBudget(limit=limit, used_before=int(row["used"]))


def _record_quota(
    ctx: ProcessorContext,
    endpoint: Endpoint,
    quota: QuotaUse,
    fetched_at: dt.datetime,
    status: str,
    error: str | None,
) -> None:
    """One row in :data:`QUOTA_TABLE` for this attempt (nothing without a warehouse, as in unit tests)."""
    if ctx.warehouse is None:
        return
    ctx.warehouse.insert_rows(
        QUOTA_TABLE,
        [
            {
                "run_id": ctx.run_id,
                "source": endpoint.source,
                "conn_id": endpoint.conn_id,
                "target_date": ctx.target_date,
                "usage_date": clock.local_today(),
                "fetched_at": fetched_at,
                "status": status,
                "requests": quota.requests,
                "quota_used": quota.used,
                "quota_remaining": quota.remaining,
                "error_message": error[:4000] if error else None,
                "recorded_at": clock.now(),
            }
        ],
    )
