"""HttpSourceClient against a real HTTP server on 127.0.0.1 (real sockets, no mocks).

The server (``tests.local_http.ScriptedServer``) plays a script per path (status,
headers, body, delay) and records every request, so each test states what the source does and checks what the
client made of it: retries, waits, errors and the untouched bytes.
"""

from __future__ import annotations

import json
import logging
import pickle
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests

from nba_pipeline.sources.http_client import (
    FetchedPayload,
    HttpSourceClient,
    SourceClientError,
    SourceConfigError,
    SourceConnectionError,
    SourceContentError,
    SourceFetchError,
    SourceRateLimitedError,
    SourceServerError,
    SourceTimeoutError,
    _transport_error_class,
)
from nba_pipeline.sources.http_connection import client_from_connection
from tests.local_http import Reply, ScriptedServer, serving

API_KEY = "s3cr3t-K3Y/+="


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with serving(ScriptedServer()) as scripted:
        yield scripted


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(server: ScriptedServer, sleeps: list[float]) -> Callable[..., HttpSourceClient]:
    def make(**kwargs: Any) -> HttpSourceClient:
        kwargs.setdefault("base_url", server.url)
        kwargs.setdefault("timeout_seconds", 2.0)
        return HttpSourceClient(sleep=sleeps.append, **kwargs)

    return make


def test_success_returns_the_exact_bytes_served(server, make_client, sleeps):
    body = b'{"players": [ {"name": "Nikola Joki\xc4\x87", "pts": 27}\t],\n "n": 1}  '
    server.script(
        "/v1/players", Reply(body=body, headers={"Content-Type": "application/json; charset=utf-8"})
    )
    before = datetime.now(UTC)

    payload = make_client().fetch("/v1/players", {"season": "2024", "team": "DEN"})

    assert isinstance(payload, FetchedPayload)
    assert payload.body == body
    assert payload.attempts == 1
    assert payload.status_code == 200
    assert payload.content_type == "application/json; charset=utf-8"
    assert payload.url == f"{server.url}/v1/players?season=2024&team=DEN"
    assert payload.fetched_at.tzinfo is not None and payload.fetched_at.utcoffset() == timedelta(0)
    assert before <= payload.fetched_at <= datetime.now(UTC)
    assert sleeps == []
    assert server.hits("/v1/players")[0].query == {"season": "2024", "team": "DEN"}
    with pytest.raises(AttributeError):
        payload.body = b""  # type: ignore[misc]  # frozen


def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(server, make_client, sleeps):
    server.script("/odds", Reply(429, b'{"message": "slow down"}', {"Retry-After": "2"}), Reply(body=b"[]"))

    payload = make_client(backoff_base_seconds=0.5).fetch("/odds")

    assert sleeps == [2.0]
    assert payload.attempts == 2
    assert payload.body == b"[]"
    assert len(server.hits("/odds")) == 2


FIXED_NOW = datetime(2025, 1, 15, 18, 30, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset_seconds", "cap", "expected_sleep"),
    [(7, 60.0, 7.0), (-30, 60.0, 0.0), (3600, 10.0, 10.0)],
    ids=["future-date", "past-date-means-now", "capped"],
)
def test_retry_after_http_date(server, make_client, sleeps, offset_seconds, cap, expected_sleep):
    retry_at = format_datetime(FIXED_NOW + timedelta(seconds=offset_seconds), usegmt=True)
    server.script("/schedule", Reply(503, b"busy", {"Retry-After": retry_at}), Reply())

    payload = make_client(backoff_cap_seconds=cap, clock=lambda: FIXED_NOW).fetch("/schedule")

    assert sleeps == [expected_sleep]
    assert payload.attempts == 2
    assert payload.fetched_at == FIXED_NOW


def test_unparseable_retry_after_falls_back_to_backoff(server, make_client, sleeps):
    server.script("/x", Reply(503, b"busy", {"Retry-After": "soon"}), Reply())

    make_client(backoff_base_seconds=0.25).fetch("/x")

    assert sleeps == [0.25]


