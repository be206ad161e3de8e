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
    from nba_pipeline.settings import environment

    with environment({"NBA_DATA_DIR": str(folder), "NBA_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
                      "NBA_PAYLOAD_ROOT": str(folder / "payloads")}):
        yield folder


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
    # writes per table and run, for BigQuery's per-table limits: the breaker table at most once per phase
    game_day, off_day = verdicts[dt.date(2025, 2, 20)], verdicts[dt.date(2025, 2, 16)]
    assert all(v.writes.get("nba_orchestration.circuit_breaker_state", 0) <= 4 for v in verdicts.values())
    assert game_day.writes["nba_predictions.player_prop_predictions"] >= 2  # one MERGE per prediction batch
    assert 0 < sum(off_day.writes.values()) < sum(game_day.writes.values())
    writes = (own_season / "replay" / "replay-2025-02-13-2025-02-20-writes.csv").read_text().splitlines()
    assert len(writes) == 1 + sum(len(v.writes) for v in verdicts.values())
    assert "most writes to one table in one daily run:" in summary
    # walk-forward: the weekly training ran on the last Monday before the replay and on the Monday in
    # it, each on the game dates before that Monday (a week of history is too little: both refused)
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        trainings = {run.conf.get("end_date"): run.state for run in session.scalars(
            select(DagRun).where(DagRun.dag_id == "nba_model_training"))}
    assert {day: trainings.get(day) for day in ("2025-02-09", "2025-02-16")} == {
        "2025-02-09": "failed", "2025-02-16": "failed"}
    assert all(v.models == [] for v in verdicts.values()), "no model could be trained, none served"


