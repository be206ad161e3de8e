"""NBA.com payloads: schedule, team box score, injury report (PDF); the player box scores are in
:mod:`.nbac_boxscores`, the play-by-play in :mod:`.nbac_play_by_play`."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from nba_pipeline.processors import game_ids as ids
from nba_pipeline.processors.raw.common import (
    NBA_STATS,
    PLUS_MINUS_MAX,
    STAT_MAX,
    ParsedRow,
    RawTable,
    box_stats,
    check_game_date,
    check_payload_date,
    collapse,
    convert,
    iso_date,
    result_set_rows,
    us_date,
)
from nba_pipeline.processors.raw.json_node import BODY, Invalid, Node
from nba_pipeline.sources.injury_report import NOT_YET_SUBMITTED, UnreadableReportError, read_report

#: How far from the payload's date a schedule document may reach (a full-season document spans ~8 months).
SCHEDULE_WINDOW_DAYS = 366
_TEAM_MINUTES_MAX = 400.0
_INJURY_STATUSES = ("Out", "Doubtful", "Questionable", "Probable", "Available")


def _game_from_code(node: Node, key: str = "gameCode") -> tuple[str, dt.date, str, str]:
    """The canonical id, date, away and home team of a ``YYYYMMDD/AWAYHOME`` game code."""
    code = node.str(key)
    canonical = convert(node.at(key), code, ids.from_game_code, code)
    game_date, away, home = ids.parse_canonical(canonical)
    return canonical, game_date, away, home


def _team(node: Node, key: str, allowed: tuple[str, ...] | None = None) -> str:
    value = node.str(key)
    code: str = convert(node.at(key), value, ids.team_code, value)
    if allowed is not None and code not in allowed:
        raise node.fail(key, value, f"is not a team of this game ({' / '.join(allowed)})")
    return code


#: Shared with the box scores' parser (:mod:`.nbac_boxscores`).
game_from_code = _game_from_code
team_of_game = _team


def _row_game_id(node: Node, key: str, nba_game_id: str | None, game_date: dt.date, away: str, home: str) -> str:
    """A row's game id in any form, which must name the game the row belongs to."""
    value = node.str(key)
    if nba_game_id is not None and value.isdigit():
        if value != nba_game_id:
            raise node.fail(key, value, f"belongs to another game than {nba_game_id}")
        return ids.canonical_game_id(game_date, away, home)
    game_id: str = convert(
        node.at(key), value, lambda: ids.normalise_game_id(value, game_date=game_date, away=away, home=home)
    )
    return game_id


# --------------------------------------------------------------------------- schedule


def parse_schedule(doc: Node, day: dt.date) -> list[ParsedRow]:
    """Every game of every ``gameDates`` entry, whatever its date (a document may span a window)."""
    rows: list[ParsedRow] = []
    for entry in doc.obj("leagueSchedule").items("gameDates"):
        text = entry.str("gameDate")
        try:
            entry_date = dt.datetime.strptime(text.split(" ")[0], "%m/%d/%Y").date()
        except ValueError:
            raise entry.fail("gameDate", text, "expected MM/DD/YYYY 00:00:00") from None
        if abs((entry_date - day).days) > SCHEDULE_WINDOW_DAYS:
            raise entry.fail("gameDate", text, f"more than {SCHEDULE_WINDOW_DAYS} days from the payload's date {day}")
        for game in entry.items("games"):
            canonical, game_date, away, home = _game_from_code(game)
            if game_date != entry_date:
                raise game.fail(
                    "gameCode",
                    game.value.get("gameCode"),
                    f"is not on its gameDates entry's date {entry_date}",
                )
            nba_game_id = game.str("gameId")
            season_type = convert(game.at("gameId"), nba_game_id, ids.check_nba_game_id, nba_game_id, game_date)
            home_team, away_team = game.obj("homeTeam"), game.obj("awayTeam")
            _team(home_team, "teamTricode", (home,))
            _team(away_team, "teamTricode", (away,))
            status = game.one_of("gameStatus", (1, 2, 3))
            status_text = game.str("gameStatusText", nullable=True, empty=True)
            postponed = game.str("postponedStatus", nullable=True, empty=True)
            home_score = home_team.int("score", nullable=True, minimum=0, maximum=STAT_MAX)
            away_score = away_team.int("score", nullable=True, minimum=0, maximum=STAT_MAX)
            if status == 3:
                if home_score is None or away_score is None:
                    raise game.fail("homeTeam.score", home_score, "a final game needs both scores")
                if home_score == away_score:
                    raise home_team.fail("score", home_score, f"a final score cannot be a tie ({away_score})")
            start_text = game.str("gameDateTimeUTC", nullable=True)
            start = convert(game.at("gameDateTimeUTC"), start_text, ids.parse_utc_z, start_text) if start_text else None
            label = game.str("gameLabel", nullable=True, empty=True)
            sub_label = game.str("gameSubLabel", nullable=True, empty=True)
            row = {
                "game_id": canonical,
                "nba_game_id": nba_game_id,
                "game_date": game_date,
                "season_year": ids.season_start_year(game_date),
                "season_type": season_type,
                "game_status": status,
                "game_status_text": status_text or None,
                "is_postponed": postponed == "P" or status_text == "PPD",
                "home_team_abbr": home,
                "away_team_abbr": away,
                "home_score": home_score if status > 1 else None,
                "away_score": away_score if status > 1 else None,
                "start_time_utc": start,
                "game_label": label or None,
                "game_sub_label": sub_label or None,
            }
            rows.append(ParsedRow(game.path, row))
    return rows


