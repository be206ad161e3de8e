"""A corpus of bad phase-1 payloads, built from the simulated league's clean ones, and a local source to serve them.

Each :class:`Kind` is one way a payload goes wrong, on one source, for :data:`GAME_DAY`: the bytes, the
raw processor that reads them, and what the refusal must say. Kinds with ``path=None`` are faults the
pipeline absorbs (they normalise to the clean rows). :class:`LocalSource` is a threaded HTTP server on
127.0.0.1 that answers each path with the next body of its queue.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from nba_pipeline.scrapers.endpoints import ENDPOINTS, Endpoint
from nba_pipeline.sources.injury_report import read_report
from nba_pipeline.sources.simulation import DUPLICATE_ROWS, ET, MIXED_GAME_ID, TEAM_CODES, TEAM_INFO, SimulatedLeague
from nba_pipeline.sources.simulation.nbacom_injuries import report_pdf
from tests.injury_pdf import draw_report
from tests.local_http import LocalServer, QuietHandler, serving

GAME_DAY = dt.date(2025, 1, 15)
DAY_BEFORE = GAME_DAY - dt.timedelta(days=1)
DAY_AFTER = GAME_DAY + dt.timedelta(days=1)
#: The payload size limit the corpus runs with (the largest clean payload, the play-by-play's feeds and
#: live box scores of the day, is ~1.9 MB).
PAYLOAD_LIMIT = 4 * 1024 * 1024
LEAGUE = SimulatedLeague(seed=2024)


@cache
def clean(source: str, day: dt.date = GAME_DAY, imperfections: frozenset[str] = frozenset()) -> bytes:
    """The payload of ``source`` for ``day`` as fetched at 10:00 ET the next morning (every game final)."""
    as_of = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(10), tzinfo=ET)
    return LEAGUE.payload(source, day, as_of=as_of, imperfections=imperfections)


def _dump(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def _edit(source: str, change: Callable[[dict[str, Any]], None]) -> Callable[[], bytes]:
    def build() -> bytes:
        document = json.loads(clean(source))
        change(document)
        return _dump(document)

    return build


def _literal(source: str, locate: Callable[[dict[str, Any]], tuple[Any, Any]], text: str) -> Callable[[], bytes]:
    """The clean payload with one value replaced by raw JSON text (``NaN``, ``1e999``...)."""

    def build() -> bytes:
        document = json.loads(clean(source))
        container, key = locate(document)
        container[key] = "@@LITERAL@@"
        return _dump(document).replace(b'"@@LITERAL@@"', text.encode(), 1)

    return build


def _first_active(game: int = 0) -> int:
    players = json.loads(clean("nbac_gamebook"))["games"][game]["boxScoreTraditional"]["homeTeam"]["players"]
    return next(i for i, p in enumerate(players) if p["comment"] == "")


K = _first_active()
PLAYER = f"games[0].boxScoreTraditional.homeTeam.players[{K}]"


def _player(document: dict[str, Any]) -> dict[str, Any]:
    player: dict[str, Any] = document["games"][0]["boxScoreTraditional"]["homeTeam"]["players"][K]
    return player


def _set_stat(key: str, value: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        statistics = _player(document)["statistics"]
        statistics[key] = value(statistics[key])

    return change


def _latin1_rosters() -> bytes:
    document = json.loads(clean("espn_rosters"))
    document["teams"][0]["athletes"][0]["fullName"] = "José Ibáñez"
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("latin-1")


def _padded_boxscores() -> bytes:
    document = json.loads(clean("bdl_boxscores"))
    document["meta"]["debug"] = "x" * (PAYLOAD_LIMIT + 4096)
    return _dump(document)


def _report(change: Callable[[list[dict[str, str]]], None], day: dt.date = GAME_DAY) -> Callable[[], bytes]:
    """The clean injury report of ``day`` with its lines changed, rendered again in the report's layout."""

    def build() -> bytes:
        report = read_report(clean("nbac_injury_report", day))
        lines = [dict(line.cells) for line in report.lines]
        change(lines)
        return report_pdf(report.published, lines)

    return build


def _nested_gamebook() -> bytes:
    return b'{"scoreboard":{},"games":' + b"[" * 100_000 + b"]" * 100_000 + b"}"


def _delete_game_id(document: dict[str, Any]) -> None:
    del document["leagueSchedule"]["gameDates"][0]["games"][2]["gameId"]


