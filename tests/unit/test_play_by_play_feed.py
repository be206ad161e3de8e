"""The stored ``nbac_play_by_play`` document (the scoreboard, each final game's live feed
``playbyplay_{gameId}.json`` and live box score ``boxscore_{gameId}.json``) as nba_api's live
``PlayByPlay`` and ``BoxScore`` read it, and the rows the raw processor loads from it.

Each final game's feed and box score are served by a real local HTTP server at the CDN's liveData
paths; nba_api's own request and parsing code runs unchanged. The paint, mid-range and three counts
derived from the actions it returns are the simulation's per-player zone counts, and the rows built
from what the two clients return (names, personIds, played flags, tricodes, zone counts) are the
rows of ``nba_raw.nbac_play_by_play``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from nba_api.library.http import NBAResponse
from nba_api.live.nba.endpoints import BoxScore, PlayByPlay
from nba_api.live.nba.library.http import NBALiveHTTP

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw.common import collapse
from nba_pipeline.processors.raw.json_node import Invalid, Node, decode
from nba_pipeline.processors.raw.shot_zones import ZONE_OF_AREA, ZoneCounts, shot_zones
from nba_pipeline.registry.processors import RAW_TABLES
from nba_pipeline.scrapers.endpoints import ENDPOINTS
from nba_pipeline.scrapers.sources import SimulatedSource
from nba_pipeline.sources.simulation import DUPLICATE_ROWS, MIXED_GAME_ID, SimulatedLeague
from nba_pipeline.sources.simulation.imperfections import box_score_games
from nba_pipeline.sources.simulation.nbacom_playbyplay import ZONE_OF_AREA as SIMULATED_ZONES
from nba_pipeline.sources.simulation.nbacom_playbyplay import render_play_by_play
from nba_pipeline.sources.simulation.schedule import SimulatedGame
from tests.reliability.payload_corpus import LocalSource, local_source

DAYS = (dt.date(2025, 1, 14), dt.date(2025, 1, 15))
LIVE_PATH = "/static/json/liveData/playbyplay/playbyplay_{game_id}.json"
BOX_PATH = "/static/json/liveData/boxscore/boxscore_{game_id}.json"
CLOCK = re.compile(r"^PT(0\d|1[0-2])M[0-5]\d\.00S$")


@pytest.fixture(scope="module")
def league() -> SimulatedLeague:
    return SimulatedLeague(seed=2024)


def _final_games(league: SimulatedLeague, day: dt.date) -> list[SimulatedGame]:
    as_of = ENDPOINTS["nbac_gamebook"].fetch_moment(day)
    return box_score_games(league.games_on(day), as_of, frozenset(), "nbac")


def _feed(league: SimulatedLeague, game: SimulatedGame) -> dict[str, Any]:
    return render_play_by_play(league, game, ENDPOINTS["nbac_gamebook"].fetch_moment(game.game_date))


@pytest.fixture
def nba_cdn(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSource]:
    """A local server standing in for cdn.nba.com's liveData, where nba_api's live classes send their requests."""
    with local_source() as served:
        monkeypatch.setattr(NBALiveHTTP, "base_url", f"{served.url}/static/json/liveData/{{endpoint}}")
        yield served


def _stored(day: dt.date, imperfections: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The document the scraper stores for ``day``."""
    body = SimulatedSource(imperfections=imperfections).fetch("nbac_play_by_play", day).body
    document: dict[str, Any] = json.loads(body)
    return document


def _loaded_rows(document: dict[str, Any], day: dt.date) -> list[dict[str, Any]]:
    """The rows the raw processor loads from ``document``."""
    spec = RAW_TABLES["nbac_play_by_play"]
    return [parsed.row for parsed in collapse(spec.parse(Node(document), day), spec.key_columns)]


