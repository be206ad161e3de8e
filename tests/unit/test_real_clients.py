"""The simulated payloads as the real endpoints' public clients read them (contract tests).

A payload is served by a real local HTTP server at the path the client asks for; the client's own
request and parsing code runs unchanged, and what it reads must be what the raw processor loads.
So far only balldontlie's box scores; ``docs/real-endpoints.md`` lists what the other sources
still lack.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from balldontlie import BalldontlieAPI

from nba_pipeline.processors.raw import BDL_BOXSCORES
from nba_pipeline.processors.raw.json_node import decode
from nba_pipeline.scrapers.sources import SimulatedSource

GAME_DAY = dt.date(2025, 1, 14)


class _Served:
    """A local HTTP server answering every GET with one body; it records the requests."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[tuple[str, dict[str, str]]] = []
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                served.requests.append((self.path, dict(self.headers)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(served.body)))
                self.end_headers()
                self.wfile.write(served.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bdl_payload() -> Iterator[tuple[bytes, _Served]]:
    body = SimulatedSource().fetch("bdl_boxscores", GAME_DAY).body
    served = _Served(body)
    yield body, served
    served.close()


def test_the_balldontlie_sdk_reads_every_box_score_row_the_raw_processor_loads(bdl_payload, capsys) -> None:
    body, served = bdl_payload
    api = BalldontlieAPI(api_key="contract-test-key", base_url=served.url)
    page = api.nba.stats.list(dates=[GAME_DAY.isoformat()], per_page=100)
    capsys.readouterr()  # the SDK prints the raw response

    ((path, headers),) = served.requests
    assert path.startswith("/nba/v1/stats?") and "dates%5B%5D=2025-01-14" in path
    assert headers["Authorization"] == "contract-test-key"

    rows = [parsed.row for parsed in BDL_BOXSCORES.parse(decode(body), GAME_DAY)]
    assert len(page.data) == len(rows) > 100
    by_sdk = {(s.player.id, s.game.id): s for s in page.data}
    assert len(by_sdk) == len(rows), "one stat row per player and game"
    for row in rows:
        stat = by_sdk[(row["bdl_player_id"], row["bdl_game_id"])]
        assert (stat.pts, stat.fgm, stat.fga, stat.reb, stat.turnover) == (
            row["points"], row["fg_makes"], row["fg_attempts"], row["total_rebounds"], row["turnovers"]
        )
        assert stat.team.abbreviation == row["team_abbr"]
        assert stat.team.division in {"Atlantic", "Central", "Southeast", "Northwest", "Pacific", "Southwest"}
        assert int(stat.min) == int(row["minutes"])
        assert dt.date.fromisoformat(stat.game.date[:10]) == row["game_date"] == GAME_DAY
    assert page.meta.next_cursor is None
