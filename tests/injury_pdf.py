"""An injury report drawn without the simulation's writer, in the documented layout (docs/real-endpoints.md §2)."""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF

from nba_pipeline.sources.injury_report import COLUMN_EDGES, COLUMNS


def draw_report(rows: list[tuple[str, ...]], title: str | None = None) -> bytes:
    """A one-page report: ``title`` (none when None) in another size than the real one's, a left-aligned
    column header, then ``rows`` with the status centred; an empty cell is left blank as the real report does."""
    pdf = FPDF(orientation="L", unit="pt", format="A4")
    pdf.set_creation_date(dt.datetime(2025, 1, 15, tzinfo=dt.UTC))
    pdf.add_page()
    if title is not None:
        pdf.set_font("helvetica", style="B", size=12)
        pdf.set_xy(20, 24)
        pdf.cell(300, 14, title)
    pdf.set_font("helvetica", size=9)
    for (_, label), left in zip(COLUMNS, COLUMN_EDGES, strict=False):
        pdf.set_xy(left + 2, 60)
        pdf.cell(80, 12, label)
    for number, row in enumerate(rows):
        for text, left, right in zip(row, COLUMN_EDGES, COLUMN_EDGES[1:], strict=False):
            pdf.set_xy(left + 2, 80 + 13 * number)
            pdf.cell(right - left - 4, 13, text, align="C" if left == COLUMN_EDGES[5] else "L")
    return bytes(pdf.output())
