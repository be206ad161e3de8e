"""The simulated league: determinism, calendar, box-score arithmetic, lines, payload shapes, imperfections."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import nba_pipeline.sources.simulation.league as league_module
from nba_pipeline.sources.injury_report import read_report
from nba_pipeline.sources.simulation import (
    ALL_STAR_BREAK,
    BOX_SCORE_SOURCES,
    DUPLICATE_ROWS,
    ET,
    GAME_POSTPONED,
    IMPERFECTIONS,
    LATE_BOXSCORES,
    MIXED_GAME_ID,
    NEXT_SEASON_OPENER,
    OFF_DAYS,
    PLAYER_MISSING_FROM_BOOK,
    REGULAR_SEASON_END,
    SEASON_OPENER,
    SOURCES,
    TEAMS,
    SimulatedLeague,
    player_lookup_from_name,
)
from nba_pipeline.sources.simulation.nbacom_injuries import ReportNotPublishedError
from nba_pipeline.sources.simulation.nbacom_playbyplay import ZONE_OF_AREA as PLAY_BY_PLAY_ZONES
from nba_pipeline.sources.simulation.rosters import SIMULATED_PERSON_IDS

GAME_DAY = date(2025, 1, 15)
BUSY_DAYS = (
    SEASON_OPENER,
    date(2024, 12, 25),
    GAME_DAY,
    date(2025, 3, 7),
    date(2025, 4, 19),
    date(2025, 6, 5),
)
NO_GAME_DAYS = (date(2024, 11, 28), date(2024, 12, 24), date(2025, 2, 16), date(2025, 7, 15))
REAL_CODES = set(
    "ATL BOS BKN CHA CHI CLE DAL DEN DET GSW HOU IND LAC LAL MEM MIA MIL MIN NOP NYK "
    "OKC ORL PHI PHX POR SAC SAS TOR UTA WAS".split()
)
PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


@pytest.fixture(scope="module")
def league() -> SimulatedLeague:
    return SimulatedLeague(seed=2024)



def bp_offers(payload: dict[str, Any]) -> list[Any]:
    """Every offer of a stored BettingPros payload, across its pages."""
    return [offer for page in payload["offer_pages"] for offer in page["offers"]]

def load(league: SimulatedLeague, source: str, day: date, **kwargs: Any) -> Any:
    """The payload as a document; the injury report's PDF as its title time and its lines."""
    body = league.payload(source, day, **kwargs)
    if source == "nbac_injury_report":
        report = read_report(body)
        return {"reportTime": report.published, "rows": [line.cells for line in report.lines]}
    return json.loads(body)


def team_logs(league: SimulatedLeague, day: date, **kwargs: Any) -> list[dict[str, Any]]:
    """The rows of ``nbac_team_boxscore`` (stats.nba.com ``TeamGameLogs``) as dicts by header."""
    (logs,) = load(league, "nbac_team_boxscore", day, **kwargs)["resultSets"]
    return [dict(zip(logs["headers"], row, strict=True)) for row in logs["rowSet"]]


def shot_zones(league: SimulatedLeague, day: date, **kwargs: Any) -> dict[tuple[str, int], dict[str, int]]:
    """(NBA.com game id, personId) -> the zone counts of a player the live box score says played,
    counted from his game's play-by-play feed (each shot's ``area``), zeros without a shot."""
    document = load(league, "nbac_play_by_play", day, **kwargs)
    zones: dict[tuple[str, int], dict[str, int]] = {}
    for feed, box in zip(document["games"], document["boxscores"], strict=True):
        game_id = box["game"]["gameId"]
        assert feed["game"]["gameId"] == game_id
        for side in ("awayTeam", "homeTeam"):
            for player in box["game"][side]["players"]:
                if player["played"] == "1":
                    zones[(game_id, player["personId"])] = {
                        key: 0 for zone in _ZONE_KEYS.values() for key in (zone, zone.replace("FGA", "FGM"))
                    }
        for action in feed["game"]["actions"]:
            if action["actionType"] in ("2pt", "3pt"):
                counts = zones[(game_id, action["personId"])]
                zone = _ZONE_KEYS[PLAY_BY_PLAY_ZONES[action["area"]]]
                counts[zone] += 1
                counts[zone.replace("FGA", "FGM")] += action["shotResult"] == "Made"
    return zones


_ZONE_KEYS = {"paint": "PAINT_FGA", "mid_range": "MID_RANGE_FGA", "three_pt": "THREE_PT_FGA"}


