"""``nba-pipeline cost``: a game date's phases 1-4 priced on a copy, the warehouse left as it was."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.seasons import backfilled_history

pytestmark = pytest.mark.integration

GAME_DAY = dt.date(2025, 1, 15)


def test_a_game_day_is_priced_per_processor_on_a_copy(tmp_path_factory, settings_env, capsys):
    from nba_pipeline.cli import main
    from nba_pipeline.cost import MIB
    from nba_pipeline.warehouse import get_warehouse
    from nba_pipeline.warehouse.checksums import warehouse_checksums

    folder = backfilled_history(tmp_path_factory, GAME_DAY - dt.timedelta(days=20), GAME_DAY - dt.timedelta(days=1),
                                "test_backfill", tmp_path_factory.mktemp("cost"))
    settings_env.setenv("NBA_DATA_DIR", str(folder))
    settings_env.setenv("NBA_DUCKDB_PATH", str(folder / "warehouse.duckdb"))
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(folder / "payloads"))
    with get_warehouse() as warehouse:
        before = warehouse_checksums(warehouse)
    payloads = sorted(str(p) for p in Path(folder / "payloads").rglob("*"))

    assert main(["cost", "--date", GAME_DAY.isoformat(), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)

    assert "failed" not in report["outcome"].values(), report["outcome"]
    processors = report["processors"]
    for transform in ("player_game_summary", "team_defense_zone_analysis", "ml_feature_store"):
        entry = processors[transform]
        assert entry["bytes_processed"] > 0 and entry["bytes_billed"] >= 10 * MIB, (transform, entry)
        assert entry["bytes_billed"] % MIB == 0
    assert report["bytes_billed"] == sum(e["bytes_billed"] for e in processors.values())
    assert report["usd_per_30_days"] == pytest.approx(30 * report["usd_per_day"])
    with get_warehouse() as warehouse:
        assert warehouse_checksums(warehouse) == before, "the date ran on a copy"
    assert sorted(str(p) for p in Path(folder / "payloads").rglob("*")) == payloads

    assert main(["cost", "--date", GAME_DAY.isoformat()]) == 0
    table = capsys.readouterr().out
    assert "player_game_summary" in table and "USD for 30 dates like it" in table
