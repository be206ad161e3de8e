"""The evaluation of a date range: one entry per prediction system, the season-average baseline and
the truth, measured on the same graded player-games, and its rendering as a table or JSON.

Every entry is measured twice:

* on every graded row it predicted: ``n``, MAE, RMSE, bias;
* on those of its rows whose player-game also has a baseline and a truth (``paired``): its MAE, the
  baseline's and the truth's on exactly those rows, and the share of the achievable gain it
  captures, ``(baseline − system) / (baseline − truth)``, undefined when the truth does not beat
  the baseline there.

Against the books, only real lines count (an estimated line was never quoted): a system's own
OVER / UNDER recommendations; for the baseline and the truth, the base systems' rule (OVER when
the value is more than :data:`CALL_EDGE` above the line, UNDER when as much below).

Each entry's prediction also becomes a probability, P(points > line), on the same real lines: points
normal around the prediction with the spread (root mean square error) the entry had over the
:data:`SPREAD_DAYS` days before the date, never on the date itself (walk-forward; the rows
before the range are read for it). Brier score and reliability table say how well calibrated
those probabilities are; a date with fewer than :data:`MIN_SPREAD_ROWS` earlier rows has none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nba_pipeline.evaluation.data import GradedPrediction, TruthLookup, read_graded
from nba_pipeline.evaluation.metrics import (
    FALLBACK_PRICE,
    Bet,
    BetSummary,
    ErrorMetrics,
    Interval,
    ProbabilityScore,
    error_metrics,
    gain_share,
    over_probability,
    score_probabilities,
    summarise_bets,
)
from nba_pipeline.predictions.contract import SYSTEM_IDS
from nba_pipeline.warehouse import Warehouse

BASELINE = "baseline_season_average"
TRUTH = "truth_expected_points"
#: the base systems' rule, applied to the baseline and the truth: a call when |value − line| > this
CALL_EDGE = 2.0
#: the days before a date whose graded errors give an entry's predictive spread on it
SPREAD_DAYS = 28
#: the fewest earlier rows a spread is measured from
MIN_SPREAD_ROWS = 100


@dataclass(frozen=True)
class Item:
    """One prediction of one entry, with everything it is judged against."""

    predicted: float
    actual: float
    baseline: float | None
    truth: float | None
    call: str | None  # OVER / UNDER on a real line, else None
    line: float | None
    price: int | None  # the quoted price of the side called
    day: dt.date
    real_line: bool


@dataclass(frozen=True)
class Entry:
    """One row of the evaluation (see the module's docstring for what each figure covers)."""

    name: str
    kind: str  # system / baseline / truth
    errors: ErrorMetrics | None
    paired: int
    paired_mae: float | None
    baseline_mae: float | None
    truth_mae: float | None
    gain_share: float | None
    bets: BetSummary
    probability: ProbabilityScore | None = None


@dataclass(frozen=True)
class Evaluation:
    """The evaluation of ``start``..``end``; ``truth`` says where the truth came from (None: none)."""

    start: dt.date
    end: dt.date
    graded_dates: tuple[dt.date, ...]
    player_games: int
    without_truth: int
    truth: str | None
    entries: tuple[Entry, ...]

    @property
    def empty(self) -> bool:
        return self.player_games == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "graded_dates": [d.isoformat() for d in self.graded_dates],
            "fallback_price": FALLBACK_PRICE,
            "call_edge_for_baseline_and_truth": CALL_EDGE,
        }


def _rule_call(value: float, line: float) -> str | None:
    if value - line > CALL_EDGE:
        return "OVER"
    if line - value > CALL_EDGE:
        return "UNDER"
    return None


def _item(row: GradedPrediction, predicted: float, truth: float | None, call: str | None) -> Item:
    called = call if call in ("OVER", "UNDER") and row.real_line else None
    return Item(
        predicted=predicted,
        actual=row.actual_points,
        baseline=row.baseline,
        truth=truth,
        call=called,
        line=row.line,
        price=row.price_of(called) if called else None,
        day=row.game_date,
        real_line=row.real_line,
    )


def _mae(pairs: Iterable[tuple[float, float]]) -> float | None:
    values = list(pairs)
    errors = error_metrics([p for p, _ in values], [a for _, a in values])
    return errors.mae if errors else None


def _spreads(items: Sequence[Item]) -> dict[dt.date, float]:
    """The entry's predictive spread on each of its dates: the root mean square error of its rows
    on the :data:`SPREAD_DAYS` before it, when there are at least :data:`MIN_SPREAD_ROWS`."""
    squared: dict[dt.date, list[float]] = {}
    for item in items:
        squared.setdefault(item.day, []).append((item.predicted - item.actual) ** 2)
    spreads = {}
    for day in squared:
        first = day - dt.timedelta(days=SPREAD_DAYS)
        earlier = [e for d, errors in squared.items() if first <= d < day for e in errors]
        if len(earlier) >= MIN_SPREAD_ROWS:
            spreads[day] = math.sqrt(math.fsum(earlier) / len(earlier))
    return spreads


