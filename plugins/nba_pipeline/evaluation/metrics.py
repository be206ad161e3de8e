"""The evaluation's arithmetic: error measures, the share of the achievable gain, and what OVER /
UNDER calls earn against the books. Pure functions over plain numbers, so each formula can be
checked by hand (``tests/unit/test_evaluation_metrics.py``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

#: the two-sided 95 % quantile of the standard normal distribution
Z95 = 1.959963984540054
#: the price assumed for a call whose quoted price cannot be found (the books' usual vig)
FALLBACK_PRICE = -110


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high


@dataclass(frozen=True)
class ErrorMetrics:
    """Errors of ``n`` predictions: mean absolute, root mean square, and bias = mean(predicted − actual)."""

    n: int
    mae: float
    rmse: float
    bias: float


def error_metrics(predicted: Sequence[float], actual: Sequence[float]) -> ErrorMetrics | None:
    """MAE, RMSE and bias of ``predicted`` against ``actual`` (paired by position); None when empty."""
    if len(predicted) != len(actual):
        raise ValueError(f"{len(predicted)} predictions for {len(actual)} actual values")
    if not predicted:
        return None
    errors = [p - a for p, a in zip(predicted, actual, strict=True)]
    n = len(errors)
    return ErrorMetrics(
        n=n,
        mae=math.fsum(abs(e) for e in errors) / n,
        rmse=math.sqrt(math.fsum(e * e for e in errors) / n),
        bias=math.fsum(errors) / n,
    )


def gain_share(baseline_mae: float, system_mae: float, truth_mae: float) -> float | None:
    """``(baseline_mae − system_mae) / (baseline_mae − truth_mae)``: the part of the gain the truth
    makes over the baseline that the system captures (0 = no better than the baseline, 1 = as good as
    the truth). None (undefined) when the denominator is ≤ 0: the truth does not beat the baseline."""
    denominator = baseline_mae - truth_mae
    if denominator <= 0:
        return None
    return (baseline_mae - system_mae) / denominator


def wilson_interval(hits: int, trials: int, z: float = Z95) -> Interval | None:
    """Wilson score interval of the proportion ``hits / trials``; None without trials.

    Unlike the normal approximation it stays within [0, 1] and is sensible for small counts.
    """
    if trials <= 0:
        return None
    if not 0 <= hits <= trials:
        raise ValueError(f"{hits} hits of {trials} trials")
    p = hits / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def mean_interval(values: Sequence[float], z: float = Z95) -> Interval | None:
    """Normal-approximation interval of the mean: ``mean ± z · s / √n`` (``s`` the sample standard
    deviation); None for fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    mean = math.fsum(values) / n
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = z * math.sqrt(variance / n)
    return Interval(mean - half, mean + half)


class Outcome(enum.StrEnum):
    HIT = "hit"
    MISS = "miss"
    PUSH = "push"


def call_outcome(call: str, line: float, actual: float) -> Outcome:
    """An OVER / UNDER call settled on the points scored: a push when they equal the line."""
    if actual == line:
        return Outcome.PUSH
    if call == "OVER":
        return Outcome.HIT if actual > line else Outcome.MISS
    if call == "UNDER":
        return Outcome.HIT if actual < line else Outcome.MISS
    raise ValueError(f"{call!r} is not a call (OVER / UNDER)")


def win_profit(price: int) -> float:
    """Profit per unit staked on a winning bet at American odds: +150 pays 1.5, −110 pays 100/110."""
    if price >= 100:
        return price / 100
    if price <= -100:
        return 100 / -price
    raise ValueError(f"{price} is not an American price (they never lie in (-100, 100))")


def bet_return(outcome: Outcome, price: int) -> float:
    """What one unit staked returns, net: the win's profit, −1 on a miss, 0 on a push (stake back)."""
    if outcome is Outcome.HIT:
        return win_profit(price)
    if outcome is Outcome.MISS:
        return -1.0
    return 0.0


