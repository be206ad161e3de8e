"""The evaluation's arithmetic on small hand-computed inputs: errors, the share of the achievable
gain (and when it is undefined), the Wilson interval, returns at American odds (pushes included),
and how an evaluation assembles its entries from graded rows."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from nba_pipeline.evaluation.data import GradedPrediction
from nba_pipeline.evaluation.metrics import (
    Bet,
    Interval,
    Outcome,
    bet_return,
    call_outcome,
    error_metrics,
    gain_share,
    mean_interval,
    over_probability,
    score_probabilities,
    summarise_bets,
    wilson_interval,
    win_profit,
)
from nba_pipeline.evaluation.report import BASELINE, TRUTH, evaluate_rows, render_json, render_table


def test_error_metrics_by_hand():
    # errors -2, +2, -3: |e| sums to 7, e² to 17, e to -3
    errors = error_metrics([10.0, 20.0, 30.0], [12.0, 18.0, 33.0])
    assert errors is not None and errors.n == 3
    assert errors.mae == pytest.approx(7 / 3)
    assert errors.rmse == pytest.approx(math.sqrt(17 / 3))
    assert errors.bias == pytest.approx(-3 / 3)
    assert error_metrics([], []) is None
    with pytest.raises(ValueError):
        error_metrics([1.0], [])


def test_gain_share_and_when_it_is_undefined():
    assert gain_share(baseline_mae=5.0, system_mae=4.5, truth_mae=4.0) == pytest.approx(0.5)
    assert gain_share(5.0, 5.0, 4.0) == 0.0
    assert gain_share(5.0, 4.0, 4.0) == 1.0
    assert gain_share(5.0, 5.5, 4.0) == pytest.approx(-0.5), "worse than the baseline: negative"
    assert gain_share(5.0, 4.5, 5.0) is None, "the truth does not beat the baseline: undefined"
    assert gain_share(5.0, 4.5, 5.2) is None


def test_wilson_interval_by_hand():
    # 8 of 10 at z = 1.96: centre (0.8 + 0.19208) / 1.38416 = 0.716738,
    # half 1.96 / 1.38416 * sqrt(0.016 + 0.009604) = 0.226580
    interval = wilson_interval(8, 10, z=1.96)
    assert interval is not None
    assert (interval.low, interval.high) == (pytest.approx(0.490158, abs=1e-5), pytest.approx(0.943318, abs=1e-5))
    assert 0.8 in interval
    assert wilson_interval(0, 0) is None
    none_of_five = wilson_interval(0, 5)
    all_of_five = wilson_interval(5, 5)
    assert none_of_five is not None and none_of_five.low == 0.0 and 0 < none_of_five.high < 0.5
    assert all_of_five is not None and all_of_five.high == pytest.approx(1.0) and 0.5 < all_of_five.low < 1
    with pytest.raises(ValueError):
        wilson_interval(6, 5)


def test_returns_at_american_odds():
    assert win_profit(150) == 1.5
    assert win_profit(100) == 1.0
    assert win_profit(-110) == pytest.approx(100 / 110)
    assert win_profit(-200) == 0.5
    with pytest.raises(ValueError):
        win_profit(-95)
    assert bet_return(Outcome.HIT, -125) == pytest.approx(0.8)
    assert bet_return(Outcome.MISS, 300) == -1.0
    assert bet_return(Outcome.PUSH, -110) == 0.0


def test_calls_are_settled_with_pushes_neither_hits_nor_misses():
    assert call_outcome("OVER", 20.5, 21) is Outcome.HIT
    assert call_outcome("OVER", 20.5, 20) is Outcome.MISS
    assert call_outcome("UNDER", 20.5, 20) is Outcome.HIT
    assert call_outcome("UNDER", 20.5, 21) is Outcome.MISS
    assert call_outcome("OVER", 20.0, 20) is Outcome.PUSH
    assert call_outcome("UNDER", 20.0, 20) is Outcome.PUSH
    with pytest.raises(ValueError):
        call_outcome("PASS", 20.5, 21)


def test_a_set_of_bets_by_hand():
    bets = [
        Bet("OVER", 20.5, 25, -110),  # hit: +100/110
        Bet("UNDER", 10.5, 12, 120),  # miss: -1
        Bet("OVER", 15.0, 15, -110),  # push: 0, not in the hit rate
        Bet("UNDER", 8.5, 5, None),  # hit at the fallback -110: +100/110
    ]
    summary = summarise_bets(bets)
    assert (summary.calls, summary.hits, summary.pushes, summary.fallback_prices) == (4, 2, 1, 1)
    assert summary.hit_rate == pytest.approx(2 / 3)
    assert summary.hit_rate_interval == wilson_interval(2, 3)
    # returns 0.909091, -1, 0, 0.909091: mean 0.204545, sample variance 0.828513, half 1.959964 * 0.455114
    assert summary.return_per_unit == pytest.approx(0.204545, abs=1e-6)
    assert summary.return_interval is not None
    assert summary.return_interval.low == pytest.approx(0.204545 - 0.892007, abs=1e-5)
    assert summary.return_interval.high == pytest.approx(0.204545 + 0.892007, abs=1e-5)
    empty = summarise_bets([])
    assert (empty.calls, empty.hit_rate, empty.return_per_unit, empty.return_interval) == (0, None, None, None)
    assert mean_interval([1.0]) is None
    assert mean_interval([1.0, 1.0]) == Interval(1.0, 1.0)


DAY = dt.date(2025, 1, 15)


def _row(system_id, player, predicted, actual, *, recommendation="PASS", line=20.5, real=True, baseline=18.0,
         prices=(-110, -110), day=DAY):
    return GradedPrediction(
        system_id=system_id, player_lookup=player, game_date=day, predicted_points=predicted,
        recommendation=recommendation, line=line, line_source="draftkings" if real else "estimated", real_line=real,
        actual_points=actual, baseline=baseline, over_price=prices[0] if real else None,
        under_price=prices[1] if real else None,
    )


def test_an_evaluation_from_hand_built_rows():
    truth = {"a": 24.0, "b": 10.0, "c": None}
    rows = [
        _row("moving_average", "a", 25.0, 26.0, recommendation="OVER", prices=(120, -140)),  # hit at +120
        _row("moving_average", "b", 14.0, 9.0, recommendation="UNDER", line=12.5, baseline=13.0),  # hit at -110
        _row("moving_average", "c", 8.0, 6.0, recommendation="UNDER", real=False, baseline=None),  # estimated line
        _row("ensemble_v1", "a", 23.0, 26.0),
    ]
    ev = evaluate_rows(rows, DAY, DAY, lambda player, day: truth[player], "test truth")
    by_name = {e.name: e for e in ev.entries}
    assert [e.name for e in ev.entries] == ["moving_average", "ensemble_v1", BASELINE, TRUTH]
    assert (ev.player_games, ev.without_truth, ev.graded_dates) == (3, 1, (DAY,))

    ma = by_name["moving_average"]
    assert ma.errors is not None and ma.errors.n == 3 and ma.errors.mae == pytest.approx((1 + 5 + 2) / 3)
    # paired rows (baseline and truth known): a and b
    assert ma.paired == 2 and ma.paired_mae == pytest.approx(3.0)
    assert ma.baseline_mae == pytest.approx((8 + 4) / 2) and ma.truth_mae == pytest.approx((2 + 1) / 2)
    assert ma.gain_share == pytest.approx((6.0 - 3.0) / (6.0 - 1.5))
    assert (ma.bets.calls, ma.bets.hits, ma.bets.fallback_prices) == (2, 2, 0), "the estimated line is not bet"
    assert ma.bets.return_per_unit == pytest.approx((1.2 + 100 / 110) / 2)

    base, true = by_name[BASELINE], by_name[TRUTH]
    assert base.errors is not None and base.errors.n == 2, "c has no baseline"
    assert true.errors is not None and true.errors.n == 2 and true.errors.mae == pytest.approx(1.5)
    assert base.gain_share == 0.0 and true.gain_share == 1.0
    # the base systems' rule: baseline 18 vs 20.5 is UNDER (a miss), 13 vs 12.5 no call;
    # truth 24 vs 20.5 is OVER (a hit at the OVER price, +120), 10 vs 12.5 UNDER (a hit at -110)
    assert (base.bets.calls, base.bets.hits, base.bets.return_per_unit) == (1, 0, -1.0)
    assert (true.bets.calls, true.bets.hits) == (2, 2)
    assert true.bets.return_per_unit == pytest.approx((1.2 + 100 / 110) / 2)

    table = render_table(ev)
    assert "moving_average" in table and "test truth" in table and "gain share" in table
    assert '"player_games": 3' in render_json(ev)


def test_without_a_truth_there_is_no_gain_share():
    ev = evaluate_rows([_row("moving_average", "a", 25.0, 26.0)], DAY, DAY, None, "unused")
    assert ev.truth is None and [e.name for e in ev.entries] == ["moving_average", BASELINE]
    assert all(e.gain_share is None and e.paired == 0 for e in ev.entries)
    assert "truth: none" in render_table(ev)


def test_over_probability_and_its_scores_by_hand():
    assert over_probability(20.5, 20.5, 6.0) == pytest.approx(0.5)
    assert over_probability(26.5, 20.5, 6.0) == pytest.approx(0.841345, abs=1e-6), "one spread above the line"
    assert over_probability(14.5, 20.5, 6.0) == pytest.approx(1 - 0.841345, abs=1e-6)
    with pytest.raises(ValueError):
        over_probability(20.0, 20.5, 0.0)
    # (0.9 - 1)^2 + (0.8 - 0)^2 + (0.15 - 0)^2 + (0.5 - 1)^2 = 0.01 + 0.64 + 0.0225 + 0.25
    score = score_probabilities([0.9, 0.8, 0.15, 0.5], [True, False, False, True], bins=2)
    assert score is not None and score.n == 4 and score.brier == pytest.approx(0.9225 / 4)
    assert score.skill == pytest.approx(1 - (0.9225 / 4) / 0.25)
    low, high = score.reliability
    assert (low.n, low.mean_probability, low.observed) == (1, 0.15, 0.0)
    assert (high.n, high.mean_probability, high.observed) == (3, pytest.approx(2.2 / 3), pytest.approx(2 / 3))
    assert score_probabilities([], []) is None


def test_probabilities_use_the_spread_of_earlier_dates_only():
    """History: 100 rows a day before, each missing by exactly 3 points (RMSE 3). On the day, a
    prediction 3 above the line gets P(over) = Phi(1), whatever the day's own misses are; a day with
    too few earlier rows gets no probability."""
    before = DAY - dt.timedelta(days=1)
    history = [_row("moving_average", f"p{i}", 20.0, 20.0 + (3 if i % 2 else -3), day=before) for i in range(100)]
    today = [_row("moving_average", "a", 23.5, 30.0), _row("moving_average", "b", 23.5, 10.0)]
    ev = evaluate_rows(today, DAY, DAY, None, None, history=history)
    ma = next(e for e in ev.entries if e.name == "moving_average")
    p = over_probability(23.5, 20.5, 3.0)
    assert p == pytest.approx(0.841345, abs=1e-6)
    assert ma.probability is not None and ma.probability.n == 2
    assert ma.probability.brier == pytest.approx(((p - 1) ** 2 + p ** 2) / 2)
    assert ma.errors is not None and ma.errors.n == 2, "history rows are not evaluated"
    wild = [_row("moving_average", "a", 23.5, 60.0), _row("moving_average", "b", 23.5, 0.0)]
    wild_ev = evaluate_rows(wild, DAY, DAY, None, None, history=history)
    assert next(e for e in wild_ev.entries if e.name == "moving_average").probability.brier == ma.probability.brier
    assert evaluate_rows(today, DAY, DAY, None, None, history=history[:99]).entries[0].probability is None
    assert "P(points > line)" in render_table(ev)
