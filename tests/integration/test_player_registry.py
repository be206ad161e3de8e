"""The player registry on the embedded warehouse, built from the simulated league's payloads.

Three dates are run as the backfill runs them (``run_date``: scrapers, raw processors, then the
``player_registry`` processor behind the same guards); every player every source names must resolve
to the simulated league's own identity for him, with each source's id. A name that fits no one, or
two people, is held and queued. That the simulated NBA.com ids collide with no real person's is
checked against nba_api's list in ``tests/unit/test_real_clients.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nba_pipeline.sources.simulation import SimulatedLeague

pytestmark = pytest.mark.integration
FIRST, LAST = dt.date(2025, 1, 13), dt.date(2025, 1, 15)
LEAGUE = SimulatedLeague(seed=2024)
SETTINGS = ("NBA_DATA_DIR", "NBA_DUCKDB_PATH", "NBA_PAYLOAD_ROOT")
#: the sources that name players, and the raw table, date and scope columns of each
SOURCES = {
    "nbac_player_list": ("nba_raw.nbac_player_list", "list_date", "team_abbr"),
    "nbac_gamebook": ("nba_raw.nbac_gamebook_player_stats", "game_date", "game_id"),
    "nbac_play_by_play": ("nba_raw.nbac_play_by_play", "game_date", "game_id"),
    "bdl_boxscores": ("nba_raw.bdl_player_boxscores", "game_date", "game_id"),
    "espn_rosters": ("nba_raw.espn_team_rosters", "roster_date", "team_abbr"),
    "odds_api_player_points_props": ("nba_raw.odds_api_player_points_props", "game_date", "game_id"),
    "bettingpros_player_props": ("nba_raw.bettingpros_player_points_props", "game_date", "game_id"),
    "nbac_injury_report": ("nba_raw.nbac_injury_report", "game_date", "game_id"),
}


def _set_env(values: dict[str, str | None]) -> None:
    from nba_pipeline.settings import get_settings

    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse file with phases 1-2 and the registry run for FIRST..LAST, date by date."""
    from nba_pipeline.backfill import dates_between, run_date
    from nba_pipeline.guards.spec import Phase
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    folder = tmp_path_factory.mktemp("player_registry")
    saved = {key: os.environ.get(key) for key in SETTINGS}
    _set_env({
        "NBA_DATA_DIR": str(folder),
        "NBA_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "NBA_PAYLOAD_ROOT": str(folder / "payloads"),
    })
    processors = [p for p in backfill_processors() if p.phase <= Phase.RAW or p.name == "player_registry"]
    warehouse = DuckDBWarehouse(folder / "warehouse.duckdb", lock_wait_seconds=5)
    try:
        apply_migrations(warehouse)
        for day in dates_between(FIRST, LAST):
            outcome = run_date(warehouse, processors, CALENDAR, day, dag_run_id=f"registry_{day}")
            assert set(outcome.outcome.values()) == {"success"}, outcome.outcome
    finally:
        warehouse.close()
        _set_env(saved)
    yield folder / "warehouse.duckdb"


@pytest.fixture
def warehouse(built: Path, tmp_path: Path, settings_env: pytest.MonkeyPatch) -> Iterator[Any]:
    """A copy of the built warehouse for one test, also the configured one."""
    from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    path = tmp_path / "warehouse.duckdb"
    shutil.copy(built, path)
    settings_env.setenv("NBA_DUCKDB_PATH", str(path))
    settings_env.setenv("NBA_DATA_DIR", str(tmp_path))
    copy = DuckDBWarehouse(path, lock_wait_seconds=5)
    yield copy
    copy.close()


def _run(warehouse: Any, name: str, day: dt.date = LAST):
    from nba_pipeline.guards.spec import ProcessorContext
    from nba_pipeline.registry.processors import processor

    spec = processor(name)
    ctx = ProcessorContext(warehouse, spec, day, backfill=True, run_id="t", dag_run_id="t", try_number=1)
    return spec.run(ctx)