def _rows_read_by_nba_api(
    league: SimulatedLeague, document: dict[str, Any], feeds: list[PlayByPlay], boxes: list[BoxScore]
) -> list[dict[str, Any]]:
    """The table's rows built from what nba_api's live clients return: one per player whom the box
    score says played, his zone counts from the feed's shots (zeros without one)."""
    finals = [g for g in document["scoreboard"]["scoreboard"]["games"] if g["gameStatus"] == 3]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for final, feed, box in zip(finals, feeds, boxes, strict=True):
        game = league.game(final["gameId"])
        actions = feed.actions.get_dict()
        zones = shot_zones(Node({"game": {"gameId": final["gameId"], "actions": actions}}), final["gameId"])
        home, away = box.home_team.get_dict()["teamTricode"], box.away_team.get_dict()["teamTricode"]
        sides = ((away, home, box.away_team_player_stats), (home, away, box.home_team_player_stats))
        for team, opponent, players in sides:
            for player in players.get_dict():
                if player["played"] != "1":
                    continue
                counts = zones.get(player["personId"], ZoneCounts(team))
                row = {
                    "game_id": game.game_id,
                    "game_date": game.game_date,
                    "player_lookup": ids.player_lookup(player["name"]),
                    "player_name": player["name"],
                    "nba_player_id": player["personId"],
                    "team_abbr": team,
                    "opponent_team_abbr": opponent,
                    **counts.columns(),
                }
                rows[(row["game_id"], row["player_lookup"])] = row
    return list(rows.values())


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_nba_api_reads_every_stored_feed_and_box_score_and_they_give_the_rows_the_raw_table_loads(
    league, nba_cdn, day
) -> None:
    document = _stored(day)
    for feed, box in zip(document["games"], document["boxscores"], strict=True):
        nba_cdn.serve(LIVE_PATH.format(game_id=feed["game"]["gameId"]), json.dumps(feed).encode())
        nba_cdn.serve(BOX_PATH.format(game_id=box["game"]["gameId"]), json.dumps(box).encode())
    games = _final_games(league, day)
    assert len(games) >= 5 and [f["game"]["gameId"] for f in document["games"]] == [g.nba_game_id for g in games]
    feeds = [PlayByPlay(game.nba_game_id, timeout=5) for game in games]
    boxes = [BoxScore(game.nba_game_id, timeout=5) for game in games]
    assert [target for target, _ in nba_cdn.requests] == [
        path.format(game_id=g.nba_game_id) for path in (LIVE_PATH, BOX_PATH) for g in games
    ]
    read = _rows_read_by_nba_api(league, document, feeds, boxes)
    key = lambda row: (row["game_id"], row["player_lookup"])  # noqa: E731
    assert sorted(read, key=key) == sorted(_loaded_rows(document, day), key=key)
    for game, box in zip(games, boxes, strict=True):
        lines = {league.player(line.player_lookup).person_id: line for line in league.box_score(game).lines}
        listed = box.home_team_player_stats.get_dict() + box.away_team_player_stats.get_dict()
        assert {p["personId"]: p["played"] == "1" for p in listed} == {pid: line.played for pid, line in lines.items()}
        assert all(p["statistics"]["points"] == lines[p["personId"]].points for p in listed)
        assert box.home_team.get_dict()["score"] == league.box_score(game).points(game.home)


