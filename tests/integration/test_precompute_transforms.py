"""Phase 4 transforms on a tiny hand-built league, checked against hand-computed values.

Analysis date D = 2025-01-15. Six teams; on D: AAA @ BBB, CCC @ DDD, and EEE @ FFF postponed.
History: on each of the 20 days before D (day i = D - i, i = 1..20) every team plays once:
  i even: AAA @ BBB, CCC @ DDD;  i odd: AAA @ CCC, BBB @ DDD;  every day EEE @ FFF.
So each team has 20 scheduled games before D (expected window counts: min(15, 20) = 15 for teams,
min(10, 20) = 10 for players).

Rows dated D itself (a TDGS, TOGS and PGS row with absurd numbers) must be ignored: history is
strictly before the date. The schedule and phase 3 rows are inserted directly; the five transforms run
through the warehouse in the order TDZA -> PSZA -> PCF -> PDC -> MLFS.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from nba_pipeline import features as F
from nba_pipeline.guards.spec import ProcessorContext
from nba_pipeline.processors.transform import TRANSFORMS_DIR, run_sql_transform
from nba_pipeline.registry.processors import PRECOMPUTE, processor
from nba_pipeline.schema.migrations import apply_migrations
from nba_pipeline.schema.sqlfile import expand_includes
from nba_pipeline.warehouse.duckdb_backend import DuckDBWarehouse

D = dt.date(2025, 1, 15)
LOADED = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)
ORDER = (
    "team_defense_zone_analysis",
    "player_shot_zone_analysis",
    "player_composite_factors",
    "player_daily_cache",
    "ml_feature_store",
)
OUTPUT = {
    "team_defense_zone_analysis": ("nba_precompute.team_defense_zone_analysis", "analysis_date"),
    "player_shot_zone_analysis": ("nba_precompute.player_shot_zone_analysis", "analysis_date"),
    "player_composite_factors": ("nba_precompute.player_composite_factors", "analysis_date"),
    "player_daily_cache": ("nba_precompute.player_daily_cache", "analysis_date"),
    "ml_feature_store": ("nba_predictions.ml_feature_store_v2", "game_date"),
}
UPGC_PLAYERS = ("a_star", "a_b2b", "b_heavy", "b_rookie", "c_short", "d_shooter", "d_mid")


def approx(value: float) -> object:
    return pytest.approx(value, abs=1e-4)


# --------------------------------------------------------------------------- the league


def day(i: int) -> dt.date:
    return D - dt.timedelta(days=i)


def gid(date: dt.date, away: str, home: str) -> str:
    return f"{date:%Y%m%d}_{away}_{home}"


def pairings(i: int) -> list[tuple[str, str]]:
    """(away, home) games of history day i."""
    pairs = [("AAA", "BBB"), ("CCC", "DDD")] if i % 2 == 0 else [("AAA", "CCC"), ("BBB", "DDD")]
    return [*pairs, ("EEE", "FFF")]


def game_of(team: str, i: int) -> tuple[str, str]:
    """(game_id, opponent) of ``team`` on history day i."""
    for away, home in pairings(i):
        if team in (away, home):
            return gid(day(i), away, home), home if team == away else away
    raise KeyError(team)


def schedule_rows() -> list[dict]:
    rows = []

    def row(date, away, home, status, postponed=False):
        return {
            "game_id": gid(date, away, home), "nba_game_id": f"00224{len(rows):05d}", "game_date": date,
            "season_year": 2024, "season_type": "Regular Season", "game_status": status,
            "is_postponed": postponed, "home_team_abbr": home, "away_team_abbr": away, "loaded_at": LOADED,
        }

    for i in range(1, 21):
        for away, home in pairings(i):
            rows.append(row(day(i), away, home, 3))
    rows.append(row(D, "AAA", "BBB", 1))
    rows.append(row(D, "CCC", "DDD", 1))
    rows.append(row(D, "EEE", "FFF", 1, postponed=True))
    return rows


# Zone defense over the last 15 games (makes out of 20 paint, 10 mid-range, 20 three attempts per game),
# defensive_rating = base + i, opponent_pace constant. League (pooled over all windows):
#   paint (15*(12+9+9) + 12*10) / (57*20) = 570/1140 = 0.50
#   mid   (15*(4+5+3)  + 12*4)  / (57*10) = 228/570  = 0.40
#   three (15*(6+7+8)  + 12*7)  / (57*20) = 399/1140 = 0.35
TDGS_TEAMS = {
    #       paint mid three  rating base  opp pace  days with rows
    "AAA": (12, 4, 6, 100, 101.0, 20),
    "BBB": (9, 5, 7, 104, 99.0, 20),
    "CCC": (9, 3, 8, 102, 97.0, 20),
    "DDD": (10, 4, 7, 106, 103.0, 12),  # only its last 12 games are loaded
}


def tdgs_rows() -> list[dict]:
    rows = []
    for team, (paint, mid, three, base, pace, days) in TDGS_TEAMS.items():
        for i in range(1, days + 1):
            game_id, opponent = game_of(team, i)
            recent = i <= 15  # games 16..20 fall outside the window: absurd numbers
            rows.append({
                "game_id": game_id, "game_date": day(i), "defending_team_abbr": team,
                "opponent_team_abbr": opponent,
                "opp_paint_attempts": 20, "opp_paint_makes": paint if recent else 20,
                "opp_mid_range_attempts": 10, "opp_mid_range_makes": mid if recent else 10,
                "opp_three_pt_attempts": 20, "opp_three_pt_makes": three if recent else 20,
                "defensive_rating": float(base + i) if recent else 200.0,
                "opponent_pace": pace if recent else 150.0, "loaded_at": LOADED,
            })
    # a row dated D itself: not history
    rows.append({
        "game_id": gid(D, "AAA", "BBB"), "game_date": D, "defending_team_abbr": "AAA", "opponent_team_abbr": "BBB",
        "opp_paint_attempts": 20, "opp_paint_makes": 0, "opp_mid_range_attempts": 10, "opp_mid_range_makes": 0,
        "opp_three_pt_attempts": 20, "opp_three_pt_makes": 0, "defensive_rating": 0.0, "opponent_pace": 0.0,
        "loaded_at": LOADED,
    })
    return rows


# Team offense, last 10 games: pace constant (league = 600 / 6 = 100), offensive_rating = base + i
# (mean base + 5.5); games 11..20: pace 80, rating 200. Wins over the 20 season games.
TOGS_TEAMS = {
    "AAA": (114.0, 110, lambda i: i % 10 < 7),  # 14 of 20 -> 0.70
    "BBB": (106.0, 108, lambda i: i % 2 == 0),  # 10 of 20 -> 0.50
    "CCC": (96.0, 104, lambda i: i % 4 == 0),  # 5 of 20 -> 0.25
    "DDD": (100.0, 106, lambda i: i <= 15),  # 15 of 20 -> 0.75
    "EEE": (92.0, 100, lambda i: False),
    "FFF": (92.0, 100, lambda i: True),
}


def togs_rows() -> list[dict]:
    rows = []
    for team, (pace, base, wins) in TOGS_TEAMS.items():
        for i in range(1, 21):
            game_id, opponent = game_of(team, i)
            rows.append({
                "game_id": game_id, "game_date": day(i), "team_abbr": team, "opponent_team_abbr": opponent,
                "pace": pace if i <= 10 else 80.0,
                "offensive_rating": float(base + i) if i <= 10 else 200.0,
                "win_flag": wins(i), "loaded_at": LOADED,
            })
    rows.append({
        "game_id": gid(D, "AAA", "BBB"), "game_date": D, "team_abbr": "AAA", "opponent_team_abbr": "BBB",
        "pace": 300.0, "offensive_rating": 300.0, "win_flag": True, "loaded_at": LOADED,
    })
    return rows


def pgs(player, team, i, *, points, paint, mid, three, ft, minutes, usage, date=None, game_id=None,
        opponent=None, season=2024):
    """One player game; paint/mid/three/ft are (makes, attempts)."""
    if date is None:
        game_id, opponent = game_of(team, i)
        date = day(i)
    assert points == 2 * (paint[0] + mid[0]) + 3 * three[0] + ft[0], (player, i)
    return {
        "player_lookup": player, "game_id": game_id, "game_date": date, "team_abbr": team,
        "opponent_team_abbr": opponent, "season_year": season, "points": points, "minutes_played": minutes,
        "fg_attempts": paint[1] + mid[1] + three[1], "fg_makes": paint[0] + mid[0] + three[0],
        "paint_makes": paint[0], "paint_attempts": paint[1], "mid_range_makes": mid[0],
        "mid_range_attempts": mid[1], "three_pt_makes": three[0], "three_pt_attempts": three[1],
        "ft_makes": ft[0], "ft_attempts": ft[1], "usage_rate": usage, "loaded_at": LOADED,
    }


def pgs_rows() -> list[dict]:
    rows = []
    for i in range(1, 21):  # a_star: 20 games
        if i <= 5:
            rows.append(pgs("a_star", "AAA", i, points=30, paint=(8, 12), mid=(2, 4), three=(2, 5), ft=(4, 5),
                            minutes=36.0, usage=30.0))
        elif i <= 10:
            rows.append(pgs("a_star", "AAA", i, points=20, paint=(5, 10), mid=(1, 3), three=(2, 5), ft=(2, 3),
                            minutes=34.0, usage=26.0))
        else:
            rows.append(pgs("a_star", "AAA", i, points=10, paint=(2, 6), mid=(0, 2), three=(1, 4), ft=(3, 4),
                            minutes=30.0, usage=26.0))
    rows.append(pgs("a_star", "AAA", 0, points=99, paint=(30, 30), mid=(0, 0), three=(13, 13), ft=(0, 0),
                    minutes=48.0, usage=99.0, date=D, game_id=gid(D, "AAA", "BBB"), opponent="BBB"))
    for i in range(1, 11):
        rows.append(pgs("a_b2b", "AAA", i, points=15, paint=(3, 6), mid=(1, 3), three=(1, 3), ft=(4, 4),
                        minutes=32.0, usage=20.0))
    for i in range(1, 16):
        rows.append(pgs("b_heavy", "BBB", i, points=20, paint=(6, 10), mid=(1, 2), three=(1, 3), ft=(3, 4),
                        minutes=35.0, usage=24.0 if i <= 5 else 20.0))
    for i, (points, paint_makes) in enumerate([(16, 6), (14, 5), (12, 4), (10, 3)], start=1):
        rows.append(pgs("c_short", "CCC", i, points=points, paint=(paint_makes, 10), mid=(0, 1), three=(0, 2),
                        ft=(4, 5), minutes=25.0, usage=18.0))
    # ... and one game of the previous season (in his last-10 window, not in his season figures)
    rows.append(pgs("c_short", "CCC", 0, points=40, paint=(10, 15), mid=(0, 1), three=(4, 8), ft=(8, 10),
                    minutes=38.0, usage=18.0, date=dt.date(2024, 4, 10), game_id="20240410_CCC_EEE",
                    opponent="EEE", season=2023))
    for i in range(1, 11):
        rows.append(pgs("d_shooter", "DDD", i, points=25, paint=(2, 4), mid=(1, 3), three=(5, 10), ft=(4, 4),
                        minutes=33.0, usage=25.0))
    for i in range(1, 12):
        if i == 3:  # on the floor list but 0 minutes: not a game played
            rows.append(pgs("d_mid", "DDD", i, points=0, paint=(0, 0), mid=(0, 0), three=(0, 0), ft=(0, 0),
                            minutes=0.0, usage=None))
        else:
            rows.append(pgs("d_mid", "DDD", i, points=20, paint=(1, 2), mid=(6, 12), three=(1, 3), ft=(3, 3),
                            minutes=30.0, usage=22.0))
    return rows


def upgc_rows() -> list[dict]:
    today = {"AAA": ("BBB", False), "BBB": ("AAA", True), "CCC": ("DDD", False), "DDD": ("CCC", True)}
    players = [
        # player, team, days_rest, b2b, games 7d, minutes 7d, avg min 7d, L5, L10, status, line
        ("a_star", "AAA", 4, False, 3, 120.0, 36.0, 29.0, 24.0, "available", 27.5),
        ("a_b2b", "AAA", 1, True, 4, 250.0, 32.0, 15.0, 15.0, "probable", 14.5),
        ("b_heavy", "BBB", 2, False, 4, 230.0, 35.0, 20.0, 20.0, "available", 19.5),
        ("b_rookie", "BBB", None, False, 0, 0.0, None, None, None, "questionable", None),
        ("c_short", "CCC", 3, False, 2, 150.0, 25.0, 13.0, 13.0, "available", 12.5),
        ("d_shooter", "DDD", 2, False, 3, 245.0, 33.0, 25.0, 25.0, "doubtful", 24.5),
        ("d_mid", "DDD", 5, False, 2, 180.0, 30.0, 20.0, 20.0, "available", 19.5),
    ]
    rows = []
    for player, team, rest, b2b, games, minutes, avg, l5, l10, status, line in players:
        opponent, home = today[team]
        rows.append({
            "player_lookup": player, "game_id": gid(D, *((team, opponent) if not home else (opponent, team))),
            "game_date": D, "team_abbr": team, "opponent_team_abbr": opponent, "home_game": home,
            "back_to_back": b2b, "days_rest": rest, "games_in_last_7_days": games,
            "minutes_in_last_7_days": minutes, "avg_minutes_per_game_last_7": avg, "points_avg_last_5": l5,
            "points_avg_last_10": l10, "player_status": status, "current_points_line": line,
            "has_prop_line": line is not None, "loaded_at": LOADED,
        })
    return rows


def utgc_rows() -> list[dict]:
    teams = [("AAA", "BBB", False, 4), ("BBB", "AAA", True, 2), ("CCC", "DDD", False, 3), ("DDD", "CCC", True, 2)]
    return [
        {"team_abbr": team, "game_id": gid(D, *((team, opp) if not home else (opp, team))), "game_date": D,
         "opponent_team_abbr": opp, "home_game": home, "days_rest": rest, "back_to_back": False,
         "loaded_at": LOADED}
        for team, opp, home, rest in teams
    ]


def seed(wh) -> None:
    wh.insert_rows("nba_raw.nbac_schedule", schedule_rows())
    wh.insert_rows("nba_analytics.team_defense_game_summary", tdgs_rows())
    wh.insert_rows("nba_analytics.team_offense_game_summary", togs_rows())
    wh.insert_rows("nba_analytics.player_game_summary", pgs_rows())
    wh.insert_rows("nba_analytics.upcoming_player_game_context", upgc_rows())
    wh.insert_rows("nba_analytics.upcoming_team_game_context", utgc_rows())


def run(wh, name: str, date: dt.date = D):
    ctx = ProcessorContext(warehouse=wh, processor=processor(name), event_date=date, backfill=False,
                           run_id="test", dag_run_id="test", try_number=1)
    return run_sql_transform(ctx)


def rows_by(wh, name: str, key: str) -> dict[str, dict]:
    table, date_column = OUTPUT[name]
    rows = wh.query(f"SELECT * FROM {table} WHERE {date_column} = @d", {"d": D})
    return {r[key]: r for r in rows}


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    """The league, seeded and with the five transforms run once in order."""
    wh = DuckDBWarehouse(tmp_path_factory.mktemp("league") / "warehouse.duckdb", lock_wait_seconds=5)
    apply_migrations(wh)
    seed(wh)
    results = {name: run(wh, name) for name in ORDER}
    yield wh, results
    wh.close()


@pytest.fixture
def fresh_league(migrated_warehouse):
    seed(migrated_warehouse)
    for name in ORDER:
        run(migrated_warehouse, name)
    return migrated_warehouse


# --------------------------------------------------------------------------- row sets


def test_the_registry_runs_the_five_transforms_in_domain_order():
    assert tuple(spec.name for spec in PRECOMPUTE) == ORDER


def test_row_counts_follow_the_schedule_and_the_upcoming_players(league):
    wh, results = league
    assert set(rows_by(wh, "team_defense_zone_analysis", "team_abbr")) == {"AAA", "BBB", "CCC", "DDD"}
    assert results["team_defense_zone_analysis"].rows_inserted == 4  # 2 games x 2 teams; EEE @ FFF postponed
    for name in ORDER[1:]:
        key = "player_lookup"
        assert set(rows_by(wh, name, key)) == set(UPGC_PLAYERS), name
        assert results[name].rows_inserted == 7, name


# --------------------------------------------------------------------------- TDZA


def test_team_defense_zones_against_the_league(league):
    wh, _ = league
    t = rows_by(wh, "team_defense_zone_analysis", "team_abbr")
    aaa = t["AAA"]
    assert aaa["games_in_window"] == 15
    assert aaa["paint_pct_allowed"] == approx(0.60)  # 12/20
    assert aaa["mid_range_pct_allowed"] == approx(0.40)  # 4/10
    assert aaa["three_pt_pct_allowed"] == approx(0.30)  # 6/20
    assert aaa["paint_pct_vs_league"] == approx(10.0)  # 100 * (0.60 - 0.50)
    assert aaa["mid_range_pct_vs_league"] == approx(0.0)  # 100 * (0.40 - 0.40)
    assert aaa["three_pt_pct_vs_league"] == approx(-5.0)  # 100 * (0.30 - 0.35)
    assert (aaa["weakest_zone"], aaa["strongest_zone"]) == ("paint", "three")
    assert aaa["defensive_rating"] == approx(108.0)  # 100 + mean(1..15) = 100 + 8; games 16-20 (200) and D left out
    assert aaa["opponent_pace"] == approx(101.0)
    # BBB: paint 9/20 -> -5, mid 5/10 -> +10, three 7/20 -> 0
    assert (t["BBB"]["paint_pct_vs_league"], t["BBB"]["mid_range_pct_vs_league"]) == (approx(-5.0), approx(10.0))
    assert (t["BBB"]["weakest_zone"], t["BBB"]["strongest_zone"]) == ("mid_range", "paint")
    assert t["BBB"]["defensive_rating"] == approx(112.0)  # 104 + 8
    # CCC: paint -5, mid 3/10 -> -10, three 8/20 -> +5
    assert (t["CCC"]["weakest_zone"], t["CCC"]["strongest_zone"]) == ("three", "mid_range")
    assert t["CCC"]["three_pt_pct_vs_league"] == approx(5.0)


def test_team_defense_completeness_and_ties(league):
    wh, _ = league
    t = rows_by(wh, "team_defense_zone_analysis", "team_abbr")
    for team in ("AAA", "BBB", "CCC"):
        assert (t[team]["expected_games_count"], t[team]["actual_games_count"]) == (15, 15)
        assert t[team]["completeness_percentage"] == 100.0 and t[team]["is_production_ready"]
    ddd = t["DDD"]  # 20 scheduled games, only 12 loaded
    assert (ddd["expected_games_count"], ddd["actual_games_count"], ddd["missing_games_count"]) == (15, 12, 3)
    assert ddd["completeness_percentage"] == approx(80.0)  # 100 * 12 / 15
    assert ddd["is_production_ready"] is False
    assert ddd["processing_decision_reason"].startswith("incomplete_history: 12 of 15")
    assert ddd["defensive_rating"] == approx(112.5)  # 106 + mean(1..12) = 106 + 6.5
    # DDD allows exactly the league numbers: every gap 0, ties go to paint
    assert [ddd[c] for c in ("paint_pct_vs_league", "mid_range_pct_vs_league", "three_pt_pct_vs_league")] == [
        approx(0.0)] * 3
    assert (ddd["weakest_zone"], ddd["strongest_zone"]) == ("paint", "paint")


# --------------------------------------------------------------------------- PSZA


def test_player_shot_zones(league):
    wh, _ = league
    p = rows_by(wh, "player_shot_zone_analysis", "player_lookup")
    star = p["a_star"]
    assert (star["games_last_10"], star["games_last_20"]) == (10, 20)
    # last 10: 5 games of 30 points + 5 of 20 = 250 points
    assert star["pct_paint"] == approx(0.52)  # (5*16 + 5*10) / 250 = 130/250
    assert star["pct_mid_range"] == approx(0.12)  # (5*4 + 5*2) / 250 = 30/250
    assert star["pct_three"] == approx(0.24)  # (5*6 + 5*6) / 250 = 60/250
    assert star["pct_free_throw"] == approx(0.12)  # (5*4 + 5*2) / 250 = 30/250
    assert star["paint_fg_pct_last_10"] == approx(0.5909)  # (5*8 + 5*5) / (5*12 + 5*10) = 65/110
    assert star["mid_range_fg_pct_last_10"] == approx(0.4286)  # 15/35
    assert star["three_pt_fg_pct_last_10"] == approx(0.4)  # 20/50
    # last 20 attempts: paint 5*12 + 5*10 + 10*6 = 170, mid 20+15+20 = 55, three 25+25+40 = 90; FGA 315
    assert star["paint_rate_last_20"] == approx(0.5397)  # 170/315
    assert star["mid_range_rate_last_20"] == approx(0.1746)  # 55/315
    assert star["three_pt_rate_last_20"] == approx(0.2857)  # 90/315
    assert star["primary_scoring_zone"] == "paint"
    assert star["completeness_percentage"] == 100.0 and star["is_production_ready"]
    assert p["b_heavy"]["primary_scoring_zone"] == "paint"  # 12 of 20 points
    assert (p["d_shooter"]["primary_scoring_zone"], p["d_shooter"]["pct_three"]) == ("three", approx(0.6))  # 15/25
    assert (p["d_mid"]["primary_scoring_zone"], p["d_mid"]["pct_mid_range"]) == ("mid_range", approx(0.6))  # 12/20
    # c_short: 4 games this season + 1 last season = 92 points; paint 12+10+8+6+20 = 56
    short = p["c_short"]
    assert short["pct_paint"] == approx(0.6087)  # 56/92
    assert short["pct_three"] == approx(0.1304)  # 12/92
    assert short["pct_free_throw"] == approx(0.2609)  # (4*4 + 8)/92 = 24/92
    assert (short["expected_games_count"], short["actual_games_count"], short["missing_games_count"]) == (10, 5, 5)
    assert short["completeness_percentage"] == approx(50.0) and short["is_production_ready"] is False


def test_player_without_history_gets_a_row_of_nulls(league):
    wh, _ = league
    rookie = rows_by(wh, "player_shot_zone_analysis", "player_lookup")["b_rookie"]
    assert rookie["games_last_10"] == 0 and rookie["pct_paint"] is None and rookie["primary_scoring_zone"] is None
    assert (rookie["expected_games_count"], rookie["completeness_percentage"]) == (10, 0.0)
    assert rookie["is_production_ready"] is False
    assert rookie["processing_decision_reason"].startswith("no_history")


# --------------------------------------------------------------------------- PCF


def test_fatigue_cases(league):
    wh, _ = league
    p = rows_by(wh, "player_composite_factors", "player_lookup")
    assert p["a_star"]["fatigue_score"] == 90.0  # days_rest 4 (3 days off) +30, 120 min +10: 50+30+10
    assert p["a_b2b"]["fatigue_score"] == 0.0  # back-to-back -20, 250 min -20, penalty -15: -5 -> clamp 0
    assert p["b_heavy"]["fatigue_score"] == 40.0  # days_rest 2 (1 day off) 0, 230 min -10
    assert p["d_shooter"]["fatigue_score"] == 40.0  # 245 min is not > 245: -10
    assert p["c_short"]["fatigue_score"] == 65.0  # days_rest 3 (2 days off) +15, 150 min 0
    assert p["d_mid"]["fatigue_score"] == 80.0  # days_rest 5 +30, 180 min 0
    assert p["b_rookie"]["fatigue_score"] == 60.0  # no previous game 0, 0 min +10
    for player, row in p.items():
        upgc = next(u for u in upgc_rows() if u["player_lookup"] == player)
        assert row["fatigue_score"] == F.fatigue_score(
            upgc["days_rest"], upgc["minutes_in_last_7_days"], upgc["back_to_back"]), player


def test_zone_mismatch_pace_and_usage(league):
    wh, _ = league
    p = rows_by(wh, "player_composite_factors", "player_lookup")
    # a_star: paint (0.52) into BBB's strongest zone (paint, -5 pp): -(2 * 0.52 * 5)
    assert p["a_star"]["shot_zone_mismatch_score"] == approx(-5.2)
    assert p["a_b2b"]["shot_zone_mismatch_score"] == approx(-4.0)  # paint 6/15 = 0.4: -(2 * 0.4 * 5)
    # b_heavy: paint (0.6) into AAA's weakest zone (paint, +10 pp): 2 * 0.6 * 10 = 12 -> clamp 10
    assert p["b_heavy"]["shot_zone_mismatch_score"] == approx(10.0)
    # d_shooter: three (0.6) into CCC's weakest zone (three, +5): 2 * 0.6 * 5
    assert p["d_shooter"]["shot_zone_mismatch_score"] == approx(6.0)
    # d_mid: mid-range (0.6) into CCC's strongest zone (mid, -10): -12 -> clamp -10
    assert p["d_mid"]["shot_zone_mismatch_score"] == approx(-10.0)
    assert p["c_short"]["shot_zone_mismatch_score"] == approx(0.0)  # DDD's gaps are all 0
    assert p["b_rookie"]["shot_zone_mismatch_score"] is None  # no primary zone
    # pace: league 100; AAA-BBB (114 + 106) / 2 = 110 -> 10/3 -> clamp 3; CCC-DDD (96 + 100) / 2 = 98 -> -2/3
    assert p["a_star"]["pace_score"] == approx(3.0)
    assert p["b_rookie"]["pace_score"] == approx(3.0)
    assert p["c_short"]["pace_score"] == approx(-0.6667)
    # usage: a_star last 5 = 30, last 20 = (5*30 + 15*26) / 20 = 27 -> (30 - 27) / 2
    assert p["a_star"]["usage_spike_score"] == approx(1.5)
    # b_heavy: last 5 = 24, last 20 (15 games) = (5*24 + 10*20) / 15 = 21.3333 -> 1.3333
    assert p["b_heavy"]["usage_spike_score"] == approx(1.3333)
    assert p["d_mid"]["usage_spike_score"] == approx(0.0)
    assert p["b_rookie"]["usage_spike_score"] is None


def test_total_composite_adjustment(league):
    wh, _ = league
    p = rows_by(wh, "player_composite_factors", "player_lookup")
    expected = {
        "a_star": 7.3,  # (90-50)/5 - 5.2 + 3 + 1.5
        "a_b2b": -11.0,  # (0-50)/5 - 4 + 3 + 0
        "b_heavy": 12.3333,  # (40-50)/5 + 10 + 3 + 1.3333
        "b_rookie": 5.0,  # (60-50)/5 + 0 (none) + 3 + 0 (none)
        "c_short": 2.3333,  # (65-50)/5 + 0 - 0.6667 + 0
        "d_shooter": 3.3333,  # (40-50)/5 + 6 - 0.6667 + 0
        "d_mid": -4.6667,  # (80-50)/5 - 10 - 0.6667 + 0
    }
    for player, total in expected.items():
        row = p[player]
        assert row["total_composite_adjustment"] == approx(total), player
        assert row["total_composite_adjustment"] == approx(F.total_composite_adjustment(
            row["fatigue_score"], row["shot_zone_mismatch_score"], row["pace_score"], row["usage_spike_score"]))
    assert (p["a_star"]["team_abbr"], p["a_star"]["opponent_team_abbr"]) == ("AAA", "BBB")
    assert p["a_star"]["game_id"] == "20250115_AAA_BBB"
    assert "no zone matchup" in p["b_rookie"]["processing_decision_reason"]


# --------------------------------------------------------------------------- PDC


def test_player_daily_cache(league):
    wh, _ = league
    p = rows_by(wh, "player_daily_cache", "player_lookup")
    star = p["a_star"]
    assert star["points_avg_last_5"] == approx(30.0)
    assert star["points_avg_last_10"] == approx(25.0)  # (5*30 + 5*20) / 10
    assert star["points_avg_season"] == approx(17.5)  # (150 + 100 + 10*10) / 20; the game on D left out
    assert star["points_std_last_10"] == approx(5.2705)  # sqrt(10 * 5^2 / 9)
    assert star["minutes_avg_last_10"] == approx(35.0)  # (5*36 + 5*34) / 10
    assert star["usage_rate_last_10"] == approx(28.0)  # (5*30 + 5*26) / 10
    assert star["games_played_season"] == 20
    assert star["team_pace_last_10"] == approx(114.0)
    assert star["team_off_rating_last_10"] == approx(115.5)  # 110 + mean(1..10)
    short = p["c_short"]
    assert short["points_avg_last_5"] == approx(18.4)  # (16+14+12+10+40) / 5, last season's game included
    assert short["points_avg_last_10"] == approx(18.4)
    assert short["points_avg_season"] == approx(13.0)  # (16+14+12+10) / 4, this season only
    assert short["games_played_season"] == 4
    # deviations from 18.4: -2.4 -4.4 -6.4 -8.4 21.6 -> squares sum 603.2 -> / 4 = 150.8
    assert short["points_std_last_10"] == approx(12.2801)  # sqrt(150.8)
    assert short["completeness_percentage"] == approx(50.0)
    mid = p["d_mid"]  # the 0-minute game is not a game: ten games of 20 points
    assert (mid["points_avg_last_5"], mid["points_avg_last_10"], mid["games_played_season"]) == (
        approx(20.0), approx(20.0), 10)
    assert mid["points_std_last_10"] == approx(0.0)
    rookie = p["b_rookie"]
    assert rookie["points_avg_last_5"] is None and rookie["points_std_last_10"] is None
    assert rookie["games_played_season"] == 0
    assert rookie["team_pace_last_10"] == approx(106.0) and rookie["team_off_rating_last_10"] == approx(113.5)


# --------------------------------------------------------------------------- MLFS


def test_feature_vector_of_a_player_with_full_history(league):
    wh, _ = league
    star = rows_by(wh, "ml_feature_store", "player_lookup")["a_star"]
    assert list(star["feature_names"]) == list(F.FEATURE_NAMES)
    assert star["feature_count"] == 25 and star["feature_version"] == F.FEATURE_VERSION
    expected = {
        "points_avg_last_5": 30.0, "points_avg_last_10": 25.0, "points_avg_season": 17.5,
        "points_std_last_10": 5.2705, "games_in_last_7_days": 3.0, "fatigue_score": 90.0,
        "shot_zone_mismatch_score": -5.2, "pace_score": 3.0, "usage_spike_score": 1.5,
        "rest_advantage": 2.0,  # AAA days_rest 4 - BBB 2
        "injury_risk": 0.0,  # available
        "recent_trend": 5.0,  # 30 - 25
        "minutes_change": 3.5,  # 36 (last 7 days) - (5*36 + 5*34 + 10*30) / 20 = 36 - 32.5
        "opponent_def_rating": 112.0, "opponent_pace": 99.0,  # BBB's TDZA row
        "home_away": 0.0, "back_to_back": 0.0, "playoff_game": 0.0,
        "pct_paint": 0.52, "pct_mid_range": 0.12, "pct_three": 0.24, "pct_free_throw": 0.12,
        "team_pace": 114.0, "team_off_rating": 115.5,
        "team_win_pct": 0.7,  # 14 of 20
    }
    assert F.as_mapping(star["features"]) == {k: approx(v) for k, v in expected.items()}
    sources = dict(zip(star["feature_names"], star["feature_sources"], strict=True))
    assert {n for n, s in sources.items() if s == "phase3"} == {
        "games_in_last_7_days", "rest_advantage", "injury_risk", "minutes_change", "home_away", "back_to_back",
        "playoff_game", "team_win_pct"}
    assert {n for n, s in sources.items() if s == "phase4"} == {f.name for f in F.FEATURES if f.phase4}
    assert star["feature_quality_score"] == approx(92.0)  # (17*100 + 8*75) / 25
    assert star["feature_quality_score"] == approx(F.MAX_QUALITY_SCORE)
    assert list(star["missing_features"]) == []
    assert (star["opponent_team_abbr"], star["is_home"], star["days_rest"], star["current_points_line"]) == (
        "BBB", False, 4, 27.5)
    assert star["game_id"] == "20250115_AAA_BBB"
    assert star["is_production_ready"] and star["completeness_percentage"] == 100.0


def test_feature_vector_of_a_player_without_history(league):
    wh, _ = league
    rookie = rows_by(wh, "ml_feature_store", "player_lookup")["b_rookie"]
    missing = ["points_avg_last_5", "points_avg_last_10", "points_avg_season", "points_std_last_10",
               "shot_zone_mismatch_score", "usage_spike_score", "recent_trend", "minutes_change",
               "pct_paint", "pct_mid_range", "pct_three", "pct_free_throw"]
    assert list(rookie["missing_features"]) == missing
    values = F.as_mapping(rookie["features"])
    assert {n: values[n] for n in missing} == {n: F.FEATURE_DEFAULTS[n] for n in missing}
    assert values["fatigue_score"] == 60.0 and values["pace_score"] == approx(3.0)
    assert values["rest_advantage"] == -2.0  # BBB 2 - AAA 4
    assert values["injury_risk"] == 1.0  # questionable
    assert values["home_away"] == 1.0
    assert values["games_in_last_7_days"] == 0.0  # a phase 3 zero, not the default 3
    assert values["opponent_def_rating"] == approx(108.0) and values["opponent_pace"] == approx(101.0)  # AAA
    assert values["team_win_pct"] == approx(0.5)
    # 6 phase 4 (fatigue, pace, opponent x2, team x2), 7 phase 3, 12 defaults: (600 + 525 + 480) / 25
    assert rookie["feature_quality_score"] == approx(64.2)
    assert rookie["feature_quality_score"] < F.QUALITY_THRESHOLD
    assert rookie["feature_quality_score"] == approx(F.feature_quality_score(rookie["feature_sources"]))
    assert rookie["is_production_ready"] is False and rookie["actual_games_count"] == 0
    assert rookie["processing_decision_reason"].endswith("feature quality below 70")


def test_other_feature_values(league):
    wh, _ = league
    m = {p: F.as_mapping(r["features"]) for p, r in rows_by(wh, "ml_feature_store", "player_lookup").items()}
    assert m["a_b2b"]["back_to_back"] == 1.0 and m["a_b2b"]["fatigue_score"] == 0.0
    assert m["d_shooter"]["injury_risk"] == 2.0  # doubtful
    assert m["c_short"]["recent_trend"] == approx(0.0)  # 18.4 - 18.4
    assert m["c_short"]["minutes_change"] == approx(0.0)  # 25 - 25 (season: his 4 games of 25 minutes)
    assert m["c_short"]["opponent_def_rating"] == approx(112.5)  # DDD, 12 games
    assert m["c_short"]["rest_advantage"] == 1.0  # CCC 3 - DDD 2
    assert m["d_mid"]["team_win_pct"] == approx(0.75)
    assert m["c_short"]["team_win_pct"] == approx(0.25)


def test_phase3_fallbacks_when_phase4_rows_are_missing(fresh_league):
    wh = fresh_league
    wh.execute("DELETE FROM nba_precompute.player_daily_cache WHERE player_lookup = 'a_star'")
    wh.execute("DELETE FROM nba_precompute.team_defense_zone_analysis WHERE team_abbr = 'BBB'")
    run(wh, "ml_feature_store")
    star = rows_by(wh, "ml_feature_store", "player_lookup")["a_star"]
    values = F.as_mapping(star["features"])
    sources = dict(zip(star["feature_names"], star["feature_sources"], strict=True))
    fallen_back = {
        "points_avg_last_5": 29.0,  # UPGC
        "points_avg_last_10": 24.0,  # UPGC
        "points_avg_season": 17.5,  # player_game_summary
        "points_std_last_10": 5.2705,  # player_game_summary
        "recent_trend": 5.0,  # UPGC 29 - 24
        "opponent_def_rating": 112.0,  # BBB's last 15 games in team_defense_game_summary
        "opponent_pace": 99.0,
        "team_pace": 114.0,  # AAA's last 10 games in team_offense_game_summary
        "team_off_rating": 115.5,
    }
    for name, value in fallen_back.items():
        assert (values[name], sources[name]) == (approx(value), "phase3"), name
    # 8 phase 4, 17 phase 3: (800 + 1275) / 25
    assert star["feature_quality_score"] == approx(83.0)
    assert list(star["missing_features"]) == []


# --------------------------------------------------------------------------- contract and reruns


def _literal(node: exp.Expression) -> object:
    if isinstance(node, exp.PropertyEQ):
        node = node.expression
    if isinstance(node, exp.Cast):
        node = node.this
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this)
    return node.sql("bigquery")


def test_sql_feature_table_matches_the_python_contract():
    sql = expand_includes(TRANSFORMS_DIR / "ml_feature_store.sql")
    structs = list(sqlglot.parse_one(sql, read="bigquery").find_all(exp.Struct))
    table = [[_literal(e) for e in s.expressions] for s in structs]
    assert [row[0] for row in table] == [float(i) for i in range(1, 26)]
    assert tuple(row[1] for row in table) == F.FEATURE_NAMES
    assert {row[1]: row[4] for row in table} == F.FEATURE_DEFAULTS
    for (_, name, phase4, phase3, _), spec in zip(table, F.FEATURES, strict=True):
        assert (phase4 is not None, phase3 is not None) == (spec.phase4 is not None, spec.phase3 is not None), name
    assert f"'{F.FEATURE_VERSION}' AS feature_version" in sql


def test_rerun_with_the_same_inputs_changes_nothing(league):
    wh, _ = league
    before = {name: wh.query(f"SELECT * FROM {OUTPUT[name][0]}") for name in ORDER}
    for name in ORDER:
        result = run(wh, name)
        assert (result.rows_processed, result.rows_inserted, result.rows_updated) == (0, 0, 0), name
    for name in ORDER:
        assert wh.query(f"SELECT * FROM {OUTPUT[name][0]}") == before[name], name


def test_a_player_leaving_the_upcoming_context_loses_his_rows(fresh_league):
    wh = fresh_league
    wh.execute("DELETE FROM nba_analytics.upcoming_player_game_context WHERE player_lookup = 'd_mid'")
    for name in ORDER[1:]:
        run(wh, name)
        assert set(rows_by(wh, name, "player_lookup")) == set(UPGC_PLAYERS) - {"d_mid"}, name


def _key(name: str) -> str:
    return "team_abbr" if name == "team_defense_zone_analysis" else "player_lookup"


def _sorted(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: repr(sorted(r.items())))


def test_a_rerun_deletes_exactly_the_rows_that_left_its_date(fresh_league):
    """With rows for D and for the day before in every table, a rerun of D after upstream rows disappeared
    (a player leaves D's upcoming context; a game of D is postponed) deletes those rows of D alone: every
    other row of D and every row of the day before stay as they were, loaded_at included."""
    wh = fresh_league
    earlier = day(1)
    rows = []
    for row in upgc_rows():
        game_id, opponent = game_of(row["team_abbr"], 1)
        rows.append({**row, "game_id": game_id, "game_date": earlier, "opponent_team_abbr": opponent,
                     "home_game": game_id.endswith(row["team_abbr"])})
    wh.insert_rows("nba_analytics.upcoming_player_game_context", rows)
    for name in ORDER:
        run(wh, name, earlier)
    before = {name: wh.query(f"SELECT * FROM {OUTPUT[name][0]}") for name in ORDER}
    for name in ORDER:
        date_column = OUTPUT[name][1]
        assert {r[date_column] for r in before[name]} == {earlier, D}, name

    def without(name: str, date: dt.date, gone: set[str]) -> list[dict]:
        date_column = OUTPUT[name][1]
        return [r for r in before[name] if not (r[date_column] == date and r[_key(name)] in gone)]

    # d_mid leaves D's upcoming context: the four player tables lose his row of D, and nothing else
    wh.execute("DELETE FROM nba_analytics.upcoming_player_game_context WHERE player_lookup = 'd_mid' "
               "AND game_date = @d", {"d": D})
    for name in ORDER[1:]:
        assert run(wh, name).rows_processed == 1, name
        after = wh.query(f"SELECT * FROM {OUTPUT[name][0]}")
        assert _sorted(after) == _sorted(without(name, D, {"d_mid"})), name
    # CCC @ DDD on D is postponed: team_defense_zone_analysis loses CCC's and DDD's rows of D
    wh.execute("UPDATE nba_raw.nbac_schedule SET is_postponed = TRUE WHERE game_id = @g", {"g": gid(D, "CCC", "DDD")})
    assert run(wh, ORDER[0]).rows_processed == 2
    after = wh.query(f"SELECT * FROM {OUTPUT[ORDER[0]][0]}")
    assert _sorted(after) == _sorted(without(ORDER[0], D, {"CCC", "DDD"}))


@pytest.mark.parametrize("name", ORDER)
def test_each_transform_runs_on_an_empty_warehouse(migrated_warehouse, name):
    result = run(migrated_warehouse, name)
    assert (result.rows_processed, result.rows_inserted) == (0, 0)
    table, _ = OUTPUT[name]
    assert migrated_warehouse.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] == 0


def test_every_transform_file_is_a_single_merge():
    for name in ORDER:
        path: Path = TRANSFORMS_DIR / f"{name}.sql"
        statements = sqlglot.parse(expand_includes(path), read="bigquery")
        assert len([s for s in statements if s is not None]) == 1, name
        assert isinstance(statements[0], exp.Merge), name