def gamebook(league: SimulatedLeague, day: date, **kwargs: Any) -> dict[str, Any]:
    """``nbac_gamebook`` (the scoreboard and each final game's ``boxscoretraditionalv3``) as one flat
    row per listed player and game, away team first: stats by short key, ``status`` from ``comment``."""
    document = load(league, "nbac_gamebook", day, **kwargs)
    finals = [g for g in document["scoreboard"]["scoreboard"]["games"] if g["gameStatus"] == 3]
    games = []
    for final, box in zip(finals, document["games"], strict=True):
        body = box["boxScoreTraditional"]
        players = []
        for side in ("awayTeam", "homeTeam"):
            team = body[side]
            for player in team["players"]:
                stats, comment = player["statistics"], player["comment"]
                status = {"": "active", "DNP": "dnp"}.get(comment.split(" - ")[0], "inactive")
                row = {
                    "gameId": body["gameId"], "personId": player["personId"],
                    "name": f"{player['firstName']} {player['familyName']}", "teamTricode": team["teamTricode"],
                    "status": status, "starter": player["position"] != "",
                    "dnpReason": None if status == "active" else comment if status == "dnp" else comment[6:],
                    "minutes": stats["minutes"] or None,
                }  # fmt: skip
                for key, short in _SHORT_STATS:
                    row[short] = stats[key] if status == "active" else None
                players.append(row)
        games.append(
            {
                "gameId": body["gameId"], "gameCode": final["gameCode"],
                "homeTeam": {"teamTricode": body["homeTeam"]["teamTricode"],
                             "score": body["homeTeam"]["statistics"]["points"]},
                "awayTeam": {"teamTricode": body["awayTeam"]["teamTricode"],
                             "score": body["awayTeam"]["statistics"]["points"]},
                "players": players,
            }
        )  # fmt: skip
    return {"games": games}


_SHORT_STATS = (
    ("fieldGoalsMade", "fgm"), ("fieldGoalsAttempted", "fga"), ("threePointersMade", "fg3m"),
    ("threePointersAttempted", "fg3a"), ("freeThrowsMade", "ftm"), ("freeThrowsAttempted", "fta"),
    ("reboundsOffensive", "oreb"), ("reboundsDefensive", "dreb"), ("reboundsTotal", "reb"), ("assists", "ast"),
    ("steals", "stl"), ("blocks", "blk"), ("turnovers", "tov"), ("foulsPersonal", "pf"), ("points", "pts"),
    ("plusMinusPoints", "plusMinus"),
)  # fmt: skip


def regular_season(league: SimulatedLeague) -> list:
    return [g for g in league.all_games() if g.season == "2024-25" and g.season_type == "Regular Season"]


def points_of(row: dict[str, Any]) -> int:
    return 2 * (row["fgm"] - row["fg3m"]) + 3 * row["fg3m"] + row["ftm"]


# ------------------------------------------------------------------ determinism


def test_same_seed_gives_identical_bytes_in_any_generation_order(league: SimulatedLeague) -> None:
    fresh = SimulatedLeague(seed=2024)
    # The fresh instance renders the dates in reverse order: caches must not change a result.
    for day in reversed(BUSY_DAYS + NO_GAME_DAYS):
        for source in SOURCES:
            assert fresh.payload(source, day) == league.payload(source, day), (source, day)
    as_of = datetime(2025, 1, 15, 21, 0, tzinfo=ET)
    for source in SOURCES:
        first = fresh.payload(source, GAME_DAY, as_of=as_of, imperfections=IMPERFECTIONS)
        assert first == league.payload(source, GAME_DAY, as_of=as_of, imperfections=IMPERFECTIONS)


def test_another_seed_gives_another_league(league: SimulatedLeague) -> None:
    other = SimulatedLeague(seed=7)
    for source in SOURCES:
        assert other.payload(source, GAME_DAY) != league.payload(source, GAME_DAY), source
    assert {p.player_lookup for p in other.players} != {p.player_lookup for p in league.players}


def test_payloads_are_identical_across_processes_and_hash_seeds(league: SimulatedLeague) -> None:
    """Python's hash() is salted per process; nothing in a payload may depend on it."""
    script = (
        "import hashlib, sys\n"
        "from datetime import date\n"
        "from nba_pipeline.sources.simulation import SOURCES, SimulatedLeague\n"
        "league = SimulatedLeague(seed=2024)\n"
        "digest = hashlib.sha256()\n"
        "for source in SOURCES:\n"
        "    digest.update(league.payload(source, date(2025, 1, 15)))\n"
        "print(digest.hexdigest())\n"
    )
    expected = hashlib.sha256()
    for source in SOURCES:
        expected.update(league.payload(source, GAME_DAY))
    for hash_seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(PLUGINS)}
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, timeout=60
        )
        assert result.stdout.strip() == expected.hexdigest()


def test_payloads_are_compact_utf8_json_but_the_injury_reports_pdf(league: SimulatedLeague) -> None:
    assert league.payload("nbac_injury_report", GAME_DAY).startswith(b"%PDF-1.")
    for source in set(SOURCES) - {"nbac_injury_report"}:
        raw = league.payload(source, GAME_DAY)
        assert raw == json.dumps(json.loads(raw.decode("utf-8")), separators=(",", ":")).encode()


# ------------------------------------------------------------------ teams and players


def test_thirty_real_teams_with_full_names(league: SimulatedLeague) -> None:
    assert set(TEAMS) == REAL_CODES == set(league.teams)
    assert TEAMS["BOS"] == "Boston Celtics"
    assert TEAMS["LAC"] == "Los Angeles Clippers"
    assert len(set(TEAMS.values())) == 30


