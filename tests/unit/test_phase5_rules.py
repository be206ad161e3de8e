"""Phase 5 rules on hand-built rows: eligibility, line fallback, batching, the worker's per-player
and per-system rules, and grading arithmetic (pushes, PASS, players who did not play)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from nba_pipeline.features import FEATURE_DEFAULTS, FEATURE_NAMES
from nba_pipeline.guards.breaker import BreakerSettings, State
from nba_pipeline.predictions.contract import Recommendation, SystemFailure, SystemPrediction
from nba_pipeline.predictions.coordinator import (
    EligiblePlayer,
    batch_label,
    eligible_players,
    estimate_line,
    make_batches,
)
from nba_pipeline.predictions.grading import grade_predictions
from nba_pipeline.predictions.worker import predict_batch
from nba_pipeline.predictions.worker.writes import prediction_id, request_id
from nba_pipeline.registry.guard_tables import breaker_store

DAY = dt.date(2025, 1, 15)
NOW = dt.datetime(2025, 1, 15, 15, 0, tzinfo=dt.UTC)
UPGC = "nba_analytics.upcoming_player_game_context"


def _upgc(player: str, **overrides) -> dict:
    row = {
        "player_lookup": player, "universal_player_id": f"{player}_001", "game_id": "20250115_BOS_NYK",
        "game_date": DAY, "team_abbr": "BOS", "opponent_team_abbr": "NYK", "home_game": False,
        "has_prop_line": True, "current_points_line": 20.5, "line_source": "draftkings",
        "avg_minutes_per_game_last_7": 30.0, "points_avg_last_5": 20.0, "points_avg_last_10": 19.0,
        "player_status": "available", "loaded_at": NOW,
    }
    row.update(overrides)
    return row


@pytest.fixture
def slate(migrated_warehouse):
    rows = [
        _upgc("out_player", player_status="out"),
        _upgc("doubtful_player", player_status="Doubtful"),
        _upgc("short_minutes", avg_minutes_per_game_last_7=14.9),
        _upgc("exactly_fifteen", avg_minutes_per_game_last_7=15.0, current_points_line=8.5),
        _upgc("no_minutes", avg_minutes_per_game_last_7=None),
        _upgc("after_a_break", avg_minutes_per_game_last_7=None, minutes_in_last_14_days=64.0,
              games_in_last_14_days=2),
        _upgc("short_before_a_break", avg_minutes_per_game_last_7=None, minutes_in_last_14_days=20.0,
              games_in_last_14_days=2),
        _upgc("short_this_week", avg_minutes_per_game_last_7=10.0, minutes_in_last_14_days=100.0,
              games_in_last_14_days=3),
        _upgc("dk_player", current_points_line=22.5, line_source="draftkings"),
        _upgc("bp_player", current_points_line=12.5, line_source="bettingpros", game_id="20250115_LAL_DEN",
              team_abbr="DEN", opponent_team_abbr="LAL", home_game=True),
        _upgc("no_line", current_points_line=None, line_source=None, has_prop_line=False, points_avg_last_10=17.3,
              player_status="questionable"),
        _upgc("other_day", game_date=DAY + dt.timedelta(days=1), game_id="20250116_BOS_NYK"),
    ]
    migrated_warehouse.insert_rows(UPGC, rows)
    return migrated_warehouse


def test_eligibility_drops_out_doubtful_and_short_minutes(slate):
    """Minutes over the last 7 days decide; the last 14 only for a player without a game in the 7."""
    players = {p.player_lookup: p for p in eligible_players(slate, DAY)}
    assert set(players) == {"exactly_fifteen", "dk_player", "bp_player", "no_line", "after_a_break"}


def test_every_expected_player_is_in_one_group_that_says_why_he_is_or_is_not_predicted(slate):
    from nba_pipeline.predictions.coordinator import describe_groups, slate_groups

    groups = slate_groups(slate, DAY)
    assert groups == {
        "eligible, book line": 4,
        "eligible, line estimated": 1,
        "no game in the last 14 days": 1,
        "out or doubtful": 2,
        "under the minutes threshold": 3,
    }
    assert groups["eligible, book line"] + groups["eligible, line estimated"] == len(eligible_players(slate, DAY))
    assert describe_groups(groups).startswith("4 eligible, book line; 1 eligible, line estimated; ")
    assert describe_groups(slate_groups(slate, DAY + dt.timedelta(days=5))) == "no player in the date's context"


def test_line_is_the_book_line_else_an_estimate_flagged(slate):
    players = {p.player_lookup: p for p in eligible_players(slate, DAY)}
    dk, bp, estimated = players["dk_player"], players["bp_player"], players["no_line"]
    assert (dk.line, dk.line_source, dk.line_estimated) == (22.5, "draftkings", False)
    assert (bp.line, bp.line_source, bp.line_estimated) == (12.5, "bettingpros", False)
    assert bp.is_home is True and bp.opponent_team_abbr == "LAL"
    assert (estimated.line, estimated.line_source, estimated.line_estimated) == (17.5, "estimated", True)


@pytest.mark.parametrize(("average", "line"), [(17.3, 17.5), (17.9, 17.5), (18.1, 18.5), (0.2, 0.5), (None, None)])
def test_estimated_line_is_the_nearest_half_point_line(average, line):
    assert estimate_line(average) == line


def test_one_row_per_player_when_the_context_has_two_games(migrated_warehouse):
    migrated_warehouse.insert_rows(UPGC, [_upgc("twice", game_id="20250115_BOS_NYK"),
                                          _upgc("twice", game_id="20250115_AAA_BBB")])
    assert [p.game_id for p in eligible_players(migrated_warehouse, DAY)] == ["20250115_AAA_BBB"]


def _players(count: int) -> list[EligiblePlayer]:
    return [EligiblePlayer(f"p{i:04d}", "20250115_BOS_NYK", DAY, "BOS", "NYK", False, 20.5, "draftkings", False)
            for i in range(count)]


def test_a_full_slate_of_450_makes_ten_batches_of_45():
    batches = make_batches(_players(450), 45)
    assert [len(b["players"]) for b in batches] == [45] * 10
    assert [b["batch_index"] for b in batches] == list(range(10))
    assert {b["batch_count"] for b in batches} == {10} and {b["game_date"] for b in batches} == {"2025-01-15"}
    assert batch_label(batches[3]) == "batch 3: 45 players"
    flat = [p["player_lookup"] for b in batches for p in b["players"]]
    assert flat == [f"p{i:04d}" for i in range(450)]


def test_batches_are_balanced_json_and_round_trip():
    batches = make_batches(_players(159), 45)
    assert [len(b["players"]) for b in batches] == [40, 40, 40, 39]
    again = json.loads(json.dumps(batches))
    assert EligiblePlayer.from_json(again[0]["players"][0]) == _players(1)[0]
    assert make_batches([], 45) == []
    with pytest.raises(ValueError):
        make_batches(_players(3), 0)


def test_ids_are_deterministic_and_distinct():
    assert prediction_id("xgboost_v1", "a", DAY) == prediction_id("xgboost_v1", "a", DAY)
    assert prediction_id("xgboost_v1", "a", DAY) != prediction_id("moving_average", "a", DAY)
    assert request_id(DAY, "a") == request_id(DAY, "a") != request_id(DAY + dt.timedelta(days=1), "a")


# --------------------------------------------------------------------------- the worker on hand-built rows


def _feature_row(player: str, quality: float = 92.0) -> dict:
    values = dict(FEATURE_DEFAULTS, points_avg_last_5=20.0)
    return {
        "player_lookup": player, "game_date": DAY, "game_id": "20250115_BOS_NYK",
        "features": [float(values[n]) for n in FEATURE_NAMES], "feature_names": list(FEATURE_NAMES),
        "feature_count": len(FEATURE_NAMES), "feature_version": "v1_baseline_25", "feature_quality_score": quality,
        "missing_features": [] if quality > 90 else ["fatigue_score"], "opponent_team_abbr": "NYK", "loaded_at": NOW,
    }


class Echo:
    """Predicts points_avg_last_5 + offset; fails (per player) for the players named in ``fail_for``."""

    def __init__(self, system_id: str, offset: float = 0.0, fail_for: set[str] | None = None, raise_: bool = False):
        self.system_id, self.offset, self.fail_for, self.raise_ = system_id, offset, fail_for or set(), raise_
        self.calls = 0

    def predict_batch(self, players):
        self.calls += 1
        if self.raise_:
            raise RuntimeError(f"{self.system_id} is down")
        out = {}
        for p in players:
            if p.player_lookup in self.fail_for:
                out[p.player_lookup] = SystemFailure("not enough similar games")
                continue
            points = p.features["points_avg_last_5"] + self.offset
            rec = Recommendation.OVER if points - p.line > 2 else Recommendation.UNDER if p.line - points > 2 else (
                Recommendation.PASS)
            out[p.player_lookup] = SystemPrediction(self.system_id, points, 60.0, rec, p.line)
        return out


class Mean:
    system_id = "ensemble_v1"

    def __init__(self):
        self.seen: dict[str, list[str]] = {}

    def combine(self, player, predictions):
        self.seen[player.player_lookup] = [p.system_id for p in predictions]
        value = sum(p.predicted_points for p in predictions) / len(predictions)
        return SystemPrediction(self.system_id, value, 70.0, Recommendation.PASS, player.line)


def _systems(**overrides):
    systems = {
        "moving_average": Echo("moving_average"),
        "zone_matchup": Echo("zone_matchup", 1.0),
        "similarity_balanced_v1": Echo("similarity_balanced_v1", -1.0, fail_for={"p_sim_fails"}),
        "xgboost_v1": Echo("xgboost_v1", 0.5),
        "ensemble_v1": Mean(),
    }
    systems.update(overrides)
    return systems


def _batch(players: list[str]) -> dict:
    return make_batches([EligiblePlayer(p, "20250115_BOS_NYK", DAY, "BOS", "NYK", False, 18.5, "draftkings", False)
                         for p in players], 100)[0]


def test_worker_rules_on_a_hand_built_batch(migrated_warehouse):
    wh = migrated_warehouse
    wh.insert_rows("nba_predictions.ml_feature_store_v2",
                   [_feature_row("p_ok"), _feature_row("p_sim_fails"), _feature_row("p_low", 69.9)])
    systems = _systems(xgboost_v1=Echo("xgboost_v1", raise_=True))
    store = breaker_store(wh, clock=lambda: NOW)
    result = predict_batch(wh, _batch(["p_ok", "p_sim_fails", "p_low", "p_none"]), systems.values(),
                           breaker_store=store, clock=lambda: NOW, worker_id="w1")

    assert result.skipped == {"low_feature_quality": 1, "no_features": 1}
    assert result.players_predicted == 2
    runs = {r["player_lookup"]: r for r in wh.query("SELECT * FROM nba_predictions.prediction_worker_runs")}
    assert runs["p_low"]["skip_reason"] == "low_feature_quality" and runs["p_low"]["success"] is False
    assert runs["p_low"]["feature_quality_score"] == 69.9 and runs["p_low"]["systems_attempted"] == []
    assert runs["p_none"]["skip_reason"] == "no_features" and runs["p_none"]["predictions_generated"] == 0
    ok, partial = runs["p_ok"], runs["p_sim_fails"]
    assert ok["success"] and ok["systems_failed"] == ["xgboost_v1"] and ok["predictions_generated"] == 4
    assert ok["error_system"] == "xgboost_v1" and ok["error_type"] == "RuntimeError"
    assert json.loads(ok["system_errors"]) == {"xgboost_v1": "RuntimeError: xgboost_v1 is down"}
    assert partial["systems_failed"] == ["similarity_balanced_v1", "xgboost_v1"]
    assert partial["error_system"] == "similarity_balanced_v1" and partial["worker_id"] == "w1"
    assert ok["line_values_requested"] == [18.5] and ok["run_date"] == NOW
    # the ensemble combined exactly the systems that succeeded for each player
    assert systems["ensemble_v1"].seen == {
        "p_ok": ["moving_average", "zone_matchup", "similarity_balanced_v1"],
        "p_sim_fails": ["moving_average", "zone_matchup"],
    }
    preds = wh.query("SELECT system_id, player_lookup, predicted_points, line_margin, line_source, line_estimated "
                     "FROM nba_predictions.player_prop_predictions ORDER BY player_lookup, system_id")
    assert len(preds) == 7
    ensemble = next(p for p in preds if p["player_lookup"] == "p_sim_fails" and p["system_id"] == "ensemble_v1")
    assert ensemble["predicted_points"] == pytest.approx(20.5) and ensemble["line_margin"] == pytest.approx(2.0)
    # one breaker outcome per system: xgboost one failure; similarity (failed for one player only) a success
    states = store.read({k: BreakerSettings() for k in systems})
    assert states["xgboost_v1"].failure_count == 1 and states["similarity_balanced_v1"].failure_count == 0
    assert states["similarity_balanced_v1"].success_count == 1


def test_a_system_failing_every_player_is_one_breaker_failure_and_no_players_means_no_outcome(migrated_warehouse):
    wh = migrated_warehouse
    wh.insert_rows("nba_predictions.ml_feature_store_v2", [_feature_row("a"), _feature_row("b")])
    systems = _systems(similarity_balanced_v1=Echo("similarity_balanced_v1", fail_for={"a", "b"}))
    store = breaker_store(wh, clock=lambda: NOW)
    result = predict_batch(wh, _batch(["a", "b"]), systems.values(), breaker_store=store, clock=lambda: NOW)
    assert result.systems["similarity_balanced_v1"].breaker_outcome == "failure"
    assert result.systems["moving_average"].breaker_outcome == "success"
    sim = store.read({"similarity_balanced_v1": BreakerSettings()})["similarity_balanced_v1"]
    assert sim.failure_count == 1 and sim.state is State.CLOSED and "failed for all 2 players" in sim.last_error_message

    # a batch where nobody reaches the systems touches no breaker
    before = store.read_all()
    result = predict_batch(wh, _batch(["nobody"]), systems.values(), breaker_store=store, clock=lambda: NOW)
    assert result.skipped == {"no_features": 1} and store.read_all() == before


def test_when_every_base_system_fails_the_player_fails_and_so_does_the_ensemble(migrated_warehouse):
    wh = migrated_warehouse
    wh.insert_rows("nba_predictions.ml_feature_store_v2", [_feature_row("a")])
    systems = {k: Echo(k, raise_=True) for k in ("moving_average", "zone_matchup", "similarity_balanced_v1",
                                                    "xgboost_v1")}
    systems["ensemble_v1"] = Mean()
    result = predict_batch(wh, _batch(["a"]), systems.values(), breaker_store=breaker_store(wh), clock=lambda: NOW)
    assert result.players_predicted == 0 and result.players_failed == 1
    row = wh.query("SELECT success, systems_failed, system_errors FROM nba_predictions.prediction_worker_runs")[0]
    assert row["success"] is False and len(row["systems_failed"]) == 5
    assert "no base system succeeded" in json.loads(row["system_errors"])["ensemble_v1"]
    assert result.systems["ensemble_v1"].breaker_outcome == "failure"


def test_a_rerun_of_the_date_leaves_no_prediction_it_did_not_make(migrated_warehouse):
    """A first run predicts with every system; a rerun of the date where similarity no longer works
    for one player, another player has no features and a third is no longer eligible ends with
    exactly the rerun's predictions, as if the first run had never happened."""
    from nba_pipeline.predictions.coordinator import drop_ineligible

    wh = migrated_warehouse
    wh.insert_rows("nba_predictions.ml_feature_store_v2", [_feature_row(p) for p in ("a", "b", "c", "gone")])
    store = breaker_store(wh, clock=lambda: NOW)
    predict_batch(wh, _batch(["a", "b", "c", "gone"]), _systems().values(), breaker_store=store, clock=lambda: NOW)

    def predicted() -> set[tuple[str, str]]:
        rows = wh.query("SELECT player_lookup, system_id FROM nba_predictions.player_prop_predictions")
        return {(r["player_lookup"], r["system_id"]) for r in rows}

    assert len(predicted()) == 4 * 5
    wh.execute("DELETE FROM nba_predictions.ml_feature_store_v2 WHERE player_lookup = 'c'")
    slate = [EligiblePlayer(p, "20250115_BOS_NYK", DAY, "BOS", "NYK", False, 18.5, "draftkings", False)
             for p in ("a", "b", "c")]
    assert drop_ineligible(wh, DAY, slate) == 5, "every prediction of the player no longer eligible"
    rerun = _systems(similarity_balanced_v1=Echo("similarity_balanced_v1", fail_for={"b"}))
    predict_batch(wh, make_batches(slate, 100)[0], rerun.values(), breaker_store=store, clock=lambda: NOW)

    systems = ("moving_average", "zone_matchup", "similarity_balanced_v1", "xgboost_v1", "ensemble_v1")
    assert predicted() == {("a", k) for k in systems} | {("b", k) for k in systems if k != "similarity_balanced_v1"}
    runs = {r["player_lookup"] for r in wh.query("SELECT player_lookup FROM nba_predictions.prediction_worker_runs")}
    assert runs == {"a", "b", "c"}, "c keeps its run row (skipped: no features); gone has none"


