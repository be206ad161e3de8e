"""Phase 3 transforms (include/sql/transforms/*.sql) on the embedded warehouse, against a hand-built slate.

The slate, for game date D = 2025-01-15:

* game A ``20250115_BOS_NYK`` (final, NYK 110 - BOS 105): gamebook rows, and stray balldontlie rows
  that must be ignored because the gamebook has the game;
* game B ``20250115_LAL_DEN`` (final, DEN 99 - LAL 102): balldontlie rows only;
* game C ``20250115_SAS_PHX`` (scheduled, not final) and game P ``20250115_MIA_ORL`` (postponed);
* history games on the previous days (gamebook, one balldontlie-only), props, game lines, ESPN rosters
  and two injury reports.

Expected figures are computed by hand in the comments next to each literal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from nba_pipeline.processors.transform import transform_statements

pytestmark = pytest.mark.integration

D = dt.date(2025, 1, 15)
LOADED_AT = dt.datetime(2025, 1, 16, 9, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2025, 1, 16, 10, 0, tzinfo=dt.UTC)
RAW_LOADED = dt.datetime(2025, 1, 16, 8, 0, tzinfo=dt.UTC)

GAME_A = "20250115_BOS_NYK"
GAME_B = "20250115_LAL_DEN"
GAME_C = "20250115_SAS_PHX"
GAME_P = "20250115_MIA_ORL"

TRANSFORMS = {
    "player_game_summary": "nba_analytics.player_game_summary",
    "team_offense_game_summary": "nba_analytics.team_offense_game_summary",
    "team_defense_game_summary": "nba_analytics.team_defense_game_summary",
    "upcoming_player_game_context": "nba_analytics.upcoming_player_game_context",
    "upcoming_team_game_context": "nba_analytics.upcoming_team_game_context",
}
KEYS = {
    "player_game_summary": ("game_id", "player_lookup"),
    "team_offense_game_summary": ("game_id", "team_abbr"),
    "team_defense_game_summary": ("game_id", "defending_team_abbr"),
    "upcoming_player_game_context": ("game_id", "player_lookup"),
    "upcoming_team_game_context": ("game_id", "team_abbr"),
}


# --------------------------------------------------------------------------- slate builders


def _utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


def _game_id(day: dt.date, away: str, home: str) -> str:
    return f"{day:%Y%m%d}_{away}_{home}"


def schedule(day: dt.date, away: str, home: str, away_score: int | None = None, home_score: int | None = None,
             status: int = 3, postponed: bool = False) -> dict[str, Any]:
    return {
        "game_id": _game_id(day, away, home), "nba_game_id": f"00224{day:%m%d}{away[:1]}{home[:1]}",
        "game_date": day, "season_year": 2024, "season_type": "Regular Season", "game_status": status,
        "is_postponed": postponed, "home_team_abbr": home, "away_team_abbr": away,
        "home_score": home_score, "away_score": away_score,
        "start_time_utc": _utc(day + dt.timedelta(days=1), 0, 30),  # 19:30 ET
        "loaded_at": RAW_LOADED,
    }


def stats(minutes: float | None, points: int | None, fgm: int = 0, fga: int = 0, tpm: int = 0, tpa: int = 0,
          ftm: int = 0, fta: int = 0, oreb: int = 0, dreb: int = 0, ast: int = 0, stl: int = 0, blk: int = 0,
          tov: int = 0) -> dict[str, Any]:
    return {
        "minutes": minutes, "points": points, "fg_makes": fgm, "fg_attempts": fga, "three_pt_makes": tpm,
        "three_pt_attempts": tpa, "ft_makes": ftm, "ft_attempts": fta, "offensive_rebounds": oreb,
        "defensive_rebounds": dreb, "total_rebounds": oreb + dreb, "assists": ast, "steals": stl, "blocks": blk,
        "turnovers": tov,
    }


NO_STATS = {key: None for key in stats(None, None)}


def gamebook(game_id: str, player: str, team: str, line: dict[str, Any], status: str = "active",
             starter: bool | None = None, plus_minus: int | None = None) -> dict[str, Any]:
    day = dt.datetime.strptime(game_id[:8], "%Y%m%d").date()
    away, home = game_id[9:12], game_id[13:16]
    return {
        "game_id": game_id, "game_date": day, "season_year": 2024, "player_lookup": player,
        "player_name": player.title(), "universal_player_id": f"{player}_001", "team_abbr": team,
        "opponent_team_abbr": home if team == away else away, "home_game": team == home,
        "player_status": status, "starter": starter, "plus_minus": plus_minus, "loaded_at": RAW_LOADED,
        **(line if status == "active" else NO_STATS),
    }


def bdl(game_id: str, player: str, team: str, line: dict[str, Any]) -> dict[str, Any]:
    row = gamebook(game_id, player, team, line)
    for column in ("starter", "plus_minus"):
        row.pop(column)
    return row


def team_box(game_id: str, team: str, points: int, fgm: int, fga: int, tpm: int, tpa: int, ftm: int, fta: int,
             oreb: int, dreb: int, ast: int, tov: int) -> dict[str, Any]:
    away, home = game_id[9:12], game_id[13:16]
    return {
        "game_id": game_id, "game_date": D, "team_abbr": team, "opponent_team_abbr": home if team == away else away,
        "home_game": team == home, "minutes": 240.0, "points": points, "fg_makes": fgm, "fg_attempts": fga,
        "three_pt_makes": tpm, "three_pt_attempts": tpa, "ft_makes": ftm, "ft_attempts": fta,
        "offensive_rebounds": oreb, "defensive_rebounds": dreb, "total_rebounds": oreb + dreb, "assists": ast,
        "turnovers": tov, "loaded_at": RAW_LOADED,
    }


def zones(game_id: str, player: str, team: str, paint: tuple[int, int], mid: tuple[int, int]) -> dict[str, Any]:
    away, home = game_id[9:12], game_id[13:16]
    return {
        "game_id": game_id, "game_date": D, "player_lookup": player, "player_name": player.title(),
        "team_abbr": team, "opponent_team_abbr": home if team == away else away,
        "paint_makes": paint[0], "paint_attempts": paint[1], "mid_range_makes": mid[0], "mid_range_attempts": mid[1],
        "three_pt_makes": 0, "three_pt_attempts": 0, "loaded_at": RAW_LOADED,
    }


def prop(game_id: str, player: str, book: str, line: float, snapshot: dt.datetime) -> dict[str, Any]:
    return {
        "snapshot_time": snapshot, "game_id": game_id, "game_date": D, "bookmaker": book, "player_lookup": player,
        "player_name": player.title(), "points_line": line, "loaded_at": RAW_LOADED,
    }


def bettingpros(game_id: str, player: str, team: str, book: str, line: float, opening: float) -> dict[str, Any]:
    return {
        "game_id": game_id, "game_date": D, "bookmaker": book, "player_lookup": player, "player_name": player.title(),
        "team_abbr": team, "points_line": line, "opening_line": opening, "loaded_at": RAW_LOADED,
    }


def game_line(game_id: str, book: str, home_spread: float | None, total: float | None) -> dict[str, Any]:
    return {
        "game_id": game_id, "game_date": D, "bookmaker": book, "home_team_abbr": game_id[13:16],
        "away_team_abbr": game_id[9:12], "home_spread": home_spread, "total_points": total, "loaded_at": RAW_LOADED,
    }


def injury(report_time: dt.datetime, game_id: str, team: str, player: str, status: str) -> dict[str, Any]:
    return {
        "report_time": report_time, "game_id": game_id, "game_date": D, "team_abbr": team, "player_lookup": player,
        "player_name": player.title(), "injury_status": status, "loaded_at": RAW_LOADED,
    }


def roster(day: dt.date, team: str, player: str) -> dict[str, Any]:
    return {
        "roster_date": day, "season_year": 2024, "team_abbr": team, "player_lookup": player,
        "player_name": player.title(), "loaded_at": RAW_LOADED,
    }


def _day(offset: int) -> dt.date:
    return D + dt.timedelta(days=offset)


# history games (D-1 = 01-14, D-3 = 01-12, ...)
H_BOS_CHI = _game_id(_day(-1), "BOS", "CHI")  # BOS played yesterday
H_DEN_LAL = _game_id(_day(-2), "DEN", "LAL")
H_NYK_BOS = _game_id(_day(-3), "NYK", "BOS")
H_BOS_MIA = _game_id(_day(-6), "BOS", "MIA")  # balldontlie only
H_MIL_NYK = _game_id(_day(-8), "MIL", "NYK")
H_PHI_BOS = _game_id(_day(-10), "PHI", "BOS")
H_BOS_WAS = _game_id(_day(-26), "BOS", "WAS")
H_BOS_IND = _game_id(_day(-28), "BOS", "IND")


def slate() -> dict[str, list[dict[str, Any]]]:
    """Every raw row of the slate, by table."""
    older_report, latest_report = _utc(D, 17, 0), _utc(D, 22, 30)
    return {
        "nba_raw.nbac_schedule": [
            schedule(D, "BOS", "NYK", 105, 110),
            schedule(D, "LAL", "DEN", 102, 99),
            schedule(D, "SAS", "PHX", status=1),
            schedule(D, "MIA", "ORL", status=1, postponed=True),
            schedule(_day(-1), "BOS", "CHI", 100, 90),
            schedule(_day(-2), "DEN", "LAL", 100, 104),
            schedule(_day(-3), "NYK", "BOS", 101, 108),
            schedule(_day(-6), "BOS", "MIA", 99, 97),
            schedule(_day(-8), "MIL", "NYK", 95, 112),
            schedule(_day(-10), "PHI", "BOS", 92, 118),
            schedule(_day(-26), "BOS", "WAS", 121, 100),
            schedule(_day(-28), "BOS", "IND", 111, 115),
            schedule(_day(-40), "PHX", "UTA", 120, 101),  # beyond the 30 days of team rest
        ],
        "nba_raw.nbac_gamebook_player_stats": [
            # game A
            gamebook(GAME_A, "jaysontatum", "BOS", stats(36.0, 30, 11, 22, 4, 9, 4, 5, 1, 7, 5, 1, 0, 3), starter=True,
                     plus_minus=-3),
            gamebook(GAME_A, "paytonpritchard", "BOS", stats(24.0, 12, 4, 10, 2, 6, 2, 2, 0, 2, 3, 0, 0, 1),
                     starter=False, plus_minus=-2),
            gamebook(GAME_A, "kristapsporzingis", "BOS", {}, status="inactive"),
            gamebook(GAME_A, "lukekornet", "BOS", stats(0.0, 0), starter=False, plus_minus=0),  # active, 0 minutes
            gamebook(GAME_A, "jalenbrunson", "NYK", stats(38.0, 33, 12, 24, 3, 8, 6, 7, 0, 3, 8, 1, 0, 2),
                     starter=True, plus_minus=5),
            gamebook(GAME_A, "joshhart", "NYK", stats(34.0, 10, 4, 8, 0, 2, 2, 4, 3, 9, 6, 2, 1, 1), starter=True,
                     plus_minus=3),
            # history
            gamebook(H_BOS_CHI, "jaysontatum", "BOS", stats(35.0, 25)),
            gamebook(H_BOS_CHI, "paytonpritchard", "BOS", {}, status="dnp"),
            gamebook(H_BOS_CHI, "jrueholiday", "BOS", stats(30.0, 14)),
            gamebook(H_NYK_BOS, "jaysontatum", "BOS", stats(38.0, 32)),
            gamebook(H_NYK_BOS, "paytonpritchard", "BOS", stats(20.0, 8)),
            gamebook(H_NYK_BOS, "kristapsporzingis", "BOS", stats(28.0, 18)),
            gamebook(H_NYK_BOS, "lukekornet", "BOS", stats(0.0, 0)),  # active but did not play
            gamebook(H_NYK_BOS, "jalenbrunson", "NYK", stats(36.0, 30)),
            gamebook(H_NYK_BOS, "joshhart", "NYK", stats(30.0, 8)),
            gamebook(H_MIL_NYK, "jalenbrunson", "NYK", stats(37.0, 27)),
            gamebook(H_MIL_NYK, "joshhart", "NYK", stats(32.0, 12)),
            gamebook(H_PHI_BOS, "jaysontatum", "BOS", stats(40.0, 35)),
            gamebook(H_PHI_BOS, "paytonpritchard", "BOS", {}, status="inactive"),
            gamebook(H_BOS_WAS, "jaysontatum", "BOS", stats(30.0, 20)),
            gamebook(H_BOS_IND, "jaysontatum", "BOS", stats(33.0, 22)),
            gamebook(H_DEN_LAL, "lebronjames", "LAL", stats(34.0, 24)),
            gamebook(H_DEN_LAL, "nikolajokic", "DEN", stats(37.0, 29)),
        ],
        "nba_raw.bdl_player_boxscores": [
            # game A is in the gamebook: these rows must lose to it
            bdl(GAME_A, "jaysontatum", "BOS", stats(36.0, 99, 40, 40)),
            # game B: balldontlie only
            bdl(GAME_B, "lebronjames", "LAL", stats(35.0, 28, 10, 20, 2, 6, 6, 8, 1, 7, 9, 1, 1, 4)),
            bdl(GAME_B, "anthonydavis", "LAL", stats(37.0, 26, 11, 19, 0, 1, 4, 6, 4, 10, 2, 1, 3, 2)),
            bdl(GAME_B, "nikolajokic", "DEN", stats(36.0, 31, 12, 21, 1, 3, 6, 7, 3, 11, 10, 2, 1, 3)),
            bdl(GAME_B, "jamalmurray", "DEN", stats(34.0, 18, 7, 17, 3, 8, 1, 2, 0, 3, 5, 1, 0, 2)),
            # history: a balldontlie-only game
            bdl(H_BOS_MIA, "jaysontatum", "BOS", stats(36.0, 28)),
            bdl(H_BOS_MIA, "tylerherro", "MIA", stats(35.0, 24)),
        ],
        "nba_raw.nbac_team_boxscore": [
            team_box(GAME_A, "BOS", 105, 39, 88, 14, 38, 13, 17, 10, 33, 24, 13),
            team_box(GAME_A, "NYK", 110, 42, 85, 12, 30, 14, 18, 9, 35, 27, 12),
            team_box(GAME_B, "LAL", 102, 38, 86, 10, 31, 16, 20, 11, 34, 25, 14),
            team_box(GAME_B, "DEN", 99, 37, 84, 11, 33, 14, 19, 8, 36, 28, 11),
        ],
        "nba_raw.nbac_play_by_play": [
            zones(GAME_A, "jaysontatum", "BOS", paint=(5, 8), mid=(2, 5)),
            zones(GAME_A, "jalenbrunson", "NYK", paint=(6, 10), mid=(3, 6)),
            zones(GAME_A, "joshhart", "NYK", paint=(4, 6), mid=(0, 0)),
            zones(GAME_B, "nikolajokic", "DEN", paint=(8, 12), mid=(3, 6)),
        ],
        "nba_raw.odds_api_player_points_props": [
            # Tatum: DraftKings 27.5 -> 28.5 before tip-off (00:30 UTC), 31.5 live; FanDuel ignored
            prop(GAME_A, "jaysontatum", "draftkings", 27.5, _utc(D, 15)),
            prop(GAME_A, "jaysontatum", "draftkings", 28.5, _utc(D, 22)),
            prop(GAME_A, "jaysontatum", "draftkings", 31.5, _utc(_day(1), 1)),
            prop(GAME_A, "jaysontatum", "fanduel", 29.5, _utc(D, 22)),
            # Brunson: FanDuel 32.5 then 33.5; betmgm ignored
            prop(GAME_A, "jalenbrunson", "fanduel", 32.5, _utc(D, 16)),
            prop(GAME_A, "jalenbrunson", "fanduel", 33.5, _utc(D, 22)),
            prop(GAME_A, "jalenbrunson", "betmgm", 30.5, _utc(D, 22)),
            # Pritchard: two other books, betmgm sorts before williamhill_us
            prop(GAME_A, "paytonpritchard", "williamhill_us", 11.5, _utc(D, 22)),
            prop(GAME_A, "paytonpritchard", "betmgm", 10.5, _utc(D, 22)),
            prop(GAME_B, "lebronjames", "draftkings", 25.5, _utc(D, 22)),
        ],
        "nba_raw.bettingpros_player_points_props": [
            # Hart: BettingPros only
            bettingpros(GAME_A, "joshhart", "NYK", "draftkings", 11.5, 10.5),
            # Tatum also on BettingPros: the Odds API wins
            bettingpros(GAME_A, "jaysontatum", "BOS", "draftkings", 26.5, 25.5),
        ],
        "nba_raw.odds_api_game_lines": [
            game_line(GAME_A, "draftkings", -3.5, 224.5),
            game_line(GAME_A, "fanduel", -4.0, 225.5),
            # game B: no DraftKings; betmgm has the spread but no total
            game_line(GAME_B, "fanduel", -2.5, 230.5),
            game_line(GAME_B, "betmgm", -2.0, None),
        ],
        "nba_raw.nbac_injury_report": [
            injury(older_report, GAME_A, "BOS", "jaysontatum", "questionable"),  # an older report
            injury(older_report, GAME_A, "BOS", "kristapsporzingis", "out"),
            injury(latest_report, GAME_A, "BOS", "kristapsporzingis", "out"),  # the latest report
            injury(latest_report, GAME_A, "BOS", "jrueholiday", "doubtful"),
            injury(latest_report, GAME_A, "NYK", "jalenbrunson", "questionable"),
        ],
        "nba_raw.espn_team_rosters": [
            roster(_day(-5), "NYK", "cutplayer"),  # not on the latest NYK roster
            roster(_day(-5), "NYK", "jalenbrunson"),
            roster(_day(-1), "NYK", "jalenbrunson"),
            roster(_day(-1), "NYK", "joshhart"),
            roster(_day(-1), "NYK", "newplayer"),  # no box score yet: joins through the roster
            roster(_day(1), "NYK", "futureplayer"),  # after the game date
            roster(_day(-1), "LAL", "jaysontatum"),  # the box score's team wins over the roster
        ],
    }


def load_slate(warehouse, skip: dict[str, Any] | None = None) -> None:
    """Insert the slate; ``skip`` maps a table to a game_id whose rows are left out."""
    for table, rows in slate().items():
        if skip and table in skip:
            rows = [r for r in rows if r["game_id"] != skip[table]]
        warehouse.insert_rows(table, rows)


def run(warehouse, name: str, loaded_at: dt.datetime = LOADED_AT, game_date: dt.date = D) -> int:
    """Run one transform for ``game_date`` (D) the way the processor does; return the rows it changed."""
    params = {"target_date": game_date, "loaded_at": loaded_at}
    return sum(warehouse.execute(statement.sql, params) for statement in transform_statements(name))


def table(warehouse, name: str) -> dict[tuple, dict[str, Any]]:
    """The output table of a transform, keyed by its canonical key."""
    key = KEYS[name]
    return {tuple(row[k] for k in key): row for row in warehouse.query(f"SELECT * FROM {TRANSFORMS[name]}")}


@pytest.fixture
def loaded(migrated_warehouse):
    load_slate(migrated_warehouse)
    return migrated_warehouse


# --------------------------------------------------------------------------- tests


def test_every_transform_runs_on_an_empty_warehouse(migrated_warehouse):
    """Each SQL file translates and runs on DuckDB with every table empty, and writes nothing."""
    for name, output in TRANSFORMS.items():
        assert run(migrated_warehouse, name) == 0, name
        assert migrated_warehouse.query(f"SELECT COUNT(*) AS n FROM {output}") == [{"n": 0}]


def test_player_game_summary_sources_and_shooting_formulas(loaded):
    """Gamebook active rows for game A (its stray balldontlie row and inactive player ignored), balldontlie
    for game B; ts_pct, efg_pct, usage_rate, zones, starter and win flags as computed by hand."""
    assert run(loaded, "player_game_summary") == 9
    rows = table(loaded, "player_game_summary")
    assert sorted(p for _, p in rows) == sorted([
        "jaysontatum", "paytonpritchard", "lukekornet", "jalenbrunson", "joshhart",
        "lebronjames", "anthonydavis", "nikolajokic", "jamalmurray",
    ])  # kristapsporzingis was inactive; games C (not final) and P (postponed) have no rows

    tatum = rows[(GAME_A, "jaysontatum")]
    assert tatum["primary_source_used"] == "nbac_gamebook"
    assert tatum["points"] == 30  # not the balldontlie row's 99
    assert (tatum["season_year"], tatum["universal_player_id"]) == (2024, "jaysontatum_001")
    assert (tatum["team_abbr"], tatum["opponent_team_abbr"], tatum["home_game"]) == ("BOS", "NYK", False)
    assert tatum["ts_pct"] == pytest.approx(0.6198, abs=1e-4)  # 30 / (2 * (22 + 0.44*5)) = 30 / 48.4 = 0.61983
    assert tatum["efg_pct"] == pytest.approx(0.5909, abs=1e-4)  # (11 + 0.5*4) / 22 = 13 / 22 = 0.59091
    # BOS player rows: minutes 36 + 24 = 60, FGA 22 + 10 = 32, FTA 5 + 2 = 7, TOV 3 + 1 = 4
    # 100 * (22 + 0.44*5 + 3) * (60/5) / (36 * (32 + 0.44*7 + 4)) = 100 * 27.2 * 12 / (36 * 39.08) = 23.20027
    assert tatum["usage_rate"] == pytest.approx(23.2003, abs=1e-4)
    assert (tatum["paint_makes"], tatum["paint_attempts"], tatum["mid_range_makes"], tatum["mid_range_attempts"]) \
        == (5, 8, 2, 5)
    assert (tatum["starter_flag"], tatum["win_flag"], tatum["plus_minus"]) == (True, False, -3)  # NYK won 110-105

    brunson = rows[(GAME_A, "jalenbrunson")]
    assert brunson["ts_pct"] == pytest.approx(0.6093, abs=1e-4)  # 33 / (2 * (24 + 0.44*7)) = 33 / 54.16 = 0.60931
    assert brunson["efg_pct"] == pytest.approx(0.5625, abs=1e-4)  # (12 + 0.5*3) / 24 = 13.5 / 24
    # NYK: minutes 38 + 34 = 72, FGA 24 + 8 = 32, FTA 7 + 4 = 11, TOV 2 + 1 = 3
    # 100 * (24 + 0.44*7 + 2) * (72/5) / (38 * (32 + 0.44*11 + 3)) = 100 * 29.08 * 14.4 / (38 * 39.84) = 27.66011
    assert brunson["usage_rate"] == pytest.approx(27.6601, abs=1e-4)
    assert brunson["win_flag"] is True

    pritchard = rows[(GAME_A, "paytonpritchard")]
    assert pritchard["starter_flag"] is False
    assert pritchard["paint_attempts"] is None and pritchard["mid_range_makes"] is None  # no play-by-play row
    kornet = rows[(GAME_A, "lukekornet")]  # 0 minutes, 0 attempts: no ratio is defined
    assert (kornet["usage_rate"], kornet["ts_pct"], kornet["efg_pct"]) == (None, None, None)

    lebron = rows[(GAME_B, "lebronjames")]
    assert lebron["primary_source_used"] == "bdl_boxscores"
    assert lebron["ts_pct"] == pytest.approx(0.5952, abs=1e-4)  # 28 / (2 * (20 + 0.44*8)) = 28 / 47.04 = 0.59524
    assert lebron["efg_pct"] == pytest.approx(0.55, abs=1e-4)  # (10 + 0.5*2) / 20
    # LAL: minutes 35 + 37 = 72, FGA 20 + 19 = 39, FTA 8 + 6 = 14, TOV 4 + 2 = 6
    # 100 * (20 + 0.44*8 + 4) * (72/5) / (35 * (39 + 0.44*14 + 6)) = 100 * 27.52 * 14.4 / (35 * 51.16) = 22.13158
    assert lebron["usage_rate"] == pytest.approx(22.1316, abs=1e-4)
    assert (lebron["starter_flag"], lebron["plus_minus"], lebron["win_flag"]) == (None, None, True)  # LAL 102-99
    assert rows[(GAME_B, "nikolajokic")]["win_flag"] is False
    assert rows[(GAME_B, "nikolajokic")]["paint_makes"] == 8

    for row in rows.values():  # two final games on D, both with box scores
        assert (row["expected_games_count"], row["actual_games_count"], row["missing_games_count"]) == (2, 2, 0)
        assert (row["completeness_percentage"], row["is_production_ready"]) == (100.0, True)
        assert row["processing_decision_reason"] == "2 of 2 final games have player box scores"
        assert (row["game_date"], row["loaded_at"]) == (D, LOADED_AT)


def test_player_game_summary_line_priority_and_result(loaded):
    """DraftKings (its last pre-tip-off snapshot) beats FanDuel and BettingPros; FanDuel beats other books;
    other books go by key; BettingPros only when the Odds API lacks the player; OVER when points >= line."""
    run(loaded, "player_game_summary")
    rows = table(loaded, "player_game_summary")

    def line(game_id: str, player: str) -> tuple:
        r = rows[(game_id, player)]
        return r["points_line"], r["points_line_source"], r["over_under_result"], r["margin"]

    # DraftKings 28.5 at 22:00 UTC, not the live 31.5 after the 00:30 UTC tip-off; 30 - 28.5 = 1.5
    assert line(GAME_A, "jaysontatum") == (28.5, "draftkings", "OVER", 1.5)
    # FanDuel's latest 33.5 (betmgm's 30.5 ignored); 33 < 33.5, 33 - 33.5 = -0.5
    assert line(GAME_A, "jalenbrunson") == (33.5, "fanduel", "UNDER", -0.5)
    # betmgm 10.5 before williamhill_us 11.5; 12 - 10.5 = 1.5
    assert line(GAME_A, "paytonpritchard") == (10.5, "betmgm", "OVER", 1.5)
    # BettingPros only: 11.5; 10 - 11.5 = -1.5
    assert line(GAME_A, "joshhart") == (11.5, "bettingpros", "UNDER", -1.5)
    # 28 - 25.5 = 2.5
    assert line(GAME_B, "lebronjames") == (25.5, "draftkings", "OVER", 2.5)
    assert line(GAME_B, "nikolajokic") == (None, None, None, None)


def test_team_offense_possessions_rating_pace(loaded):
    """Possessions, offensive rating, pace, ts/efg, zone sums from play-by-play and win flags per team."""
    assert run(loaded, "team_offense_game_summary") == 4
    rows = table(loaded, "team_offense_game_summary")
    bos, nyk = rows[(GAME_A, "BOS")], rows[(GAME_A, "NYK")]
    assert bos["possessions"] == pytest.approx(98.48)  # 88 + 0.44*17 - 10 + 13
    assert nyk["possessions"] == pytest.approx(95.92)  # 85 + 0.44*18 - 9 + 12
    assert bos["offensive_rating"] == pytest.approx(106.6206, abs=1e-4)  # 100 * 105 / 98.48 = 106.62063
    assert nyk["offensive_rating"] == pytest.approx(114.6789, abs=1e-4)  # 100 * 110 / 95.92 = 114.67890
    assert bos["pace"] == pytest.approx(97.2) and nyk["pace"] == pytest.approx(97.2)  # (98.48 + 95.92) / 2
    assert bos["ts_pct"] == pytest.approx(0.5499, abs=1e-4)  # 105 / (2 * (88 + 0.44*17)) = 105 / 190.96 = 0.54985
    assert bos["efg_pct"] == pytest.approx(0.5227, abs=1e-4)  # (39 + 0.5*14) / 88 = 46 / 88 = 0.52273
    assert (bos["win_flag"], nyk["win_flag"], bos["home_game"], nyk["home_game"]) == (False, True, False, True)
    assert (bos["points_scored"], bos["turnovers"], bos["offensive_rebounds"]) == (105, 13, 10)
    assert (bos["paint_makes"], bos["paint_attempts"], bos["mid_range_makes"], bos["mid_range_attempts"]) \
        == (5, 8, 2, 5)  # Tatum alone
    assert (nyk["paint_makes"], nyk["paint_attempts"], nyk["mid_range_makes"], nyk["mid_range_attempts"]) \
        == (10, 16, 3, 6)  # Brunson 6/10 + Hart 4/6; 3/6 + 0/0

    lal, den = rows[(GAME_B, "LAL")], rows[(GAME_B, "DEN")]
    assert lal["possessions"] == pytest.approx(97.8)  # 86 + 0.44*20 - 11 + 14
    assert den["possessions"] == pytest.approx(95.36)  # 84 + 0.44*19 - 8 + 11
    assert lal["offensive_rating"] == pytest.approx(104.2945, abs=1e-4)  # 100 * 102 / 97.8 = 104.29448
    assert den["offensive_rating"] == pytest.approx(103.8171, abs=1e-4)  # 100 * 99 / 95.36 = 103.81711
    assert lal["pace"] == pytest.approx(96.58)  # (97.8 + 95.36) / 2
    assert (lal["win_flag"], den["win_flag"]) == (True, False)
    assert lal["paint_attempts"] is None  # no LAL play-by-play rows
    for row in rows.values():
        assert (row["expected_games_count"], row["actual_games_count"], row["is_production_ready"]) == (2, 2, True)


def test_team_defense_what_the_opponent_did(loaded):
    """Points allowed, opponent shooting and zones, turnovers forced, own defensive rebounds, opponent
    possessions, defensive rating and the game's pace, per defending team."""
    assert run(loaded, "team_defense_game_summary") == 4
    rows = table(loaded, "team_defense_game_summary")
    nyk = rows[(GAME_A, "NYK")]  # NYK defending against BOS
    assert (nyk["opponent_team_abbr"], nyk["points_allowed"]) == ("BOS", 105)
    assert (nyk["opp_fg_makes"], nyk["opp_fg_attempts"], nyk["opp_three_pt_makes"], nyk["opp_three_pt_attempts"],
            nyk["opp_ft_makes"], nyk["opp_ft_attempts"]) == (39, 88, 14, 38, 13, 17)
    assert (nyk["opp_paint_makes"], nyk["opp_paint_attempts"], nyk["opp_mid_range_makes"],
            nyk["opp_mid_range_attempts"]) == (5, 8, 2, 5)  # BOS play-by-play (Tatum)
    assert (nyk["turnovers_forced"], nyk["defensive_rebounds"]) == (13, 35)  # BOS TOV, NYK DREB
    assert nyk["opp_possessions"] == pytest.approx(98.48)  # 88 + 0.44*17 - 10 + 13
    assert nyk["defensive_rating"] == pytest.approx(106.6206, abs=1e-4)  # 100 * 105 / 98.48
    assert nyk["opponent_pace"] == pytest.approx(97.2)  # (95.92 + 98.48) / 2
    assert (nyk["home_game"], nyk["win_flag"]) == (True, True)

    bos = rows[(GAME_A, "BOS")]
    assert bos["points_allowed"] == 110
    assert bos["defensive_rating"] == pytest.approx(114.6789, abs=1e-4)  # 100 * 110 / 95.92
    assert (bos["opp_paint_makes"], bos["opp_paint_attempts"]) == (10, 16)
    assert (bos["home_game"], bos["win_flag"]) == (False, False)

    den = rows[(GAME_B, "DEN")]  # DEN defending against LAL, which has no play-by-play rows
    assert den["defensive_rating"] == pytest.approx(104.2945, abs=1e-4)  # 100 * 102 / 97.8
    assert den["opp_paint_attempts"] is None
    assert rows[(GAME_B, "LAL")]["defensive_rating"] == pytest.approx(103.8171, abs=1e-4)  # 100 * 99 / 95.36
    assert rows[(GAME_B, "LAL")]["opp_paint_makes"] == 8  # Jokic
    for row in rows.values():
        assert (row["expected_games_count"], row["actual_games_count"], row["completeness_percentage"]) == (2, 2, 100.0)


