"""BettingPros v3 has no public client: a hand-written sample in the documented shape
(``tests/fixtures/bettingpros_points_2026-03-18.json``, docs/real-endpoints.md §5) is the contract.

The raw processor reads the sample into the rows written out here, and every object of the
simulated payload has exactly the keys of the same object in the sample, so the simulation cannot
drift from the documented shape unnoticed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from nba_pipeline.processors.raw import BETTINGPROS
from nba_pipeline.processors.raw.json_node import decode
from nba_pipeline.scrapers.sources import SimulatedSource

SAMPLE = Path(__file__).parents[1] / "fixtures" / "bettingpros_points_2026-03-18.json"
UTC = dt.UTC


def _sample() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SAMPLE.read_bytes())
    document.pop("_comment")
    return document


def test_the_raw_processor_reads_the_documented_sample():
    body = json.dumps(_sample()).encode()
    rows = [parsed.row for parsed in BETTINGPROS.parse(decode(body), dt.date(2026, 3, 18))]
    got = [
        (r["game_id"], r["bookmaker"], r["player_lookup"], r["team_abbr"], r["points_line"], r["opening_line"],
         r["over_odds"], r["under_odds"], r["line_updated_at"])
        for r in rows
    ]  # fmt: skip
    game_a, game_b = "20260318_MIL_ORL", "20260318_BOS_NYK"

    def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
        return dt.datetime(2026, 3, 18, hour, minute, second, tzinfo=UTC)

    assert got == [
        # the consensus (book 0) keeps its own key; a book's lines are newest first: current, then opening
        (game_a, "bettingpros_consensus", "patexample", "ORL", 25.0, 25.0, -112, -108, at(15, 10)),
        (game_a, "draftkings", "patexample", "ORL", 24.5, 24.5, -115, -105, at(13, 2, 11)),
        (game_a, "fanduel", "patexample", "ORL", 25.5, 24.5, -110, -110, at(18, 45, 30)),
        # a book quoting the Over only
        (game_a, "betmgm", "lousample", "MIL", 12.5, 12.5, 100, None, at(14, 20)),
        # page 2; a 00:00 UTC tip-off is the evening before in New York
        (game_b, "williamhill_us", "maxplaceholderjr", "NYK", 27.5, 27.5, -110, -110, at(12, 55)),
    ]
    assert {r["player_name"] for r in rows} == {"Pat Example", "Lou Sample", "Max Placeholder Jr."}
    assert {r["bettingpros_event_id"] for r in rows} == {27207, 27208}


def _keys(node: Any, path: str = "") -> dict[str, set[str]]:
    """Each object's key set by its path, list positions dropped (``offer_pages.offers.selections``)."""
    found: dict[str, set[str]] = {}
    if isinstance(node, dict):
        if path != "events.events._parameters":
            found.setdefault(path, set()).update(node)
        for key, value in node.items():
            for sub, keys in _keys(value, f"{path}.{key}" if path else key).items():
                found.setdefault(sub, set()).update(keys)
    elif isinstance(node, list):
        for element in node:
            for sub, keys in _keys(element, path).items():
                found.setdefault(sub, set()).update(keys)
    return found


def test_the_simulated_payload_has_the_keys_of_the_documented_sample():
    simulated = json.loads(SimulatedSource().fetch("bettingpros_player_props", dt.date(2025, 1, 15)).body)
    assert _keys(simulated) == _keys(_sample())
    pages = simulated["offer_pages"]
    assert [page["_pagination"]["page"] for page in pages] == list(range(1, len(pages) + 1))
    assert all(page["_pagination"]["total_pages"] == len(pages) for page in pages)
