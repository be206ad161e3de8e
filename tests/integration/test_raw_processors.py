"""Phase 2 raw processors on the embedded warehouse, fed with simulated-league payloads.

Payloads come from ``SimulatedLeague(seed=2024)`` for the game date 2025-01-15, fetched the next
morning (10:00 ET) so every game is final and every book has posted its current line.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from nba_pipeline.guards.skip_reasons import SkipReason
from nba_pipeline.guards.spec import Phase, ProcessorContext, ProcessorSkip, ProcessorSpec
from nba_pipeline.processors.merge import MergeError, insert_absent, merge_rows
from nba_pipeline.processors.raw import PayloadValidationError
from nba_pipeline.registry.processors import RAW_TABLES
from nba_pipeline.sources.simulation import (
    BOOKS,
    DUPLICATE_ROWS,
    ET,
    GAME_POSTPONED,
    LATE_BOXSCORES,
    MIXED_GAME_ID,
    PLAYER_MISSING_FROM_BOOK,
    SimulatedLeague,
)
from nba_pipeline.storage import PayloadStore
from nba_pipeline.warehouse.base import STATS

GAME_DAY = dt.date(2025, 1, 15)
AS_OF = dt.datetime(2025, 1, 16, 10, 0, tzinfo=ET)
LATER = AS_OF + dt.timedelta(hours=1)
LEAGUE = SimulatedLeague(seed=2024)
PROCESSORS = tuple(RAW_TABLES)
BOX_SCORE_PROCESSORS = (
    "nbac_gamebook_player_stats",
    "nbac_team_boxscore",
    "nbac_play_by_play",
    "bdl_player_boxscores",
)


@cache
def payload(source: str, imperfections: frozenset[str] = frozenset(), as_of: dt.datetime = AS_OF) -> bytes:
    return LEAGUE.payload(source, GAME_DAY, as_of=as_of, imperfections=imperfections)


@pytest.fixture
def store(tmp_path: Path, settings_env: pytest.MonkeyPatch) -> PayloadStore:
    """A payload store in a fresh folder, also the configured one for the processors."""
    from nba_pipeline.settings import get_settings

    root = tmp_path / "payloads"
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(root))
    get_settings.cache_clear()
    return PayloadStore(str(root))


def run(warehouse: Any, name: str, day: dt.date = GAME_DAY):
    spec = ProcessorSpec(name, Phase.RAW, run=RAW_TABLES[name], date_offset_days=0)
    ctx = ProcessorContext(
        warehouse=warehouse,
        processor=spec,
        event_date=day,
        backfill=False,
        run_id="test-run",
        dag_run_id="test-dag-run",
        try_number=1,
    )
    return spec.run(ctx)


def put(store: PayloadStore, name: str, body: bytes, fetched_at: dt.datetime = AS_OF) -> str:
    return store.store(RAW_TABLES[name].source, GAME_DAY, body, fetched_at)


def load(store: PayloadStore, warehouse: Any, name: str, **kwargs: Any):
    put(store, name, payload(RAW_TABLES[name].source, **kwargs))
    return run(warehouse, name)


def rows_of(warehouse: Any, name: str, *, bookkeeping: bool = True) -> list[dict[str, Any]]:
    spec = RAW_TABLES[name]
    order = ", ".join(spec.key_columns)
    found = warehouse.query(f"SELECT * FROM {spec.table} ORDER BY {order}")
    if not bookkeeping:
        for row in found:
            row.pop("loaded_at")
            row.pop("source_file_path")
    return found


def count(warehouse: Any, name: str) -> int:
    return warehouse.query(f"SELECT COUNT(*) AS n FROM {RAW_TABLES[name].table}")[0]["n"]


def by_key(rows: list[dict[str, Any]], *columns: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(row[c] for c in columns): row for row in rows}


GAMES = LEAGUE.games_on(GAME_DAY)
BOXES = {game.game_id: LEAGUE.box_score(game) for game in GAMES}
PLAYED = [line for box in BOXES.values() for line in box.lines if line.played]


# --------------------------------------------------------------------------- clean payloads


def test_schedule_has_every_game_of_the_day(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "nbac_schedule")
    rows = by_key(rows_of(migrated_warehouse, "nbac_schedule"), "game_id")
    assert result.rows_processed == result.rows_inserted == len(GAMES) == len(rows) == 10
    first = GAMES[0]
    row = rows[(first.game_id,)]
    assert first.game_id == "20250115_SAS_IND"
    assert row["nba_game_id"] == first.nba_game_id
    assert (row["game_status"], row["game_status_text"], row["is_postponed"]) == (3, "Final", False)
    assert (row["home_score"], row["away_score"]) == (
        BOXES[first.game_id].points("IND"),
        BOXES[first.game_id].points("SAS"),
    )
    assert (row["season_year"], row["season_type"], row["game_date"]) == (2024, "Regular Season", GAME_DAY)
    assert row["start_time_utc"] == first.start_time
    assert result.file_path and result.date_range == (GAME_DAY, GAME_DAY)


def test_schedule_merges_every_date_of_a_windowed_document(migrated_warehouse, store):
    """A schedule document covering several dates loads every game, whatever its date."""
    document = json.loads(payload("nbac_schedule"))
    next_day = json.loads(LEAGUE.payload("nbac_schedule", GAME_DAY + dt.timedelta(days=1), as_of=AS_OF))
    document["leagueSchedule"]["gameDates"] += next_day["leagueSchedule"]["gameDates"]
    put(store, "nbac_schedule", json.dumps(document).encode())
    result = run(migrated_warehouse, "nbac_schedule")
    expected = len(GAMES) + len(LEAGUE.games_on(GAME_DAY + dt.timedelta(days=1)))
    assert result.rows_inserted == count(migrated_warehouse, "nbac_schedule") == expected
    upcoming = migrated_warehouse.query(
        "SELECT game_status, home_score FROM nba_raw.nbac_schedule WHERE game_date = @d",
        {"d": GAME_DAY + dt.timedelta(days=1)},
    )
    assert upcoming and all(r["game_status"] == 1 and r["home_score"] is None for r in upcoming)


def test_gamebook_has_every_roster_player(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "nbac_gamebook_player_stats")
    rows = by_key(rows_of(migrated_warehouse, "nbac_gamebook_player_stats"), "game_id", "player_lookup")
    expected = sum(len(box.lines) for box in BOXES.values())
    assert result.rows_inserted == len(rows) == expected == 300
    for game_id, box in list(BOXES.items())[:3]:
        for line in box.lines[:6]:
            row = rows[(game_id, line.player_lookup)]
            assert row["player_status"] == line.status
            assert row["team_abbr"] == line.team and row["home_game"] == (line.team == box.home)
            assert row["universal_player_id"] == LEAGUE.player(line.player_lookup).universal_player_id
            if line.played:
                assert (row["points"], row["fg_attempts"], row["plus_minus"]) == (
                    line.points,
                    line.fga,
                    line.plus_minus,
                )
                assert row["minutes"] == pytest.approx(line.seconds / 60)
            else:
                assert row["points"] is None and row["minutes"] is None and row["dnp_reason"] == line.dnp_reason


def test_team_boxscore_has_two_rows_per_game(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "nbac_team_boxscore")
    rows = by_key(rows_of(migrated_warehouse, "nbac_team_boxscore"), "game_id", "team_abbr")
    assert result.rows_inserted == len(rows) == 2 * len(GAMES)
    for game_id, box in BOXES.items():
        home = rows[(game_id, box.home)]
        assert home["points"] == box.points(box.home) and home["home_game"] is True
        assert home["plus_minus"] == box.points(box.home) - box.points(box.away)
        assert rows[(game_id, box.away)]["opponent_team_abbr"] == box.home


def test_play_by_play_has_a_zone_row_per_player_who_played(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "nbac_play_by_play")
    rows = by_key(rows_of(migrated_warehouse, "nbac_play_by_play"), "game_id", "player_lookup")
    assert result.rows_inserted == len(rows) == len(PLAYED)
    game_id, box = next(iter(BOXES.items()))
    line = next(line for line in box.lines if line.played)
    row = rows[(game_id, line.player_lookup)]
    assert (row["paint_attempts"], row["paint_makes"], row["three_pt_attempts"]) == (
        line.paint_attempts,
        line.paint_makes,
        line.fg3a,
    )


def test_injury_report_has_the_latest_publication(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "nbac_injury_report")
    rows = rows_of(migrated_warehouse, "nbac_injury_report")
    entries = LEAGUE.injury_report(GAME_DAY)
    assert result.rows_inserted == len(rows) == len(entries) > 0
    assert {r["report_time"] for r in rows} == {dt.datetime(2025, 1, 15, 17, 30, tzinfo=ET)}
    found = by_key(rows, "player_lookup")
    for entry in entries:
        row = found[(entry.player_lookup,)]
        assert (row["injury_status"], row["team_abbr"], row["reason"]) == (
            entry.status.lower(),
            entry.team,
            entry.reason,
        )
        assert row["game_id"].startswith("20250115_") and entry.team in row["game_id"]


def test_bdl_boxscores_have_every_player_who_played(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "bdl_player_boxscores")
    rows = by_key(rows_of(migrated_warehouse, "bdl_player_boxscores"), "game_id", "player_lookup")
    assert result.rows_inserted == len(rows) == len(PLAYED)
    game_id, box = next(iter(BOXES.items()))
    for line in [line for line in box.lines if line.played][:5]:
        row = rows[(game_id, line.player_lookup)]
        assert (row["points"], row["turnovers"], row["minutes"]) == (line.points, line.tov, float(line.seconds // 60))
        assert row["player_status"] == "active" and row["season_year"] == 2024


def test_odds_props_have_a_row_per_quoted_player_and_book(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "odds_api_player_points_props")
    rows = by_key(rows_of(migrated_warehouse, "odds_api_player_points_props"), "game_id", "player_lookup", "bookmaker")
    quoted = [line for line in LEAGUE.prop_lines(GAME_DAY) if line.in_odds_api]
    assert result.rows_inserted == len(rows) == len(quoted) == 456
    assert {r["snapshot_time"] for r in rows.values()} == {AS_OF}
    assert {key[2] for key in rows} == {book.key for book in BOOKS}
    for line in quoted[:12]:
        row = rows[(line.game_id, line.player_lookup, line.book)]
        assert (row["points_line"], row["over_price"], row["under_price"]) == (
            line.current_line,
            line.over_price,
            line.under_price,
        )


def test_game_lines_have_a_row_per_game_and_book(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "odds_api_game_lines")
    rows = by_key(rows_of(migrated_warehouse, "odds_api_game_lines"), "game_id", "bookmaker")
    lines = LEAGUE.game_lines(GAME_DAY)
    assert result.rows_inserted == len(rows) == len(lines) == len(GAMES) * len(BOOKS)
    for line in lines[:8]:
        row = rows[(line.game_id, line.book)]
        assert (row["home_spread"], row["total_points"]) == (line.current_home_spread, line.current_total)
        assert (row["home_moneyline"], row["away_moneyline"]) == (line.current_home_price, line.current_away_price)


def test_bettingpros_props_have_current_and_opening_lines(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "bettingpros_player_points_props")
    rows = by_key(
        rows_of(migrated_warehouse, "bettingpros_player_points_props"), "game_id", "player_lookup", "bookmaker"
    )
    lines = LEAGUE.prop_lines(GAME_DAY)
    assert result.rows_inserted == len(rows) == len(lines) == 672
    assert {key[2] for key in rows} == {"draftkings", "fanduel", "betmgm", "williamhill_us"}
    for line in lines[::60]:
        row = rows[(line.game_id, line.player_lookup, line.book)]
        assert (row["points_line"], row["opening_line"]) == (line.current_line, line.opening_line)
        assert row["team_abbr"] == LEAGUE.player(line.player_lookup).team


def test_espn_rosters_have_every_player_of_every_team(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "espn_team_rosters")
    rows = by_key(rows_of(migrated_warehouse, "espn_team_rosters"), "team_abbr", "player_lookup")
    assert result.rows_inserted == len(rows) == len(LEAGUE.players) == 450
    player = LEAGUE.players[0]
    row = rows[(player.team, player.player_lookup)]
    assert (row["espn_player_id"], row["position"], row["roster_date"], row["season_year"]) == (
        player.espn_athlete_id,
        player.position,
        GAME_DAY,
        2024,
    )


def test_the_player_list_has_every_player_by_person_id_and_a_reload_changes_nothing(migrated_warehouse, store):
    result = load(store, migrated_warehouse, "nbac_player_list")
    rows = by_key(rows_of(migrated_warehouse, "nbac_player_list"), "nba_player_id")
    assert result.rows_inserted == len(rows) == len(LEAGUE.players) == 450
    for player in LEAGUE.players[::30]:
        row = rows[(player.person_id,)]
        assert (row["player_lookup"], row["player_name"], row["team_abbr"], row["list_date"]) == (
            player.player_lookup,
            player.full_name,
            player.team,
            GAME_DAY,
        )
    again = load(store, migrated_warehouse, "nbac_player_list")
    assert (again.rows_inserted, again.rows_updated, again.details["rows_unchanged"]) == (0, 0, 450)


# --------------------------------------------------------------------------- no payload


@pytest.mark.parametrize("name", PROCESSORS)
def test_no_payload_is_a_skip_with_a_reason(migrated_warehouse, store, name):
    with pytest.raises(ProcessorSkip) as caught:
        run(migrated_warehouse, name)
    assert caught.value.reason == SkipReason.NO_DATA
    assert RAW_TABLES[name].source in caught.value.detail and "2025-01-15" in caught.value.detail


# --------------------------------------------------------------------------- malformed payloads


def _edit(source: str, change: Callable[[dict], None]) -> bytes:
    document = json.loads(payload(source))
    change(document)
    return json.dumps(document).encode()


def _first_active(game: int) -> int:
    players = json.loads(payload("nbac_gamebook"))["games"][game]["boxScoreTraditional"]["awayTeam"]["players"]
    return next(i for i, p in enumerate(players) if p["comment"] == "")


K = _first_active(2)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict], None]:
    def change(document: dict) -> None:
        target = document
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value(target[path[-1]]) if callable(value) else value

    return change


_DELETE = object()
_BDL_FGA = json.loads(payload("bdl_boxscores"))["data"][3]["fga"]
_HOME_TOTALS = ("games", 0, "boxScoreTraditional", "homeTeam", "statistics", "points")
_HOME_SCORE = json.loads(payload("nbac_gamebook"))["games"][0]["boxScoreTraditional"]["homeTeam"]["statistics"][
    "points"
]
_BOX = ("games", 2, "boxScoreTraditional", "awayTeam", "players", K, "statistics", "minutes")

# (id, processor, body, field path in the error, text of the value in the error)
MALFORMED: list[tuple[str, str, Callable[[], bytes], str, str]] = [
    (
        "html_page",
        "nbac_gamebook_player_stats",
        lambda: b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
        "(body)",
        "<!DOCTYPE html>",
    ),
    ("empty_body", "nbac_team_boxscore", lambda: b"", "(body)", "b''"),
    (
        "truncated_json",
        "bdl_player_boxscores",
        lambda: payload("bdl_boxscores")[: len(payload("bdl_boxscores")) // 2],
        "(body)",
        "truncated JSON",
    ),
    (
        "invalid_utf8",
        "espn_team_rosters",
        lambda: payload("espn_rosters").replace(b'"Atlanta Hawks"', b'"Atlanta \xff\xfe Hawks"', 1),
        "(body)",
        "not UTF-8: byte 0xff",
    ),
    (
        "missing_field",
        "nbac_schedule",
        lambda: _edit("nbac_schedule", _set(("leagueSchedule", "gameDates", 0, "games", 1, "homeTeam"), _DELETE)),
        "leagueSchedule.gameDates[0].games[1].homeTeam",
        "<missing>",
    ),
    (
        "wrong_type",
        "nbac_play_by_play",
        lambda: _edit("nbac_play_by_play", _set(("games", 4, "game", "actions", 8, "personId"), "10")),
        "games[4].game.actions[8].personId",
        "'10'",
    ),
    (
        "negative_minutes",
        "nbac_gamebook_player_stats",
        lambda: _edit("nbac_gamebook", _set(_BOX, "-12:30")),
        f"games[2].boxScoreTraditional.awayTeam.players[{K}].statistics.minutes",
        "'-12:30'",
    ),
    (
        "makes_over_attempts",
        "bdl_player_boxscores",
        lambda: _edit("bdl_boxscores", lambda d: d["data"][3].update(fgm=d["data"][3]["fga"] + 1)),
        "data[3].fgm",
        f"data[3].fgm = {_BDL_FGA + 1}: exceeds fga = {_BDL_FGA}",
    ),
    (
        "score_mismatch",
        "nbac_gamebook_player_stats",
        lambda: _edit("nbac_gamebook", _set(_HOME_TOTALS, lambda s: s + 1)),
        "games[0].boxScoreTraditional.homeTeam.statistics.points",
        f"games[0].boxScoreTraditional.homeTeam.statistics.points = {_HOME_SCORE + 1}: does not match the sum",
    ),
    (
        "unknown_team",
        "nbac_schedule",
        lambda: _edit(
            "nbac_schedule", _set(("leagueSchedule", "gameDates", 0, "games", 0, "awayTeam", "teamTricode"), "SEA")
        ),
        "leagueSchedule.gameDates[0].games[0].awayTeam.teamTricode",
        "'SEA'",
    ),
    (
        "unknown_team_code",
        "bettingpros_player_points_props",
        lambda: _edit("bettingpros_player_props", _set(("events", "events", 1, "home"), "SEA")),
        "events.events[1].home",
        "'SEA'",
    ),
    (
        "bad_game_id",
        "nbac_team_boxscore",
        lambda: _edit("nbac_team_boxscore", _set(("resultSets", 0, "rowSet", 2, 4), "2025-01-15/XYZ")),
        "resultSets[0].rowSet[2].GAME_ID",
        "'2025-01-15/XYZ'",
    ),
    (
        "bad_event_id",
        "odds_api_game_lines",
        lambda: _edit("odds_api_game_lines", _set(("data", 0, "id"), "not-an-event")),
        "data[0].id",
        "'not-an-event'",
    ),
    (
        "future_date",
        "bdl_player_boxscores",
        lambda: _edit("bdl_boxscores", _set(("data", 0, "game", "date"), "2035-01-15")),
        "data[0].game.date",
        "'2035-01-15'",
    ),
    (
        "future_schedule_date",
        "nbac_schedule",
        lambda: _edit("nbac_schedule", _set(("leagueSchedule", "gameDates", 0, "gameDate"), "01/15/2035 00:00:00")),
        "leagueSchedule.gameDates[0].gameDate",
        "'01/15/2035 00:00:00': more than 366 days",
    ),
    (
        "future_commence_time",
        "odds_api_player_points_props",
        lambda: _edit(
            "odds_api_player_points_props", _set(("events", 1, "data", "commence_time"), "2035-01-16T00:30:00Z")
        ),
        "events[1].data.commence_time",
        "'2035-01-16T00:30:00Z'",
    ),
]


@pytest.mark.parametrize(("case", "name", "body", "path", "value"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_payload_is_quarantined_and_writes_nothing(migrated_warehouse, store, case, name, body, path, value):
    load(store, migrated_warehouse, name)  # a clean load first: the bad one must leave it untouched
    before = rows_of(migrated_warehouse, name)
    bad_uri = put(store, name, body(), fetched_at=LATER)
    with pytest.raises(PayloadValidationError) as caught:
        run(migrated_warehouse, name)
    message = str(caught.value)
    assert bad_uri in message and path in message
    assert value in message
    assert caught.value.path == path
    quarantined = store.quarantined(RAW_TABLES[name].source, GAME_DAY)
    assert [Path(q.split("://")[-1]).name for q in quarantined] == [Path(bad_uri.split("://")[-1]).name]
    error_file = Path(quarantined[0].split("://")[-1] + ".error.txt")
    assert path in error_file.read_text()
    assert rows_of(migrated_warehouse, name) == before
    assert store.latest(RAW_TABLES[name].source, GAME_DAY) != bad_uri, "the bad payload left the inbox"


@pytest.mark.parametrize("name", PROCESSORS)
def test_every_processor_quarantines_an_html_page(migrated_warehouse, store, name):
    uri = put(store, name, b"\n<html><body><h1>503 Service Unavailable</h1></body></html>")
    with pytest.raises(PayloadValidationError, match="an HTML page") as caught:
        run(migrated_warehouse, name)
    assert uri in str(caught.value) and caught.value.quarantine_uri
    assert count(migrated_warehouse, name) == 0


# --------------------------------------------------------------------------- reruns


def test_rerunning_the_day_changes_nothing(migrated_warehouse, store):
    for name in PROCESSORS:
        put(store, name, payload(RAW_TABLES[name].source))
    first = {name: run(migrated_warehouse, name) for name in PROCESSORS}
    snapshot = {name: rows_of(migrated_warehouse, name) for name in PROCESSORS}
    assert all(first[name].rows_inserted == len(snapshot[name]) > 0 for name in PROCESSORS)
    for _ in range(2):
        STATS.reset()
        for name in PROCESSORS:
            result = run(migrated_warehouse, name)
            assert (result.rows_inserted, result.rows_updated) == (0, 0), name
            assert result.details["rows_unchanged"] == result.rows_processed == len(snapshot[name])
        assert not STATS.snapshot()["mutations"], "an identical rerun issues no DML"
        assert {name: rows_of(migrated_warehouse, name) for name in PROCESSORS} == snapshot


def test_one_merge_per_table_per_run(migrated_warehouse, store):
    put(store, "nbac_gamebook_player_stats", payload("nbac_gamebook"))
    STATS.reset()
    run(migrated_warehouse, "nbac_gamebook_player_stats")
    assert STATS.snapshot()["mutations"] == {"processor:nba_raw.nbac_gamebook_player_stats": 1}


def test_a_changed_row_is_updated_with_a_new_loaded_at(migrated_warehouse, store):
    """The schedule seen late in the evening (early games final, late ones live), then the next morning:
    only the games whose content changed get a new loaded_at."""
    live_at = dt.datetime(2025, 1, 15, 23, 0, tzinfo=ET)
    live_uri = put(store, "nbac_schedule", payload("nbac_schedule", as_of=live_at), fetched_at=live_at)
    run(migrated_warehouse, "nbac_schedule")
    before = by_key(rows_of(migrated_warehouse, "nbac_schedule"), "game_id")
    final_uri = put(store, "nbac_schedule", payload("nbac_schedule"))
    result = run(migrated_warehouse, "nbac_schedule")
    after = by_key(rows_of(migrated_warehouse, "nbac_schedule"), "game_id")
    changed = {key for key in after if after[key]["game_status"] != before[key]["game_status"]}
    assert 0 < len(changed) < len(after), "the test needs games that changed and games that did not"
    assert (result.rows_inserted, result.rows_updated) == (0, len(changed))
    for key, row in after.items():
        if key in changed:
            assert row["loaded_at"] > before[key]["loaded_at"] and row["source_file_path"] == final_uri
            assert row["game_status"] == 3 and row["home_score"] is not None
        else:
            assert row == before[key] and row["source_file_path"] == live_uri


# --------------------------------------------------------------------------- imperfections


@pytest.mark.parametrize("name", PROCESSORS)
def test_duplicate_rows_collapse_to_the_clean_rows(migrated_warehouse, store, name):
    source = RAW_TABLES[name].source
    dirty = load(store, migrated_warehouse, name, imperfections=frozenset({DUPLICATE_ROWS}))
    if name != "odds_api_player_points_props":  # its repeats are outcomes, folded into one row per player
        assert dirty.details["duplicates_collapsed"] >= 1
    put(store, name, payload(source), fetched_at=LATER)
    clean = run(migrated_warehouse, name)
    assert (clean.rows_inserted, clean.rows_updated) == (0, 0)
    assert count(migrated_warehouse, name) == clean.rows_processed == dirty.rows_processed


@pytest.mark.parametrize("name", ["nbac_gamebook_player_stats", "nbac_team_boxscore", "nbac_play_by_play"])
def test_mixed_game_ids_collapse_to_the_clean_rows(migrated_warehouse, store, name):
    source = RAW_TABLES[name].source
    mixed = load(store, migrated_warehouse, name, imperfections=frozenset({MIXED_GAME_ID}))
    rows = rows_of(migrated_warehouse, name, bookkeeping=False)
    assert {r["game_id"] for r in rows} == {game.game_id for game in GAMES}
    put(store, name, payload(source), fetched_at=LATER)
    clean = run(migrated_warehouse, name)
    assert (clean.rows_inserted, clean.rows_updated) == (0, 0)
    assert mixed.rows_processed == clean.rows_processed == len(rows)
    assert rows_of(migrated_warehouse, name, bookkeeping=False) == rows


@pytest.mark.parametrize("name", BOX_SCORE_PROCESSORS)
def test_late_boxscores_are_filled_in_by_a_later_payload(migrated_warehouse, store, name):
    source = RAW_TABLES[name].source
    late = load(store, migrated_warehouse, name, imperfections=frozenset({LATE_BOXSCORES}))
    lagging = 0 if source != "bdl_boxscores" else 1
    present = {g.game_id for i, g in enumerate(GAMES) if i % 3 != lagging}
    assert {r["game_id"] for r in rows_of(migrated_warehouse, name)} == present
    first_rows = by_key(rows_of(migrated_warehouse, name), *RAW_TABLES[name].key_columns)
    put(store, name, payload(source), fetched_at=LATER)
    complete = run(migrated_warehouse, name)
    assert complete.rows_updated == 0
    assert complete.rows_inserted == complete.rows_processed - late.rows_processed > 0
    assert count(migrated_warehouse, name) == complete.rows_processed
    after = by_key(rows_of(migrated_warehouse, name), *RAW_TABLES[name].key_columns)
    assert all(after[key] == row for key, row in first_rows.items()), "the early rows were not touched"


def test_postponed_game_is_kept_and_flagged(migrated_warehouse, store):
    load(store, migrated_warehouse, "nbac_schedule", imperfections=frozenset({GAME_POSTPONED}))
    rows = by_key(rows_of(migrated_warehouse, "nbac_schedule"), "game_id")
    assert len(rows) == len(GAMES)
    postponed = rows[(GAMES[-1].game_id,)]
    assert postponed["is_postponed"] is True and postponed["game_status"] == 1
    assert postponed["home_score"] is None and postponed["game_status_text"] == "PPD"
    assert sum(r["is_postponed"] for r in rows.values()) == 1
    box = load(store, migrated_warehouse, "nbac_team_boxscore", imperfections=frozenset({GAME_POSTPONED}))
    assert box.rows_processed == 2 * (len(GAMES) - 1)


def test_player_missing_from_one_book_is_missing_only_there(migrated_warehouse, store):
    result = load(
        store, migrated_warehouse, "odds_api_player_points_props", imperfections=frozenset({PLAYER_MISSING_FROM_BOOK})
    )
    assert result.rows_processed == len([line for line in LEAGUE.prop_lines(GAME_DAY) if line.in_odds_api]) - 1


def test_a_new_odds_snapshot_is_appended(migrated_warehouse, store):
    """Odds fetched at 10:00 (opening lines) and the next morning (current lines): two snapshots."""
    morning = dt.datetime(2025, 1, 15, 10, 0, tzinfo=ET)
    put(store, "odds_api_player_points_props", payload("odds_api_player_points_props", as_of=morning), morning)
    opening = run(migrated_warehouse, "odds_api_player_points_props")
    put(store, "odds_api_player_points_props", payload("odds_api_player_points_props"))
    current = run(migrated_warehouse, "odds_api_player_points_props")
    assert count(migrated_warehouse, "odds_api_player_points_props") == opening.rows_inserted + current.rows_inserted
    snapshots = migrated_warehouse.query(
        "SELECT snapshot_time, COUNT(*) AS n FROM nba_raw.odds_api_player_points_props GROUP BY snapshot_time"
    )
    assert len(snapshots) == 2


def test_live_odds_load_as_the_historical_snapshots_do(migrated_warehouse, store):
    """The 10:00 historical snapshot, then the live answers asked at 15:00 ET: the live props are
    appended, dated by their newest ``last_update`` (the last book's move, 14:31 ET); the live game
    lines load the rows the historical snapshot of 15:00 holds."""
    morning, afternoon = (dt.datetime(2025, 1, 15, hour, 0, tzinfo=ET) for hour in (10, 15))
    name = "odds_api_player_points_props"
    put(store, name, payload(name, as_of=morning), morning)
    opening = run(migrated_warehouse, name)
    put(store, name, LEAGUE.payload(name, GAME_DAY, as_of=afternoon, live=True), afternoon)
    live = run(migrated_warehouse, name)
    snapshots = migrated_warehouse.query(
        f"SELECT snapshot_time, COUNT(*) AS n FROM {RAW_TABLES[name].table} GROUP BY snapshot_time ORDER BY 1"
    )
    newest = dt.datetime(2025, 1, 15, 14, 31, tzinfo=ET)
    assert [(row["snapshot_time"], row["n"]) for row in snapshots] == [
        (morning, opening.rows_inserted), (newest, live.rows_inserted)
    ] and live.rows_inserted == opening.rows_inserted > 100  # fmt: skip

    lines = "odds_api_game_lines"
    put(store, lines, LEAGUE.payload(lines, GAME_DAY, as_of=afternoon, live=True), afternoon)
    run(migrated_warehouse, lines)
    loaded = rows_of(migrated_warehouse, lines, bookkeeping=False)
    spec = RAW_TABLES[lines]
    historical = [p.row for p in spec.parse(spec.decode(payload(lines, as_of=afternoon)), GAME_DAY)]
    assert loaded == sorted(historical, key=lambda row: tuple(row[c] for c in spec.key_columns)) and loaded


# --------------------------------------------------------------------------- merge helpers


def _schedule_row(game_id: str, status: int, **extra: Any) -> dict[str, Any]:
    return {
        "game_id": game_id,
        "nba_game_id": "0022400607",
        "game_date": GAME_DAY,
        "season_year": 2024,
        "season_type": "Regular Season",
        "game_status": status,
        "is_postponed": False,
        "home_team_abbr": game_id[-3:],
        "away_team_abbr": game_id[9:12],
        **extra,
    }


def test_merge_rows_counts_inserts_updates_and_unchanged(migrated_warehouse):
    table, keys = "nba_raw.nbac_schedule", ["game_id"]
    first = merge_rows(
        migrated_warehouse, table, [_schedule_row("20250115_SAS_IND", 1), _schedule_row("20250115_BOS_NYK", 1)], keys
    )
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    stamps = {r["game_id"]: r["loaded_at"] for r in migrated_warehouse.query(f"SELECT game_id, loaded_at FROM {table}")}
    second = merge_rows(
        migrated_warehouse,
        table,
        [_schedule_row("20250115_SAS_IND", 3, home_score=123, away_score=116), _schedule_row("20250115_BOS_NYK", 1)],
        keys,
        loaded_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    assert (second.inserted, second.updated, second.unchanged) == (0, 1, 1)
    after = {r["game_id"]: r for r in migrated_warehouse.query(f"SELECT * FROM {table}")}
    assert after["20250115_SAS_IND"]["loaded_at"] == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert after["20250115_SAS_IND"]["home_score"] == 123
    assert after["20250115_BOS_NYK"]["loaded_at"] == stamps["20250115_BOS_NYK"]


def test_insert_absent_never_updates(migrated_warehouse):
    table, keys = "nba_raw.nbac_schedule", ["game_id"]
    insert_absent(migrated_warehouse, table, [_schedule_row("20250115_SAS_IND", 1)], keys)
    counts = insert_absent(
        migrated_warehouse, table, [_schedule_row("20250115_SAS_IND", 3), _schedule_row("20250115_BOS_NYK", 1)], keys
    )
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 0, 1)
    statuses = migrated_warehouse.query(f"SELECT game_id, game_status FROM {table} ORDER BY game_id")
    assert statuses == [
        {"game_id": "20250115_BOS_NYK", "game_status": 1},
        {"game_id": "20250115_SAS_IND", "game_status": 1},
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{**_schedule_row("20250115_SAS_IND", 1), "surprise": 1}], "does not declare"),
        ([_schedule_row("20250115_SAS_IND", 1)] * 2, "appears twice"),
        ([{**_schedule_row("20250115_SAS_IND", 1), "season_type": None}], "REQUIRED"),
        ([{**_schedule_row("20250115_SAS_IND", 1), "game_status": "3"}], "does not fit INT64"),
    ],
    ids=["unknown_column", "duplicate_key", "required_null", "wrong_type"],
)
def test_merge_rows_refuses_rows_that_do_not_fit_before_writing(migrated_warehouse, rows, message):
    with pytest.raises(MergeError, match=message):
        merge_rows(migrated_warehouse, "nba_raw.nbac_schedule", rows, ["game_id"])
    assert migrated_warehouse.query("SELECT COUNT(*) AS n FROM nba_raw.nbac_schedule")[0]["n"] == 0
