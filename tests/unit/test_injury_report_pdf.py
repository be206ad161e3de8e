"""The injury report as a PDF: the simulation writes the real layout, the reader reads it back.

No public client reads the real report (the maintained one needs Java), so besides the round trip
through the simulation's own writer, a report drawn independently (:mod:`tests.injury_pdf`) in the
documented layout (docs/real-endpoints.md §2: other fonts, the status centred, a team that has not
filed) is read by the raw processor.
"""

from __future__ import annotations

import datetime as dt
import io

import pdfplumber
import pytest

from nba_pipeline.processors.raw import INJURY_REPORT
from nba_pipeline.processors.raw.json_node import Invalid
from nba_pipeline.sources.injury_report import NOT_YET_SUBMITTED, read_report, title_for
from nba_pipeline.sources.simulation import ET, SimulatedLeague
from nba_pipeline.sources.simulation.nbacom_injuries import report_pdf
from tests.injury_pdf import draw_report

GAME_DAY = dt.date(2025, 1, 15)
PUBLISHED = dt.datetime(2025, 1, 15, 17, 30, tzinfo=ET)


def _line(matchup: str, team: str, name: str, status: str = "Out", reason: str = "Rest") -> dict[str, str]:
    return {
        "gameDate": "01/15/2025", "gameTime": "07:30 (ET)", "matchup": matchup, "team": team,
        "playerName": name, "currentStatus": status, "reason": reason,
    }  # fmt: skip


def test_the_simulated_report_reads_back_as_the_league_lists_it() -> None:
    league = SimulatedLeague()
    report = read_report(league.payload("nbac_injury_report", GAME_DAY))

    entries = league.injury_report(GAME_DAY)
    assert report.published == PUBLISHED and report.pages == 1 and len(report.lines) == len(entries) > 20
    for line, entry in zip(report.lines, entries, strict=True):
        game = next(g for g in league.games_on(GAME_DAY) if entry.team in (g.away, g.home))
        assert line.cells["matchup"] == f"{game.away}@{game.home}"
        assert line.cells["playerName"] == league.player(entry.player_lookup).report_name
        assert (line.cells["currentStatus"], line.cells["reason"]) == (entry.status, entry.reason)
        assert line.cells["gameDate"] == "01/15/2025" and line.cells["gameTime"].endswith(" (ET)")


def test_cells_printed_once_are_carried_down_also_across_a_page_break() -> None:
    lines = [_line("BOS@NYK", "Boston Celtics", f"Player{n:02d}, Away") for n in range(30)]
    lines += [_line("BOS@NYK", "New York Knicks", f"Player{n:02d}, Home") for n in range(30)]
    body = report_pdf(PUBLISHED, lines)

    report = read_report(body)
    assert report.pages == 2 and [line.cells for line in report.lines] == lines
    assert [line.page for line in report.lines].count(2) == 60 - 42, "42 lines fit on a page"
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        second = pdf.pages[1].extract_text().splitlines()
    assert second[0] == title_for(PUBLISHED) + " Page 2 of 2"
    assert second[2] == "Player12, Home Out Rest", "the page continues the Knicks' lines with the team blank"


def test_the_raw_processor_reads_a_report_drawn_in_the_documented_layout() -> None:
    body = draw_report(title="Injury Report: 01/15/25 05:30 PM", rows=[
        ("01/15/2025", "07:30 (ET)", "LAC@DEN", "LA Clippers", "Porter Jr., Michael", "Questionable",
         "Injury/Illness - Left Knee; Soreness"),
        ("", "", "", "", "Harden, James", "Available", "Rest"),
        ("", "", "", "Denver Nuggets", "", "", NOT_YET_SUBMITTED),
        ("", "10:00 (ET)", "MIA@SAC", "Miami Heat", "Muñoz, José", "Out", "G League - Two-Way"),
    ])  # fmt: skip

    rows = [parsed.row for parsed in INJURY_REPORT.parse(INJURY_REPORT.decode(body), GAME_DAY)]

    assert [(r["game_id"], r["team_abbr"], r["player_lookup"], r["injury_status"]) for r in rows] == [
        ("20250115_LAC_DEN", "LAC", "michaelporterjr", "questionable"),
        ("20250115_LAC_DEN", "LAC", "jamesharden", "available"),
        ("20250115_MIA_SAC", "MIA", "josemunoz", "out"),
    ], "the Nuggets have not filed: no row"
    assert {r["report_time"] for r in rows} == {PUBLISHED}
    assert rows[0]["reason"] == "Injury/Illness - Left Knee; Soreness"


def test_an_evening_report_gives_the_rows_of_the_payloads_date_only() -> None:
    """Published in the evening, a report lists that evening's games and the next day's."""
    tonight = {**_line("BOS@NYK", "Boston Celtics", "Tatum, Jayson"), "gameDate": "01/14/2025"}
    tomorrow = _line("LAC@DEN", "Denver Nuggets", "Jokic, Nikola", "Probable", "Injury/Illness - Right Wrist")
    body = report_pdf(dt.datetime(2025, 1, 14, 21, 30, tzinfo=ET), [tonight, tomorrow])
    document = INJURY_REPORT.decode(body)

    rows = [parsed.row for parsed in INJURY_REPORT.parse(document, GAME_DAY)]
    assert [(r["game_id"], r["player_lookup"]) for r in rows] == [("20250115_LAC_DEN", "nikolajokic")]
    assert [r["game_id"] for r in (p.row for p in INJURY_REPORT.parse(document, dt.date(2025, 1, 14)))] == [
        "20250114_BOS_NYK"
    ]
    with pytest.raises(Invalid) as refused:  # a game two days from the payload's date is not the report's
        INJURY_REPORT.parse(document, dt.date(2025, 1, 13))
    assert (refused.value.path, refused.value.reason) == (
        "pages[0].lines[1].gameDate", "the game is on 2025-01-15, not on the payload's date 2025-01-13"
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"%PDF-1.3\n1 0 obj", "a damaged PDF"),
        (b'{"rows": []}', "not a PDF: the body starts with b'{\"rows\": []}'"),
        (b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>", "an XML document instead of a PDF"),
    ],
    ids=["truncated", "json", "xml"],
)
def test_unreadable_bodies_are_refused_by_name(body: bytes, fragment: str) -> None:
    with pytest.raises(Invalid) as refused:
        INJURY_REPORT.decode(body)
    assert refused.value.path == "(body)" and fragment in refused.value.reason