def test_upcoming_players_who_is_expected_and_status(loaded):
    """Box-score team first (any gamebook status; ESPN roster only without one), OUT excluded, doubtful and
    questionable kept with their status from the latest report, no rows for the postponed game."""
    assert run(loaded, "upcoming_player_game_context") == 9
    rows = table(loaded, "upcoming_player_game_context")
    assert {key: (r["team_abbr"], r["player_status"]) for key, r in rows.items()} == {
        (GAME_A, "jaysontatum"): ("BOS", "available"),  # questionable only in the older report; not on LAL
        (GAME_A, "paytonpritchard"): ("BOS", "available"),  # team from a dnp gamebook row
        (GAME_A, "jrueholiday"): ("BOS", "doubtful"),
        (GAME_A, "lukekornet"): ("BOS", "available"),
        (GAME_A, "jalenbrunson"): ("NYK", "questionable"),
        (GAME_A, "joshhart"): ("NYK", "available"),
        (GAME_A, "newplayer"): ("NYK", "available"),  # latest NYK roster; not cutplayer nor futureplayer
        (GAME_B, "lebronjames"): ("LAL", "available"),
        (GAME_B, "nikolajokic"): ("DEN", "available"),
    }  # kristapsporzingis is OUT; tylerherro's MIA game is postponed
    assert rows[(GAME_A, "jaysontatum")]["universal_player_id"] == "jaysontatum_001"
    assert rows[(GAME_A, "newplayer")]["universal_player_id"] is None
    assert (rows[(GAME_A, "jaysontatum")]["opponent_team_abbr"], rows[(GAME_A, "jaysontatum")]["home_game"]) \
        == ("NYK", False)