@dataclass(frozen=True)
class Bet:
    """One OVER / UNDER call on a book's line; ``price`` is the quoted price of the side called, None
    when it cannot be found (then :data:`FALLBACK_PRICE` is used and counted)."""

    call: str
    line: float
    actual: float
    price: int | None


@dataclass(frozen=True)
class BetSummary:
    """Calls on real lines: hit rate over the decided ones (pushes are neither hits nor misses), with
    its Wilson interval; mean return per unit staked over every call (a push returns 0), with its
    normal-approximation interval; how many calls took the fallback price."""

    calls: int
    hits: int
    pushes: int
    hit_rate: float | None
    hit_rate_interval: Interval | None
    return_per_unit: float | None
    return_interval: Interval | None
    fallback_prices: int


def summarise_bets(bets: Sequence[Bet]) -> BetSummary:
    """Settle every bet and summarise them (see :class:`BetSummary`)."""
    outcomes = [call_outcome(b.call, b.line, b.actual) for b in bets]
    returns = [
        bet_return(outcome, FALLBACK_PRICE if bet.price is None else bet.price)
        for bet, outcome in zip(bets, outcomes, strict=True)
    ]
    hits = outcomes.count(Outcome.HIT)
    pushes = outcomes.count(Outcome.PUSH)
    decided = len(outcomes) - pushes
    return BetSummary(
        calls=len(bets),
        hits=hits,
        pushes=pushes,
        hit_rate=hits / decided if decided else None,
        hit_rate_interval=wilson_interval(hits, decided),
        return_per_unit=math.fsum(returns) / len(returns) if returns else None,
        return_interval=mean_interval(returns),
        fallback_prices=sum(1 for b in bets if b.price is None),
    )


# --------------------------------------------------------------------------- probabilities


def over_probability(predicted: float, line: float, spread: float) -> float:
    """P(points > line) when points are normal around ``predicted`` with standard deviation ``spread``."""
    if spread <= 0:
        raise ValueError(f"a predictive spread must be positive, got {spread}")
    return 0.5 * math.erfc((line - predicted) / (spread * math.sqrt(2)))


@dataclass(frozen=True)
class ReliabilityBin:
    """Forecasts with probability in [``low``, ``high``): how many, their mean, and how often it happened."""

    low: float
    high: float
    n: int
    mean_probability: float
    observed: float


@dataclass(frozen=True)
class ProbabilityScore:
    """Brier score of ``n`` probability forecasts (mean squared difference from what happened, 0 best;
    always saying 0.5 scores 0.25), its skill against 0.5 (1 − Brier / 0.25) and the reliability table."""

    n: int
    brier: float
    skill: float
    reliability: tuple[ReliabilityBin, ...]


def score_probabilities(
    probabilities: Sequence[float], happened: Sequence[bool], bins: int = 10
) -> ProbabilityScore | None:
    """Brier score and reliability table (``bins`` equal-width bins, empty ones left out); None when empty."""
    if len(probabilities) != len(happened):
        raise ValueError(f"{len(probabilities)} forecasts for {len(happened)} outcomes")
    if not probabilities:
        return None
    n = len(probabilities)
    brier = math.fsum((p - float(h)) ** 2 for p, h in zip(probabilities, happened, strict=True)) / n
    grouped: dict[int, list[tuple[float, bool]]] = {}
    for p, h in zip(probabilities, happened, strict=True):
        grouped.setdefault(min(bins - 1, int(p * bins)), []).append((p, h))
    table = tuple(
        ReliabilityBin(
            low=k / bins,
            high=(k + 1) / bins,
            n=len(members),
            mean_probability=math.fsum(p for p, _ in members) / len(members),
            observed=sum(1 for _, h in members if h) / len(members),
        )
        for k, members in sorted(grouped.items())
    )
    return ProbabilityScore(n=n, brier=brier, skill=1 - brier / 0.25, reliability=table)