def test_about_450_players_with_unique_stable_keys(league: SimulatedLeague) -> None:
    players = league.players
    assert len(players) == 450
    assert all(len(league.roster(team)) == 15 for team in TEAMS)
    lookups = [p.player_lookup for p in players]
    assert len(set(lookups)) == 450
    assert all(re.fullmatch(r"[a-z]+", lookup) for lookup in lookups)
    assert all(p.player_lookup == player_lookup_from_name(p.full_name) for p in players)
    assert len({p.universal_player_id for p in players}) == 450
    assert len({p.person_id for p in players}) == 450
    assert all(p.person_id in SIMULATED_PERSON_IDS for p in players)
    sample = players[17]
    assert league.player_by_name(sample.full_name) is sample
    assert league.player_by_name(sample.report_name) is sample
    assert league.player_by_name("Nobody Atall") is None


def test_name_normalisation() -> None:
    assert player_lookup_from_name("De'Andre Fenwick") == "deandrefenwick"
    assert player_lookup_from_name("O'Dell Jr., Wendell") == "wendellodelljr"
    assert player_lookup_from_name("Javon Reed-Holloway") == "javonreedholloway"
    assert player_lookup_from_name("Mateo Petrović") == "mateopetrovic"


def test_scoring_profiles_are_plausible(league: SimulatedLeague) -> None:
    by_role: dict[str, list] = defaultdict(list)
    for player in league.players:
        profile = player.profile
        shares = (profile.paint_share, profile.mid_range_share, profile.three_share, profile.free_throw_share)
        assert sum(shares) == pytest.approx(1.0)
        assert all(share > 0 for share in shares)
        assert 0.25 < profile.three_pct < 0.45 and 0.3 < profile.mid_range_pct < 0.5
        assert 0.5 < profile.paint_pct < 0.7 and 0.55 < profile.free_throw_pct < 0.95
        by_role[profile.role].append(profile)
    assert 1 <= len(by_role["star"]) / 30 <= 2
    assert all(25 <= p.points_per_game <= 30 for p in by_role["star"])
    assert all(12 <= p.points_per_game <= 20 for p in by_role["starter"])
    assert all(p.points_per_game <= 10 for p in by_role["rotation"] + by_role["deep_bench"])
    assert all(27.5 <= p.mean_minutes <= 37.5 for p in by_role["star"] + by_role["starter"])
    assert all(p.mean_minutes < 12 for p in by_role["deep_bench"])
    assert all(p.usage_rate > q.usage_rate for p in by_role["star"] for q in by_role["deep_bench"])


# ------------------------------------------------------------------ calendar


def test_each_team_plays_82_regular_season_games_41_at_home(league: SimulatedLeague) -> None:
    games = regular_season(league)
    assert len(games) == 1230
    appearances = Counter(team for g in games for team in (g.away, g.home))
    home_games = Counter(g.home for g in games)
    assert set(appearances.values()) == {82}
    assert set(home_games.values()) == {41}
    assert min(g.game_date for g in games) == SEASON_OPENER
    assert max(g.game_date for g in games) == REGULAR_SEASON_END


def test_off_days_all_star_break_and_opener(league: SimulatedLeague) -> None:
    break_days = [ALL_STAR_BREAK[0] + timedelta(days=n) for n in range(6)]
    assert break_days[-1] == date(2025, 2, 19)
    for day in [*OFF_DAYS, *break_days, date(2024, 11, 28), date(2024, 12, 24), date(2024, 11, 5)]:
        assert not league.is_game_day(day) and league.games_on(day) == [], day
    opener = league.games_on(SEASON_OPENER)
    assert [(g.away, g.home) for g in opener] == [("NYK", "BOS"), ("MIN", "LAL")]
    assert not league.is_game_day(SEASON_OPENER - timedelta(days=1))


def test_offseason_lies_between_the_finals_and_the_next_opener(league: SimulatedLeague) -> None:
    dates = league.season_dates()
    assert list(dates) == sorted(dates)
    assert dates[0] == SEASON_OPENER and dates[-1] == NEXT_SEASON_OPENER
    last_of_season = max(d for d in dates if d < NEXT_SEASON_OPENER)
    assert date(2025, 5, 28) <= last_of_season <= date(2025, 6, 22)
    assert [d for d in dates if last_of_season < d < NEXT_SEASON_OPENER] == []
    assert not league.is_game_day(date(2025, 7, 15))
    assert len(league.games_on(NEXT_SEASON_OPENER)) >= 2
    assert league.is_offseason(date(2025, 7, 15))
    assert league.is_offseason(last_of_season + timedelta(days=1))
    assert not league.is_offseason(last_of_season)
    assert not league.is_offseason(GAME_DAY)
    assert not league.is_offseason(date(2024, 11, 28))  # an off-day, not the offseason


def test_daily_schedule_constraints(league: SimulatedLeague) -> None:
    games = league.all_games()
    days_by_team: dict[str, list[int]] = defaultdict(list)
    for game in games:
        for team in (game.away, game.home):
            days_by_team[team].append(game.game_date.toordinal())
    back_to_backs = 0
    for team, ordinals in days_by_team.items():
        ordinals.sort()
        assert len(ordinals) == len(set(ordinals)), f"{team} plays twice on one day"
        assert not any(c - a == 2 for a, c in zip(ordinals, ordinals[2:], strict=False)), f"{team} 3 in a row"
        back_to_backs += sum(1 for a, b in zip(ordinals, ordinals[1:], strict=False) if b - a == 1)
    assert back_to_backs > 100
    per_day = Counter(g.game_date for g in regular_season(league))
    assert min(per_day.values()) >= 2 and max(per_day.values()) <= 15
    playoff_days = Counter(g.game_date for g in games if g.season_type == "Playoffs")
    assert min(playoff_days) == date(2025, 4, 19) and max(playoff_days) <= date(2025, 6, 22)
    assert max(playoff_days.values()) <= 4


