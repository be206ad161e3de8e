"""A local HTTP server running in a thread for the duration of a block (the tests' stand-ins for APIs),
and :class:`ScriptedServer`, one that plays scripted replies per path and records every request."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

Server = TypeVar("Server", bound=HTTPServer)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Serve ``server`` (bound to 127.0.0.1 and a free port) until the block ends, then close it."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers with :meth:`answer`."""

    def answer(
        self, status: int, body: bytes, headers: dict[str, str] | None = None, *, stall_mid_body: float = 0.0
    ) -> None:
        """Send ``body`` (JSON unless ``headers`` name another Content-Type); with ``stall_mid_body``,
        pause that many seconds after the first half of it."""
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if stall_mid_body:
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            time.sleep(stall_mid_body)
            body = body[half:]
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        pass


@dataclass
class Reply:
    """One scripted response, sent ``delay`` seconds after the request came in (see :meth:`QuietHandler.answer`)."""

    status: int = 200
    body: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stall_mid_body: float = 0.0


@dataclass
class Request:
    """One request as the server received it, ``at`` its arrival (``time.monotonic()``)."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float


class LocalServer(ThreadingHTTPServer):
    """A threaded server on 127.0.0.1 and a free port, answering with ``handler``."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ScriptedServer(LocalServer):
    """Replies per path, played in order, the last one repeating (404 for a path without a script);
    every request recorded in :attr:`requests`. Serve it with :func:`serving`."""

    def __init__(self) -> None:
        super().__init__(_ScriptedHandler)
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Request] = []

    def script(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def take(self, request: Request) -> Reply:
        """Record ``request`` and give the reply due for its path."""
        with self._lock:
            self.requests.append(request)
            replies = self.routes.get(request.path)
            if not replies:
                return Reply(404, b'{"message": "no script for this path"}')
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up is no error
            super().handle_error(request, client_address)


class _ScriptedHandler(QuietHandler):
    server: ScriptedServer

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        parts = urlsplit(self.path)
        request = Request(parts.path, dict(parse_qsl(parts.query)), dict(self.headers.items()), time.monotonic())
        reply = self.server.take(request)
        time.sleep(reply.delay)
        try:
            self.answer(reply.status, reply.body, reply.headers, stall_mid_body=reply.stall_mid_body)
        except ConnectionError:
            pass  # the client timed out and left


def cursor_page(whole: bytes, start: int, size: int = 100) -> bytes:
    """The page of a whole balldontlie-style answer (``data`` and ``meta``) that starts at row
    ``start``: the stand-ins' cursor is the row offset, ``meta.next_cursor`` null on the last page."""
    rows = json.loads(whole)["data"]
    following = start + size if start + size < len(rows) else None
    page = {"data": rows[start : start + size], "meta": {"next_cursor": following, "per_page": size}}
    return json.dumps(page).encode()
