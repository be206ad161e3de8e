"""The season report (``nba-pipeline report``, ``make report``): one self-contained HTML file with the
evaluation of a date range week by week, drawn as inline SVG charts, and the tables behind them.

- MAE per week per system against the season-average baseline and the truth;
- calibration: each system's P(points > line) against how often the player went over;
- hit rate and return per unit staked per week, on real lines;
- coverage: players predicted against players eligible, per game date.

Nothing is fetched when the file is opened: no script, no font, no stylesheet from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from nba_pipeline.evaluation.data import TruthLookup, read_graded
from nba_pipeline.evaluation.report import SPREAD_DAYS, Entry, Evaluation, evaluate_rows
from nba_pipeline.warehouse import Warehouse

__all__ = ["SeasonReport", "build_report", "render_html"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f", "#17becf")


@dataclass(frozen=True)
class SeasonReport:
    """A range's evaluation as a whole and per week (weeks start on Monday), and its coverage."""

    whole: Evaluation
    weeks: tuple[tuple[dt.date, Evaluation], ...]
    coverage: tuple[tuple[dt.date, int, int], ...]  # game date, players predicted, players eligible


def build_report(
    warehouse: Warehouse,
    start: dt.date,
    end: dt.date,
    truth: TruthLookup | None,
    truth_label: str | None,
    eligible: Callable[[dt.date], int],
) -> SeasonReport:
    """Read the range's graded predictions once and evaluate it whole and week by week;
    ``eligible(day)`` counts the players eligible for predictions on a date. Each player-game's
    truth is looked up once, however many evaluations read it."""
    if truth is not None:
        truth = functools.cache(truth)
    rows = read_graded(warehouse, start - dt.timedelta(days=SPREAD_DAYS), end)
    history = [r for r in rows if r.game_date < start]
    in_range = [r for r in rows if r.game_date >= start]
    whole = evaluate_rows(in_range, start, end, truth, truth_label, history=history)
    weeks = []
    monday = start - dt.timedelta(days=start.weekday())
    while monday <= end:
        sunday = monday + dt.timedelta(days=6)
        week = [r for r in in_range if monday <= r.game_date <= sunday]
        if week:
            spread_from = monday - dt.timedelta(days=SPREAD_DAYS)  # all a week's spreads need
            earlier = [r for r in rows if spread_from <= r.game_date < monday]
            weeks.append((monday, evaluate_rows(week, max(monday, start), min(sunday, end), truth, truth_label,
                                                history=earlier)))
        monday += dt.timedelta(days=7)
    predicted = _players_predicted(warehouse, start, end)
    coverage = tuple((day, predicted.get(day, 0), eligible(day)) for day in sorted(set(predicted)))
    return SeasonReport(whole=whole, weeks=tuple(weeks), coverage=coverage)


def _players_predicted(warehouse: Warehouse, start: dt.date, end: dt.date) -> dict[dt.date, int]:
    rows = warehouse.query(
        "SELECT game_date, COUNT(DISTINCT player_lookup) AS players FROM nba_predictions.player_prop_predictions "
        "WHERE game_date BETWEEN @start_date AND @end_date GROUP BY game_date",
        {"start_date": start, "end_date": end},
    )
    return {r["game_date"]: int(r["players"]) for r in rows}


# --------------------------------------------------------------------------- SVG


