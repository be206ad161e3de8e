"""Early exit on the calendar, and the irrelevant-source rule."""

from __future__ import annotations

import datetime as dt

import pytest

from nba_pipeline.dag.gates import irrelevant_source
from nba_pipeline.dag.options import RunOptions
from nba_pipeline.guards.calendar import CalendarSpec, EmptyCalendarError, evaluate_calendar
from nba_pipeline.guards.skip_reasons import SkipReason
from nba_pipeline.registry.skip_reasons import LeagueSkipReason

SPEC = CalendarSpec(table="nba_raw.events", date_column="game_date", no_events_reason=LeagueSkipReason.NO_GAMES)
SEASON = [
    dt.date(2024, 10, 22),
    dt.date(2024, 10, 23),
    dt.date(2024, 10, 24),
    dt.date(2025, 2, 13),
    dt.date(2025, 2, 20),
    dt.date(2025, 6, 22),
]


@pytest.fixture
def calendar(warehouse):
    warehouse.ensure_datasets()
    warehouse.execute("CREATE TABLE nba_raw.events (game_date DATE, status STRING)")
    warehouse.insert_rows("nba_raw.events", [{"game_date": d, "status": "final"} for d in SEASON])
    return warehouse


def _decide(warehouse, day, reference=None, backfill=False, spec=SPEC):
    return evaluate_calendar(warehouse, spec, day, reference_date=reference or day, backfill=backfill)


def test_game_day_proceeds(calendar):
    verdict = _decide(calendar, dt.date(2024, 10, 22))
    assert verdict.proceed and verdict.events_on_date == 1 and verdict.reason is None


def test_break_of_six_days_is_no_games_not_offseason(calendar):
    verdict = _decide(calendar, dt.date(2025, 2, 16))
    assert (verdict.proceed, verdict.reason) == (False, LeagueSkipReason.NO_GAMES)


def test_after_the_last_game_is_offseason(calendar):
    verdict = _decide(calendar, dt.date(2025, 7, 15))
    assert verdict.reason is SkipReason.OFFSEASON and verdict.previous_event == dt.date(2025, 6, 22)


def test_before_the_first_game_is_offseason(calendar):
    assert _decide(calendar, dt.date(2024, 8, 1)).reason is SkipReason.OFFSEASON


def test_long_gap_between_seasons_is_offseason(calendar):
    calendar.insert_rows("nba_raw.events", [{"game_date": dt.date(2025, 10, 21), "status": "final"}])
    verdict = _decide(calendar, dt.date(2025, 9, 1))
    assert verdict.reason is SkipReason.OFFSEASON and verdict.next_event == dt.date(2025, 10, 21)


def test_historical_unless_backfill(calendar):
    day = dt.date(2024, 10, 22)
    assert _decide(calendar, day, reference=day + dt.timedelta(days=91)).reason is SkipReason.HISTORICAL
    assert _decide(calendar, day, reference=day + dt.timedelta(days=90)).proceed
    assert _decide(calendar, day, reference=day + dt.timedelta(days=400), backfill=True).proceed


def test_excluded_rows_do_not_count(calendar):
    calendar.execute(
        "UPDATE nba_raw.events SET status = 'postponed' WHERE game_date = @d", {"d": dt.date(2024, 10, 23)}
    )
    spec = CalendarSpec(
        table="nba_raw.events", date_column="game_date", exclude_sql="status = 'postponed'",
        no_events_reason=LeagueSkipReason.NO_GAMES,
    )
    assert _decide(calendar, dt.date(2024, 10, 23), spec=spec).reason is LeagueSkipReason.NO_GAMES


def test_empty_calendar_is_an_error_not_a_silent_pass(warehouse):
    warehouse.ensure_datasets()
    warehouse.execute("CREATE TABLE nba_raw.events (game_date DATE)")
    with pytest.raises(EmptyCalendarError, match="nba_raw.events has no events"):
        _decide(warehouse, dt.date(2025, 1, 1))


def _options(sources):
    day = dt.date(2025, 1, 1)
    return RunOptions(day, day, False, frozenset(), frozenset(), frozenset(sources))


@pytest.mark.parametrize(
    ("sources", "reads", "skipped"),
    [
        ([], ["odds"], False),  # a run for every source
        (["odds"], ["odds"], False),
        (["gamebook"], ["odds"], True),
        (["mystery_feed"], ["odds"], False),  # unknown sources are processed (fail open)
        (["gamebook"], [], False),  # a processor that declares no sources is always relevant
    ],
)
def test_irrelevant_source(sources, reads, skipped):
    reason = irrelevant_source(_options(sources), reads, ["odds", "gamebook"])
    assert (reason is not None) is skipped
