"""Pure parts of the raw processors: game-id normalisation, timestamps, payload decoding and
field checks, duplicate folding, parsing of simulated payloads, and the shape of the MERGE."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.game_ids import GameIdError
from nba_pipeline.processors.merge import _merge_sql, _struct_array_type
from nba_pipeline.processors.raw.common import (
    NBA_STATS,
    ParsedRow,
    box_stats,
    clock_minutes,
    collapse,
)
from nba_pipeline.processors.raw.json_node import Invalid, Node, decode
from nba_pipeline.registry.processors import RAW_TABLES
from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.sources.simulation import (
    DUPLICATE_ROWS,
    ET,
    MIXED_GAME_ID,
    SimulatedLeague,
    player_lookup_from_name,
)
from nba_pipeline.warehouse.translate import to_duckdb

DAY = dt.date(2025, 1, 15)
AS_OF = dt.datetime(2025, 1, 16, 10, tzinfo=ET)
LEAGUE = SimulatedLeague(seed=2024)


# --------------------------------------------------------------------------- game ids, every form


@pytest.mark.parametrize(
    ("value", "context"),
    [
        ("20250115_SAS_IND", {}),
        ("20250115/SASIND", {}),
        ("SAS@IND", {"game_date": DAY}),
        ("0022400607", {"game_date": DAY, "away": "SAS", "home": "IND"}),
        (" 20250115_SAS_IND ", {"game_date": DAY, "away": "SAS", "home": "IND"}),
    ],
    ids=["canonical", "game_code", "matchup", "nba_game_id", "padded"],
)
def test_every_string_form_normalises_to_the_canonical_id(value, context):
    assert ids.normalise_game_id(value, **context) == "20250115_SAS_IND"


def test_source_specific_forms_give_the_same_id():
    assert ids.from_game_code("20250115/SASIND") == "20250115_SAS_IND"
    assert ids.from_matchup("SAS@IND", DAY) == "20250115_SAS_IND"
    assert ids.from_nba_game_id("0022400607", DAY, "SAS", "IND") == "20250115_SAS_IND"
    assert ids.from_bdl_game("2025-01-15", home_team_id=12, visitor_team_id=27) == "20250115_SAS_IND"
    assert ids.from_bdl_game(DAY, 12, 27) == "20250115_SAS_IND"
    assert ids.from_odds_event("2025-01-16T00:00:00Z", "Indiana Pacers", "San Antonio Spurs") == "20250115_SAS_IND"
    assert ids.canonical_game_id(DAY, "sas", "GS") == "20250115_SAS_GSW"


@pytest.mark.parametrize(
    ("commence_time", "expected_date"),
    [
        ("2025-01-16T00:00:00Z", "20250115"),  # 19:00 EST: the UTC date is the next day
        ("2025-01-16T03:30:00Z", "20250115"),  # 22:30 EST
        ("2025-01-15T17:00:00Z", "20250115"),  # 12:00 EST, a Christmas-style matinee
        ("2025-04-01T23:00:00Z", "20250401"),  # 19:00 EDT, after the DST change
        ("2025-04-02T02:30:00Z", "20250401"),  # 22:30 EDT
    ],
)
def test_odds_api_game_date_is_the_et_date(commence_time, expected_date):
    assert (
        ids.from_odds_event(commence_time, "Los Angeles Lakers", "Los Angeles Clippers") == f"{expected_date}_LAC_LAL"
    )


def test_playoff_and_next_season_ids_are_checked_against_the_date():
    assert ids.check_nba_game_id("0042400101", dt.date(2025, 4, 19)) == "Playoffs"
    assert ids.check_nba_game_id("0022500001", dt.date(2025, 10, 21)) == "Regular Season"
    with pytest.raises(GameIdError, match="2025 season id"):
        ids.check_nba_game_id("0022500607", DAY)


@pytest.mark.parametrize(
    ("value", "context", "message"),
    [
        ("garbage", {}, "not a game id in any known form"),
        ("20251315_SAS_IND", {}, "not a YYYYMMDD date"),
        ("20250115_SAS_XYZ", {}, "unknown team code"),
        ("20250115_SAS_SAS", {}, "cannot play itself"),
        ("2025-01-15/SASIND", {}, "not a game id"),
        ("SAS@IND", {}, "needs the game date"),
        ("0022400607", {"game_date": DAY}, "needs the game's date and teams"),
        ("00224006", {"game_date": DAY, "away": "SAS", "home": "IND"}, "not a 10-digit"),
        ("0092400607", {"game_date": DAY, "away": "SAS", "home": "IND"}, "not a 10-digit"),
        ("20250115_BOS_NYK", {"game_date": DAY, "away": "SAS", "home": "IND"}, "not 20250115_SAS_IND"),
        ("SAS@IND", {"game_date": DAY, "away": "IND", "home": "SAS"}, "not 20250115_IND_SAS"),
        (12345, {}, "not a game id string"),
    ],
)
def test_bad_game_ids_are_refused_with_the_reason(value, context, message):
    with pytest.raises(GameIdError, match=message):
        ids.normalise_game_id(value, **context)


def test_mixed_forms_of_one_game_collapse_to_one_key():
    forms = {
        ids.normalise_game_id("0022400607", game_date=DAY, away="SAS", home="IND"),
        ids.normalise_game_id("20250115/SASIND"),
        ids.normalise_game_id("20250115_SAS_IND"),
        ids.normalise_game_id("SAS@IND", game_date=DAY),
        ids.from_bdl_game("2025-01-15", 12, 27),
        ids.from_odds_event("2025-01-16T00:00:00Z", "Indiana Pacers", "San Antonio Spurs"),
    }
    assert forms == {"20250115_SAS_IND"}


def test_every_simulated_game_of_a_day_round_trips_through_each_form():
    for game in LEAGUE.games_on(DAY):
        assert ids.from_game_code(game.game_code) == game.game_id
        assert ids.from_matchup(game.matchup, DAY) == game.game_id
        assert ids.from_nba_game_id(game.nba_game_id, DAY, game.away, game.home) == game.game_id
        assert (
            ids.from_odds_event(
                game.start_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                ids.TEAMS[game.home].full_name,
                ids.TEAMS[game.away].full_name,
            )
            == game.game_id
        )


def test_team_lookups():
    assert ids.team_code("UTAH") == "UTA" and ids.team_code("wsh") == "WAS"
    assert ids.team_from_name("Los Angeles Clippers") == "LAC"
    assert ids.team_from_bdl_id(27) == "SAS"
    for bad, function in (
        ("SEA", ids.team_code),
        ("Seattle SuperSonics", ids.team_from_name),
        (31, ids.team_from_bdl_id),
    ):
        with pytest.raises(GameIdError, match="unknown"):
            function(bad)


@pytest.mark.parametrize(
    "name", ["De'Andre Fenwick", "Wendell O'Dell Jr.", "Javon Reed-Holloway", "O'Dell Jr., Wendell", "Zoë St. Cyr III"]
)
def test_player_lookup_matches_the_documented_rule(name):
    assert ids.player_lookup(name) == player_lookup_from_name(name)


def test_display_name_swaps_last_first():
    assert ids.display_name("O'Dell Jr., Wendell") == "Wendell O'Dell Jr."
    assert ids.display_name("Mateo Sandoval") == "Mateo Sandoval"


def test_the_three_timestamp_forms():
    instant = dt.datetime(2025, 1, 16, 0, 0, tzinfo=dt.UTC)
    assert ids.parse_utc_z("2025-01-16T00:00:00Z") == instant
    assert ids.parse_et_iso("2025-01-15T19:00:00-05:00") == instant
    assert ids.parse_nba_est("2025-01-15T19:00:00Z") == instant  # ET wall clock with a literal Z
    for bad, function in (
        ("2025-01-16T00:00:00", ids.parse_utc_z),
        ("2025-01-16T00:00:00+00:00Z", ids.parse_utc_z),
        ("2025-01-15T19:00:00", ids.parse_et_iso),
        ("2025-01-15T19:00:00Z", ids.parse_et_iso),
        ("yesterday", ids.parse_nba_est),
    ):
        with pytest.raises(GameIdError):
            function(bad)


def test_season_start_year():
    assert ids.season_start_year(DAY) == 2024
    assert ids.season_start_year(dt.date(2024, 10, 22)) == 2024
    assert ids.season_start_year(dt.date(2025, 6, 22)) == 2024
    assert ids.season_start_year(dt.date(2025, 10, 21)) == 2025


# --------------------------------------------------------------------------- decoding and field checks


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"  \n", "empty body"),
        (b"<html><body>502 Bad Gateway</body></html>", "HTML page"),
        (b'\xef\xbb\xbf<!DOCTYPE html><html lang="en">', "HTML page"),
        (b'{"games": [{"name": "Mat\xe9o"}]}', "not UTF-8: byte 0xe9 at offset 24"),
        (b'{"games": [{"name": "Mat', "truncated JSON"),
        (b'{"games": [1, 2', "truncated JSON"),
        (b'{"games": [1, 2}', "invalid JSON at line 1"),
        (b'{"minutes": NaN}', "non-finite"),
        (b"[1, 2, 3]", "expected a JSON object"),
    ],
)
def test_decode_refuses_what_is_not_a_json_object(body, reason):
    with pytest.raises(Invalid) as caught:
        decode(body)
    assert reason in caught.value.reason


def test_node_paths_and_types():
    doc = Node({"games": [{"players": [{"pts": "29", "ok": True, "min": None}]}]})
    player = doc.items("games")[0].items("players")[0]
    assert player.path == "games[0].players[0]"
    with pytest.raises(Invalid) as caught:
        player.int("pts")
    assert (caught.value.path, caught.value.value, caught.value.reason) == (
        "games[0].players[0].pts",
        "29",
        "expected an integer",
    )
    with pytest.raises(Invalid, match="expected an integer"):
        player.int("ok")  # a JSON true is not 1
    with pytest.raises(Invalid, match="required field is missing"):
        player.str("name")
    with pytest.raises(Invalid, match="must not be null"):
        player.str("min")
    assert player.str("min", nullable=True) is None and player.str("absent", nullable=True) is None
    with pytest.raises(Invalid, match="expected a JSON object"):
        Node([1]).str("x")
    status = Node({"a": 3, "b": True, "c": 3.0})
    assert status.one_of("a", (1, 2, 3)) == 3
    for key in ("b", "c"):  # true == 1 and 3.0 == 3 in Python, but not the same JSON value
        with pytest.raises(Invalid, match="expected one of 1, 2, 3"):
            status.one_of(key, (1, 2, 3))


@pytest.mark.parametrize(
    ("text", "minutes", "reason"),
    [
        ("36:26", 36 + 26 / 60, None),
        ("0:07", 7 / 60, None),
        ("36", 36.0, None),
        ("-12:30", None, "negative minutes"),
        ("36:61", None, "expected minutes"),
        ("99:00", None, "more than 75"),
        ("lots", None, "expected minutes"),
    ],
)
def test_clock_minutes(text, minutes, reason):
    node = Node({"minutes": text}, "games[0].players[1]")
    if reason is None:
        assert clock_minutes(node, "minutes", maximum=75, whole_allowed=True) == pytest.approx(minutes)
    else:
        with pytest.raises(Invalid, match=reason) as caught:
            clock_minutes(node, "minutes", maximum=75, whole_allowed=True)
        assert caught.value.path == "games[0].players[1].minutes"


_LINE = {
    "pts": 29, "fgm": 11, "fga": 24, "fg3m": 3, "fg3a": 8, "ftm": 4, "fta": 5, "oreb": 1, "dreb": 5, "reb": 6,
    "ast": 3, "stl": 3, "blk": 3, "tov": 5, "pf": 3,
}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({}, None, None),
        ({"fgm": 25, "pts": 57}, "fgm", "exceeds fga = 24"),
        ({"fg3m": 9}, "fg3m", "exceeds fg3a = 8"),
        ({"ftm": 6, "pts": 31}, "ftm", "exceeds fta = 5"),
        ({"reb": 7}, "reb", "is not oreb + dreb = 6"),
        ({"pts": 30}, "pts", "does not match 2*(fgm-fg3m) + 3*fg3m + ftm = 29"),
        ({"ast": -1}, "ast", "negative"),
        ({"blk": 1.5}, "blk", "expected an integer"),
    ],
)
def test_box_stats_arithmetic(change, field, reason):
    node = Node({**_LINE, **change}, "data[3]")
    if reason is None:
        assert box_stats(node, NBA_STATS)["points"] == 29
        return
    with pytest.raises(Invalid) as caught:
        box_stats(node, NBA_STATS)
    assert caught.value.path == f"data[3].{field}" and reason in caught.value.reason


def test_collapse_folds_verbatim_repeats_and_refuses_conflicts():
    a = ParsedRow("rows[0]", {"game_id": "g", "player_lookup": "p", "points": 3})
    b = ParsedRow("rows[1]", dict(a.row))
    c = ParsedRow("rows[2]", {"game_id": "g", "player_lookup": "q", "points": 3})
    assert collapse([a, b, c], ("game_id", "player_lookup")) == [a, c]
    conflict = ParsedRow("rows[3]", {"game_id": "g", "player_lookup": "p", "points": 4})
    with pytest.raises(Invalid) as caught:
        collapse([a, conflict], ("game_id", "player_lookup"))
    assert caught.value.path == "rows[3]" and caught.value.value == 4 and "rows[0]" in caught.value.reason


# --------------------------------------------------------------------------- parsing simulated payloads


def _parse(name: str, imperfections: frozenset[str] = frozenset()) -> list[dict]:
    spec = RAW_TABLES[name]
    body = LEAGUE.payload(spec.source, DAY, as_of=AS_OF, imperfections=imperfections)
    return [p.row for p in collapse(spec.parse(spec.decode(body), DAY), spec.key_columns)]


@pytest.mark.parametrize("name", ["nbac_gamebook_player_stats", "nbac_team_boxscore", "nbac_play_by_play"])
def test_mixed_game_ids_parse_to_the_clean_rows(name):
    assert _parse(name, frozenset({MIXED_GAME_ID})) == _parse(name)


@pytest.mark.parametrize("name", sorted(RAW_TABLES))
def test_duplicate_rows_parse_to_the_clean_rows(name):
    assert _parse(name, frozenset({DUPLICATE_ROWS})) == _parse(name)


@pytest.mark.parametrize("name", sorted(RAW_TABLES))
def test_parsed_rows_fit_the_declared_table(name):
    spec = RAW_TABLES[name]
    declared = {c.name for c in declared_tables()[spec.table].columns}
    rows = _parse(name)
    assert rows, f"{name} parsed no rows from a game day's payload"
    assert set(rows[0]) == declared - {"loaded_at", "source_file_path"}
    assert all(row["game_id"] == ids.normalise_game_id(row["game_id"]) for row in rows if "game_id" in row)


def test_espn_rosters_come_per_team_with_espns_abbreviations_and_load_as_nba_tricodes():
    document = json.loads(LEAGUE.payload("espn_rosters", DAY, as_of=AS_OF))
    keys = ["timestamp", "status", "season", "coach", "team", "athletes"]
    assert all(list(body) == keys for body in document["teams"]), "each team's response in the real shape"
    espn = {body["team"]["abbreviation"] for body in document["teams"]}
    assert {"GS", "NO", "NY", "SA", "UTAH", "WSH"} <= espn and not espn & {"GSW", "NOP", "NYK", "SAS", "UTA", "WAS"}
    assert {row["team_abbr"] for row in _parse("espn_team_rosters")} == set(ids.TEAMS)


def test_off_day_payloads_parse_to_no_rows():
    off_day = dt.date(2024, 12, 24)
    for name, spec in RAW_TABLES.items():
        body = LEAGUE.payload(spec.source, off_day, as_of=dt.datetime(2024, 12, 25, 10, tzinfo=ET))
        rows = spec.parse(spec.decode(body), off_day)
        assert (len(rows) > 0) == (name in ("espn_team_rosters", "nbac_player_list")), name  # lists of players


def test_a_payload_stored_for_another_date_is_refused():
    body = LEAGUE.payload("nbac_gamebook", DAY, as_of=AS_OF)
    with pytest.raises(Invalid) as caught:
        RAW_TABLES["nbac_gamebook_player_stats"].parse(decode(body), DAY + dt.timedelta(days=1))
    assert caught.value.path == "scoreboard.scoreboard.gameDate" and caught.value.value == "2025-01-15"


def test_a_box_score_of_another_game_is_refused():
    document = json.loads(LEAGUE.payload("nbac_gamebook", DAY, as_of=AS_OF))
    document["games"][0] = document["games"][1]
    with pytest.raises(Invalid) as caught:
        RAW_TABLES["nbac_gamebook_player_stats"].parse(Node(document), DAY)
    assert caught.value.path == "games[0].boxScoreTraditional.gameId" and "another game" in caught.value.reason


def test_every_final_game_of_the_scoreboard_needs_its_box_score_and_other_games_none():
    document = json.loads(LEAGUE.payload("nbac_gamebook", DAY, as_of=AS_OF))
    table = RAW_TABLES["nbac_gamebook_player_stats"]
    last = document["games"].pop()
    with pytest.raises(Invalid) as caught:
        table.parse(Node(document), DAY)
    assert caught.value.path == "games" and last["boxScoreTraditional"]["gameId"] in caught.value.reason
    document["scoreboard"]["scoreboard"]["games"][-1].update(gameStatus=1, gameStatusText="PPD")
    rows = table.parse(Node(document), DAY)  # postponed: skipped, and every other game loads
    assert {r.row["nba_game_id"] for r in rows} == {b["boxScoreTraditional"]["gameId"] for b in document["games"]}
    document["games"].append(last)
    with pytest.raises(Invalid) as caught:
        table.parse(Node(document), DAY)
    assert caught.value.path == f"games[{len(document['games']) - 1}].boxScoreTraditional"


def _play_by_play() -> dict:
    return json.loads(LEAGUE.payload("nbac_play_by_play", DAY, as_of=AS_OF))


def _refused_play_by_play(document: dict, day: dt.date = DAY) -> Invalid:
    with pytest.raises(Invalid) as caught:
        RAW_TABLES["nbac_play_by_play"].parse(Node(document), day)
    return caught.value


def test_play_by_play_rows_come_from_the_live_box_score_and_the_feeds_shots():
    """One row per player the box score says played, named from it; a player without a shot has zeros."""
    document = _play_by_play()
    parsed = RAW_TABLES["nbac_play_by_play"].parse(Node(document), DAY)
    rows = {(r.row["game_id"], r.row["player_lookup"]): r for r in parsed}
    games = LEAGUE.games_on(DAY)
    played = [(g, line) for g in games for line in LEAGUE.box_score(g).lines if line.played]
    assert len(rows) == len(played) and not any(
        (g.game_id, line.player_lookup) in rows for g in games for line in LEAGUE.box_score(g).lines if not line.played
    )
    game, line = next((g, line) for g, line in played if line.fga == 0)
    row = rows[(game.game_id, line.player_lookup)]
    assert row.path.startswith("boxscores[") and row.row["nba_player_id"] == LEAGUE.player(line.player_lookup).person_id
    assert [row.row[c] for c in ("paint_attempts", "mid_range_attempts", "three_pt_attempts")] == [0, 0, 0]


def test_play_by_play_of_another_date_or_game_is_refused():
    caught = _refused_play_by_play(_play_by_play(), DAY + dt.timedelta(days=1))
    assert caught.path == "scoreboard.scoreboard.gameDate" and caught.value == "2025-01-15"
    for key, what in (("games", "play-by-play feed"), ("boxscores", "box score")):
        document = _play_by_play()
        document[key][0] = document[key][1]
        caught = _refused_play_by_play(document)
        assert caught.path == f"{key}[0].game.gameId" and f"is the {what} of another game" in caught.reason


def test_every_final_game_needs_one_feed_and_one_live_box_score_and_no_more():
    for key in ("games", "boxscores"):
        document = _play_by_play()
        last = document[key].pop()
        caught = _refused_play_by_play(document)
        assert caught.path == key and last["game"]["gameId"] in caught.reason
        document[key] += [last, last]
        caught = _refused_play_by_play(document)
        assert caught.path == f"{key}[{len(document[key]) - 1}].game" and "only" in caught.reason


def test_play_by_play_actions_must_be_of_the_games_players_and_areas():
    document = _play_by_play()
    actions = document["games"][2]["game"]["actions"]
    shot = next(n for n, action in enumerate(actions) if action["actionType"] in ("2pt", "3pt"))
    actions[shot]["personId"] = 1627759
    caught = _refused_play_by_play(document)
    assert caught.path == f"games[2].game.actions[{shot}].personId" and "is not a player of" in caught.reason
    document = _play_by_play()
    actions = document["games"][2]["game"]["actions"]
    actions[shot]["area"] = "Paint (Non-RA)"
    caught = _refused_play_by_play(document)
    assert caught.path == f"games[2].game.actions[{shot}].area" and caught.value == "Paint (Non-RA)"
    document = _play_by_play()
    benched = next(p for p in document["boxscores"][2]["game"]["homeTeam"]["players"] if p["played"] == "0")
    document["games"][2]["game"]["actions"][shot]["personId"] = benched["personId"]
    caught = _refused_play_by_play(document)
    assert caught.path == f"games[2].game.actions[{shot}].personId" and "did not play" in caught.reason


# --------------------------------------------------------------------------- the MERGE statement


def test_merge_statement_shape_and_translation():
    schema = declared_tables()["nba_raw.nbac_team_boxscore"]
    columns = [c.name for c in schema.columns if c.name != "loaded_at"]
    keys = ("game_id", "team_abbr")
    content = [c for c in columns if c not in keys and c != "source_file_path"]
    sql = _merge_sql(schema, columns, keys, content, "game_date")
    assert "USING (SELECT r.game_id, r.game_date, r.team_abbr" in sql and "FROM UNNEST(@rows) AS r) AS S" in sql
    assert "T.points IS DISTINCT FROM S.points" in sql
    assert "T.source_file_path IS DISTINCT FROM" not in sql and "T.loaded_at IS DISTINCT FROM" not in sql
    assert "loaded_at = @loaded_at" in sql and sql.count("MERGE") == 1
    text, params = to_duckdb(sql)
    assert params == {"rows", "loaded_at", "partitions"} and "UNNEST($rows)" in text
    struct = _struct_array_type(schema, columns)
    assert (
        struct.startswith("ARRAY<STRUCT<game_id STRING, game_date DATE, team_abbr STRING") and "loaded_at" not in struct
    )


# --------------------------------------------------------------------------- The Odds API's live answers

_AFTERNOON = dt.datetime(2025, 1, 15, 13, tzinfo=ET)  # every book has posted its opening lines (09:05-09:31 ET)
_NEWEST = dt.datetime(2025, 1, 15, 14, 31, tzinfo=dt.UTC)  # the last book's post, 09:31 ET


def _odds(source: str, *, live: bool) -> dict | list:
    document: dict | list = json.loads(LEAGUE.payload(source, DAY, as_of=_AFTERNOON, live=live))
    return document


def _odds_rows(name: str, document: dict | list) -> list[dict]:
    spec = RAW_TABLES[name]
    return [p.row for p in spec.parse(spec.decode(json.dumps(document).encode()), DAY)]


def _without_snapshot(rows: list[dict]) -> list[str]:
    return sorted(json.dumps({k: v for k, v in row.items() if k != "snapshot_time"}, default=str) for row in rows)


def test_live_game_lines_parse_to_the_historical_snapshots_rows():
    live = _odds("odds_api_game_lines", live=True)
    historical = _odds("odds_api_game_lines", live=False)
    assert isinstance(live, list) and isinstance(historical, dict) and live == historical["data"]
    rows = _odds_rows("odds_api_game_lines", live)
    assert len(rows) == 4 * len(live) > 0 and rows == _odds_rows("odds_api_game_lines", historical)
    assert _odds_rows("odds_api_game_lines", []) == [], "an empty slate is an empty list"


def test_live_props_rows_are_dated_by_the_newest_last_update_of_their_answer():
    live = _odds("odds_api_player_points_props", live=True)
    historical = _odds("odds_api_player_points_props", live=False)
    assert isinstance(live, dict) and isinstance(historical, dict)
    assert live["events"] == [answer["data"] for answer in historical["events"]]
    rows = _odds_rows("odds_api_player_points_props", live)
    assert _without_snapshot(rows) == _without_snapshot(_odds_rows("odds_api_player_points_props", historical))
    assert {row["snapshot_time"] for row in rows} == {_NEWEST}
    # a market refreshed later dates its own answer's rows only; a historical answer among live ones keeps its own
    later = "2025-01-15T18:40:00Z"
    live["events"][1]["bookmakers"][0]["markets"][0]["last_update"] = later
    live["events"][2] = historical["events"][2]
    rows = _odds_rows("odds_api_player_points_props", live)
    by_event = {row["event_id"]: row["snapshot_time"] for row in rows}
    ids_ = [event.get("id") or event["data"]["id"] for event in live["events"]]
    assert by_event[ids_[1]] == dt.datetime(2025, 1, 15, 18, 40, tzinfo=dt.UTC)
    assert by_event[ids_[2]] == ids.parse_utc_z(historical["events"][2]["timestamp"])
    assert {by_event[i] for i in ids_[:1] + ids_[3:]} == {_NEWEST}


def _props_edit(change) -> dict:
    document = _odds("odds_api_player_points_props", live=True)
    assert isinstance(document, dict)
    change(document["events"][0])
    return document


def _strip_updates(event: dict) -> None:
    for book in event["bookmakers"]:
        del book["last_update"]
        for market in book["markets"]:
            del market["last_update"]


_ONE_EVENT = "an event with id, commence_time, home_team, away_team, bookmakers"


@pytest.mark.parametrize(
    ("name", "build", "path", "reason"),
    [
        ("odds_api_game_lines", lambda: {"events": _odds("odds_api_game_lines", live=True)}, "(root)",
         f"neither a historical game-lines answer (an object with timestamp and data) nor a live one ({_ONE_EVENT})"),
        ("odds_api_game_lines", lambda: _odds("odds_api_game_lines", live=True)[0], "(root)",
         "a single event where the live game-lines answer is a list"),
        ("odds_api_game_lines", lambda: ["20250115_SAS_IND"], "[0]",
         "not an element of a live game-lines answer"),
        ("odds_api_game_lines", lambda: {"timestamp": "2025-01-15T15:00:00Z"}, "data", "required field is missing"),
        ("odds_api_player_points_props", lambda: _props_edit(lambda e: e.pop("bookmakers")), "events[0]",
         "nor a live one (an event with id, commence_time, home_team, away_team, bookmakers): no bookmakers"),
        ("odds_api_player_points_props", lambda: _props_edit(_strip_updates), "events[0].bookmakers",
         "a live answer's rows are dated by its newest last_update; none is given"),
        ("odds_api_player_points_props",
         lambda: _props_edit(lambda e: e["bookmakers"][0].update(last_update="2025-03-01T12:00:00Z")),
         "events[0].bookmakers[0].last_update", "a snapshot of 2025-01-15's odds cannot be taken on 2025-03-01"),
    ],
    ids=["object_without_data", "one_event", "list_of_strings", "wrapper_without_data", "event_without_bookmakers",
         "no_last_update", "last_update_far_from_the_date"],
)  # fmt: skip
def test_an_odds_answer_of_neither_shape_is_refused_naming_what_it_lacks(name, build, path, reason):
    with pytest.raises(Invalid) as caught:
        _odds_rows(name, build())
    assert caught.value.path == path and reason in caught.value.reason, str(caught.value)


def test_stored_game_lines_may_be_a_json_array_and_nothing_else_but_an_object():
    decode_lines = RAW_TABLES["odds_api_game_lines"].decode
    assert decode_lines(b"[]").value == [] and decode_lines(b'{"data": []}').value == {"data": []}
    with pytest.raises(Invalid, match=r"expected a JSON object, got a number \(or a JSON array\)"):
        decode_lines(b"404")
    with pytest.raises(Invalid, match="expected a JSON object, got an array$"):
        RAW_TABLES["odds_api_player_points_props"].decode(b"[]")