def test_upcoming_players_lines_spread_total(loaded):
    """Current line = latest snapshot of the first book by priority, opening = its earliest snapshot
    (BettingPros: its opening_line); spread from the player's side; total DraftKings first, else a book
    that has one."""
    run(loaded, "upcoming_player_game_context")
    rows = table(loaded, "upcoming_player_game_context")

    def lines(game_id: str, player: str) -> tuple:
        r = rows[(game_id, player)]
        return r["has_prop_line"], r["current_points_line"], r["opening_points_line"], r["line_source"]

    assert lines(GAME_A, "jaysontatum") == (True, 31.5, 27.5, "draftkings")  # latest and earliest DraftKings
    assert lines(GAME_A, "jalenbrunson") == (True, 33.5, 32.5, "fanduel")
    assert lines(GAME_A, "paytonpritchard") == (True, 10.5, 10.5, "betmgm")
    assert lines(GAME_A, "joshhart") == (True, 11.5, 10.5, "bettingpros")
    assert lines(GAME_A, "newplayer") == (False, None, None, None)

    tatum, brunson = rows[(GAME_A, "jaysontatum")], rows[(GAME_A, "jalenbrunson")]
    assert (tatum["game_spread"], brunson["game_spread"]) == (3.5, -3.5)  # DraftKings home_spread -3.5 (NYK home)
    assert tatum["game_total"] == 224.5  # DraftKings, not FanDuel's 225.5
    lebron, jokic = rows[(GAME_B, "lebronjames")], rows[(GAME_B, "nikolajokic")]
    # no DraftKings: spread from betmgm (first key with a spread), total from fanduel (betmgm has none)
    assert (lebron["game_spread"], jokic["game_spread"], lebron["game_total"]) == (2.0, -2.0, 230.5)