def test_playoff_series_end_at_four_wins(league: SimulatedLeague) -> None:
    series: dict[str, list] = defaultdict(list)
    for game in league.all_games():
        if game.season_type == "Playoffs":
            series[game.nba_game_id[:9]].append(game)
    assert len(series) == 15
    for games in series.values():
        games.sort(key=lambda g: g.series_game)
        assert [g.series_game for g in games] == list(range(1, len(games) + 1))
        wins = Counter(league.box_score(g).winner for g in games)
        assert sorted(wins.values(), reverse=True)[0] == 4
        assert max(wins, key=wins.__getitem__) == league.box_score(games[-1]).winner
    finals = series["004240040"]
    assert finals[0].game_label == "NBA Finals"


def test_game_ids_and_day_order(league: SimulatedLeague) -> None:
    for game in league.all_games():
        assert game.game_id == f"{game.game_date:%Y%m%d}_{game.away}_{game.home}"
        prefix = "00224" if game.season_type == "Regular Season" else "00424"
        if game.season == "2025-26":
            prefix = "00225"
        assert re.fullmatch(r"\d{10}", game.nba_game_id) and game.nba_game_id.startswith(prefix)
        assert game.start_time.astimezone(ET).date() == game.game_date
        assert game.start_time < game.end_time < game.final_time
        assert game.final_time <= datetime.combine(
            game.game_date + timedelta(days=1), datetime.min.time(), ET
        ) + timedelta(hours=4)
    assert len({g.nba_game_id for g in league.all_games()}) == len(league.all_games())
    day = league.games_on(GAME_DAY)
    assert day == sorted(day, key=lambda g: (g.start_time, g.nba_game_id))
    assert league.game(day[0].nba_game_id) == league.game(day[0].game_id) == day[0]


# ------------------------------------------------------------------ box scores


@pytest.mark.parametrize("day", [SEASON_OPENER, GAME_DAY, date(2025, 4, 19)])
def test_box_score_arithmetic(league: SimulatedLeague, day: date) -> None:
    book = gamebook(league, day)
    teams = {(row["GAME_ID"], row["TEAM_ABBREVIATION"]): row for row in team_logs(league, day)}
    zones = shot_zones(league, day)
    schedule = {g["gameId"]: g for g in load(league, "nbac_schedule", day)["leagueSchedule"]["gameDates"][0]["games"]}
    assert len(book["games"]) == len(league.games_on(day)) > 0
    for game in book["games"]:
        game_id = game["gameId"]
        scores = {}
        for side in ("homeTeam", "awayTeam"):
            tricode = game[side]["teamTricode"]
            rows = [r for r in game["players"] if r["teamTricode"] == tricode]
            played = [r for r in rows if r["status"] == "active"]
            assert len(played) >= 8
            for row in played:
                assert row["pts"] == points_of(row)
                assert 0 <= row["fgm"] <= row["fga"] and 0 <= row["fg3m"] <= row["fg3a"] <= row["fga"]
                assert 0 <= row["ftm"] <= row["fta"] and row["fg3m"] <= row["fgm"]
                assert row["reb"] == row["oreb"] + row["dreb"] and row["pf"] <= 6
                zone = zones[(game_id, row["personId"])]
                assert zone["PAINT_FGA"] + zone["MID_RANGE_FGA"] + zone["THREE_PT_FGA"] == row["fga"]
                assert zone["PAINT_FGM"] + zone["MID_RANGE_FGM"] + zone["THREE_PT_FGM"] == row["fgm"]
                assert (zone["THREE_PT_FGA"], zone["THREE_PT_FGM"]) == (row["fg3a"], row["fg3m"])
                assert zone["PAINT_FGM"] <= zone["PAINT_FGA"] and zone["MID_RANGE_FGM"] <= zone["MID_RANGE_FGA"]
            for row in rows:
                if row["status"] != "active":
                    assert row["minutes"] is None and row["pts"] is None and row["dnpReason"]
            seconds = sum(int(r["minutes"].split(":")[0]) * 60 + int(r["minutes"].split(":")[1]) for r in played)
            assert seconds == 240 * 60
            team_row = teams[(game_id, tricode)]
            for stat in ("pts", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "ast", "tov"):
                assert team_row[stat.upper()] == sum(r[stat] for r in played), stat
            assert team_row["PTS"] == game[side]["score"] == schedule[game_id][side]["score"]
            home, away = game["homeTeam"]["teamTricode"], game["awayTeam"]["teamTricode"]
            assert team_row["MATCHUP"] == (f"{home} vs. {away}" if side == "homeTeam" else f"{away} @ {home}")
            scores[tricode] = team_row["PTS"]
        home, away = game["homeTeam"]["teamTricode"], game["awayTeam"]["teamTricode"]
        assert scores[home] != scores[away]
        home_plus_minus = sum(
            r["plusMinus"] for r in game["players"] if r["teamTricode"] == home and r["plusMinus"] is not None
        )
        assert home_plus_minus == 5 * (scores[home] - scores[away])