@pytest.mark.parametrize(
    "imperfections",
    [frozenset(), frozenset({DUPLICATE_ROWS}), frozenset({MIXED_GAME_ID})],
    ids=lambda found: ",".join(sorted(found)) or "clean",
)
def test_nba_api_parses_the_stored_answers_offline_into_the_loaded_rows(league, imperfections) -> None:
    """Each stored body handed to the live clients as a response (no request): the same rows."""
    day = DAYS[1]
    document = _stored(day, imperfections)
    feeds, boxes = [], []
    for feed_body, box_body in zip(document["games"], document["boxscores"], strict=True):
        feed = PlayByPlay(feed_body["game"]["gameId"], get_request=False)
        feed.nba_response = NBAResponse(response=json.dumps(feed_body), status_code=200, url="")
        feed.load_response()
        box = BoxScore(box_body["game"]["gameId"], get_request=False)
        box.nba_response = NBAResponse(response=json.dumps(box_body), status_code=200, url="")
        box.load_response()
        feeds.append(feed)
        boxes.append(box)
    key = lambda row: (row["game_id"], row["player_lookup"])  # noqa: E731
    loaded = sorted(_loaded_rows(document, day), key=key)
    assert loaded and sorted(_rows_read_by_nba_api(league, document, feeds, boxes), key=key) == loaded
    assert loaded == sorted(_loaded_rows(_stored(day), day), key=key), "the imperfection changes no row"


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_feeds_shots_give_the_box_scores_zone_counts(league, day) -> None:
    games = _final_games(league, day)
    shooters = 0
    for game in games:
        actions = _feed(league, game)["game"]["actions"]
        derived = shot_zones(Node({"game": {"gameId": game.nba_game_id, "actions": actions}}), game.nba_game_id)
        expected = {}
        for line in league.box_score(game).lines:
            if line.played and line.fga:
                counts = ZoneCounts(line.team)
                counts.attempts.update(paint=line.paint_attempts, mid_range=line.mid_range_attempts, three_pt=line.fg3a)
                counts.makes.update(paint=line.paint_makes, mid_range=line.mid_range_makes, three_pt=line.fg3m)
                expected[league.player(line.player_lookup).person_id] = counts
        assert derived == expected, f"{game.nba_game_id}: the feed's shots are the box score's zone counts"
        shooters += len(derived)
    assert shooters > 15 * len(games)


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_each_feed_is_a_real_shaped_game_that_ends_at_the_box_score(league, day) -> None:
    for game in _final_games(league, day):
        feed = _feed(league, game)
        assert json.dumps(feed) == json.dumps(_feed(league, game)), "deterministic by seed"
        assert list(feed) == ["meta", "game"] and feed["game"]["gameId"] == game.nba_game_id
        actions = feed["game"]["actions"]
        assert [a["actionNumber"] for a in actions] == list(range(1, len(actions) + 1))
        periods = [(a["period"], a["subType"]) for a in actions if a["actionType"] == "period"]
        assert periods == [(p, edge) for p in range(1, 5) for edge in ("start", "end")]
        assert all(CLOCK.match(a["clock"]) for a in actions)
        assert [a["period"] for a in actions] == sorted(a["period"] for a in actions)
        shots = [a for a in actions if a["actionType"] in ("2pt", "3pt")]
        assert all(a["area"] in ZONE_OF_AREA and a["shotResult"] in ("Made", "Missed") for a in shots)
        assert all(isinstance(a["shotDistance"], float) and a["isFieldGoal"] == 1 for a in shots)
        assert all(a["area"].endswith("3") == (a["actionType"] == "3pt") for a in shots)
        box = league.box_score(game)
        last = actions[-1]
        assert (int(last["scoreHome"]), int(last["scoreAway"])) == (box.points(game.home), box.points(game.away))
        free_throws = [a for a in actions if a["actionType"] == "freethrow"]
        assert len(free_throws) == sum(line.fta for line in box.lines)


def test_the_simulation_and_the_processor_read_the_area_vocabulary_alike() -> None:
    assert {area: zone for area, zone in ZONE_OF_AREA.items() if area in SIMULATED_ZONES} == SIMULATED_ZONES


def test_a_feed_of_another_game_or_a_truncated_one_is_refused_by_name(league) -> None:
    first, second = _final_games(league, DAYS[1])[:2]
    body = json.dumps(_feed(league, second)).encode()
    wrong_game = rf"game\.gameId.*is not the game asked for at this position \({first.nba_game_id}\)"
    with pytest.raises(Invalid, match=wrong_game):
        shot_zones(decode(body), first.nba_game_id)
    with pytest.raises(Invalid):
        shot_zones(decode(body[: len(body) // 2]), second.nba_game_id)
    feed = _feed(league, second)
    shot = next(a for a in feed["game"]["actions"] if a["actionType"] == "2pt")
    shot["area"] = "Above the Break 3"
    with pytest.raises(Invalid, match="is a three_pt area, not one of a 2pt shot"):
        shot_zones(Node(feed), second.nba_game_id)
