"""The three dependency figures against hand-computed values."""

from __future__ import annotations

import datetime as dt

import pytest

from nba_pipeline.guards.dependencies import Dependency, TableWindow, evaluate, summarise
from tests.dags import toy_processors

NOW = dt.datetime(2025, 1, 16, 12, 0, tzinfo=dt.UTC)


def _dep(name: str, critical: bool = True, warn: float | None = None, fail: float | None = None, sources: int = 1):
    windows = tuple(TableWindow(f"nba_raw.t{name}{i}", "game_date", "loaded_at") for i in range(sources))
    return Dependency(name, windows, critical=critical, warn_after_hours=warn, fail_after_hours=fail)


def _row(i: int, rows: int, expected: int, hours_old: float | None, source: int = 0) -> dict:
    newest = None if hours_old is None else NOW - dt.timedelta(hours=hours_old)
    return {
        "dependency_index": i,
        "table_index": source,
        "row_count": rows,
        "newest_load": newest,
        "expected": expected,
    }


def test_figures_match_hand_computation():
    deps = [_dep("a"), _dep("b"), _dep("c", critical=False)]
    # a: 30/40 = 75 %; b: 24/20 capped at 100 %; c: 0/10 = 0 % (not critical)
    report = summarise(deps, [_row(0, 30, 40, 2.0), _row(1, 24, 20, 6.5), _row(2, 0, 10, None)], NOW)
    assert report.data_completeness_pct == pytest.approx((75 + 100 + 0) / 3)
    assert report.upstream_data_age_hours == pytest.approx(6.5)
    assert report.dependency_check_passed is False, "a is critical and short of its expected count"
    assert [s.name for s in report.incomplete()] == ["a"]


def test_non_critical_shortfall_does_not_block():
    report = summarise([_dep("a"), _dep("c", critical=False)], [_row(0, 40, 40, 1.0), _row(1, 3, 10, 30.0)], NOW)
    assert report.dependency_check_passed is True
    assert report.data_completeness_pct == pytest.approx((100 + 30) / 2)
    assert report.upstream_data_age_hours == pytest.approx(30.0)


def test_nothing_expected_counts_as_complete():
    report = summarise([_dep("a")], [_row(0, 0, 0, None)], NOW)
    assert (report.dependency_check_passed, report.data_completeness_pct, report.upstream_data_age_hours) == (
        True,
        100.0,
        None,
    )


def test_best_alternative_source_counts():
    report = summarise([_dep("box", sources=2)], [_row(0, 10, 40, 1.0, 0), _row(0, 40, 40, 3.0, 1)], NOW)
    assert report.dependency_check_passed and report.statuses[0].best_table == "nba_raw.tbox1"
    assert report.upstream_data_age_hours == pytest.approx(3.0)


def test_staleness_thresholds():
    report = summarise([_dep("p", warn=12, fail=48)], [_row(0, 5, 5, 13.0)], NOW)
    assert [s.name for s in report.stale()] == ["p"] and report.critically_stale() == []
    report = summarise([_dep("p", warn=12, fail=48)], [_row(0, 5, 5, 49.0)], NOW)
    assert [s.name for s in report.critically_stale()] == ["p"]


def test_evaluate_on_a_small_fixture(warehouse):
    """Real SQL: 3 of 4 expected rows in the window (75 %), a second table complete and 5 h old."""
    warehouse.ensure_datasets()
    warehouse.execute("CREATE TABLE nba_raw.slate (game_date DATE)")
    warehouse.insert_rows("nba_raw.slate", [{"game_date": dt.date(2025, 1, 15)}] * 2)
    for table in ("nba_raw.box", "nba_raw.props"):
        warehouse.execute(f"CREATE TABLE {table} (game_date DATE, loaded_at TIMESTAMP)")
    day, other = dt.date(2025, 1, 15), dt.date(2025, 1, 10)
    warehouse.insert_rows(
        "nba_raw.box",
        [{"game_date": day, "loaded_at": NOW - dt.timedelta(hours=h)} for h in (1, 2, 3)]
        + [{"game_date": other, "loaded_at": NOW}],
    )
    warehouse.insert_rows("nba_raw.props", [{"game_date": day, "loaded_at": NOW - dt.timedelta(hours=5)}] * 2)
    per_game = "SELECT {k} * COUNT(*) AS expected FROM nba_raw.slate WHERE game_date BETWEEN @start AND @end"
    deps = [
        Dependency(
            "box", (TableWindow("nba_raw.box", "game_date", "loaded_at"),), expected_sql=per_game.format(k=2, i=0)
        ),
        Dependency(
            "props", (TableWindow("nba_raw.props", "game_date", "loaded_at"),), expected_sql=per_game.format(k=1, i=1)
        ),
    ]
    report = evaluate(warehouse, deps, day, NOW)
    assert [(s.rows, s.expected) for s in report.statuses] == [(3, 4), (2, 2)]
    assert report.data_completeness_pct == pytest.approx(87.5)
    assert report.upstream_data_age_hours == pytest.approx(5.0)
    assert report.dependency_check_passed is False