def test_team_scores_are_basketball_scores(league: SimulatedLeague) -> None:
    scores = [league.box_score(g).points(team) for g in regular_season(league)[:300] for team in (g.away, g.home)]
    mean = sum(scores) / len(scores)
    assert 105 <= mean <= 128
    assert 60 <= min(scores) and max(scores) <= 180


def test_gamebook_and_balldontlie_agree(league: SimulatedLeague) -> None:
    by_name = {
        (g["gameCode"][:8], r["name"]): r
        for g in gamebook(league, GAME_DAY)["games"]
        for r in g["players"]
        if r["status"] == "active"
    }
    rows = load(league, "bdl_boxscores", GAME_DAY)["data"]
    assert len(rows) == len(by_name) > 100
    for row in rows:
        book = by_name[
            (
                row["game"]["date"].replace("-", ""),
                f"{row['player']['first_name']} {row['player']['last_name']}",
            )
        ]
        assert (row["pts"], row["fga"], row["fg3m"], row["ftm"], row["turnover"]) == (
            book["pts"], book["fga"], book["fg3m"], book["ftm"], book["tov"],
        )  # fmt: skip
        assert row["min"] == book["minutes"].split(":")[0]


def test_out_players_do_not_play_and_injuries_last(league: SimulatedLeague) -> None:
    checked = 0
    out_days: Counter[str] = Counter()
    for day in [GAME_DAY + timedelta(days=n) for n in range(12)]:
        statuses = {}
        for game in gamebook(league, day)["games"]:
            for row in game["players"]:
                statuses[player_lookup_from_name(row["name"])] = row
        for row in load(league, "nbac_injury_report", day)["rows"]:
            lookup = player_lookup_from_name(row["playerName"])
            if row["currentStatus"] in ("Out", "Doubtful"):
                assert statuses[lookup]["status"] == "inactive"
                assert statuses[lookup]["dnpReason"] == row["reason"]
                out_days[lookup] += 1
                checked += 1
    assert checked > 50
    assert max(out_days.values()) >= 5  # an injured player stays out for a spell, not a day


# ------------------------------------------------------------------ lines


def test_prop_lines_sit_near_expected_points(league: SimulatedLeague) -> None:
    lines = league.prop_lines(GAME_DAY)
    by_player: dict[str, list] = defaultdict(list)
    for line in lines:
        by_player[line.player_lookup].append(line)
        assert line.current_line % 1 == 0.5 and line.opening_line % 1 == 0.5
    gaps = []
    for lookup, player_lines in by_player.items():
        expected = league.expected_points(lookup, GAME_DAY)
        assert expected is not None
        assert {line.book for line in player_lines} == {"draftkings", "fanduel", "betmgm", "williamhill_us"}
        current = [line.current_line for line in player_lines]
        assert max(current) - min(current) <= 1
        gaps += [abs(c - expected) for c in current]
    assert max(gaps) <= 4 and sum(gaps) / len(gaps) <= 1.5
    out = {e.player_lookup for e in league.injury_report(GAME_DAY) if e.status in ("Out", "Doubtful")}
    assert out and not out & set(by_player)


def test_bettingpros_covers_players_the_odds_api_lacks(league: SimulatedLeague) -> None:
    odds = load(league, "odds_api_player_points_props", GAME_DAY)
    odds_names = {
        o["description"]
        for a in odds["events"]
        for b in a["data"]["bookmakers"]
        for m in b["markets"]
        for o in m["outcomes"]
    }
    bettingpros = load(league, "bettingpros_player_props", GAME_DAY)
    bp_names = {offer["participants"][0]["name"] for offer in bp_offers(bettingpros)}
    assert odds_names and odds_names < bp_names
    assert len(bp_names - odds_names) >= 10
    event_ids = {event["id"] for event in bettingpros["events"]["events"]}
    assert {offer["event_id"] for offer in bp_offers(bettingpros)} <= event_ids
    pages = bettingpros["offer_pages"]  # the real API's pages of 10, as served
    assert [p["_pagination"]["page"] for p in pages] == list(range(1, len(pages) + 1))
    assert {p["_pagination"]["total_pages"] for p in pages} == {len(pages)} and len(pages) > 1
    assert all(len(p["offers"]) == 10 for p in pages[:-1]) and 1 <= len(pages[-1]["offers"]) <= 10
    assert {p["_parameters"]["event_id"] for p in pages} == {":".join(map(str, sorted(event_ids)))}