# --------------------------------------------------------------------------- team box score


#: (TeamGameLogs column, table column) of the counting stats; TOV comes as a float (``14.0``).
_TEAM_LOG_STATS: tuple[tuple[str, str], ...] = tuple((key.upper(), column) for key, column in NBA_STATS)
_TEAM_LOG_HEADERS = ("TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE", "MATCHUP", "MIN", "PLUS_MINUS") + tuple(
    key for key, _ in _TEAM_LOG_STATS
)
_HOME_MATCHUP = re.compile(r"^(?P<team>[A-Z]{2,4}) vs\. (?P<opponent>[A-Z]{2,4})$")
_AWAY_MATCHUP = re.compile(r"^(?P<team>[A-Z]{2,4}) @ (?P<opponent>[A-Z]{2,4})$")


def parse_team_boxscore(doc: Node, day: dt.date) -> list[ParsedRow]:
    """Two rows per final game from stats.nba.com's ``TeamGameLogs`` result set (positional rows);
    each team's PLUS_MINUS must be its points margin."""
    parameters = doc.obj("parameters")
    check_payload_date(parameters, "DateFrom", parameters.value.get("DateFrom"), us_date(parameters, "DateFrom"), day)
    parsed: list[ParsedRow] = []
    for cell in result_set_rows(doc, "TeamGameLogs", _TEAM_LOG_HEADERS):
        game_date = iso_date(cell, "GAME_DATE")
        check_game_date(cell, "GAME_DATE", cell.value["GAME_DATE"], game_date, day)
        team = _team(cell, "TEAM_ABBREVIATION")
        matchup = cell.str("MATCHUP")
        home_match, away_match = _HOME_MATCHUP.match(matchup), _AWAY_MATCHUP.match(matchup)
        match = home_match or away_match
        if match is None:
            raise cell.fail("MATCHUP", matchup, 'expected "TEAM vs. OPP" (home) or "TEAM @ OPP" (away)')
        if convert(cell.at("MATCHUP"), match["team"], ids.team_code, match["team"]) != team:
            raise cell.fail("MATCHUP", matchup, f"does not start with the row's team {team}")
        opponent = convert(cell.at("MATCHUP"), match["opponent"], ids.team_code, match["opponent"])
        away, home = (opponent, team) if home_match else (team, opponent)
        game_minutes = cell.num("MIN", minimum=0, maximum=_TEAM_MINUTES_MAX / 5)
        row: dict[str, Any] = {
            "game_id": _row_game_id(cell, "GAME_ID", None, game_date, away, home),
            "game_date": game_date,
            "team_abbr": team,
            "opponent_team_abbr": opponent,
            "home_game": team == home,
            "minutes": game_minutes * 5,  # five players on the floor: 240 team minutes in regulation
            **box_stats(cell, _TEAM_LOG_STATS, whole_floats=True),
            "plus_minus": cell.int("PLUS_MINUS", minimum=-PLUS_MINUS_MAX, maximum=PLUS_MINUS_MAX, whole_float=True),
        }
        parsed.append(ParsedRow(cell.path, row))
    unique = collapse(parsed, ("game_id", "team_abbr"))
    by_game: dict[str, list[ParsedRow]] = defaultdict(list)
    for parsed_row in unique:
        by_game[parsed_row.row["game_id"]].append(parsed_row)
    for game_id, pair in by_game.items():
        if len(pair) != 2:
            raise Invalid(pair[0].path, game_id, "a game needs both teams' rows; only one is present")
        for mine, theirs in (pair, pair[::-1]):
            margin = mine.row["points"] - theirs.row["points"]
            if mine.row["plus_minus"] != margin:
                raise Invalid(f"{mine.path}.PLUS_MINUS", mine.row["plus_minus"], f"is not the points margin {margin}")
    return parsed