# --------------------------------------------------------------------------- grading


def _prediction(player: str, system: str, predicted: float, rec: str, line: float) -> dict:
    return {
        "prediction_id": prediction_id(system, player, DAY), "system_id": system, "player_lookup": player,
        "game_date": DAY, "game_id": "20250115_BOS_NYK", "predicted_points": predicted, "confidence_score": 70.0,
        "recommendation": rec, "current_points_line": line, "line_margin": predicted - line, "created_at": NOW,
    }


def _summary(player: str, points: int, minutes: float = 30.0) -> dict:
    return {"player_lookup": player, "game_id": "20250115_BOS_NYK", "game_date": DAY, "team_abbr": "BOS",
            "opponent_team_abbr": "NYK", "points": points, "minutes_played": minutes, "loaded_at": NOW}


def test_grading_counts_hits_pushes_passes_and_players_who_did_not_play(migrated_warehouse):
    wh = migrated_warehouse
    wh.insert_rows("nba_predictions.player_prop_predictions", [
        _prediction("over_hit", "moving_average", 25.0, "OVER", 20.5),  # scored 24: hit
        _prediction("under_hit", "moving_average", 10.0, "UNDER", 12.5),  # scored 9: hit
        _prediction("over_miss", "moving_average", 30.0, "OVER", 27.5),  # scored 20: miss
        _prediction("push", "moving_average", 22.0, "OVER", 18.0),  # scored 18: a push is no hit
        _prediction("pass", "moving_average", 15.0, "PASS", 15.5),  # not a call
        _prediction("dnp", "moving_average", 11.0, "UNDER", 14.5),  # did not play: not graded
        _prediction("over_hit", "zone_matchup", 19.0, "UNDER", 20.5),  # scored 24: miss
    ])
    wh.insert_rows("nba_analytics.player_game_summary", [
        _summary("over_hit", 24), _summary("under_hit", 9), _summary("over_miss", 20), _summary("push", 18),
        _summary("pass", 16), _summary("dnp", 0, minutes=0.0),
    ])
    assert grade_predictions(wh, DAY, now=NOW) == 2
    grades = {r["system_id"]: r for r in wh.query("SELECT * FROM nba_predictions.prediction_grades")}
    ma = grades["moving_average"]
    assert (ma["predictions"], ma["graded"], ma["calls"], ma["hits"]) == (6, 5, 4, 2)
    assert ma["hit_rate"] == 0.5
    assert ma["mean_absolute_error"] == pytest.approx(round((1 + 1 + 10 + 4 + 1) / 5, 4))
    zm = grades["zone_matchup"]
    assert (zm["predictions"], zm["graded"], zm["calls"], zm["hits"], zm["hit_rate"]) == (1, 1, 1, 0, 0.0)
    # a rerun with the same figures changes nothing, graded_at included
    assert grade_predictions(wh, DAY, now=NOW + dt.timedelta(hours=1)) == 0
    assert {r["graded_at"] for r in wh.query("SELECT graded_at FROM nba_predictions.prediction_grades")} == {NOW}