def test_game_lines_favour_the_stronger_side(league: SimulatedLeague) -> None:
    payload = load(league, "odds_api_game_lines", GAME_DAY)
    assert len(payload["data"]) == len(league.games_on(GAME_DAY))
    for event in payload["data"]:
        assert [b["key"] for b in event["bookmakers"]] == [
            "draftkings",
            "fanduel",
            "betmgm",
            "williamhill_us",
        ]
        for book in event["bookmakers"]:
            markets = {m["key"]: m["outcomes"] for m in book["markets"]}
            home_spread = markets["spreads"][0]["point"]
            assert markets["spreads"][0]["name"] == event["home_team"]
            assert markets["spreads"][1]["point"] == -home_spread
            home_price, away_price = (o["price"] for o in markets["h2h"])
            if home_spread < -1:
                assert home_price < 0 < away_price
            assert 180 <= markets["totals"][0]["point"] <= 280


# ------------------------------------------------------------------ as_of


def test_as_of_controls_status_box_scores_and_lines(league: SimulatedLeague) -> None:
    games = league.games_on(GAME_DAY)
    morning = datetime(2025, 1, 15, 8, 0, tzinfo=ET)
    schedule = load(league, "nbac_schedule", GAME_DAY, as_of=morning)["leagueSchedule"]["gameDates"][0]["games"]
    assert {g["gameStatus"] for g in schedule} == {1}
    assert all(g["homeTeam"]["score"] == 0 for g in schedule)
    for source in BOX_SCORE_SOURCES - {"nbac_team_boxscore"}:
        payload = load(league, source, GAME_DAY, as_of=morning)
        assert not payload.get("games", payload.get("data")), source
    assert load(league, "nbac_play_by_play", GAME_DAY, as_of=morning)["boxscores"] == []
    assert load(league, "nbac_team_boxscore", GAME_DAY, as_of=morning)["resultSets"][0]["rowSet"] == []
    props = load(league, "odds_api_player_points_props", GAME_DAY, as_of=morning)
    assert len(props["events"]) == len(games) and all(a["data"]["bookmakers"] == [] for a in props["events"])
    assert bp_offers(load(league, "bettingpros_player_props", GAME_DAY, as_of=morning)) == []
    early = datetime(2025, 1, 14, 12, 0, tzinfo=ET)
    with pytest.raises(ReportNotPublishedError, match="no injury report for 2025-01-15 is published by 2025-01-14T12"):
        league.payload("nbac_injury_report", GAME_DAY, as_of=early)

    live = games[0].start_time + timedelta(minutes=30)
    live_schedule = load(league, "nbac_schedule", GAME_DAY, as_of=live)["leagueSchedule"]["gameDates"][0]["games"]
    assert live_schedule[0]["gameStatus"] == 2
    assert 0 < live_schedule[0]["homeTeam"]["score"] < league.box_score(games[0]).points(games[0].home)

    # Late at night some games are final, the late ones are not yet: their box scores are absent.
    first_final = min(g.final_time for g in games)
    last_final = max(g.final_time for g in games)
    assert first_final < last_final
    midway = gamebook(league, GAME_DAY, as_of=first_final)
    assert 0 < len(midway["games"]) < len(games)
    naive_et, aware_utc = datetime(2025, 1, 15, 23, 0), datetime(2025, 1, 16, 4, 0, tzinfo=UTC)
    assert league.payload("nbac_gamebook", GAME_DAY, as_of=naive_et) == league.payload(
        "nbac_gamebook", GAME_DAY, as_of=aware_utc
    )
    settled = gamebook(league, GAME_DAY, as_of=datetime(2025, 1, 16, 4, 0, tzinfo=ET))
    assert len(settled["games"]) == len(games)
    assert league.payload("nbac_gamebook", GAME_DAY) == league.payload(
        "nbac_gamebook", GAME_DAY, as_of=datetime(2025, 1, 16, 6, 0, tzinfo=ET)
    )

    opening = load(league, "bettingpros_player_props", GAME_DAY, as_of=datetime(2025, 1, 15, 10, 0, tzinfo=ET))
    current = load(league, "bettingpros_player_props", GAME_DAY)
    def book_lines(payload: dict[str, Any], n: int) -> list[float]:
        return [b["lines"][n]["line"] for o in bp_offers(payload) for s in o["selections"] for b in s["books"]]

    opening_lines = book_lines(opening, 0)  # at 10:00 a book has one line, its opening
    assert opening_lines == book_lines(opening, -1) and opening_lines == book_lines(current, -1)
    assert opening_lines != book_lines(current, 0)  # the next morning: the moved line first


def test_days_without_games_give_valid_empty_payloads(league: SimulatedLeague) -> None:
    for day in NO_GAME_DAYS:
        assert load(league, "nbac_schedule", day)["leagueSchedule"]["gameDates"] == []
        assert gamebook(league, day)["games"] == []
        assert team_logs(league, day) == []
        assert all(load(league, "nbac_play_by_play", day)[key] == [] for key in ("games", "boxscores"))
        assert load(league, "nbac_injury_report", day)["rows"] == []
        assert load(league, "bdl_boxscores", day)["data"] == []
        for source in ("odds_api_events", "odds_api_game_lines"):
            assert load(league, source, day)["data"] == []
        assert load(league, "odds_api_player_points_props", day)["events"] == []  # no event, no request
        assert load(league, "bettingpros_player_props", day)["offer_pages"] == []  # no event, no offers request
        assert len(load(league, "espn_rosters", day)["teams"]) == 30