def _probability_score(items: Sequence[Item], history: Sequence[Item]) -> ProbabilityScore | None:
    """Brier score and reliability of P(points > line) on the real lines of ``items`` (pushes left out)."""
    spreads = _spreads([*history, *items])
    scored = [(i, i.line, spreads[i.day]) for i in items
              if i.real_line and i.line is not None and i.day in spreads and i.actual != i.line]
    return score_probabilities([over_probability(i.predicted, line, spread) for i, line, spread in scored],
                               [i.actual > line for i, line, _ in scored])


def measure(name: str, kind: str, items: Sequence[Item], history: Sequence[Item] = ()) -> Entry:
    """An entry's figures from its items (``history``: its items before the range, for spreads only)."""
    paired = [i for i in items if i.baseline is not None and i.truth is not None]
    system_mae = _mae((i.predicted, i.actual) for i in paired)
    baseline_mae = _mae((i.baseline, i.actual) for i in paired if i.baseline is not None)
    truth_mae = _mae((i.truth, i.actual) for i in paired if i.truth is not None)
    share = None
    if system_mae is not None and baseline_mae is not None and truth_mae is not None:
        share = gain_share(baseline_mae, system_mae, truth_mae)
    bets = [Bet(i.call, i.line, i.actual, i.price) for i in items if i.call and i.line is not None]
    return Entry(
        name=name,
        kind=kind,
        errors=error_metrics([i.predicted for i in items], [i.actual for i in items]),
        paired=len(paired),
        paired_mae=system_mae,
        baseline_mae=baseline_mae,
        truth_mae=truth_mae,
        gain_share=share,
        bets=summarise_bets(bets),
        probability=_probability_score(items, history),
    )


def _system_order(system_id: str) -> tuple[int, str]:
    return (SYSTEM_IDS.index(system_id) if system_id in SYSTEM_IDS else len(SYSTEM_IDS), system_id)


def evaluate_rows(
    rows: Sequence[GradedPrediction],
    start: dt.date,
    end: dt.date,
    truth: TruthLookup | None,
    truth_label: str | None,
    history: Sequence[GradedPrediction] = (),
) -> Evaluation:
    """The evaluation of already read graded rows (see :func:`evaluate`); ``history``, graded rows
    of the dates before ``start``, only gives each entry its predictive spread."""
    player_games: dict[tuple[str, dt.date], GradedPrediction] = {}
    for row in rows:
        player_games.setdefault(row.player_game, row)
    earlier_games: dict[tuple[str, dt.date], GradedPrediction] = {}
    for row in history:
        earlier_games.setdefault(row.player_game, row)
    truths = {key: truth(*key) if truth else None for key in [*player_games, *earlier_games]}

    def system_items(source: Iterable[GradedPrediction], system_id: str) -> list[Item]:
        return [_item(r, r.predicted_points, truths[r.player_game], r.recommendation)
                for r in source if r.system_id == system_id]

    def reference_items(
        games: Iterable[GradedPrediction], value_of: Callable[[GradedPrediction], float | None]
    ) -> list[Item]:
        items = []
        for row in games:
            value = value_of(row)
            if value is not None:
                call = _rule_call(value, row.line) if row.line is not None else None
                items.append(_item(row, value, truths[row.player_game], call))
        return items

    entries = []
    for system_id in sorted({r.system_id for r in rows}, key=_system_order):
        entries.append(measure(system_id, "system", system_items(rows, system_id), system_items(history, system_id)))
    references: list[tuple[str, str, Callable[[GradedPrediction], float | None]]] = [
        (BASELINE, "baseline", lambda r: r.baseline),
        (TRUTH, "truth", lambda r: truths[r.player_game]),
    ]
    for name, kind, value_of in references:
        items = reference_items(player_games.values(), value_of)
        if items:
            entries.append(measure(name, kind, items, reference_items(earlier_games.values(), value_of)))
    return Evaluation(
        start=start,
        end=end,
        graded_dates=tuple(sorted({r.game_date for r in rows})),
        player_games=len(player_games),
        without_truth=sum(1 for key, value in truths.items() if value is None and key in player_games),
        truth=truth_label if truth else None,
        entries=tuple(entries),
    )


def evaluate(
    warehouse: Warehouse, start: dt.date, end: dt.date, truth: TruthLookup | None, truth_label: str | None = None
) -> Evaluation:
    """Evaluate every system's graded predictions of ``start``..``end`` against the points scored,
    the season-average baseline and ``truth`` (None: no truth, so no gain share)."""
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    rows = read_graded(warehouse, start - dt.timedelta(days=SPREAD_DAYS), end)
    return evaluate_rows([r for r in rows if r.game_date >= start], start, end, truth, truth_label,
                         history=[r for r in rows if r.game_date < start])