def _run_registry(warehouse: Any, day: dt.date = LAST):
    return _run(warehouse, "player_registry", day)


def _line_of(warehouse: Any, lookup: str) -> Any:
    """His current points line in upcoming_player_game_context for LAST, after running it."""
    _run(warehouse, "upcoming_player_game_context")
    (row,) = warehouse.query(
        "SELECT current_points_line FROM nba_analytics.upcoming_player_game_context "
        "WHERE game_date = @d AND player_lookup = @p",
        {"d": LAST, "p": lookup},
    )
    return row["current_points_line"]


def test_every_player_of_every_source_resolves_to_his_simulated_identity(warehouse):
    registry = {r["universal_player_id"]: r for r in warehouse.query("SELECT * FROM nba_analytics.player_registry")}
    listed = {p.universal_player_id: p for p in LEAGUE.players}
    assert registry.keys() == listed.keys(), "one registry row per simulated player, no more"
    for uid, row in registry.items():
        player = listed[uid]
        assert row["espn_player_id"] == player.espn_athlete_id
        assert row["nba_person_id"] == player.person_id, uid  # every team played in the window
        assert row["bdl_player_id"] in (None, player.bdl_player_id), uid  # balldontlie lists who played
        assert (row["player_name"], row["team_abbr"]) == (player.full_name, player.team)
    assert sum(row["bdl_player_id"] is not None for row in registry.values()) > 300

    resolutions = warehouse.query("SELECT * FROM nba_analytics.player_identity_resolutions")
    assert [r for r in resolutions if r["universal_player_id"] is None or r["skip_reason"]] == []
    for row in resolutions:
        player = LEAGUE.player(row["player_lookup"])
        assert row["universal_player_id"] == player.universal_player_id, row
    by_source: dict[str, set[tuple[Any, ...]]] = {}
    for row in resolutions:
        by_source.setdefault(row["source"], set()).add((row["game_date"], row["scope"], row["player_lookup"]))
    for source, (table, date_column, scope) in SOURCES.items():
        raw = warehouse.query(
            f"SELECT DISTINCT {date_column} AS d, {scope} AS s, player_lookup FROM {table} "
            f"WHERE {date_column} BETWEEN @start AND @end",
            {"start": FIRST - dt.timedelta(days=1), "end": LAST},
        )
        assert raw, f"{source} has rows in the window"
        assert {(r["d"], r["s"], r["player_lookup"]) for r in raw} == by_source[source], source
    assert warehouse.query("SELECT * FROM nba_analytics.unresolved_player_names") == []

    _run(warehouse, "player_game_summary")  # the results of LAST - 1: every player's id is the registry's
    summaries = warehouse.query(
        "SELECT s.universal_player_id AS summary, r.universal_player_id AS registry "
        "FROM nba_analytics.player_game_summary AS s JOIN nba_analytics.player_registry AS r USING (player_lookup)"
    )
    assert len(summaries) > 100 and all(r["summary"] == r["registry"] for r in summaries)


def test_a_rerun_changes_nothing(warehouse):
    before = warehouse.query("SELECT * EXCEPT (loaded_at) FROM nba_analytics.player_registry ORDER BY 1")
    result = _run_registry(warehouse)
    assert (result.rows_inserted, result.rows_updated, result.rows_skipped) == (0, 0, 0)
    assert result.details["players_new"] == result.details["players_updated"] == 0
    assert warehouse.query("SELECT * EXCEPT (loaded_at) FROM nba_analytics.player_registry ORDER BY 1") == before


def _book_row(warehouse: Any, name: str) -> dict[str, Any]:
    """A BettingPros row of LAST like an existing one, for a player called ``name``."""
    from nba_pipeline.player_names import player_lookup

    (row,) = warehouse.query(
        "SELECT * FROM nba_raw.bettingpros_player_points_props WHERE game_date = @d ORDER BY game_id, player_lookup "
        "LIMIT 1",
        {"d": LAST},
    )
    return {**row, "player_name": name, "player_lookup": player_lookup(name)}


