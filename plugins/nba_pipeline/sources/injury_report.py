"""The NBA's official injury report, a PDF (``docs/real-endpoints.md`` §2): its layout and a reader.

Declared once for the sides that need it: the simulation renders its report in this layout, the
scraper finds the newest published file and counts its lines, and the raw processor reads them. A
landscape A4 page carries the title ``Injury Report: MM/DD/YY HH:MM AM`` (the report's only clock,
Eastern time), ``Page N of M`` and the column header, on every page; then one line per listed
player. The first four cells are printed only where they change (a new date, a new game, a new
team) and are blank on the lines that continue them, also across a page break.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from nba_pipeline.settings import LOCAL_TIMEZONE

__all__ = [
    "COLUMNS",
    "COLUMN_EDGES",
    "FILLED_DOWN",
    "LOOK_BACK",
    "MEDIA_TYPE",
    "NOT_YET_SUBMITTED",
    "ReportLine",
    "ReportPdf",
    "UnreadableReportError",
    "parse_title",
    "read_report",
    "report_slots",
    "title_for",
]

ET = ZoneInfo(LOCAL_TIMEZONE)
MEDIA_TYPE = "application/pdf"

#: The column keys, in page order, and the header text printed for each.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("gameDate", "Game Date"),
    ("gameTime", "Game Time"),
    ("matchup", "Matchup"),
    ("team", "Team"),
    ("playerName", "Player Name"),
    ("currentStatus", "Current Status"),
    ("reason", "Reason"),
)
#: Column edges in points from the page's left side: the left margin, the six inner edges of the
#: real reports (2023-24 to 2025-26), the right margin.
COLUMN_EDGES: tuple[float, ...] = (18.3, 108.8, 183.5, 255.1, 371.9, 543.5, 655.0, 827.6)
#: The cells printed only where they change, and carried down to the lines below them.
FILLED_DOWN: tuple[str, ...] = ("gameDate", "gameTime", "matchup", "team")
#: A team that has not filed yet: one line with this text in the Reason column and no player.
NOT_YET_SUBMITTED = "NOT YET SUBMITTED"

#: A report is published as a file per slot: hourly at :30 until this moment, named by the hour
#: (``Injury-Report_2025-01-15_05PM.pdf`` is the 05:30 PM report), every quarter hour since, named
#: by hour and minute (``Injury-Report_2026-01-15_05_15PM.pdf``).
QUARTER_HOURLY_FROM = dt.datetime(2025, 12, 22, 9, tzinfo=ET)
#: How far before the fetch moment the scraper looks for the newest published report.
LOOK_BACK = dt.timedelta(hours=12)
_QUARTER_HOUR = dt.timedelta(minutes=15)

_TITLE = re.compile(r"Injury Report:\s*(\d{2}/\d{2}/\d{2})\s+(\d{2}:\d{2})\s*([AP]M)")
_LINE_TOLERANCE = 3.0  # points: words whose tops differ by less share a line


class UnreadableReportError(ValueError):
    """The bytes are not a readable injury report (not a PDF, damaged, or not in the layout)."""


@dataclass(frozen=True)
class ReportLine:
    """One line below a page's column header: every column's text ("" where the page shows
    nothing), with the :data:`FILLED_DOWN` cells carried down from the lines above."""

    page: int  # 1-based
    number: int  # 1-based, counted below the column header
    cells: dict[str, str]


@dataclass(frozen=True)
class ReportPdf:
    """A report as read: when it was published (its title) and its lines in page order."""

    published: dt.datetime
    pages: int
    lines: list[ReportLine]


def title_for(report_time: dt.datetime) -> str:
    """The title line of the report published at ``report_time``: ``Injury Report: 01/14/25 05:30 PM``."""
    local = report_time.astimezone(ET)
    return f"Injury Report: {local:%m/%d/%y %I:%M %p}"


def parse_title(text: str) -> dt.datetime | None:
    """The publication moment (ET) in a title line, or None when ``text`` holds no title."""
    match = _TITLE.search(text)
    if match is None:
        return None
    moment = dt.datetime.strptime(" ".join(match.groups()), "%m/%d/%y %I:%M %p")
    return moment.replace(tzinfo=ET)


def report_slots(moment: dt.datetime, within: dt.timedelta = LOOK_BACK) -> list[str]:
    """The file-name tokens of the publication slots from ``moment`` back to ``within`` before it,
    newest first, each with its own ET date (``2025-01-14_09PM`` before midnight).

    Stepped in UTC, so that the hour skipped in March is never asked for and the hour repeated in
    November is asked for once (its two slots share a file name).
    """
    latest = moment.astimezone(dt.UTC)
    instant = latest.replace(minute=latest.minute - latest.minute % 15, second=0, microsecond=0)
    tokens: list[str] = []  # (ET's offsets are whole hours: UTC quarter hours are ET quarter hours)
    while instant >= latest - within:
        local = instant.astimezone(ET)
        if local >= QUARTER_HOURLY_FROM:
            token = f"{local:%Y-%m-%d_%I_%M%p}"
        else:
            token = f"{local:%Y-%m-%d_%I%p}" if local.minute == 30 else ""
        if token and token not in tokens:
            tokens.append(token)
        instant -= _QUARTER_HOUR
    return tokens


def read_report(body: bytes) -> ReportPdf:
    """The title time and the lines of a report, read with pdfplumber by the column edges.

    :raises UnreadableReportError: naming what is wrong: an HTML or XML page or other bytes that are not
        a PDF, a damaged file, a page without the title or the column header.
    """
    pages = _words_by_page(body)
    published: dt.datetime | None = None
    lines: list[ReportLine] = []
    carried = dict.fromkeys(FILLED_DOWN, "")
    for number, words in enumerate(pages, start=1):
        rows = _rows(words)
        title = next((moment for row in rows if (moment := parse_title(_text(row))) is not None), None)
        if title is None:
            raise UnreadableReportError(f"page {number} has no 'Injury Report: MM/DD/YY HH:MM AM' title")
        if published is not None and title != published:
            raise UnreadableReportError(f"page {number}'s title says {title}, page 1's {published}")
        published = title
        header = next((i for i, row in enumerate(rows) if _is_header(row)), None)
        if header is None:
            labels = " | ".join(label for _, label in COLUMNS)
            raise UnreadableReportError(f"page {number} has no column header ({labels})")
        for line_number, row in enumerate(rows[header + 1 :], start=1):
            lines.append(ReportLine(number, line_number, _carry(_cells(row), carried)))
    assert published is not None  # there is a page, and every page has a title
    return ReportPdf(published, len(pages), lines)


#: The words of the last few PDFs read, by their SHA-256. The scraper counts a report's lines and the
#: raw processor reads it again from the same bytes; in one process (a backfill, ``dag.test()``) the
#: second read is then free. The words are only read, never changed.
_READ: OrderedDict[bytes, list[list[dict[str, Any]]]] = OrderedDict()
_READ_KEPT = 4


def _words_by_page(body: bytes) -> list[list[dict[str, Any]]]:
    digest = hashlib.sha256(body).digest()
    if digest in _READ:
        _READ.move_to_end(digest)
        return _READ[digest]
    pages = _extract_words(body)
    _READ[digest] = pages
    while len(_READ) > _READ_KEPT:
        _READ.popitem(last=False)
    return pages


def _extract_words(body: bytes) -> list[list[dict[str, Any]]]:
    lead = body.lstrip()
    if lead.startswith(b"<"):
        kind = "an XML document" if lead.startswith((b"<?xml", b"<Error")) else "an HTML page"
        raise UnreadableReportError(f"{kind} instead of a PDF: {lead[:80].decode('utf-8', errors='replace')!r}")
    if not body.startswith(b"%PDF-"):
        raise UnreadableReportError(f"not a PDF: the body starts with {body[:16]!r}")
    import pdfplumber  # only the injury report needs it

    try:
        with pdfplumber.open(io.BytesIO(body)) as pdf:
            pages = [page.extract_words(x_tolerance=1.5, y_tolerance=2) for page in pdf.pages]
    except Exception as exc:  # pdfminer raises many exception types for damaged files
        raise UnreadableReportError(f"a damaged PDF ({type(exc).__name__}: {exc})") from None
    if not pages:
        raise UnreadableReportError("a PDF without pages")
    return pages


def _carry(cells: dict[str, str], carried: dict[str, str]) -> dict[str, str]:
    """Fill the line's blank :data:`FILLED_DOWN` cells from the lines above (a new date starts a
    new game and team), and remember the ones it prints."""
    for key in FILLED_DOWN:
        if cells[key]:
            carried[key] = cells[key]
            if key == "gameDate":
                carried.update(gameTime="", matchup="", team="")
        else:
            cells[key] = carried[key]
    return cells


def _rows(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words grouped into lines by their top, top to bottom, each line left to right."""
    rows: list[list[dict[str, Any]]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if rows and abs(rows[-1][0]["top"] - word["top"]) < _LINE_TOLERANCE:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w["x0"]) for row in rows]


def _text(row: list[dict[str, Any]]) -> str:
    return " ".join(str(word["text"]) for word in row)


def _is_header(row: list[dict[str, Any]]) -> bool:
    text = _text(row)
    return all(label in text for _, label in COLUMNS)


def _cells(row: list[dict[str, Any]]) -> dict[str, str]:
    """The line's words by column: a word belongs to the column its middle lies in."""
    parts: dict[str, list[str]] = {key: [] for key, _ in COLUMNS}
    for word in row:
        middle = (word["x0"] + word["x1"]) / 2
        index = sum(1 for edge in COLUMN_EDGES[1:-1] if middle >= edge)
        parts[COLUMNS[index][0]].append(str(word["text"]))
    return {key: " ".join(texts) for key, texts in parts.items()}