# --------------------------------------------------------------------------- rendering


def _num(value: float | None, width: int, digits: int = 2, sign: bool = False) -> str:
    if value is None or math.isnan(value):
        return "-".rjust(width)
    return f"{value:+.{digits}f}".rjust(width) if sign else f"{value:.{digits}f}".rjust(width)


def _interval(interval: Interval | None, digits: int, sign: bool = False) -> str:
    if interval is None:
        return "-"
    fmt = f"{{:{'+' if sign else ''}.{digits}f}}"
    return f"[{fmt.format(interval.low)}, {fmt.format(interval.high)}]"


def render_table(evaluation: Evaluation) -> str:
    """The evaluation as two aligned tables: accuracy, then the calls against the books' real lines."""
    ev = evaluation
    dates = len(ev.graded_dates)
    lines = [
        f"Prediction quality {ev.start}..{ev.end}: {dates} graded date{'s' * (dates != 1)}, "
        f"{ev.player_games} player-games",
        f"truth: {ev.truth}; {ev.without_truth} player-games without a truth"
        if ev.truth
        else "truth: none (the data does not come from the simulated league): no gain share",
        "",
        f"{'accuracy (points)':<26}{'n':>6}{'MAE':>7}{'RMSE':>7}{'bias':>7}  | "
        f"{'paired':>6}{'MAE':>7}{'base':>7}{'truth':>7}{'gain share':>11}",
    ]
    for e in ev.entries:
        err = e.errors or ErrorMetrics(0, math.nan, math.nan, math.nan)
        share = _num(e.gain_share, 11) if e.gain_share is not None else "undefined".rjust(11)
        lines.append(
            f"{e.name:<26}{err.n:>6}{_num(err.mae, 7)}{_num(err.rmse, 7)}{_num(err.bias, 7, sign=True)}  | "
            f"{e.paired:>6}{_num(e.paired_mae, 7)}{_num(e.baseline_mae, 7)}{_num(e.truth_mae, 7)}{share}"
        )
    lines += [
        "",
        f"{'against the books':<26}{'calls':>6}{'push':>5}{'hit rate':>9}  {'95% CI':<16}"
        f"{'return/unit':>11}  {'95% CI':<18}{'-110 used':>9}",
    ]
    for e in ev.entries:
        b = e.bets
        lines.append(
            f"{e.name:<26}{b.calls:>6}{b.pushes:>5}{_num(b.hit_rate, 9, 3)}  {_interval(b.hit_rate_interval, 3):<16}"
            f"{_num(b.return_per_unit, 11, 3, sign=True)}  {_interval(b.return_interval, 3, sign=True):<18}"
            f"{b.fallback_prices:>9}"
        )
    lines += ["", f"{'P(points > line)':<26}{'n':>6}{'Brier':>8}{'skill':>8}  reliability: forecast -> observed"]
    for e in ev.entries:
        pr = e.probability
        if pr is None:
            lines.append(f"{e.name:<26}{0:>6}{'-':>8}{'-':>8}")
            continue
        bins = ", ".join(f"{b.mean_probability:.2f}->{b.observed:.2f} ({b.n})" for b in pr.reliability if b.n >= 20)
        lines.append(f"{e.name:<26}{pr.n:>6}{_num(pr.brier, 8, 3)}{_num(pr.skill, 8, 3, sign=True)}  {bins}")
    lines += [
        "",
        "MAE/RMSE/bias over every graded row of the entry; paired: its rows whose player-game has a baseline and a "
        "truth, on which MAE, base and truth are measured; gain share = (base - MAE) / (base - truth), undefined when "
        "base - truth <= 0.",
        f"Calls on real book lines only (estimated lines left out); baseline and truth call when |value - line| > "
        f"{CALL_EDGE:g}. Hit rate excludes pushes (Wilson 95% CI); return per unit staked at the quoted American "
        f"price (push = 0; normal 95% CI); '-110 used': calls whose quote was not found, priced at {FALLBACK_PRICE}.",
        f"P(points > line) on real lines: normal around the prediction with the entry's RMSE on the {SPREAD_DAYS} days "
        f"before each date (none with fewer than {MIN_SPREAD_ROWS} earlier rows); Brier 0 is best, 0.25 is always "
        "saying 0.5; skill = 1 - Brier / 0.25; reliability bins with 20+ forecasts.",
    ]
    return "\n".join(lines)


def render_json(evaluation: Evaluation) -> str:
    return json.dumps(evaluation.as_dict(), indent=1, default=str)