def _conflicting_team_row(document: dict[str, Any]) -> None:
    logs = document["resultSets"][0]
    copy = list(logs["rowSet"][0])
    copy[logs["headers"].index("AST")] += 1
    logs["rowSet"].insert(1, copy)


def _box_score_of_another_game(document: dict[str, Any]) -> None:
    """The first final game's box score names the second game: the API answered for another game."""
    document["games"][0]["boxScoreTraditional"]["gameId"] = document["games"][1]["boxScoreTraditional"]["gameId"]


def _postponed_game_added(document: dict[str, Any]) -> None:
    """A further game of two teams idle that day, postponed in the scoreboard (``gameStatus`` 1, "PPD")."""
    board = document["scoreboard"]["scoreboard"]["games"]
    playing = {game[side]["teamTricode"] for game in board for side in ("homeTeam", "awayTeam")}
    away, home = sorted(set(TEAM_CODES) - playing)[:2]
    game = copy.deepcopy(board[-1])
    game.update(gameId="0022400999", gameCode=f"{GAME_DAY:%Y%m%d}/{away}{home}", gameStatus=1, gameStatusText="PPD")
    game.update(period=0, gameClock="")
    for side, team in (("homeTeam", home), ("awayTeam", away)):
        game[side].update(teamId=TEAM_INFO[team].nba_team_id, teamTricode=team, score=0)
        for period in game[side]["periods"]:
            period["score"] = 0
    board.append(game)


def _first_shot(game: int) -> int:
    actions = json.loads(clean("nbac_play_by_play"))["games"][game]["game"]["actions"]
    return next(i for i, action in enumerate(actions) if action["actionType"] in ("2pt", "3pt"))


SHOT = _first_shot(2)
_SHOT = f"games[2].game.actions[{SHOT}]"


def _set_shot(**fields: Any) -> Callable[[dict[str, Any]], None]:
    """The third final game's first shot with ``fields`` changed."""

    def change(document: dict[str, Any]) -> None:
        document["games"][2]["game"]["actions"][SHOT].update(fields)

    return change


def _feed_of_another_game(document: dict[str, Any]) -> None:
    """The first final game's feed is the second game's: the CDN answered for another game."""
    document["games"][0] = document["games"][1]


def _live_lines_in_an_object(document: dict[str, Any]) -> None:
    """The live game-lines answer (the list of events) wrapped in an object: neither shape."""
    events = document.pop("data")
    document.clear()
    document["events"] = events


def _live_event_without_bookmakers(document: dict[str, Any]) -> None:
    """The first event's odds as the live endpoint serves them (the event itself), but no bookmakers key."""
    event = document["events"][0]["data"]
    document["events"][0] = {key: value for key, value in event.items() if key != "bookmakers"}


@dataclass(frozen=True)
class Kind:
    """One kind of bad payload.

    :param name: the test id.
    :param processor: the raw processor (= ``nba_raw`` table) that reads it.
    :param build: the payload's bytes, as a source would serve them.
    :param path: the field path the refusal names; None when the fault is absorbed by normalisation.
    :param fragments: texts the refusal's message must contain (the value, the reason).
    :param scraper: for faults the scraper already refuses, a text of its refusal; None when it stores them.
    :param inbox: a stored document no fetch writes (a final game without its play-by-play feed: the
        fetch fails on the missing answer instead), put straight into the payload store.
    """

    name: str
    processor: str
    build: Callable[[], bytes]
    path: str | None
    fragments: tuple[str, ...] = ()
    scraper: str | None = None
    inbox: bool = False


GB, TB, PBP = "nbac_gamebook_player_stats", "nbac_team_boxscore", "nbac_play_by_play"
SCHED, INJ, BDL = "nbac_schedule", "nbac_injury_report", "bdl_player_boxscores"
PROPS, LINES = "odds_api_player_points_props", "odds_api_game_lines"
BP, ROSTERS = "bettingpros_player_points_props", "espn_team_rosters"
_GAME0 = "leagueSchedule.gameDates[0].games"
MIXED_IDS, DUPLICATES = frozenset({MIXED_GAME_ID}), frozenset({DUPLICATE_ROWS})
_OUTCOME = "events[0].data.bookmakers[0].markets[0].outcomes[0]"