def test_an_unknown_name_is_held_and_queued_with_its_source_and_raw_string(warehouse):
    from nba_pipeline.processors.merge import merge_rows

    row = _book_row(warehouse, "Zeke Nobody-Known")
    merge_rows(warehouse, "nba_raw.bettingpros_player_points_props", [row], ("game_id", "player_lookup", "bookmaker"))
    result = _run_registry(warehouse)
    assert result.rows_skipped == 1 and result.details["held"] == {"bettingpros_player_props:unresolved_player": 1}

    (held,) = warehouse.query(
        "SELECT * FROM nba_analytics.player_identity_resolutions WHERE skip_reason IS NOT NULL"
    )
    assert (held["source"], held["raw_name"], held["player_lookup"], held["game_id"]) == (
        "bettingpros_player_props", "Zeke Nobody-Known", "zekenobodyknown", row["game_id"]
    )
    assert held["universal_player_id"] is None and held["skip_reason"] == "unresolved_player"
    (queued,) = warehouse.query("SELECT * FROM nba_analytics.unresolved_player_names")
    assert {k: queued[k] for k in ("source", "raw_name", "skip_reason", "first_seen_date", "last_seen_date",
                                   "occurrences")} == {
        "source": "bettingpros_player_props", "raw_name": "Zeke Nobody-Known", "skip_reason": "unresolved_player",
        "first_seen_date": LAST, "last_seen_date": LAST, "occurrences": 1,
    }
    assert _run_registry(warehouse).rows_skipped == 1
    assert warehouse.query("SELECT occurrences FROM nba_analytics.unresolved_player_names") == [{"occurrences": 1}]

    # once the name is gone from the raw table (a corrected payload), the queue drops it
    warehouse.execute(
        "DELETE FROM nba_raw.bettingpros_player_points_props WHERE player_lookup = 'zekenobodyknown'"
    )
    warehouse.execute(
        "DELETE FROM nba_analytics.player_identity_resolutions WHERE player_lookup = 'zekenobodyknown'"
    )
    _run_registry(warehouse)
    assert warehouse.query("SELECT * FROM nba_analytics.unresolved_player_names") == []


def test_a_name_two_people_share_is_held_not_joined(warehouse):
    """A second person of the same name on the same team (a different NBA.com id): the book's name
    fits both, so the book's row is held as ambiguous and names both candidates."""
    (row,) = warehouse.query(
        "SELECT b.player_name, b.team_abbr, r.universal_player_id FROM nba_raw.bettingpros_player_points_props AS b "
        "JOIN nba_analytics.player_registry AS r USING (player_lookup) WHERE b.game_date = @d "
        "ORDER BY b.game_id, b.player_lookup LIMIT 1",
        {"d": LAST},
    )
    lookup = row["universal_player_id"][:-4]
    assert _line_of(warehouse, lookup) is not None
    twin = row["universal_player_id"].replace("_001", "_002")
    warehouse.execute(
        "INSERT INTO nba_analytics.player_registry (universal_player_id, player_lookup, player_name, nba_person_id, "
        "nba_player_name, team_abbr, first_seen_date, last_seen_date, loaded_at) "
        "VALUES (@uid, @lookup, @name, 9999999, @name, @team, @d, @d, CURRENT_TIMESTAMP())",
        {"uid": twin, "lookup": lookup, "name": row["player_name"], "team": row["team_abbr"],
         "d": LAST},
    )
    result = _run_registry(warehouse)
    held = warehouse.query(
        "SELECT source, skip_reason, candidates, universal_player_id FROM nba_analytics.player_identity_resolutions "
        "WHERE skip_reason IS NOT NULL AND game_date = @d ORDER BY source",
        {"d": LAST},
    )
    assert "bettingpros_player_props" in {h["source"] for h in held}
    assert all(h["skip_reason"] == "ambiguous_player" and h["universal_player_id"] is None for h in held)
    assert all(h["candidates"] == f"{row['universal_player_id']},{twin}" for h in held)
    assert result.rows_skipped == len(held)
    queued = warehouse.query("SELECT source, raw_name, skip_reason FROM nba_analytics.unresolved_player_names")
    assert {(q["raw_name"], q["skip_reason"]) for q in queued} == {(row["player_name"], "ambiguous_player")}
    assert _line_of(warehouse, lookup) is None, "a held book row prices no one"