def test_upcoming_players_rest_and_recent_form(loaded):
    """days_rest from the player's last game, back_to_back from the team's schedule, games and minutes in the
    last 7 / 14 days (minutes > 0, balldontlie for the game the gamebook lacks), points averages last 5 / 10."""
    run(loaded, "upcoming_player_game_context")
    rows = table(loaded, "upcoming_player_game_context")

    tatum = rows[(GAME_A, "jaysontatum")]
    # played 01-14 (35 min, 25), 01-12 (38, 32), 01-09 balldontlie (36, 28), 01-05 (40, 35), 12-20 (30, 20),
    # 12-18 (33, 22)
    assert (tatum["days_rest"], tatum["back_to_back"]) == (1, True)
    assert (tatum["games_in_last_7_days"], tatum["games_in_last_14_days"]) == (3, 4)  # [01-08, 01-14], [01-01, ...]
    assert tatum["minutes_in_last_7_days"] == pytest.approx(109.0)  # 35 + 38 + 36
    assert tatum["minutes_in_last_14_days"] == pytest.approx(149.0)  # + 40
    assert tatum["avg_minutes_per_game_last_7"] == pytest.approx(36.3333, abs=1e-4)  # 109 / 3
    assert tatum["points_avg_last_5"] == pytest.approx(28.0)  # (25 + 32 + 28 + 35 + 20) / 5
    assert tatum["points_avg_last_10"] == pytest.approx(27.0)  # (140 + 22) / 6, only six games

    pritchard = rows[(GAME_A, "paytonpritchard")]
    # dnp on 01-14 (BOS played: back-to-back), last played 01-12 (20 min, 8 points)
    assert (pritchard["days_rest"], pritchard["back_to_back"]) == (3, True)
    assert (pritchard["games_in_last_7_days"], pritchard["minutes_in_last_7_days"]) == (1, 20.0)
    assert pritchard["avg_minutes_per_game_last_7"] == pytest.approx(20.0)
    assert (pritchard["points_avg_last_5"], pritchard["points_avg_last_10"]) == (8.0, 8.0)

    brunson = rows[(GAME_A, "jalenbrunson")]  # 01-12 (36, 30) and 01-07 (37, 27)
    assert (brunson["days_rest"], brunson["back_to_back"]) == (3, False)
    assert (brunson["games_in_last_7_days"], brunson["games_in_last_14_days"]) == (1, 2)
    assert brunson["minutes_in_last_14_days"] == pytest.approx(73.0)  # 36 + 37
    assert brunson["points_avg_last_5"] == pytest.approx(28.5)  # (30 + 27) / 2

    newcomer = rows[(GAME_A, "newplayer")]  # no games: no rest figure, no averages
    assert (newcomer["days_rest"], newcomer["back_to_back"], newcomer["games_in_last_7_days"]) == (None, False, 0)
    assert (newcomer["minutes_in_last_7_days"], newcomer["avg_minutes_per_game_last_7"]) == (0.0, None)
    assert newcomer["points_avg_last_5"] is None
    kornet = rows[(GAME_A, "lukekornet")]  # on the floor for 0 minutes on 01-12: not a game played
    assert (kornet["days_rest"], kornet["games_in_last_14_days"], kornet["points_avg_last_10"]) == (None, 0, None)
    assert (rows[(GAME_B, "lebronjames")]["days_rest"], rows[(GAME_B, "lebronjames")]["back_to_back"]) == (2, False)