def test_ensemble_weights_are_learned_on_the_grades_before_the_date(migrated_warehouse):
    """Inverse squared MAE over the 28 days before the date, scaled to sum to 1; the date's own
    grades and older ones do not count; a system with too few graded predictions gets none."""
    from nba_pipeline.predictions.grading import MIN_WEIGHT_ROWS, ensemble_weights

    day = dt.date(2025, 1, 20)
    now = dt.datetime(2025, 1, 21, tzinfo=dt.UTC)

    def grade(offset: int, system: str, graded: int, mae: float) -> dict:
        return {"game_date": day - dt.timedelta(days=offset), "system_id": system, "predictions": graded,
                "graded": graded, "calls": 0, "hits": 0, "hit_rate": None, "mean_absolute_error": mae,
                "graded_at": now}

    migrated_warehouse.insert_rows("nba_predictions.prediction_grades", [
        grade(1, "moving_average", 150, 4.0), grade(2, "moving_average", 150, 4.0),  # MAE 4 over 300
        grade(1, "xgboost_v1", 150, 1.0), grade(3, "xgboost_v1", 150, 3.0),  # MAE 2 over 300
        grade(1, "zone_matchup", MIN_WEIGHT_ROWS - 1, 1.0),  # too few graded predictions
        grade(0, "moving_average", 500, 40.0), grade(29, "xgboost_v1", 500, 40.0),  # the date, and too old
        grade(1, "ensemble_v1", 300, 0.5),  # not a base system
    ])
    systems = ("moving_average", "zone_matchup", "similarity_balanced_v1", "xgboost_v1")
    weights = ensemble_weights(migrated_warehouse, day, systems)
    # 1/16 and 1/4 scaled: 0.2 and 0.8
    assert weights == pytest.approx({"moving_average": 0.2, "xgboost_v1": 0.8})
    assert ensemble_weights(migrated_warehouse, day - dt.timedelta(days=1), systems) == {}, "one system is not a blend"