KINDS: tuple[Kind, ...] = (
    # ---- the body is not a JSON document: the scraper refuses it, and so does the processor
    Kind(
        "truncated_json",
        GB,
        lambda: clean("nbac_gamebook")[: len(clean("nbac_gamebook")) // 2],
        "(body)",
        ("truncated JSON at line 1",),
        scraper="invalid JSON",
    ),
    Kind("empty_body", TB, lambda: b"", "(body)", ("b''", "empty body"), scraper="empty body"),
    Kind(
        "html_error_page",
        SCHED,
        lambda: b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        "(body)",
        ("<!DOCTYPE html>", "an HTML page instead of JSON"),
        scraper="invalid JSON",
    ),
    Kind(
        "latin1_text",
        ROSTERS,
        _latin1_rosters,
        "(body)",
        ("not UTF-8: byte 0xe9 at offset", "Latin-1"),
        scraper="not valid UTF-8",
    ),
    Kind(
        "utf16_text",
        LINES,
        lambda: clean("odds_api_game_lines").decode().encode("utf-16"),
        "(body)",
        ("not UTF-8: UTF-16 text (byte order mark ff fe)",),
        scraper="not valid UTF-8 at byte 0",
    ),
    Kind(
        "huge_body",
        BDL,
        _padded_boxscores,
        "(body)",
        (f"larger than the {PAYLOAD_LIMIT}-byte payload limit (NBA_MAX_PAYLOAD_BYTES)",),
        scraper=f"over the {PAYLOAD_LIMIT}-byte limit",
    ),
    Kind(
        "deeply_nested",
        GB,
        _nested_gamebook,
        "(body)",
        ("JSON nested too deeply to parse",),
        scraper="JSON nested too deeply to parse",
    ),
    # ---- JSON, but not a JSON object
    Kind(
        "top_level_array",
        BDL,
        lambda: b"[" + clean("bdl_boxscores") + b"]",
        "(root)",
        ("expected a JSON object, got an array",),
    ),
    Kind("top_level_number", LINES, lambda: b"404", "(root)", ("'404'", "expected a JSON object, got a number")),
    Kind("top_level_null", TB, lambda: b"null", "(root)", ("'null'", "expected a JSON object, got null")),
    # ---- a JSON object with faulty fields
    Kind(
        "missing_required_key",
        SCHED,
        _edit("nbac_schedule", _delete_game_id),
        f"{_GAME0}[2].gameId",
        ("<missing>", "required field is missing"),
    ),
    Kind(
        "null_where_required",
        GB,
        _edit("nbac_gamebook", lambda d: d["games"][1]["boxScoreTraditional"]["awayTeam"]["players"][3].update(
            familyName=None
        )),
        "games[1].boxScoreTraditional.awayTeam.players[3].familyName",
        ("= None", "must not be null"),
    ),
    Kind(
        "object_for_array",
        PROPS,
        _edit("odds_api_player_points_props", lambda d: d["events"][0]["data"].update(bookmakers={"draftkings": []})),
        "events[0].data.bookmakers",
        ("{'draftkings': []}", "expected a JSON array"),
    ),
    Kind(
        "string_for_number",
        GB,
        _edit("nbac_gamebook", _set_stat("points", str)),
        f"{PLAYER}.statistics.points",
        ("expected an integer",),
    ),
    Kind(
        "negative_minutes",
        GB,
        _edit("nbac_gamebook", _set_stat("minutes", lambda m: f"-{m}")),
        f"{PLAYER}.statistics.minutes",
        ("'-", "negative minutes"),
    ),
    Kind(
        "points_not_from_made_shots",
        GB,
        _edit("nbac_gamebook", _set_stat("points", lambda p: p + 1)),
        f"{PLAYER}.statistics.points",
        ("does not match 2*(fieldGoalsMade-threePointersMade) + 3*threePointersMade + freeThrowsMade",),
    ),
    Kind(
        "score_out_of_range",
        SCHED,
        _edit("nbac_schedule", lambda d: d["leagueSchedule"]["gameDates"][0]["games"][0]["homeTeam"].update(score=999)),
        f"{_GAME0}[0].homeTeam.score",
        ("= 999", "must be at most 300"),
    ),
    Kind(
        "integer_beyond_int64",
        BDL,
        _edit("bdl_boxscores", lambda d: d["data"][0]["player"].update(id=2**64)),
        "data[0].player.id",
        (str(2**64), "out of range for a 64-bit integer"),
    ),
    Kind(
        "nan_literal",
        PROPS,
        _literal(
            "odds_api_player_points_props",
            lambda d: (d["events"][0]["data"]["bookmakers"][0]["markets"][0]["outcomes"][0], "point"),
            "NaN",
        ),
        f"{_OUTCOME}.point",
        ("'NaN'", "non-finite number (NaN / Infinity) is not valid JSON"),
    ),
    Kind(
        "number_overflows_to_infinity",
        LINES,
        _literal(
            "odds_api_game_lines",
            lambda d: (d["data"][0]["bookmakers"][0]["markets"][2]["outcomes"][0], "point"),
            "1e999",
        ),
        "data[0].bookmakers[0].markets[2].outcomes[0].point",
        ("'1e999'", "a number too large to be finite"),
    ),
    Kind(
        "utc_timestamp_without_z",
        PROPS,
        _edit(
            "odds_api_player_points_props",
            lambda d: d["events"][0]["data"].update(commence_time="2025-01-16 00:00:00"),
        ),
        "events[0].data.commence_time",
        ("is not a UTC timestamp ending in Z",),
    ),
    # ---- The Odds API's live answers (a bare list of events; each event's odds one event object)
    Kind(
        "live_lines_in_an_object",
        LINES,
        _edit("odds_api_game_lines", _live_lines_in_an_object),
        "(root)",
        ("['events']", "neither a historical game-lines answer", "nor a live one", "no id"),
    ),
    Kind(
        "live_event_without_bookmakers",
        PROPS,
        _edit("odds_api_player_points_props", _live_event_without_bookmakers),
        "events[0]",
        ("nor a live one (an event with id, commence_time, home_team, away_team, bookmakers): no bookmakers",),
    ),
    # ---- the injury report's PDF
    Kind(
        "truncated_pdf",
        INJ,
        lambda: clean("nbac_injury_report")[:1200],
        "(body)",
        ("a damaged PDF (PdfminerException: Unexpected EOF)",),
        scraper="a PDF without its end (%%EOF): truncated?",
    ),
    Kind(
        "json_for_pdf",
        INJ,
        lambda: clean("espn_rosters"),
        "(body)",
        ("not a PDF: the body starts with b'{",),
        scraper="not a PDF",
    ),
    Kind(
        "report_without_title",
        INJ,
        lambda: draw_report([]),  # the column header without the title (the report's only clock)
        "(body)",
        ("page 1 has no 'Injury Report: MM/DD/YY HH:MM AM' title",),
        scraper="page 1 has no 'Injury Report: MM/DD/YY HH:MM AM' title",
    ),
    Kind(
        "unknown_team_name",
        INJ,
        _report(lambda lines: lines[0].update(team="Seattle SuperSonics")),
        "pages[0].lines[0].team",
        ("'Seattle SuperSonics'",),
    ),
    Kind(
        "future_game_date",
        SCHED,
        _edit("nbac_schedule", lambda d: d["leagueSchedule"]["gameDates"][0].update(gameDate="01/15/2027 00:00:00")),
        "leagueSchedule.gameDates[0].gameDate",
        ("'01/15/2027 00:00:00'", "more than 366 days from the payload's date 2025-01-15"),
    ),
    Kind(
        "payload_of_another_date",
        INJ,
        lambda: clean("nbac_injury_report", DAY_AFTER),
        "pages",
        ("'games on 2025-01-16'", "the report lists no game on the payload's date 2025-01-15"),
    ),
    Kind(
        "box_score_of_another_game",
        GB,
        _edit("nbac_gamebook", _box_score_of_another_game),
        "games[0].boxScoreTraditional.gameId",
        ("is the box score of another game than the one asked for",),
    ),
    Kind(
        "truncated_play_by_play",
        PBP,
        lambda: clean("nbac_play_by_play")[: len(clean("nbac_play_by_play")) // 3],
        "(body)",
        ("truncated JSON at line 1",),
        scraper="invalid JSON",
    ),
    Kind(
        "feed_missing_for_a_final_game",
        PBP,
        _edit("nbac_play_by_play", lambda d: d["games"].pop()),
        "games",
        ("9 feeds", "the scoreboard's final games", "have none"),
        inbox=True,
    ),
    Kind(
        "feed_of_another_game",
        PBP,
        _edit("nbac_play_by_play", _feed_of_another_game),
        "games[0].game.gameId",
        ("is the play-by-play feed of another game than the one asked for",),
    ),
    Kind(
        "action_of_an_unknown_person",
        PBP,
        _edit("nbac_play_by_play", _set_shot(personId=1627759)),
        f"{_SHOT}.personId",
        ("1627759", "is not a player of", "box score"),
    ),
    Kind(
        "unknown_shot_area",
        PBP,
        _edit("nbac_play_by_play", _set_shot(area="Paint (Non-RA)")),
        f"{_SHOT}.area",
        ("'Paint (Non-RA)'", "expected one of 'Restricted Area'"),
    ),
    Kind(
        "player_list_of_another_season",
        "nbac_player_list",
        _edit("nbac_player_list", lambda d: d["parameters"].update(Season="2023-24")),
        "parameters.Season",
        ("'2023-24'", "a player list fetched for 2025-01-15 must be of the 2024-25 season"),
    ),
    Kind(
        "unknown_team_code",
        ROSTERS,
        _edit("espn_rosters", lambda d: d["teams"][3]["team"].update(abbreviation="SEA")),
        "teams[3].team.abbreviation",
        ("unknown team code 'SEA'",),
    ),
    Kind(
        "conflicting_duplicate_rows",
        TB,
        _edit("nbac_team_boxscore", _conflicting_team_row),
        "resultSets[0].rowSet[1]",
        ("repeats the key", "of resultSets[0].rowSet[0] with a different assists"),
    ),
    Kind(
        "conflicting_duplicate_key",
        SCHED,
        lambda: clean("nbac_schedule").replace(b'"gameSequence":', b'"gameSequence":99,"gameSequence":', 1),
        f"{_GAME0}[0].gameSequence",
        ("= 99", "the object repeats this key with a different value"),
    ),
    Kind(
        "offer_of_unknown_event",
        BP,
        _edit("bettingpros_player_props", lambda d: d["offer_pages"][0]["offers"][0].update(event_id=999999)),
        "offer_pages[0].offers[0].event_id",
        ("999999", "is not one of the payload's events"),
    ),
    # ---- pages: the API served page 3 when asked for page 2; an events answer where a page belongs
    Kind(
        "missing_page",
        BP,
        _edit("bettingpros_player_props", lambda d: d["offer_pages"].__setitem__(1, d["offer_pages"][2])),
        "offer_pages[1]._pagination.page",
        ("= 3", "expected page 2 of", "page 2 is missing"),
    ),
    Kind(
        "page_of_another_endpoint",
        BP,
        _edit("bettingpros_player_props", lambda d: d["offer_pages"].__setitem__(1, d["events"])),
        "offer_pages[1]",
        ("['_parameters', 'events']", "not a page of /v3/offers", "no offers and _pagination"),
    ),
    # ---- faults the pipeline absorbs: the rows equal the clean payload's
    Kind("mixed_game_id_forms", GB, lambda: clean("nbac_gamebook", imperfections=MIXED_IDS), None),
    Kind("postponed_game_in_scoreboard", GB, _edit("nbac_gamebook", _postponed_game_added), None),
    Kind("verbatim_duplicate_rows", INJ, lambda: clean("nbac_injury_report", imperfections=DUPLICATES), None),
    Kind("utf8_byte_order_mark", LINES, lambda: b"\xef\xbb\xbf" + clean("odds_api_game_lines"), None),
)


# --------------------------------------------------------------------------- the local source


class LocalSource(LocalServer):
    """Answers each path with the next body queued for it (404 when none is left); records the paths
    asked, and each request's target (path and query) with its headers."""

    def __init__(self) -> None:
        super().__init__(_Handler)
        self.queues: dict[str, deque[bytes]] = {}
        self.asked: list[str] = []
        self.requests: list[tuple[str, dict[str, str]]] = []

    def serve(self, path: str, *bodies: bytes) -> None:
        with self._lock:
            self.queues.setdefault(path, deque()).extend(bodies)

    def take(self, target: str, headers: dict[str, str]) -> bytes | None:
        with self._lock:
            path = urlsplit(target).path
            self.asked.append(path)
            self.requests.append((target, headers))
            queue = self.queues.get(path)
            return queue.popleft() if queue else None


class _Handler(QuietHandler):
    server: LocalSource

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        body = self.server.take(self.path, dict(self.headers))
        if body is None:
            self.answer(404, b'{"message": "nothing queued"}')
        else:
            self.answer(200, body, {"Content-Type": "text/html"} if body.lstrip().startswith(b"<") else None)


def serve_payload(source: LocalSource, name: str, day: dt.date, *payloads: bytes) -> list[str]:
    """Queue what a scraper of ``name`` fetches for ``day`` to receive ``payloads`` in turn; return
    the paths queued. A source of several requests gets each payload split into the answers the
    real API serves: The Odds API's event odds behind an index (the events) listing their ids, ESPN's
    rosters one per team, BettingPros' events then offer pages, NBA.com's scoreboard then its final
    games' box scores (or play-by-play feeds and live box scores), the n-th answers at the paths of
    the scoreboard's n-th final game. A payload that cannot be split (not
    a JSON document of that shape) is served as the first request's answer. Others: one body each."""
    endpoint = ENDPOINTS[name]
    paths: list[str] = []
    for payload in payloads:
        answers = _answers(endpoint, day, payload)
        for path, body in answers:
            source.serve(path, body)
            paths.append(path)
    return list(dict.fromkeys(paths))


def _answers(endpoint: Endpoint, day: dt.date, payload: bytes) -> list[tuple[str, bytes]]:
    """The (path, body) answers a fetch of ``endpoint`` receives when it stores ``payload``."""
    per_item, joined, pages = endpoint.per_item, endpoint.joined_ids, endpoint.pages
    if per_item is None and joined is None:
        return [(endpoint.request(day)[0], payload)]
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        document = None
    if joined is not None and pages is not None:
        first = endpoint.first_request(day)[0]
        if not isinstance(document, dict):
            return [(first, payload)]
        offers = endpoint.request(day, item="-")[0]
        return [(first, _dump(document[joined.stored_as]))] + [(offers, _dump(p)) for p in document[pages.stored_as]]
    assert per_item is not None
    if per_item.index_path:  # NBA.com: the scoreboard, then each final game's answers
        first = endpoint.index_request(day)[0]
        if not isinstance(document, dict) or per_item.index_stored_as is None:
            return [(first, payload)]
        return [(first, _dump(document[per_item.index_stored_as])), *_final_games_answers(endpoint, day, document)]
    if per_item.ids:  # declared ids: ESPN's teams
        first = endpoint.request(day, item=per_item.ids[0])[0]
        if not isinstance(document, dict):
            return [(first, payload)]
        teams = document[per_item.stored_as]
        return [(endpoint.request(day, item=body["team"]["id"])[0], _dump(body)) for body in teams]
    assert per_item.index is not None
    index_path = ENDPOINTS[per_item.index].request(day)[0]
    answers = json.loads(payload)[per_item.stored_as]
    # a historical answer wraps its event in data, a live one is the event
    events = [{k: v for k, v in answer.get("data", answer).items() if k != "bookmakers"} for answer in answers]
    timestamp = next(answer["timestamp"] for answer in answers if "timestamp" in answer)
    served = [(index_path, _dump({"timestamp": timestamp, "data": events}))]
    for answer, event in zip(answers, events, strict=True):
        served.append((endpoint.request(day, item=event["id"])[0], _dump(answer)))
    return served


def _final_games_answers(endpoint: Endpoint, day: dt.date, document: dict[str, Any]) -> list[tuple[str, bytes]]:
    """NBA.com's answers per final game of the stored scoreboard, the n-th of each list at the n-th
    game's path (none for a game the document has no answer for)."""
    assert endpoint.per_item is not None and endpoint.per_item.index_stored_as is not None
    board = document[endpoint.per_item.index_stored_as]["scoreboard"]["games"]
    served = []
    for position, game_id in enumerate(game["gameId"] for game in board if game["gameStatus"] == 3):
        for stored_as, path, _ in endpoint.item_requests(day, game_id):
            if position < len(document[stored_as]):
                served.append((path, _dump(document[stored_as][position])))
    return served


@contextmanager
def local_source() -> Iterator[LocalSource]:
    """A :class:`LocalSource` listening on 127.0.0.1 for the duration of the block."""
    with serving(LocalSource()) as source:
        yield source
