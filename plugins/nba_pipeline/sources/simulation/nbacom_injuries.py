"""The NBA's injury report as the simulation serves it: a PDF in the real report's layout.

The report published last at or before the fetch moment (:func:`~.injuries.publications`) lists
the players of the date's games in the simulated league's injury report: one line per player,
games in day order, the away team first. Cells are printed as the real report prints them
(:mod:`nba_pipeline.sources.injury_report`): date, time, matchup and team only where they change,
blank on the lines that continue them, also after a page break.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from nba_pipeline.sources.injury_report import COLUMN_EDGES, COLUMNS, FILLED_DOWN, title_for
from nba_pipeline.sources.simulation.calendar import ET
from nba_pipeline.sources.simulation.imperfections import duplicate_first
from nba_pipeline.sources.simulation.injuries import publications
from nba_pipeline.sources.simulation.rosters import TEAMS

if TYPE_CHECKING:
    from fpdf import FPDF

    from nba_pipeline.sources.simulation.league import SimulatedLeague

__all__ = ["ReportNotPublishedError", "render_injury_report", "report_pdf"]

_LINE_HEIGHT = 12.0
_TOP = 20.0  # the title's line
_HEADER = 44.0  # the column header's line
_BOTTOM = 560.0  # no line starts below this


class ReportNotPublishedError(LookupError):
    """No report for the date is out yet at the fetch moment (the real site answers 403)."""


def render_injury_report(
    league: SimulatedLeague, day: date, as_of: datetime, imperfections: frozenset[str]
) -> bytes:
    """The PDF of the latest report for ``day`` published by ``as_of``.

    :raises ReportNotPublishedError: before the first publication (17:30 ET the day before).
    """
    published = publications(day, as_of)
    if not published:
        raise ReportNotPublishedError(f"no injury report for {day} is published by {as_of.isoformat()}")
    games_by_team = {team: game for game in league.games_on(day) for team in (game.away, game.home)}
    lines = []
    for entry in league.injury_report(day):
        game = games_by_team[entry.team]
        lines.append(
            {
                "gameDate": f"{day:%m/%d/%Y}",
                "gameTime": f"{game.start_time.astimezone(ET):%I:%M} (ET)",
                "matchup": game.matchup,
                "team": TEAMS[entry.team],
                "playerName": league.player(entry.player_lookup).report_name,
                "currentStatus": entry.status,
                "reason": entry.reason,
            }
        )
    duplicate_first(lines, imperfections)
    return report_pdf(max(published), lines)


def report_pdf(report_time: datetime, lines: list[dict[str, str]]) -> bytes:
    """A report in the real layout holding ``lines`` (cells by column key, the filled-down ones
    given on every line); byte-identical for the same arguments."""
    from fpdf import FPDF  # only the injury report needs it

    pdf = FPDF(orientation="L", unit="pt", format="A4")
    pdf.set_creation_date(report_time)
    pdf.set_auto_page_break(False)
    pdf.set_margins(COLUMN_EDGES[0], _TOP)
    title = title_for(report_time)
    previous: dict[str, str] | None = None
    y = _BOTTOM  # start with a page
    for line in lines:
        if y >= _BOTTOM:
            _new_page(pdf, title)
            y = _HEADER + _LINE_HEIGHT
        shown = _shown(line, previous)
        pdf.set_font("helvetica", size=7)
        for (key, _), left, right in zip(COLUMNS, COLUMN_EDGES, COLUMN_EDGES[1:], strict=False):
            text = line[key] if key in shown else ""
            if pdf.get_string_width(text) > right - left - 4:
                raise ValueError(f"{key} {text!r} is wider than its column")
            pdf.set_xy(left, y)
            pdf.cell(right - left, _LINE_HEIGHT, text, align="C" if key == "currentStatus" else "L")
        previous = line
        y += _LINE_HEIGHT
    if previous is None:
        _new_page(pdf, title)
    return bytes(pdf.output())


def _shown(line: dict[str, str], previous: dict[str, str] | None) -> set[str]:
    """The cells printed on a line: the player's, and the filled-down ones that change here."""
    shown = {key for key, _ in COLUMNS if key not in FILLED_DOWN}
    if previous is None or line["gameDate"] != previous["gameDate"]:
        return shown | set(FILLED_DOWN)
    if line["matchup"] != previous["matchup"]:
        return shown | {"gameTime", "matchup", "team"}
    if line["team"] != previous["team"]:
        return shown | {"team"}
    return shown


def _new_page(pdf: FPDF, title: str) -> None:
    pdf.add_page()
    pdf.set_font("helvetica", style="B", size=10)
    pdf.set_xy(COLUMN_EDGES[0], _TOP)
    pdf.cell(400, _LINE_HEIGHT, title)
    pdf.set_font("helvetica", size=8)
    pdf.set_xy(COLUMN_EDGES[-1] - 100, _TOP)
    pdf.cell(100, _LINE_HEIGHT, f"Page {pdf.page_no()} of {{nb}}", align="R")
    pdf.set_font("helvetica", style="B", size=8)
    for (_, label), left, right in zip(COLUMNS, COLUMN_EDGES, COLUMN_EDGES[1:], strict=False):
        pdf.set_xy(left, _HEADER)
        pdf.cell(right - left, _LINE_HEIGHT, label, border=1, align="C")