def test_upcoming_players_completeness(loaded):
    """Expected = the team's scheduled games in the last 14 days; actual = those with a box-score row of the
    player (a dnp row counts; balldontlie lists only players who played)."""
    run(loaded, "upcoming_player_game_context")
    rows = table(loaded, "upcoming_player_game_context")

    def figures(game_id: str, player: str) -> tuple:
        r = rows[(game_id, player)]
        return (r["expected_games_count"], r["actual_games_count"], r["completeness_percentage"],
                r["missing_games_count"], r["is_production_ready"])

    # BOS games 01-05, 01-09, 01-12, 01-14: Tatum in all four
    assert figures(GAME_A, "jaysontatum") == (4, 4, 100.0, 0, True)
    # Pritchard: 01-14 dnp, 01-12, 01-05 inactive; not in the balldontlie-only 01-09 game: 3 / 4
    assert figures(GAME_A, "paytonpritchard") == (4, 3, 75.0, 1, False)
    assert figures(GAME_A, "newplayer") == (2, 0, 0.0, 2, False)  # NYK games 01-07 and 01-12
    assert rows[(GAME_A, "paytonpritchard")]["processing_decision_reason"] == (
        "3 of 4 team games in the last 14 days have a box-score row for the player"
    )


def test_upcoming_team_context(loaded):
    """Opponent, home/away, rest from the team's previous scheduled game (NULL beyond 30 days), back-to-back,
    spread from the team's side, total, and the sorted OUT / DOUBTFUL players of the latest report."""
    assert run(loaded, "upcoming_team_game_context") == 6  # games A, B, C; P is postponed
    rows = table(loaded, "upcoming_team_game_context")
    summary = {
        key: (r["opponent_team_abbr"], r["home_game"], r["days_rest"], r["back_to_back"], r["game_spread"],
              r["game_total"], r["injured_players_count"], list(r["injured_players"]))
        for key, r in rows.items()
    }
    assert summary == {
        (GAME_A, "BOS"): ("NYK", False, 1, True, 3.5, 224.5, 2, ["jrueholiday", "kristapsporzingis"]),
        (GAME_A, "NYK"): ("BOS", True, 3, False, -3.5, 224.5, 0, []),  # Brunson is only questionable
        (GAME_B, "LAL"): ("DEN", False, 2, False, 2.0, 230.5, 0, []),
        (GAME_B, "DEN"): ("LAL", True, 2, False, -2.0, 230.5, 0, []),
        (GAME_C, "SAS"): ("PHX", False, None, False, None, None, 0, []),  # no game in 30 days, no lines
        (GAME_C, "PHX"): ("SAS", True, None, False, None, None, 0, []),
    }


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_rerun_changes_nothing(loaded, name):
    """A second run with the same inputs changes no row: 0 rows affected, content and loaded_at identical."""
    first = run(loaded, name, LOADED_AT)
    assert first > 0
    before = table(loaded, name)
    assert run(loaded, name, LATER) == 0
    assert table(loaded, name) == before