def test_odds_api_times_are_utc_and_names_are_full_names(league: SimulatedLeague) -> None:
    events = load(league, "odds_api_events", GAME_DAY)["data"]
    for event, game in zip(events, league.games_on(GAME_DAY), strict=True):
        assert event["home_team"] == TEAMS[game.home] and event["away_team"] == TEAMS[game.away]
        commence = datetime.fromisoformat(event["commence_time"].replace("Z", "+00:00"))
        assert commence == game.start_time
        assert event["sport_key"] == "basketball_nba" and re.fullmatch(r"[0-9a-f]{32}", event["id"])


def test_odds_api_snapshots_every_five_minutes_and_quotes_none_newer(league: SimulatedLeague) -> None:
    # DraftKings posts at 09:05 ET, FanDuel at 09:12: a request at 09:14:30 gets the 09:10 snapshot
    moment = datetime(2025, 1, 15, 9, 14, 30, tzinfo=ET)
    answers = load(league, "odds_api_player_points_props", GAME_DAY, as_of=moment)["events"]
    assert answers and all(isinstance(answer["data"], dict) for answer in answers), "per event: data is one event"
    lists = [load(league, s, GAME_DAY, as_of=moment) for s in ("odds_api_events", "odds_api_game_lines")]
    documents = [*lists, *answers]
    for document in documents:
        assert list(document) == ["timestamp", "previous_timestamp", "next_timestamp", "data"]
        assert (document["previous_timestamp"], document["timestamp"], document["next_timestamp"]) == (
            "2025-01-15T14:05:00Z", "2025-01-15T14:10:00Z", "2025-01-15T14:15:00Z"
        )
    updates = {book["key"]: book["last_update"] for answer in answers for book in answer["data"]["bookmakers"]}
    assert updates == {"draftkings": "2025-01-15T14:05:00Z"}, "FanDuel's 09:12 post is not in the 09:10 snapshot"


# ------------------------------------------------------------------ imperfections


def test_late_boxscores_drop_different_games_per_source_family(league: SimulatedLeague) -> None:
    games = league.games_on(GAME_DAY)
    late = frozenset({LATE_BOXSCORES})
    nbac_ids = [g["gameId"] for g in gamebook(league, GAME_DAY, imperfections=late)["games"]]
    assert nbac_ids == [g.nba_game_id for i, g in enumerate(games) if i % 3 != 0]
    board = load(league, "nbac_gamebook", GAME_DAY, imperfections=late)["scoreboard"]["scoreboard"]["games"]
    assert [g["gameStatus"] for g in board] == [2 if i % 3 == 0 else 3 for i in range(len(games))]
    assert {g["gameStatusText"] for g in board if g["gameStatus"] == 2} == {"Q4 0:00"}, "over, not yet final"
    team_ids = {r["GAME_ID"] for r in team_logs(league, GAME_DAY, imperfections=late)}
    assert team_ids == set(nbac_ids)
    play_by_play = load(league, "nbac_play_by_play", GAME_DAY, imperfections=late)
    assert [feed["game"]["gameId"] for feed in play_by_play["games"]] == nbac_ids
    assert [box["game"]["gameId"] for box in play_by_play["boxscores"]] == nbac_ids
    assert play_by_play["scoreboard"] == load(league, "nbac_gamebook", GAME_DAY, imperfections=late)["scoreboard"]
    bdl_ids = {r["game"]["id"] for r in load(league, "bdl_boxscores", GAME_DAY, imperfections=late)["data"]}
    assert bdl_ids == {g.bdl_game_id for i, g in enumerate(games) if i % 3 != 1}
    assert league.payload("nbac_schedule", GAME_DAY, imperfections=late) == league.payload("nbac_schedule", GAME_DAY)


def test_player_missing_from_one_book(league: SimulatedLeague) -> None:
    def outcomes(payload: dict) -> dict[str, list[str]]:
        first_event = payload["events"][0]["data"]
        return {b["key"]: [o["description"] for o in b["markets"][0]["outcomes"]] for b in first_event["bookmakers"]}

    clean = outcomes(load(league, "odds_api_player_points_props", GAME_DAY))
    broken = outcomes(
        load(
            league,
            "odds_api_player_points_props",
            GAME_DAY,
            imperfections=frozenset({PLAYER_MISSING_FROM_BOOK}),
        )
    )
    missing = min(clean["draftkings"])
    assert missing not in broken["draftkings"]
    assert [name for name in clean["draftkings"] if name != missing] == broken["draftkings"]
    assert all(broken[book] == clean[book] for book in ("fanduel", "betmgm", "williamhill_us"))
    bettingpros = load(
        league, "bettingpros_player_props", GAME_DAY, imperfections=frozenset({PLAYER_MISSING_FROM_BOOK})
    )
    assert missing in {offer["participants"][0]["name"] for offer in bp_offers(bettingpros)}


