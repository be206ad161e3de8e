"""HTTP client shared by the phase-1 scrapers.

One :class:`HttpSourceClient` talks to one endpoint family (NBA.com stats,
balldontlie, the Odds API, BettingPros, ESPN). It fetches a payload, retries
what can get better (429, 5xx, timeouts, dropped connections) with capped
exponential backoff, honours ``Retry-After``, and checks that a 2xx body is
JSON without altering it: the caller stores exactly the bytes received, and a
body that is not JSON comes back inside the exception so it can be
quarantined rather than lost.

The API key never leaves the request itself: :attr:`FetchedPayload.url`,
exception messages and log lines carry the URL without it, and any echo of
the key in a response excerpt is redacted.

This module imports nothing from Airflow; :mod:`.http_connection` builds a client from an Airflow
connection.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

import requests
from urllib3.exceptions import ReadTimeoutError

from nba_pipeline.sources.fetch_results import (
    FetchedPayload,
    SourceClientError,
    SourceConfigError,
    SourceConnectionError,
    SourceContentError,
    SourceFetchError,
    SourceRateLimitedError,
    SourceServerError,
    SourceTimeoutError,
    parse_retry_after,
)

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchedPayload",
    "HttpSourceClient",
    "SourceClientError",
    "SourceConfigError",
    "SourceConnectionError",
    "SourceContentError",
    "SourceFetchError",
    "SourceRateLimitedError",
    "SourceServerError",
    "SourceTimeoutError",
    "parse_retry_after",
]

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "nba-pipeline/0.1"
_EXCERPT_BYTES = 200
_REDACTED = "***"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HttpSourceClient:
    """Fetch JSON payloads from one source over HTTP with bounded, polite retries.

    Each :meth:`fetch` makes up to ``max_attempts`` GET requests. 429, 5xx,
    timeouts and connection errors are retried after
    ``min(backoff_cap_seconds, backoff_base_seconds * 2 ** (n - 1))`` seconds
    (n = failed attempt number), or after the server's ``Retry-After`` (capped
    the same way) when it sends one. Other non-2xx statuses fail at once. A
    2xx body must decode as strict UTF-8 (a leading byte order mark is
    allowed) and parse as JSON, otherwise :class:`SourceContentError` carries
    the payload. One client holds one connection pool; use one client per
    task or thread.

    :param base_url: scheme, host and optional path prefix, e.g.
        ``"https://api.the-odds-api.com"``.
    :param api_key: secret sent with every request; never logged.
    :param api_key_param: query parameter carrying the key (``"apiKey"``).
    :param api_key_header: header carrying the key verbatim (``"Authorization"``).
    :param timeout_seconds: connect timeout and read timeout, each.
    :param max_attempts: total requests per fetch, at least 1.
    :param backoff_base_seconds: delay after the first failed attempt.
    :param backoff_cap_seconds: upper bound of any delay, Retry-After included.
    :param jitter_ratio: adds up to this fraction of the backoff delay, drawn
        from a generator seeded with ``jitter_seed`` (reproducible); 0 = off.
    :param jitter_seed: seed of the jitter generator.
    :param sleep: called with each delay; inject a recorder in tests.
    :param clock: current UTC time, used for ``fetched_at`` and HTTP-date Retry-After.
    :param user_agent: ``User-Agent`` header value.
    :param extra_headers: fixed headers sent with every request (NBA.com
        wants ``Referer``/``Origin``, for instance).
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None = None,
        api_key_param: str | None = None,
        api_key_header: str | None = None,
        timeout_seconds: float = 30.0,
        max_attempts: int = 4,
        backoff_base_seconds: float = 1.0,
        backoff_cap_seconds: float = 60.0,
        jitter_ratio: float = 0.0,
        jitter_seed: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utcnow,
        user_agent: str = DEFAULT_USER_AGENT,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError("base_url must not contain a query string or fragment")
        if api_key_param and api_key_header:
            raise ValueError("give api_key_param or api_key_header, not both")
        if api_key and not (api_key_param or api_key_header):
            raise ValueError("api_key given without api_key_param or api_key_header to send it in")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if backoff_base_seconds < 0 or backoff_cap_seconds < 0:
            raise ValueError("backoff delays must not be negative")
        if not 0.0 <= jitter_ratio <= 1.0:
            raise ValueError("jitter_ratio must be between 0 and 1")

        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.api_key_param = api_key_param
        self.api_key_header = api_key_header
        self.timeout_seconds = float(timeout_seconds)
        self.max_attempts = int(max_attempts)
        self.backoff_base_seconds = float(backoff_base_seconds)
        self.backoff_cap_seconds = float(backoff_cap_seconds)
        self.jitter_ratio = float(jitter_ratio)
        self._jitter = random.Random(jitter_seed)
        self._sleep = sleep
        self._clock = clock
        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent
        self._session.headers["Accept"] = "application/json"
        self._session.headers.update(extra_headers or {})

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={key})"

    def __enter__(self) -> HttpSourceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def backoff_delay(self, attempt: int) -> float:
        """Delay after failed attempt ``attempt`` (1-based) when no Retry-After applies."""
        delay = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** (attempt - 1))
        if self.jitter_ratio:
            delay = min(self.backoff_cap_seconds, delay * (1 + self.jitter_ratio * self._jitter.random()))
        return float(delay)

    def _request_for(self, path: str, params: Mapping[str, str] | None) -> tuple[str, str, dict[str, str]]:
        """The URL without the key (for payloads and logs), the URL to request, and the headers."""
        if "://" in path or path.startswith("//"):
            raise ValueError(f"path must be relative to base_url, got {path!r}")
        query = dict(params or {})
        if self.api_key_param and self.api_key_param in query:
            raise ValueError(f"params must not set the API key parameter {self.api_key_param!r}")
        endpoint = f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url
        public_url = _with_query(endpoint, query)
        headers: dict[str, str] = {}
        if self._api_key and self.api_key_param:
            query[self.api_key_param] = self._api_key
        if self._api_key and self.api_key_header:
            headers[self.api_key_header] = self._api_key
        return public_url, _with_query(endpoint, query), headers

    def fetch(
        self, path: str, params: Mapping[str, str] | None = None, media_type: str = "application/json"
    ) -> FetchedPayload:
        """GET ``base_url/path`` and return the untouched payload.

        :param path: path below ``base_url``; absolute URLs are refused so the
            key is never sent to another host.
        :param params: query parameters (the API key is added separately).
        :param media_type: what the body must be: ``application/json`` (strict UTF-8 JSON) or
            ``application/pdf`` (a PDF file: ``%PDF-`` first, ``%%EOF`` near the end).
        :raises SourceClientError: 4xx other than 429, no retry.
        :raises SourceRateLimitedError: still 429 after ``max_attempts``.
        :raises SourceServerError: still 5xx after ``max_attempts``.
        :raises SourceTimeoutError: still timing out after ``max_attempts``.
        :raises SourceConnectionError: still failing to connect after ``max_attempts``.
        :raises SourceContentError: 2xx but not the media type; ``.payload`` holds the bytes.
        """
        public_url, request_url, headers = self._request_for(path, params)
        headers = {**headers, "Accept": media_type}

        for attempt in range(1, self.max_attempts + 1):
            error: SourceFetchError
            retry_after: float | None = None
            try:
                response = self._session.get(
                    request_url, headers=headers, timeout=self.timeout_seconds, allow_redirects=True
                )
                body = response.content
            except (
                requests.Timeout,
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                error_cls = _transport_error_class(exc)
                error = error_cls(url=public_url, attempts=attempt, detail=self._redact(_describe(exc)))
            except requests.RequestException as exc:  # invalid URL, redirect loop: retrying won't help
                raise SourceFetchError(
                    url=public_url, attempts=attempt, detail=self._redact(_describe(exc))
                ) from None
            else:
                payload = FetchedPayload(
                    url=self._public_final_url(response.url, public_url),
                    status_code=response.status_code,
                    content_type=response.headers.get("Content-Type"),
                    body=body,
                    fetched_at=self._clock(),
                    attempts=attempt,
                    headers={name.lower(): value for name, value in response.headers.items()},
                )
                status = response.status_code
                if 200 <= status < 300:
                    if media_type == "application/pdf":
                        self._check_pdf(payload)
                    else:
                        self._check_json(payload)
                    return payload
                excerpt = self._excerpt(body)
                reason = response.reason or "HTTP error"
                if status == 429 or 500 <= status <= 599:
                    cls = SourceRateLimitedError if status == 429 else SourceServerError
                    error = cls(
                        url=payload.url,
                        attempts=attempt,
                        status_code=status,
                        detail=reason,
                        body_excerpt=excerpt,
                        payload=payload,
                    )
                    retry_after = parse_retry_after(response.headers.get("Retry-After"), now=self._clock())
                else:
                    raise SourceClientError(
                        url=payload.url,
                        attempts=attempt,
                        status_code=status,
                        detail=f"{reason} (not retried)",
                        body_excerpt=excerpt,
                        payload=payload,
                    )

            if attempt == self.max_attempts:
                raise error
            if retry_after is not None:
                delay = min(retry_after, self.backoff_cap_seconds)
            else:
                delay = self.backoff_delay(attempt)
            log.warning(
                "Attempt %d/%d failed (%s); retrying in %.2fs", attempt, self.max_attempts, error, delay
            )
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_pdf(self, payload: FetchedPayload) -> None:
        """Raise SourceContentError unless the body looks like a whole PDF file."""
        body = payload.body
        if body.startswith(b"%PDF-") and b"%%EOF" in body[-1024:]:
            return
        detail = "not a PDF" if not body.startswith(b"%PDF-") else "a PDF without its end (%%EOF): truncated?"
        raise self._content_error(payload, detail)

    def _check_json(self, payload: FetchedPayload) -> None:
        """Raise SourceContentError unless the body is strict UTF-8 JSON (a leading UTF-8 BOM is allowed)."""
        body = payload.body
        if not body.strip():
            detail = "empty body" if not body else "body is only whitespace"
        else:
            try:
                text = body.decode("utf-8-sig", errors="strict")
            except UnicodeDecodeError as exc:
                detail = f"body is not valid UTF-8 at byte {exc.start}: {exc.reason}"
            else:
                try:
                    json.loads(text)
                except json.JSONDecodeError as exc:
                    detail = (
                        f"invalid JSON at line {exc.lineno} column {exc.colno} "
                        f"(char {exc.pos} of {len(text)}): {exc.msg}"
                    )
                except RecursionError:
                    detail = "JSON nested too deeply to parse"
                else:
                    return
        raise self._content_error(payload, detail)

    def _content_error(self, payload: FetchedPayload, detail: str) -> SourceContentError:
        return SourceContentError(
            url=payload.url,
            attempts=payload.attempts,
            status_code=payload.status_code,
            detail=f"{detail}; content-type {payload.content_type or 'absent'}",
            body_excerpt=self._excerpt(payload.body),
            payload=payload,
        )

    def _public_final_url(self, final_url: str | None, public_url: str) -> str:
        """The URL that answered (after redirects), with the key parameter removed."""
        if not final_url:
            return public_url
        if not self.api_key_param:
            return self._redact(final_url)
        parts = urlsplit(final_url)
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != self.api_key_param]
        return self._redact(urlunsplit(parts._replace(query=urlencode(kept))))

    def _excerpt(self, body: bytes) -> str:
        text = body[:_EXCERPT_BYTES].decode("utf-8", errors="replace")
        text = " ".join(text.split())
        if len(body) > _EXCERPT_BYTES:
            text += "..."
        return self._redact(text)

    def _redact(self, text: str) -> str:
        """Replace every spelling of the API key in ``text``."""
        key = self._api_key
        if not key:
            return text
        for form in {key, quote_plus(key), quote(key, safe="")}:
            text = text.replace(form, _REDACTED)
        return text


def _with_query(endpoint: str, query: Mapping[str, str]) -> str:
    return f"{endpoint}?{urlencode(query)}" if query else endpoint


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _transport_error_class(exc: requests.RequestException) -> type[SourceFetchError]:
    """Timeouts (including a stalled body read) vs. other connection failures."""
    if isinstance(exc, requests.Timeout):
        return SourceTimeoutError
    if exc.args and isinstance(exc.args[0], ReadTimeoutError):
        return SourceTimeoutError
    return SourceConnectionError
