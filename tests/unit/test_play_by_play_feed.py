"""The simulated live play-by-play feed (``playbyplay_{gameId}.json``) as nba_api's live ``PlayByPlay``
reads it, and the shot zones the raw side derives from it.

Each final game's feed is served by a real local HTTP server at the CDN's liveData path; nba_api's
own request and parsing code runs unchanged. The paint, mid-range and three counts derived from the
actions it returns are the simulation's per-player zone counts, which ``nba_raw.nbac_play_by_play``
loads today, for every player who took a shot.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from nba_api.live.nba.endpoints import PlayByPlay
from nba_api.live.nba.library.http import NBALiveHTTP

from nba_pipeline.processors.raw.json_node import Invalid, Node, decode
from nba_pipeline.processors.raw.shot_zones import ZONE_OF_AREA, ZoneCounts, shot_zones
from nba_pipeline.scrapers.endpoints import ENDPOINTS
from nba_pipeline.sources.simulation import SimulatedLeague
from nba_pipeline.sources.simulation.imperfections import box_score_games
from nba_pipeline.sources.simulation.nbacom_playbyplay import ZONE_OF_AREA as SIMULATED_ZONES
from nba_pipeline.sources.simulation.nbacom_playbyplay import render_play_by_play
from nba_pipeline.sources.simulation.schedule import SimulatedGame
from tests.reliability.payload_corpus import LocalSource, local_source

DAYS = (dt.date(2025, 1, 14), dt.date(2025, 1, 15))
LIVE_PATH = "/static/json/liveData/playbyplay/playbyplay_{game_id}.json"
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


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_nba_api_reads_every_feed_and_its_shots_give_the_zone_counts_the_raw_table_loads(
    league, nba_cdn, day
) -> None:
    games = _final_games(league, day)
    assert len(games) >= 5
    for game in games:
        nba_cdn.serve(LIVE_PATH.format(game_id=game.nba_game_id), json.dumps(_feed(league, game)).encode())
    shooters = 0
    for game in games:
        actions = PlayByPlay(game.nba_game_id, timeout=5).actions.get_dict()
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
    assert [target for target, _ in nba_cdn.requests] == [LIVE_PATH.format(game_id=g.nba_game_id) for g in games]
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