def test_game_postponed(league: SimulatedLeague) -> None:
    postponed = frozenset({GAME_POSTPONED})
    last = league.games_on(GAME_DAY)[-1]
    schedule = load(league, "nbac_schedule", GAME_DAY, imperfections=postponed)["leagueSchedule"]["gameDates"][0]
    row = next(g for g in schedule["games"] if g["gameId"] == last.nba_game_id)
    assert (row["gameStatus"], row["gameStatusText"], row["postponedStatus"]) == (1, "PPD", "P")
    assert all(g["gameStatus"] == 3 for g in schedule["games"] if g is not row)
    assert last.nba_game_id not in {
        g["gameId"] for g in gamebook(league, GAME_DAY, imperfections=postponed)["games"]
    }
    board = load(league, "nbac_gamebook", GAME_DAY, imperfections=postponed)["scoreboard"]["scoreboard"]["games"]
    assert [(g["gameId"], g["gameStatus"], g["gameStatusText"]) for g in board if g["gameStatus"] != 3] == [
        (last.nba_game_id, 1, "PPD")
    ]
    assert last.bdl_game_id not in {
        r["game"]["id"] for r in load(league, "bdl_boxscores", GAME_DAY, imperfections=postponed)["data"]
    }
    assert len(team_logs(league, GAME_DAY, imperfections=postponed)) == 2 * (
        len(league.games_on(GAME_DAY)) - 1
    )


def test_duplicate_rows_repeat_the_first_row_verbatim(league: SimulatedLeague) -> None:
    duplicated = frozenset({DUPLICATE_ROWS})
    row_lists = {
        "nbac_schedule": lambda p: p["leagueSchedule"]["gameDates"][0]["games"],
        "nbac_gamebook": lambda p: p["games"][0]["boxScoreTraditional"]["awayTeam"]["players"],
        "nbac_team_boxscore": lambda p: p["resultSets"][0]["rowSet"],
        "nbac_play_by_play": lambda p: p["boxscores"][0]["game"]["awayTeam"]["players"],
        "nbac_injury_report": lambda p: p["rows"],
        "nbac_player_list": lambda p: p["resultSets"][0]["rowSet"],
        "bdl_boxscores": lambda p: p["data"],
        "odds_api_events": lambda p: p["data"],
        "odds_api_player_points_props": lambda p: p["events"][0]["data"]["bookmakers"][2]["markets"][0]["outcomes"],
        "odds_api_game_lines": lambda p: p["data"],
        "bettingpros_player_props": bp_offers,
        "espn_rosters": lambda p: p["teams"][5]["athletes"],
    }
    assert set(row_lists) == set(SOURCES)
    for source, rows_of in row_lists.items():
        clean = rows_of(load(league, source, GAME_DAY))
        dirty = rows_of(load(league, source, GAME_DAY, imperfections=duplicated))
        assert dirty == [clean[0], *clean], source


def test_mixed_game_id_forms(league: SimulatedLeague) -> None:
    mixed = frozenset({MIXED_GAME_ID})
    game = league.games_on(GAME_DAY)[0]
    games = league.games_on(GAME_DAY)
    boxes = load(league, "nbac_gamebook", GAME_DAY, imperfections=mixed)["games"]
    assert [b["boxScoreTraditional"]["gameId"] for b in boxes[:4]] == [
        games[0].nba_game_id, games[1].game_id, games[2].nba_game_id, games[3].game_id,
    ]  # fmt: skip
    teams = team_logs(league, GAME_DAY, imperfections=mixed)
    assert [r["GAME_ID"] for r in teams[:2]] == [game.nba_game_id, "20250115_" + game.away + "_" + game.home]
    play_by_play = load(league, "nbac_play_by_play", GAME_DAY, imperfections=mixed)
    for key in ("games", "boxscores"):
        assert [answer["game"]["gameId"] for answer in play_by_play[key][:2]] == [game.nba_game_id, games[1].game_id]
    for source in ("nbac_schedule", "bdl_boxscores", "odds_api_events", "bettingpros_player_props"):
        assert league.payload(source, GAME_DAY, imperfections=mixed) == league.payload(source, GAME_DAY)


def test_unknown_names_are_rejected(league: SimulatedLeague) -> None:
    with pytest.raises(ValueError, match="unknown source"):
        league.payload("nbac_scoreboard", GAME_DAY)
    with pytest.raises(ValueError, match="unknown imperfections"):
        league.payload("nbac_schedule", GAME_DAY, imperfections=frozenset({"solar_flare"}))
    with pytest.raises(ValueError):
        SimulatedLeague(players_per_team=3)


# ------------------------------------------------------------------ performance


def test_schedule_is_built_once_and_box_scores_once_per_game(monkeypatch) -> None:
    """Rendering every source for a day reuses the schedule and each game's box score (speed: bench/)."""
    league = SimulatedLeague(seed=11)
    built = Counter()
    for owner, name in ((league_module, "regular_season"), (league._box_score_simulator, "simulate")):
        real = getattr(owner, name)

        def counting(*args, _real=real, _name=name):
            built[(_name, *(getattr(arg, "game_id", arg) for arg in args))] += 1
            return _real(*args)

        monkeypatch.setattr(owner, name, counting)
    assert league.season_dates() is league.season_dates()
    for _ in range(2):
        for source in SOURCES:
            league.payload(source, date(2025, 3, 12))
    assert built[("regular_season", 11)] == 1
    box_scores = {key: n for key, n in built.items() if key[0] == "simulate"}
    assert box_scores, "the day's payloads include box scores"
    assert set(box_scores.values()) == {1}, "a game's box score was simulated twice"