class TestEndOfRegularSeason:
    """Its own xdist scope, so that make test's other worker can run it beside the module's other tests.
    The replay runs once for the class; the evaluation reads what it predicted and graded."""

    FIRST, LAST = dt.date(2025, 4, 13), dt.date(2025, 4, 19)

    @pytest.fixture(scope="class")
    def end_of_season(self, airflow_db, tmp_path_factory) -> Iterator[dict[dt.date, object]]:
        with _season_in(tmp_path_factory.mktemp("end_of_season")):
            yield _replay(self.FIRST, self.LAST)

    def test_a_replay_across_the_end_of_the_regular_season_reaches_the_playoffs(self, end_of_season):
        verdicts = end_of_season
        assert [v.games > 0 for v in verdicts.values()] == [True, False, False, False, False, False, True]
        _assert_calendar_explains(verdicts)
        assert verdicts[dt.date(2025, 4, 19)].phases[4].run == 5

    def test_the_evaluation_of_the_replayed_predictions(self, end_of_season, capsys):
        """Every system's graded rows, the baseline and the truth on the replay's graded date: the
        counts agree with the grades and the predictions, the truth beats the season average, the gain
        share is its formula on the reported MAEs, and every interval holds its estimate."""
        import json

        from nba_pipeline.cli import main
        from nba_pipeline.evaluation import evaluate, simulated_truth
        from nba_pipeline.evaluation.report import BASELINE, TRUTH
        from nba_pipeline.warehouse import get_warehouse

        with get_warehouse() as warehouse:
            evaluation = evaluate(warehouse, self.FIRST, self.LAST, simulated_truth(), "simulation")
            grades = warehouse.query(
                "SELECT system_id, SUM(graded) AS graded, SUM(graded * mean_absolute_error) AS abs_error "
                "FROM nba_predictions.prediction_grades WHERE game_date BETWEEN @a AND @b AND graded > 0 "
                "GROUP BY system_id", {"a": self.FIRST, "b": self.LAST})
            graded_dates = warehouse.query(
                "SELECT DISTINCT game_date FROM nba_predictions.prediction_grades "
                "WHERE game_date BETWEEN @a AND @b AND graded > 0 ORDER BY game_date",
                {"a": self.FIRST, "b": self.LAST})
            real_calls = warehouse.query(
                "SELECT p.system_id, COUNT(*) AS calls FROM nba_predictions.player_prop_predictions AS p "
                "WHERE p.game_date BETWEEN @a AND @b AND p.recommendation IN ('OVER', 'UNDER') "
                "AND p.line_estimated = FALSE AND EXISTS (SELECT 1 FROM nba_analytics.player_game_summary AS g "
                "WHERE g.player_lookup = p.player_lookup AND g.game_date = p.game_date AND g.minutes_played > 0) "
                "GROUP BY p.system_id", {"a": self.FIRST, "b": self.LAST})
        assert evaluation.graded_dates == tuple(r["game_date"] for r in graded_dates) == (self.FIRST,)
        entries = {e.name: e for e in evaluation.entries}
        systems = {e.name: e for e in evaluation.entries if e.kind == "system"}
        assert set(systems) == {g["system_id"] for g in grades} and "ensemble_v1" in systems
        calls = {r["system_id"]: r["calls"] for r in real_calls}
        for grade in grades:
            entry = systems[grade["system_id"]]
            assert entry.errors is not None and entry.errors.n == grade["graded"], entry.name
            assert entry.errors.mae == pytest.approx(grade["abs_error"] / grade["graded"], abs=1e-3), entry.name
            assert entry.bets.calls == calls.get(entry.name, 0) and entry.bets.fallback_prices == 0, entry.name
        assert entries[TRUTH].errors.n == evaluation.player_games - evaluation.without_truth
        assert entries[BASELINE].errors.n <= evaluation.player_games == systems["ensemble_v1"].errors.n
        for entry in evaluation.entries:
            assert entry.paired > 0 and entry.truth_mae < entry.baseline_mae, entry.name
            expected = (entry.baseline_mae - entry.paired_mae) / (entry.baseline_mae - entry.truth_mae)
            assert entry.gain_share == pytest.approx(expected), entry.name
            bets = entry.bets
            if bets.hit_rate is not None:
                assert bets.hit_rate == bets.hits / (bets.calls - bets.pushes)
                assert bets.hit_rate in bets.hit_rate_interval
            if bets.return_interval is not None:
                assert bets.return_per_unit in bets.return_interval
        assert entries[TRUTH].gain_share == pytest.approx(1.0) and entries[BASELINE].gain_share == pytest.approx(0.0)

        assert main(["evaluate", "--from", self.FIRST.isoformat(), "--to", self.LAST.isoformat(), "--json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed["player_games"] == evaluation.player_games
        assert [e["name"] for e in printed["entries"]] == [e.name for e in evaluation.entries]
        assert main(["evaluate", "--from", "2025-04-15", "--to", "2025-04-18"]) == 0
        assert "nothing graded from 2025-04-15 to 2025-04-18" in capsys.readouterr().out


    def test_the_season_report_is_one_self_contained_html_file(self, end_of_season, tmp_path, capsys):
        """``nba-pipeline report`` over the replay: read back with the standard library's HTML parser,
        it has its charts and the four tables, loads nothing from elsewhere, and its coverage
        row is the replay's own count of players predicted."""
        from html.parser import HTMLParser

        from nba_pipeline.cli import main

        class Reader(HTMLParser):
            def __init__(self) -> None:
                super().__init__()
                self.tags: list[str] = []
                self.links: list[str] = []
                self.cells: list[str] = []

            def handle_starttag(self, tag, attrs):
                self.tags.append(tag)
                self.links += [v for k, v in attrs if k in ("src", "href") and v]

            def handle_data(self, data):
                if self.tags and self.tags[-1] == "td":
                    self.cells.append(data)

        out = tmp_path / "report.html"
        assert main(["report", "--out", str(out)]) == 0
        assert f"report: {out}" in capsys.readouterr().out
        reader = Reader()
        reader.feed(out.read_text())
        # one graded date: no earlier errors to give a spread, so no probabilities to calibrate
        assert reader.tags.count("svg") == 4 and reader.tags.count("table") == 4
        assert "P(points &gt; line): observed share over, by forecast bin: nothing to draw." in out.read_text()
        assert "script" not in reader.tags and reader.links == []
        predicted = end_of_season[self.FIRST].players_predicted
        text = out.read_text()
        assert f"<td>{self.FIRST.isoformat()}</td><td>{predicted}</td>" in text
        assert "ensemble_v1" in reader.cells and "truth_expected_points" in reader.cells


class TestSameReplayTwice:
    """Its own xdist scope, so that make test's other worker can run it beside the module's other tests.
    Two replays of the same dates into two new warehouses, once for the class."""

    FIRST, LAST = dt.date(2025, 1, 14), dt.date(2025, 1, 15)

    @pytest.fixture(scope="class")
    def replays(self, airflow_db, tmp_path_factory) -> list[tuple[Path, dict]]:
        from nba_pipeline.warehouse import get_warehouse
        from nba_pipeline.warehouse.checksums import warehouse_checksums

        built = []
        for name in ("first", "second"):
            with _season_in(tmp_path_factory.mktemp(name)) as folder:
                verdicts = _replay_with_history(self.FIRST, self.LAST, history_days=3)
                assert all(v.players_predicted > 50 and not v.unexpected for v in verdicts.values())
                with get_warehouse() as warehouse:
                    built.append((folder, warehouse_checksums(warehouse)))
        return built

    def test_the_same_replay_twice_writes_identical_checksums(self, replays):
        """Every table, predictions included, has the same checksum (load and run times left out)."""
        from nba_pipeline.warehouse.checksums import differing_tables

        checksums = [table_sums for _, table_sums in replays]
        assert differing_tables(*checksums) == {}
        assert checksums[0]["nba_predictions.player_prop_predictions"].rows > 500

    def test_rerunning_an_earlier_date_then_the_last_one_leaves_every_table_as_the_replay_left_it(self, replays):
        """In the second warehouse, the window's first date again (older news after newer), then its last
        date again: every table but the run logs and breaker rows, which record the extra runs, has the
        replay's checksum (load and run times left out)."""
        from nba_pipeline.replay import replay
        from nba_pipeline.warehouse import get_warehouse
        from nba_pipeline.warehouse.checksums import differing_tables, warehouse_checksums
        from tests.reliability.state import LEDGERS

        (_, replayed), (folder, _) = replays
        with _season_in(folder):
            for day in (self.FIRST, self.LAST):
                (verdict,) = replay(day, day, history_days=0)
                assert verdict.run_state == "success" and not verdict.unexpected, (day, verdict.unexpected)
            with get_warehouse() as warehouse:
                rerun = warehouse_checksums(warehouse)
        runs = "nba_processing.processor_runs"
        assert rerun[runs].rows > replayed[runs].rows, "the reruns ran and wrote their run rows"
        data = sorted(set(replayed) - set(LEDGERS))
        assert len(data) >= 24
        assert differing_tables({t: replayed[t] for t in data}, {t: rerun[t] for t in data}) == {}