def test_500_then_503_then_success_backs_off_exponentially(server, make_client, sleeps):
    server.script("/boxscore", Reply(500, b"oops"), Reply(503, b"unavailable"), Reply(body=b'{"game": 1}'))

    payload = make_client(backoff_base_seconds=0.5).fetch("/boxscore")

    assert sleeps == [0.5, 1.0]
    assert payload.attempts == 3
    assert payload.body == b'{"game": 1}'


def test_jitter_is_deterministic_small_and_off_by_default(make_client):
    plain = make_client(backoff_base_seconds=1.0)
    assert [plain.backoff_delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    first = make_client(jitter_ratio=0.1, jitter_seed=7)
    second = make_client(jitter_ratio=0.1, jitter_seed=7)
    delays = [first.backoff_delay(n) for n in (1, 2, 3)]
    assert delays == [second.backoff_delay(n) for n in (1, 2, 3)]
    for n, delay in zip((1, 2, 3), delays, strict=True):
        assert 2 ** (n - 1) <= delay <= 2 ** (n - 1) * 1.1
    assert delays != [1.0, 2.0, 4.0]


def test_persistent_500_gives_up_after_max_attempts(server, make_client, sleeps):
    server.script("/injuries", Reply(500, b"<h1>Internal Server Error</h1>", {"Content-Type": "text/html"}))

    with pytest.raises(SourceServerError) as info:
        make_client(max_attempts=4, backoff_base_seconds=1.0, backoff_cap_seconds=3.0).fetch("/injuries")

    err = info.value
    assert sleeps == [1.0, 2.0, 3.0]  # 4.0 capped at 3.0; no sleep after the last attempt
    assert len(server.hits("/injuries")) == 4
    assert (err.attempts, err.status_code) == (4, 500)
    assert err.payload is not None and err.payload.body == b"<h1>Internal Server Error</h1>"
    message = str(err)
    assert f"{server.url}/injuries" in message
    assert "status 500" in message and "after 4 attempt(s)" in message
    assert "Internal Server Error" in message


def test_persistent_429_raises_rate_limited(server, make_client, sleeps):
    server.script("/props", Reply(429, b'{"message": "quota"}'))

    with pytest.raises(SourceRateLimitedError) as info:
        make_client(max_attempts=3, backoff_base_seconds=0.1).fetch("/props")

    assert sleeps == [0.1, 0.2]
    assert info.value.attempts == 3
    assert "status 429" in str(info.value) and "quota" in str(info.value)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_other_4xx_fails_at_once(server, make_client, sleeps, status):
    server.script("/missing", Reply(status, b'{"error": "nope"}'))

    with pytest.raises(SourceClientError) as info:
        make_client().fetch("/missing")

    assert sleeps == []
    assert len(server.hits("/missing")) == 1
    assert (info.value.status_code, info.value.attempts) == (status, 1)
    assert f"status {status}" in str(info.value) and "nope" in str(info.value)


def test_read_timeout_is_retried_then_raises(server, make_client, sleeps):
    server.script("/slow", Reply(delay=0.6))

    with pytest.raises(SourceTimeoutError) as info:
        make_client(timeout_seconds=0.2, max_attempts=2, backoff_base_seconds=0.5).fetch("/slow")

    assert sleeps == [0.5]
    assert len(server.hits("/slow")) == 2
    assert info.value.attempts == 2 and info.value.status_code is None
    assert "no response" in str(info.value) and "/slow" in str(info.value)


def test_body_that_stalls_mid_transfer_is_a_timeout(server, make_client, sleeps):
    stalled = Reply(body=b'{"plays": [' + b"0," * 50 + b"0]}", stall_mid_body=0.6)
    server.script("/pbp", stalled, Reply())
    server.script("/pbp-stuck", stalled)

    payload = make_client(timeout_seconds=0.2, backoff_base_seconds=0.5).fetch("/pbp")
    with pytest.raises(SourceTimeoutError) as info:
        make_client(timeout_seconds=0.2, max_attempts=1).fetch("/pbp-stuck")

    assert payload.body == b'{"ok": true}' and payload.attempts == 2
    assert sleeps == [0.5]
    assert info.value.attempts == 1 and "timed out" in str(info.value)


def test_connect_timeout_counts_as_timeout():
    # A connect timeout needs an unroutable address, which a test cannot rely on; classify directly.
    assert _transport_error_class(requests.ConnectTimeout("connect timed out")) is SourceTimeoutError
    assert _transport_error_class(requests.ConnectionError("refused")) is SourceConnectionError


def test_connection_refused_is_retried_then_raises(sleeps):
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = HttpSourceClient(
        base_url=f"http://127.0.0.1:{port}",
        api_key=API_KEY,
        api_key_param="apiKey",
        max_attempts=2,
        sleep=sleeps.append,
    )

    with pytest.raises(SourceConnectionError) as info:
        client.fetch("/events", {"regions": "us"})

    assert sleeps == [1.0]
    assert info.value.attempts == 2
    assert info.value.url == f"http://127.0.0.1:{port}/events?regions=us"
    _assert_no_key(str(info.value))


def test_html_error_page_with_200_keeps_the_untouched_bytes(server, make_client, sleeps):
    html = b"<!DOCTYPE html><html><body>Access Denied - Reference #18.abc</body></html>"
    server.script("/stats", Reply(body=html, headers={"Content-Type": "text/html"}))

    with pytest.raises(SourceContentError) as info:
        make_client().fetch("/stats")

    err = info.value
    assert err.payload.body == html
    assert err.payload.status_code == 200 and err.payload.content_type == "text/html"
    assert err.payload.url == f"{server.url}/stats"
    assert "invalid JSON at line 1 column 1 (char 0" in str(err)
    assert "text/html" in str(err) and "Access Denied" in str(err)
    assert sleeps == []  # a 2xx is not retried


def test_truncated_json_names_the_position(server, make_client):
    body = b'{"games": [{"id": 1}, {"id": 2'
    server.script("/games", Reply(body=body))

    with pytest.raises(SourceContentError) as info:
        make_client().fetch("/games")

    assert info.value.payload.body == body
    assert f"(char {len(body)} of {len(body)})" in str(info.value)
    assert "line 1 column 31" in str(info.value)


@pytest.mark.parametrize(("body", "expected"), [(b"", "empty body"), (b" \r\n", "only whitespace")])
def test_empty_body_is_content_error(server, make_client, body, expected):
    server.script("/empty", Reply(body=body))

    with pytest.raises(SourceContentError) as info:
        make_client().fetch("/empty")

    assert info.value.payload.body == body
    assert expected in str(info.value)


def test_invalid_utf8_is_content_error_with_byte_offset(server, make_client):
    body = '{"name": "Jokić"}'.encode("cp1250")  # right JSON, wrong encoding
    server.script("/latin", Reply(body=body))

    with pytest.raises(SourceContentError) as info:
        make_client().fetch("/latin")

    assert info.value.payload.body == body
    assert "not valid UTF-8 at byte 14" in str(info.value)


def _assert_no_key(text: str) -> None:
    assert API_KEY not in text
    assert "s3cr3t" not in text


def test_api_key_as_query_param_is_sent_but_never_shown(server, make_client, caplog):
    server.script("/v4/sports/basketball_nba/events", Reply(body=b"[]"))
    echo = f'{{"message": "bad key {API_KEY}"}}'.encode()
    server.script("/v4/denied", Reply(503, b"busy"), Reply(401, echo))
    client = make_client(api_key=API_KEY, api_key_param="apiKey", backoff_base_seconds=0.01)

    payload = client.fetch("/v4/sports/basketball_nba/events", {"dateFormat": "iso"})
    with caplog.at_level(logging.WARNING), pytest.raises(SourceClientError) as info:
        client.fetch("/v4/denied")

    assert server.hits("/v4/sports/basketball_nba/events")[0].query == {
        "dateFormat": "iso",
        "apiKey": API_KEY,
    }
    assert payload.url == f"{server.url}/v4/sports/basketball_nba/events?dateFormat=iso"
    err = info.value
    assert err.attempts == 2 and "***" in str(err)
    for text in (str(err), err.url, err.body_excerpt, err.payload.url, repr(client), caplog.text):
        _assert_no_key(text)
    assert "busy" in caplog.text  # the retry was logged, without the key


def test_api_key_as_header_is_sent_but_never_shown(server, make_client):
    server.script("/v1/games", Reply(body=b'{"data": []}'))
    server.script("/v1/broken", Reply(500, f"upstream rejected Authorization: {API_KEY}".encode()))
    client = make_client(api_key=API_KEY, api_key_header="Authorization", max_attempts=2)

    payload = client.fetch("/v1/games", {"dates[]": "2025-01-15"})
    with pytest.raises(SourceServerError) as info:
        client.fetch("/v1/broken")

    seen = server.hits("/v1/games")[0]
    assert seen.headers["Authorization"] == API_KEY
    assert seen.headers["User-Agent"].startswith("nba-pipeline/")
    assert seen.query == {"dates[]": "2025-01-15"}
    _assert_no_key(payload.url)
    _assert_no_key(str(info.value))


def test_key_requires_a_place_and_paths_stay_on_the_base_url(server, make_client):
    with pytest.raises(ValueError, match="without api_key_param or api_key_header"):
        make_client(api_key=API_KEY)
    with pytest.raises(ValueError, match="not both"):
        make_client(api_key=API_KEY, api_key_param="apiKey", api_key_header="Authorization")
    client = make_client(api_key=API_KEY, api_key_param="apiKey")
    with pytest.raises(ValueError, match="relative"):
        client.fetch("https://elsewhere.example/steal")
    assert server.requests == []


def test_errors_survive_pickling(server, make_client):
    server.script("/html", Reply(body=b"<html/>", headers={"Content-Type": "text/html"}))
    with pytest.raises(SourceContentError) as info:
        make_client().fetch("/html")

    clone = pickle.loads(pickle.dumps(info.value))

    assert type(clone) is SourceContentError and isinstance(clone, SourceFetchError)
    assert str(clone) == str(info.value)
    assert clone.payload == info.value.payload


def test_client_from_env_connection(server, sleeps, monkeypatch):
    conn = {
        "conn_type": "http",
        "host": "127.0.0.1",
        "schema": "http",
        "port": server.port,
        "password": API_KEY,
        "extra": {"api_key_param": "apiKey", "timeout_seconds": "3", "max_attempts": 2},
    }
    monkeypatch.setenv("AIRFLOW_CONN_NBA_TEST_ODDS_API", json.dumps(conn))
    server.script("/v4/sports", Reply(500, b"x"), Reply(body=b'[{"key": "basketball_nba"}]'))

    client = client_from_connection("nba_test_odds_api", sleep=sleeps.append, backoff_base_seconds=0.1)
    payload = client.fetch("/v4/sports")

    assert (client.base_url, client.timeout_seconds, client.max_attempts) == (server.url, 3.0, 2)
    assert payload.body == b'[{"key": "basketball_nba"}]' and payload.attempts == 2
    assert sleeps == [0.1]
    assert server.hits("/v4/sports")[-1].query == {"apiKey": API_KEY}
    _assert_no_key(payload.url + repr(client))


def test_client_from_env_connection_with_key_in_extra_and_scheme_in_host(server, monkeypatch):
    conn = {
        "conn_type": "http",
        "host": server.url,
        "extra": {"api_key": API_KEY, "api_key_header": "Authorization", "user_agent": "nba-test/1"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_NBA_TEST_BDL", json.dumps(conn))
    server.script("/v1/teams", Reply(body=b'{"data": []}'))

    client_from_connection("nba_test_bdl").fetch("/v1/teams")

    seen = server.hits("/v1/teams")[0]
    assert seen.headers["Authorization"] == API_KEY and seen.headers["User-Agent"] == "nba-test/1"


def test_missing_connection_names_the_conn_id(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_NBA_TEST_NOT_DEFINED", raising=False)

    with pytest.raises(SourceConfigError, match="'nba_test_not_defined'.*AIRFLOW_CONN_NBA_TEST_NOT_DEFINED"):
        client_from_connection("nba_test_not_defined")