def test_changed_input_updates_only_that_row(loaded):
    """When one box score changes, the rerun updates that player's row alone and stamps it with the new
    loaded_at."""
    run(loaded, "player_game_summary", LOADED_AT)
    loaded.execute(
        "UPDATE nba_raw.nbac_gamebook_player_stats SET points = 29 "
        "WHERE game_id = @game_id AND player_lookup = @player",
        {"game_id": GAME_A, "player": "jaysontatum"},
    )
    assert run(loaded, "player_game_summary", LATER) == 1
    rows = table(loaded, "player_game_summary")
    tatum = rows[(GAME_A, "jaysontatum")]
    assert (tatum["points"], tatum["over_under_result"], tatum["margin"], tatum["loaded_at"]) == (
        29, "OVER", 0.5, LATER)  # 29 >= 28.5
    assert {r["loaded_at"] for key, r in rows.items() if key != (GAME_A, "jaysontatum")} == {LOADED_AT}


def test_later_report_out_removes_player_and_lists_him_injured(loaded):
    """A newer injury report marking a player OUT deletes his upcoming row and adds him to his team's
    injured_players."""
    run(loaded, "upcoming_player_game_context")
    run(loaded, "upcoming_team_game_context")
    newest = _utc(D, 23, 0)
    loaded.insert_rows("nba_raw.nbac_injury_report", [
        injury(newest, GAME_A, "BOS", "jaysontatum", "out"),
        injury(newest, GAME_A, "BOS", "kristapsporzingis", "out"),
    ])  # jrueholiday is no longer listed: available
    # Tatum deleted; Holiday (was doubtful) and Brunson (was questionable) now available
    assert run(loaded, "upcoming_player_game_context", LATER) == 3
    players = table(loaded, "upcoming_player_game_context")
    assert (GAME_A, "jaysontatum") not in players
    assert players[(GAME_A, "jrueholiday")]["player_status"] == "available"
    assert (GAME_A, "kristapsporzingis") not in players
    assert run(loaded, "upcoming_team_game_context", LATER) == 1
    bos = table(loaded, "upcoming_team_game_context")[(GAME_A, "BOS")]
    assert (bos["injured_players_count"], list(bos["injured_players"])) == (2, ["jaysontatum", "kristapsporzingis"])


