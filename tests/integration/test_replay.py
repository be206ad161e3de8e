"""Short season replays (``nba_pipeline.replay``): the daily DAG under ``dag.test()`` for every date
of a range, each at 10:00 New York on the package clock, judged against the calendar.

Two stretches where freshness by load age used to skip or fail processors: across the All-Star
break (six days without games, then games on 2025-02-20) and across the end of the regular season
(2025-04-13, then nothing until the playoffs on 2025-04-19).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HISTORY_DAYS = 7  # enough recent games for players to be eligible; a shorter backfill than make replay's


@contextmanager
def _season_in(folder: Path) -> Iterator[Path]:
    """A fresh warehouse and payload folder under ``folder`` (settings are re-read at run time)."""
    from nba_pipeline.settings import get_settings

    keys = ("NBA_DATA_DIR", "NBA_DUCKDB_PATH", "NBA_PAYLOAD_ROOT")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({"NBA_DATA_DIR": str(folder), "NBA_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
                       "NBA_PAYLOAD_ROOT": str(folder / "payloads")})
    get_settings.cache_clear()
    try:
        yield folder
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture
def own_season(airflow_db, tmp_path: Path) -> Iterator[Path]:
    with _season_in(tmp_path) as folder:
        yield folder


def _replay(start: dt.date, end: dt.date) -> dict[dt.date, object]:
    return _replay_with_history(start, end, HISTORY_DAYS)


def _replay_with_history(start: dt.date, end: dt.date, history_days: int) -> dict[dt.date, object]:
    from nba_pipeline.replay import REPLAY_ENVIRONMENT, replay

    before = {k: os.environ.get(k) for k in REPLAY_ENVIRONMENT}
    verdicts = replay(start, end, history_days=history_days)
    assert {k: os.environ.get(k) for k in REPLAY_ENVIRONMENT} == before, "the replay restores the environment"
    assert [v.game_date for v in verdicts] == [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    return {v.game_date: v for v in verdicts}


def _assert_calendar_explains(verdicts: dict) -> None:
    """Every day's verdict is ok, every game day has predictions, no day failed or skipped without
    the calendar's reason."""
    problems = {day.isoformat(): v.unexpected for day, v in verdicts.items() if v.unexpected}
    assert problems == {}
    for day, verdict in verdicts.items():
        assert verdict.run_state == "success", day
        assert all(not outcome.failed for outcome in verdict.phases.values()), day
        skipped = {reason for outcome in verdict.phases.values() for reason in outcome.skipped}
        assert skipped <= {"no_games", "offseason", "calendar"}, (day, skipped)
        assert "similarity_balanced_v1" not in verdict.breakers_not_closed, day
        if verdict.games:
            assert verdict.players_predicted > 50, (day, verdict.players_predicted)
        else:
            assert verdict.predictions == 0, day


def test_a_replay_across_the_all_star_break_predicts_the_first_day_after_it(own_season):
    verdicts = _replay(dt.date(2025, 2, 13), dt.date(2025, 2, 20))
    assert [v.games > 0 for v in verdicts.values()] == [True, False, False, False, False, False, False, True]
    _assert_calendar_explains(verdicts)
    # the first day after six without games: every phase 4 processor ran, none waited for fresher data
    after = verdicts[dt.date(2025, 2, 20)]
    assert after.phases[4].run == 5 and not after.phases[4].skipped
    # the day after the last games: their results are processed, nothing for the empty day itself
    first_off = verdicts[dt.date(2025, 2, 14)]
    assert first_off.phases[3].run >= 1 and first_off.phases[4].skipped == {"no_games": 5}

    from nba_pipeline.replay import as_markdown, combined_digest, write_outputs
    from nba_pipeline.warehouse import get_warehouse
    from nba_pipeline.warehouse.checksums import warehouse_checksums

    with get_warehouse() as warehouse:
        checksums = warehouse_checksums(warehouse)
    csv_path, md_path = write_outputs(list(verdicts.values()), own_season / "replay", checksums)
    assert csv_path.read_text().count("\n") == 1 + len(verdicts)
    summary = md_path.read_text()
    assert summary.startswith(as_markdown(list(verdicts.values())))
    assert "unexpected verdicts: 0" in summary and f"warehouse checksum {combined_digest(checksums)}" in summary
    per_table = (own_season / "replay" / "replay-2025-02-13-2025-02-20-checksums.txt").read_text().splitlines()
    assert [line.split("\t")[0] for line in per_table] == sorted(checksums)


class TestEndOfRegularSeason:
    """Its own xdist scope, so that make test's other worker can run it beside the module's other tests."""

    def test_a_replay_across_the_end_of_the_regular_season_reaches_the_playoffs(self, own_season):
        verdicts = _replay(dt.date(2025, 4, 13), dt.date(2025, 4, 19))
        assert [v.games > 0 for v in verdicts.values()] == [True, False, False, False, False, False, True]
        _assert_calendar_explains(verdicts)
        assert verdicts[dt.date(2025, 4, 19)].phases[4].run == 5


class TestSameReplayTwice:
    """Its own xdist scope, so that make test's other worker can run it beside the module's other tests."""

    def test_the_same_replay_twice_writes_identical_checksums(self, airflow_db, tmp_path):
        """Two replays of the same dates into two new warehouses: every table, predictions included,
        has the same checksum (load and run times left out)."""
        from nba_pipeline.warehouse import get_warehouse
        from nba_pipeline.warehouse.checksums import differing_tables, warehouse_checksums

        checksums = []
        for name in ("first", "second"):
            with _season_in(tmp_path / name):
                verdicts = _replay_with_history(dt.date(2025, 1, 14), dt.date(2025, 1, 15), history_days=3)
                assert all(v.players_predicted > 50 and not v.unexpected for v in verdicts.values())
                with get_warehouse() as warehouse:
                    checksums.append(warehouse_checksums(warehouse))
        assert differing_tables(*checksums) == {}
        assert checksums[0]["nba_predictions.player_prop_predictions"].rows > 500
