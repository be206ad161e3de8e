"""What a fetch gives: the untouched payload, or an error saying what failed, after how many
attempts, with the body's first bytes (never the API key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


@dataclass(frozen=True)
class QuotaUse:
    """What a fetch cost against an API's quota, as the API reported it.

    :param requests: the billed endpoint's requests the fetch made (answers received).
    :param used: credits used: the sum of the answers' per-request cost headers.
    :param remaining: the credits left according to the last answer that said, or None.
    """

    requests: int
    used: int
    remaining: int | None


@dataclass(frozen=True)
class FetchedPayload:
    """One HTTP response, as received.

    :param url: the requested URL without the API key (safe to log and store).
    :param status_code: HTTP status of the final response.
    :param content_type: the ``Content-Type`` header, or None when absent.
    :param body: the response body exactly as received (after transfer and
        content codings such as gzip are removed; never re-encoded or parsed).
    :param fetched_at: when the response arrived, timezone-aware UTC.
    :param attempts: how many requests were made to obtain it (1 = no retry).
    :param headers: the final response's headers, names in lowercase.
    :param quota: for an endpoint that bills a quota, what the fetch (all its requests) cost.
    """

    url: str
    status_code: int
    content_type: str | None
    body: bytes
    fetched_at: datetime
    attempts: int
    headers: Mapping[str, str] = field(default_factory=dict)
    quota: QuotaUse | None = None


def _rebuild_error(cls: type[SourceFetchError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class SourceFetchError(Exception):
    """A source could not deliver a usable payload.

    The message names the URL (without key), the status, the number of
    attempts and a short, redacted excerpt of the body.

    :param url: requested URL without the API key.
    :param attempts: requests made before giving up.
    :param status_code: HTTP status of the last response, None if none arrived.
    :param detail: what went wrong, in a few words.
    :param body_excerpt: start of the last response body (redacted).
    :param payload: the last response, when one arrived.
    """

    kind = "fetch failed"

    def __init__(
        self,
        *,
        url: str,
        attempts: int,
        detail: str,
        status_code: int | None = None,
        body_excerpt: str = "",
        payload: FetchedPayload | None = None,
    ) -> None:
        status = f"status {status_code}" if status_code is not None else "no response"
        message = f"{self.kind}: GET {url} ({status}) after {attempts} attempt(s): {detail}"
        if body_excerpt:
            message += f"; body starts {body_excerpt!r}"
        super().__init__(message)
        self.url = url
        self.attempts = attempts
        self.detail = detail
        self.status_code = status_code
        self.body_excerpt = body_excerpt
        self.payload = payload

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only __init__ would break default exception pickling.
        return (_rebuild_error, (type(self), self.args, dict(self.__dict__)))


class SourceRateLimitedError(SourceFetchError):
    """The source kept answering 429 Too Many Requests."""

    kind = "rate limited"


class SourceServerError(SourceFetchError):
    """The source kept answering with a 5xx status."""

    kind = "server error"


class SourceTimeoutError(SourceFetchError):
    """Connecting or reading kept exceeding the timeout."""

    kind = "timed out"


class SourceConnectionError(SourceFetchError):
    """The connection kept failing (refused, reset, DNS, dropped mid-body)."""

    kind = "connection failed"


class SourceClientError(SourceFetchError):
    """A non-retryable status (4xx other than 429): retrying would not help."""

    kind = "client error"


class SourceContentError(SourceFetchError):
    """A 2xx response whose body is not valid UTF-8 JSON.

    :attr:`payload` always holds the untouched response so the caller can
    quarantine the bytes.
    """

    kind = "invalid content"
    payload: FetchedPayload


class SourceStoppedError(SourceFetchError):
    """A fetch of several requests stopped before its last one (a request failed, or the quota
    budget would be exceeded).

    :param received: the answers received before the stop, in the stored shape (None when none
        was), so the caller can keep them.
    :param quota: what the requests made so far cost.
    """

    kind = "stopped"

    def __init__(self, *, received: FetchedPayload | None = None, quota: QuotaUse | None = None, **fields: Any) -> None:
        super().__init__(**fields)
        self.received = received
        self.quota = quota


class QuotaBudgetError(SourceStoppedError):
    """The next request would take the quota used today past the configured daily budget; it was
    not sent."""

    kind = "daily quota budget reached"


class SourceConfigError(ValueError):
    """The client cannot be built from its configuration (e.g. missing connection)."""


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header value.

    Accepts delta-seconds (``"120"``) and an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a date in the past means 0.
    Returns None when the header is absent or unparseable, so the caller
    falls back to its own backoff.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and seconds == seconds else None  # rejects negatives and NaN
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