# --------------------------------------------------------------------------- injury report


def read_injury_report(body: bytes) -> Node:
    """The report's PDF as a document: ``reportTime`` (its title, ET ISO) and its ``pages`` of
    ``lines`` (cells by column, the filled-down ones carried), so that faults name a page and line."""
    try:
        report = read_report(body)
    except UnreadableReportError as exc:
        raise Invalid(BODY, body[:16], str(exc)) from None
    pages: list[dict[str, list[dict[str, str]]]] = [{"lines": []} for _ in range(report.pages)]
    for line in report.lines:
        pages[line.page - 1]["lines"].append(line.cells)
    return Node({"reportTime": report.published.isoformat(), "pages": pages})


def parse_injury_report(doc: Node, day: dt.date) -> list[ParsedRow]:
    """One row per listed player of ``day``'s games; a team's "NOT YET SUBMITTED" line has no
    player and gives no row.

    A report published in the evening lists that evening's games and the next day's: lines of the
    day before or after are the report's other games and give no row. A line further away, or a
    report with no line for ``day``, is an error.
    """
    report_text = doc.str("reportTime")
    report_time = convert(doc.at("reportTime"), report_text, ids.parse_et_iso, report_text)
    published = ids.et_date(report_time)
    if not day - dt.timedelta(days=7) <= published <= day + dt.timedelta(days=1):
        raise doc.fail("reportTime", report_text, f"a report for {day} cannot be published on {published}")
    rows: list[ParsedRow] = []
    other_dates: set[dt.date] = set()
    listed = False  # a line for ``day``, a player's or a team's "NOT YET SUBMITTED"
    for entry in (line for page in doc.items("pages") for line in page.items("lines")):
        game_date = us_date(entry, "gameDate")
        if abs((game_date - day).days) == 1:
            other_dates.add(game_date)
            continue
        check_game_date(entry, "gameDate", entry.value["gameDate"], game_date, day)
        listed = True
        if entry.value.get("reason") == NOT_YET_SUBMITTED and not entry.value.get("playerName"):
            continue
        matchup = entry.str("matchup")
        game_id = convert(entry.at("matchup"), matchup, ids.from_matchup, matchup, game_date)
        _, away, home = ids.parse_canonical(game_id)
        team_name = entry.str("team")
        team = convert(entry.at("team"), team_name, ids.team_from_name, team_name)
        if team not in (away, home):
            raise entry.fail("team", team_name, f"does not play in {matchup}")
        name = entry.str("playerName")
        lookup = ids.player_lookup(name)
        if not lookup:
            raise entry.fail("playerName", name, "has no letters to make a player_lookup from")
        status = entry.one_of("currentStatus", _INJURY_STATUSES)
        row = {
            "report_time": report_time,
            "game_id": game_id,
            "game_date": game_date,
            "team_abbr": team,
            "player_lookup": lookup,
            "player_name": ids.display_name(name),
            "injury_status": status.lower(),
            "reason": entry.str("reason", nullable=True, empty=True) or None,
        }
        rows.append(ParsedRow(entry.path, row))
    if not listed and other_dates:
        dates = ", ".join(map(str, sorted(other_dates)))
        raise doc.fail("pages", f"games on {dates}", f"the report lists no game on the payload's date {day}")
    return rows


#: a game's status only moves forward (1 scheduled, 2 live, 3 final): a rerun of an old date, whose
#: payload still shows later games as scheduled, leaves what newer payloads said
SCHEDULE = RawTable(
    "nbac_schedule", "nba_raw.nbac_schedule", ("game_id",), parse_schedule, never_lowered=("game_status",)
)
TEAM_BOXSCORE = RawTable(
    "nbac_team_boxscore", "nba_raw.nbac_team_boxscore", ("game_id", "team_abbr"), parse_team_boxscore
)
INJURY_REPORT = RawTable(
    "nbac_injury_report",
    "nba_raw.nbac_injury_report",
    ("report_time", "game_id", "player_lookup"),
    parse_injury_report,
    append_only=True,
    decode=read_injury_report,
)