def test_a_rerun_deletes_exactly_the_rows_that_left_its_date(loaded):
    """With rows for D and for the day before, a rerun of D after game B was postponed deletes game B's
    upcoming rows alone: the other rows of D and the rows of the day before stay as they were, loaded_at
    included."""
    names = ("upcoming_player_game_context", "upcoming_team_game_context")
    for name in names:
        run(loaded, name, game_date=_day(-1))
        run(loaded, name)
    before = {name: table(loaded, name) for name in names}
    for name in names:
        assert {row["game_date"] for row in before[name].values()} == {_day(-1), D}, name
    loaded.execute("UPDATE nba_raw.nbac_schedule SET is_postponed = TRUE WHERE game_id = @g", {"g": GAME_B})
    # upcoming players: lebronjames and nikolajokic; upcoming teams: LAL and DEN
    for name in names:
        assert run(loaded, name, LATER) == 2, name
        assert table(loaded, name) == {key: row for key, row in before[name].items() if key[0] != GAME_B}, name


@pytest.mark.parametrize(
    ("name", "skip"),
    [
        ("player_game_summary", {"nba_raw.bdl_player_boxscores": GAME_B}),
        ("team_offense_game_summary", {"nba_raw.nbac_team_boxscore": GAME_B}),
        ("team_defense_game_summary", {"nba_raw.nbac_team_boxscore": GAME_B}),
    ],
)
def test_completeness_with_one_box_score_missing(migrated_warehouse, name, skip):
    """With game B's box score missing: expected 2 final games, actual 1, 50 %, not production-ready."""
    load_slate(migrated_warehouse, skip=skip)
    run(migrated_warehouse, name)
    rows = table(migrated_warehouse, name)
    assert rows and {key[0] for key in rows} == {GAME_A}
    for row in rows.values():
        assert (row["expected_games_count"], row["actual_games_count"], row["missing_games_count"]) == (2, 1, 1)
        assert (row["completeness_percentage"], row["is_production_ready"]) == (50.0, False)