def test_readiness_uses_the_threshold_while_the_figure_stays_strict():
    report = summarise([_dep("a"), _dep("b")], [_row(0, 19, 20, 1.0), _row(1, 20, 20, 1.0)], NOW, threshold_pct=90)
    assert report.dependency_check_passed is False, "19 of 20 is not the expected count"
    assert report.ready, "95 % clears the 90 % threshold"
    report = summarise([_dep("a")], [_row(0, 17, 20, 1.0)], NOW, threshold_pct=90)
    assert not report.ready and [s.name for s in report.incomplete()] == ["a"]


def test_a_wave_is_measured_in_one_round_trip_with_the_same_figures(warehouse):
    """``evaluate_many`` gives each processor exactly the report ``evaluate`` gives it alone, in one
    query, and measures a window that several processors share once."""
    from nba_pipeline.guards.dependencies import DependencyReport, evaluate_many
    from nba_pipeline.warehouse import STATS

    day = dt.date(2025, 1, 15)
    warehouse.ensure_datasets()
    warehouse.execute("CREATE TABLE nba_raw.slate (game_date DATE, loaded_at TIMESTAMP)")
    warehouse.execute("CREATE TABLE nba_raw.box (game_date DATE, loaded_at TIMESTAMP)")
    warehouse.insert_rows("nba_raw.slate", [{"game_date": day, "loaded_at": NOW}] * 2)
    warehouse.insert_rows(
        "nba_raw.box",
        [{"game_date": day, "loaded_at": NOW - dt.timedelta(hours=3)}] * 3
        + [{"game_date": day - dt.timedelta(days=1), "loaded_at": NOW - dt.timedelta(hours=30)}] * 4,
    )
    per_game = "SELECT 2 * COUNT(*) AS expected FROM nba_raw.slate WHERE game_date BETWEEN @start AND @end"
    box = Dependency("box", (TableWindow("nba_raw.box", "game_date", "loaded_at"),), expected_sql=per_game)
    history = Dependency(
        "history", (TableWindow("nba_raw.box", "game_date", "loaded_at"),), lookback_days=1, end_offset_days=-1
    )
    requests = {"today": ([box], day), "both": ([box, history], day), "tomorrow": ([box], day + dt.timedelta(days=1))}
    alone = {key: evaluate(warehouse, deps, end, NOW) for key, (deps, end) in requests.items()}
    STATS.reset()
    together = evaluate_many(warehouse, requests, NOW)
    assert STATS.snapshot()["round_trips"] == {"processor": 1}
    assert together == alone
    assert [(s.rows, s.expected) for s in together["both"].statuses] == [(3, 4), (4, 1)]
    assert [(s.rows, s.expected) for s in together["tomorrow"].statuses] == [(0, 0)]
    assert DependencyReport.from_dict(together["both"].as_dict()) == together["both"]
    assert evaluate_many(warehouse, {"none": ([], day)}, NOW)["none"].ready


def test_the_sensor_waits_out_an_unreachable_warehouse_then_passes(warehouse, settings_env, tmp_path):
    """A warehouse that cannot be opened is "not ready yet" for the sensor, not a failure: once it is
    back (here: the configured path becomes the real file), the same sensor passes with its figures."""
    from airflow.sdk import PokeReturnValue

    from nba_pipeline.dag.sensors import DependencyCompletenessSensor
    from nba_pipeline.guards.spec import Phase, ProcessorSpec
    from nba_pipeline.settings import get_settings

    day = dt.date(2025, 1, 15)
    warehouse.ensure_datasets()
    warehouse.execute("CREATE TABLE nba_raw.box (game_date DATE, loaded_at TIMESTAMP)")
    warehouse.insert_rows("nba_raw.box", [{"game_date": day, "loaded_at": dt.datetime.now(dt.UTC)}])
    warehouse.close()
    box = Dependency("box", (TableWindow("nba_raw.box", "game_date", "loaded_at"),))
    spec = ProcessorSpec("reader", Phase.ANALYTICS, toy_processors.beta, dependencies=(box,))
    sensor = DependencyCompletenessSensor(task_id="dependencies", processor=spec, game_date=day.isoformat())
    context = {"params": {"game_date": day.isoformat()}, "logical_date": dt.datetime(2025, 1, 15, 15, tzinfo=dt.UTC)}

    real_path = get_settings().duckdb_path
    settings_env.setenv("NBA_DUCKDB_PATH", str(tmp_path))  # a folder: DuckDB cannot open it
    get_settings.cache_clear()
    assert sensor.poke(context) is False
    settings_env.setenv("NBA_DUCKDB_PATH", str(real_path))
    get_settings.cache_clear()
    passed = sensor.poke(context)
    assert isinstance(passed, PokeReturnValue) and passed.is_done
    assert passed.xcom_value["dependency_check_passed"] is True
    assert passed.xcom_value["data_completeness_pct"] == 100.0