def test_a_book_spelling_the_registry_resolves_prices_the_person_it_resolved_to(warehouse):
    """A book that writes a player's name with a suffix NBA.com does not use ("... Jr."): the
    registry resolves the row by the name without it, and his line reaches his context row and,
    for the day before, his game summary, keyed by NBA.com's spelling."""
    from nba_pipeline.player_names import player_lookup

    day_before = LAST - dt.timedelta(days=1)
    (row,) = warehouse.query(
        "SELECT b.player_lookup, MIN(b.player_name) AS player_name FROM nba_raw.bettingpros_player_points_props AS b "
        "WHERE b.game_date = @d AND b.player_lookup IN "
        "(SELECT player_lookup FROM nba_raw.bettingpros_player_points_props WHERE game_date = @before) "
        "GROUP BY b.player_lookup ORDER BY b.player_lookup LIMIT 1",
        {"d": LAST, "before": day_before},
    )
    lookup, suffixed = row["player_lookup"], f"{row['player_name']} Jr."
    line, summary_line = _line_of(warehouse, lookup), _summary_line(warehouse, lookup, day_before)
    assert line is not None and summary_line is not None
    for table in ("nba_raw.bettingpros_player_points_props", "nba_raw.odds_api_player_points_props"):
        warehouse.execute(
            f"UPDATE {table} SET player_name = @name, player_lookup = @renamed WHERE player_lookup = @lookup",
            {"name": suffixed, "renamed": player_lookup(suffixed), "lookup": lookup},
        )
    for day in (day_before, LAST):
        _run_registry(warehouse, day)
    matched = warehouse.query(
        "SELECT DISTINCT resolved_by, universal_player_id FROM nba_analytics.player_identity_resolutions "
        "WHERE player_lookup = @renamed",
        {"renamed": player_lookup(suffixed)},
    )
    assert [r["universal_player_id"] for r in matched] == [LEAGUE.player(lookup).universal_player_id]
    assert [r["resolved_by"] for r in matched] == ["name_without_suffix"], "resolved by the name without the suffix"
    assert _line_of(warehouse, lookup) == line
    assert _summary_line(warehouse, lookup, day_before) == summary_line


def _summary_line(warehouse: Any, lookup: str, day: dt.date) -> Any:
    """His points line in player_game_summary for ``day`` (its results), after running it."""
    _run(warehouse, "player_game_summary", day + dt.timedelta(days=1))
    (row,) = warehouse.query(
        "SELECT points_line FROM nba_analytics.player_game_summary WHERE game_date = @d AND player_lookup = @p",
        {"d": day, "p": lookup},
    )
    return row["points_line"]


def test_the_first_game_day_after_a_break_resolves_the_last_box_scores_before_it(warehouse):
    """The box scores of 2025-02-13 are loaded on the 14th, a day without games when the processor
    does not run: the run of the 20th, the first game day after the All-Star break, goes back to them."""
    from nba_pipeline.processors.player_registry import window_start

    assert window_start(warehouse, LAST) == LAST - dt.timedelta(days=1)
    assert window_start(warehouse, dt.date(2025, 2, 20)) == dt.date(2025, 2, 13)
    assert window_start(warehouse, dt.date(2025, 2, 14)) == dt.date(2025, 2, 13)