def _line_chart(title: str, x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]],
                y_label: str, *, diagonal: tuple[float, float] | None = None,
                y_range: tuple[float, float] | None = None) -> str:
    """A line chart as inline SVG: one polyline per series (None values break the line), a legend;
    ``diagonal``: a dashed reference line from (first label, its first value) to (last, its second)."""
    width, height, left, right, top, bottom = 760, 300, 56, 190, 28, 44
    values = [v for points in series.values() for v in points if v is not None]
    if not values or not x_labels:
        return f"<p><em>{html.escape(title)}: nothing to draw.</em></p>"
    low, high = y_range or (min(values), max(values))
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{html.escape(title)}">',
             f'<text x="{left}" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#444"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>']
    for k in range(5):
        v = low + (high - low) * k / 4
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end">{v:.2f}</text>')
        parts.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + plot_w}" y2="{y(v):.1f}" stroke="#eee"/>')
    step = max(1, n // 10)
    for i in range(0, n, step):
        parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" font-size="10" '
                     f'text-anchor="middle">{html.escape(x_labels[i])}</text>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="11">{html.escape(y_label)}</text>')
    if diagonal:
        parts.append(f'<line x1="{x(0):.1f}" y1="{y(diagonal[0]):.1f}" x2="{x(n - 1):.1f}" y2="{y(diagonal[1]):.1f}" '
                     'stroke="#999" stroke-dasharray="4 3"/>')
    for index, (name, points) in enumerate(series.items()):
        colour = _COLOURS[index % len(_COLOURS)]
        parts.append(_polylines(colour, [None if v is None else (x(i), y(v)) for i, v in enumerate(points)]))
        legend_y = top + 16 * index
        parts.append(f'<rect x="{width - right + 12}" y="{legend_y}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{width - right + 28}" y="{legend_y + 9}" font-size="11">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _polylines(colour: str, points: Sequence[tuple[float, float] | None]) -> str:
    """A dot per point and a line through each run of points (a None breaks the line)."""
    parts: list[str] = []
    run: list[tuple[float, float]] = []
    for point in [*points, None]:
        if point is None:
            if len(run) > 1:
                line = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{line}"/>')
            run = []
            continue
        run.append(point)
        parts.append(f'<circle cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="2.5" fill="{colour}"/>')
    return "".join(parts)


# --------------------------------------------------------------------------- HTML


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _by_name(evaluation: Evaluation) -> dict[str, Entry]:
    return {e.name: e for e in evaluation.entries}


def render_html(report: SeasonReport) -> str:
    """The report as one HTML document."""
    whole = report.whole
    names = [e.name for e in whole.entries]
    weeks = [monday.isoformat() for monday, _ in report.weeks]
    per_week = [_by_name(ev) for _, ev in report.weeks]

    def weekly(figure: Callable[[Entry], float | None]) -> dict[str, list[float | None]]:
        return {name: [figure(w[name]) if name in w else None for w in per_week] for name in names}

    mae = weekly(lambda e: e.errors.mae if e.errors else None)
    hit_rate = weekly(lambda e: e.bets.hit_rate)
    returns = weekly(lambda e: e.bets.return_per_unit)
    calibration_series: dict[str, list[float | None]] = {}
    bins = [f"{(k + 0.5) / 10:.2f}" for k in range(10)]  # each bin by its centre
    for entry in whole.entries:
        if entry.probability:
            observed: list[float | None] = [None] * 10
            for b in entry.probability.reliability:
                if b.n >= 20:
                    observed[round(b.low * 10)] = b.observed
            calibration_series[entry.name] = observed
    coverage_dates = [day.isoformat() for day, _, _ in report.coverage]
    coverage = {"players predicted": [float(p) for _, p, _ in report.coverage],
                "players eligible": [float(e) for _, _, e in report.coverage]}

    summary_rows = [
        (e.name, e.errors.n if e.errors else 0, e.errors.mae if e.errors else None, e.errors.rmse if e.errors else None,
         e.errors.bias if e.errors else None, e.paired, e.paired_mae, e.baseline_mae, e.truth_mae, e.gain_share,
         e.bets.calls, e.bets.hit_rate, e.bets.return_per_unit,
         e.probability.brier if e.probability else None, e.probability.skill if e.probability else None)
        for e in whole.entries
    ]
    week_rows = [(w, name, mae[name][i], hit_rate[name][i], returns[name][i])
                 for i, w in enumerate(weeks) for name in names if mae[name][i] is not None]
    reliability_rows = [(e.name, f"{b.low:.1f}-{b.high:.1f}", b.n, b.mean_probability, b.observed)
                        for e in whole.entries if e.probability for b in e.probability.reliability]
    truth = html.escape(whole.truth or "none (no gain share)")
    sections = [
        f"<h1>Prediction quality {whole.start} to {whole.end}</h1>",
        f"<p>{len(whole.graded_dates)} graded dates, {whole.player_games} player-games; truth: {truth}. "
        "Figures as in <code>nba-pipeline evaluate</code> (docs/evaluation.md).</p>",
        "<h2>Summary</h2>",
        _table(["entry", "n", "MAE", "RMSE", "bias", "paired", "paired MAE", "baseline MAE", "truth MAE",
                "gain share", "calls", "hit rate", "return/unit", "Brier", "skill"], summary_rows),
        "<h2>MAE per week</h2>",
        _line_chart("MAE per week (points)", weeks, mae, "week starting"),
        "<h2>Calibration</h2>",
        _line_chart("P(points > line): observed share over, by forecast bin", bins, calibration_series,
                    "forecast bin, by its centre (dashed: perfect calibration)", diagonal=(0.05, 0.95),
                    y_range=(0.0, 1.0)),
        "<h2>Against the books</h2>",
        _line_chart("Hit rate per week (real lines)", weeks, hit_rate, "week starting"),
        _line_chart("Return per unit staked per week", weeks, returns, "week starting"),
        "<h2>Coverage</h2>",
        _line_chart("Players predicted and eligible per game date", coverage_dates, coverage, "game date"),
        "<h2>Tables</h2><h3>Per week</h3>",
        _table(["week", "entry", "MAE", "hit rate", "return/unit"], week_rows),
        "<h3>Reliability</h3>",
        _table(["entry", "forecast bin", "n", "mean forecast", "observed over"], reliability_rows),
        "<h3>Coverage</h3>",
        _table(["game date", "players predicted", "players eligible"], list(report.coverage)),
    ]
    style = ("body{font-family:sans-serif;margin:24px;max-width:1000px}table{border-collapse:collapse;"
             "margin:8px 0 24px}td,th{border:1px solid #ccc;padding:3px 6px;font-size:12px;text-align:right}"
             "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Prediction quality {whole.start} to {whole.end}</title><style>{style}</style></head><body>"
            + "\n".join(sections) + "</body></html>\n")