def test_history_is_fresh_when_it_reaches_the_latest_date_with_events_however_old_the_load(warehouse):
    """Freshness by the calendar, real SQL: after a day without events or a six-day break the newest
    history is days old and still fresh; it is stale only when an event date is missing. A window
    with no events at all (a season's first day) expects nothing."""
    warehouse.ensure_datasets()
    warehouse.execute("CREATE TABLE nba_raw.slate (game_date DATE)")
    warehouse.execute("CREATE TABLE nba_raw.results (game_date DATE, loaded_at TIMESTAMP)")
    event_days = [dt.date(2025, 2, d) for d in (10, 11, 12, 13)]  # then a break until the 20th
    warehouse.insert_rows("nba_raw.slate", [{"game_date": d} for d in event_days])
    per_day = "SELECT {what} FROM nba_raw.slate WHERE game_date BETWEEN @start AND @end"
    history = Dependency(
        "history",
        (TableWindow("nba_raw.results", "game_date", "loaded_at"),),
        expected_sql=per_day.format(what="COUNT(*) AS expected"),
        latest_sql=per_day.format(what="MAX(game_date) AS expected_latest"),
        lookback_days=29,
        end_offset_days=-1,
    )
    after_break = dt.date(2025, 2, 20)
    now = dt.datetime(2025, 2, 20, 15, tzinfo=dt.UTC)
    loads = [{"game_date": d, "loaded_at": dt.datetime.combine(d, dt.time(15), dt.UTC)} for d in event_days]
    warehouse.insert_rows("nba_raw.results", loads[:3])
    behind = evaluate(warehouse, [history], after_break, now).statuses[0]
    assert (behind.newest_date, behind.expected_latest, behind.stale) == ("2025-02-12", "2025-02-13", True)
    assert behind.staleness() == "history newest 2025-02-12, expected 2025-02-13"

    warehouse.insert_rows("nba_raw.results", loads[3:])
    report = evaluate(warehouse, [history], after_break, now)
    status = report.statuses[0]
    assert status.age_hours == pytest.approx(7 * 24), "the newest load is a week old"
    assert (status.newest_date, status.expected_latest, status.stale) == ("2025-02-13", "2025-02-13", False)
    assert report.ready and report.stale() == []

    first_day = evaluate(warehouse, [history], dt.date(2025, 2, 10), now).statuses[0]
    assert (first_day.expected, first_day.expected_latest, first_day.stale) == (0, None, False)


def test_a_union_counts_the_events_any_provider_covers(warehouse):
    """Two providers of the same facts, each missing other events (late box scores): the best one
    alone covers 4 of 6 events, together they cover all 6, and an event both cover counts once."""
    day = dt.date(2025, 1, 15)
    warehouse.ensure_datasets()
    warehouse.execute("CREATE TABLE nba_raw.slate (game_date DATE)")
    warehouse.insert_rows("nba_raw.slate", [{"game_date": day}] * 6)
    for table, events, hours in (("nba_raw.first", "abcd", 2), ("nba_raw.second", "cdef", 7)):
        warehouse.execute(f"CREATE TABLE {table} (game_date DATE, event STRING, loaded_at TIMESTAMP)")
        warehouse.insert_rows(table, [
            {"game_date": day, "event": e, "loaded_at": NOW - dt.timedelta(hours=hours)} for e in events for _ in (1, 2)
        ])
    expected = "SELECT COUNT(*) AS expected FROM nba_raw.slate WHERE game_date BETWEEN @start AND @end"
    tables = tuple(TableWindow(t, "game_date", "loaded_at", "event") for t in ("nba_raw.first", "nba_raw.second"))
    best = evaluate(warehouse, [Dependency("box", tables, expected_sql=expected)], day, NOW)
    union = evaluate(warehouse, [Dependency("box", tables, expected_sql=expected, union=True)], day, NOW)
    assert [(s.rows, s.expected, s.best_table) for s in best.statuses] == [(4, 6, "nba_raw.first")]
    assert not best.ready
    assert [(s.rows, s.expected, s.best_table) for s in union.statuses] == [(6, 6, "nba_raw.first + nba_raw.second")]
    assert union.ready and union.upstream_data_age_hours == pytest.approx(2.0)
    with pytest.raises(ValueError, match="every table needs a distinct_column"):
        Dependency("rows", (TableWindow("nba_raw.first", "game_date", "loaded_at"),), union=True)
