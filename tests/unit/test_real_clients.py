"""The simulated payloads as the real endpoints' public clients read them (contract tests).

A payload is served by a real local HTTP server at the path the client asks for; the client's own
request and parsing code runs unchanged, and what it reads must be what the raw processor loads.
So far only balldontlie's box scores; ``docs/real-endpoints.md`` lists what the other sources
still lack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from balldontlie import BalldontlieAPI

from nba_pipeline.processors.raw import BDL_BOXSCORES
from nba_pipeline.processors.raw.json_node import decode
from nba_pipeline.scrapers.sources import SimulatedSource
from tests.reliability.payload_corpus import LocalSource, local_source

GAME_DAY = dt.date(2025, 1, 14)


@pytest.fixture
def bdl_payload() -> Iterator[tuple[bytes, LocalSource]]:
    body = SimulatedSource().fetch("bdl_boxscores", GAME_DAY).body
    with local_source() as served:
        served.serve("/nba/v1/stats", body)
        yield body, served


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
