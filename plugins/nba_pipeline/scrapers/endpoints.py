"""The scrapers' endpoint catalog: one declarative entry per source.

Each entry says which Airflow connection holds the API's host and key
(:mod:`nba_pipeline.scrapers.connections`), which path and query a date maps to, whether the
source reports *results* (box scores, fetched the morning after the games) or *upcoming games*
(fetched on the game date), and where its list of items sits in the payload. The two payload
sources (:mod:`nba_pipeline.scrapers.sources`) read the same catalog,
so the simulated league and the real APIs are asked for the same thing.

The paths follow the real APIs as closely as one request per source and date allows. Where the
real API needs more (The Odds API serves player props per event, ESPN rosters per team,
balldontlie and BettingPros page their results) the entry is an approximation and its ``note``
says how.

Fetch moments: every source is fetched at :data:`FETCH_HOUR_ET`:00 America/New_York. Upcoming-game
sources are fetched on their date; results sources describe date D and are fetched on D+1
(their processors run with ``date_offset_days=-1``), when every game of D is final.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from nba_pipeline.settings import LOCAL_TIMEZONE
from nba_pipeline.sources.injury_report import report_slots

__all__ = [
    "ENDPOINTS",
    "CursorPaging",
    "FETCH_HOUR_ET",
    "Endpoint",
    "UnknownSourceError",
    "endpoint_for",
    "season_label",
]

ET = ZoneInfo(LOCAL_TIMEZONE)

#: The local hour of the daily fetch (box scores of the previous day are final by ~04:00 ET,
#: opening lines are posted from ~09:00 ET, predictions are wanted before noon).
FETCH_HOUR_ET = 10

#: In an ``items`` path, "every element of this list" (the counts are summed).
EACH = "*"

_NBA_COM_HEADERS = (("Referer", "https://www.nba.com/"), ("Origin", "https://www.nba.com"))
_ODDS_API_BOOKS = "draftkings,fanduel,betmgm,williamhill_us"


class UnknownSourceError(ValueError):
    """A source name that the catalog does not know."""


def season_label(day: dt.date) -> str:
    """The NBA season a date belongs to, NBA.com style (``"2024-25"``); seasons turn in October."""
    first = day.year if day.month >= 10 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


@dataclass(frozen=True)
class CursorPaging:
    """An endpoint that answers in pages: each page names the next one's cursor at ``next_at``
    (null on the last), and the next request sends it as ``param``.

    :param max_pages: more pages than this is an error (a cursor that never ends).
    """

    param: str = "cursor"
    next_at: tuple[str, ...] = ("meta", "next_cursor")
    max_pages: int = 50


@dataclass(frozen=True)
class Endpoint:
    """How one source is fetched for a date.

    Path and parameter values are ``str.format`` templates over these fields: ``date``
    (``2025-01-15``), ``date_compact`` (``20250115``), ``date_us`` (``01/15/2025``), ``season``
    (``2024-25``), ``as_of_utc`` (the fetch moment, UTC ``Z``), ``day_start_utc`` /
    ``day_end_utc`` (the ET calendar day in UTC ``Z``, for APIs that filter on UTC times),
    ``slot`` (for a source published as one file per slot: the slot's file-name token, by default
    the newest at the fetch moment).

    :param source: the source name (a key of ``nba_pipeline.sources.simulation.SOURCES``).
    :param conn_id: the Airflow connection with the base URL, key and client extras.
    :param path: the path template below the connection's base URL.
    :param params: query parameter templates, in request order.
    :param results: True for box-score sources: date D is fetched on D+1, for the day before the
        run's game date.
    :param items: where the payload's item list sits (keys, list indexes, ``"*"`` for each
        element of a list); used to report how many items a payload holds.
    :param window_days: set when the real endpoint answers with the whole season: the days around
        the date, (first, last) offsets, that any stand-in must cover at least.
    :param headers: fixed request headers the API expects.
    :param media_type: what the body is: JSON, or a PDF (the injury report).
    :param slots: for a source published as one file per slot (the injury report): the file-name
        tokens of the slots to ask for at a fetch moment, newest first. The HTTP source moves on to
        the next slot while the site answers that a file does not exist.
    :param paging: set for an endpoint that answers in cursor pages: the HTTP source follows them
        and merges their :attr:`items` lists into the first page's document.
    :param note: how this entry departs from the real API, if it does.
    """

    source: str
    conn_id: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    results: bool = False
    items: tuple[str | int, ...] = ()
    window_days: tuple[int, int] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    media_type: str = "application/json"
    slots: Callable[[dt.datetime], list[str]] | None = None
    paging: CursorPaging | None = None
    note: str = ""

    @property
    def date_offset_days(self) -> int:
        """The offset of the scraped date from the run's game date (-1 for results sources)."""
        return -1 if self.results else 0

    def fetch_moment(self, target_date: dt.date) -> dt.datetime:
        """When the payload of ``target_date`` is fetched: 10:00 ET that day, or the next day for results."""
        day = target_date + dt.timedelta(days=1 if self.results else 0)
        return dt.datetime.combine(day, dt.time(FETCH_HOUR_ET), tzinfo=ET)

    def request(self, target_date: dt.date, slot: str | None = None) -> tuple[str, dict[str, str]]:
        """The path and query parameters for ``target_date`` (without any API key); ``slot`` picks
        one of :attr:`slots` (by default the newest)."""
        moment = self.fetch_moment(target_date)
        fields = _template_fields(target_date, moment)
        if self.slots is not None:
            fields["slot"] = slot if slot is not None else self.slots(moment)[0]
        return self.path.format(**fields), {name: value.format(**fields) for name, value in self.params}

    def window(self, target_date: dt.date) -> list[dt.date]:
        """The dates a stand-in for a whole-season endpoint must cover, in order (empty if none)."""
        if self.window_days is None:
            return []
        first, last = self.window_days
        return [target_date + dt.timedelta(days=offset) for offset in range(first, last + 1)]

    def count_items(self, document: Any) -> int | None:
        """How many items the parsed payload holds, or None when it is not shaped as declared."""
        if not self.items:
            return None
        return _count(document, self.items)


def _template_fields(target_date: dt.date, as_of: dt.datetime) -> dict[str, str]:
    start = dt.datetime.combine(target_date, dt.time(), tzinfo=ET)
    end = dt.datetime.combine(target_date + dt.timedelta(days=1), dt.time(), tzinfo=ET) - dt.timedelta(
        seconds=1
    )
    return {
        "date": target_date.isoformat(),
        "date_compact": target_date.strftime("%Y%m%d"),
        "date_us": target_date.strftime("%m/%d/%Y"),
        "season": season_label(target_date),
        "as_of_utc": _utc_z(as_of),
        "day_start_utc": _utc_z(start),
        "day_end_utc": _utc_z(end),
    }


def _utc_z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count(node: Any, path: Sequence[str | int]) -> int | None:
    if not path:
        return len(node) if isinstance(node, list) else None
    step, rest = path[0], path[1:]
    if step == EACH:
        if not isinstance(node, list):
            return None
        counts = [_count(element, rest) for element in node]
        return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)
    if isinstance(step, int):
        return _count(node[step], rest) if isinstance(node, list) and -len(node) <= step < len(node) else None
    return _count(node[step], rest) if isinstance(node, dict) and step in node else None


def _odds_api(source: str, markets: str) -> Endpoint:
    return Endpoint(
        source=source,
        conn_id="nba_odds_api",
        path="/v4/historical/sports/basketball_nba/odds",
        params=(
            ("regions", "us"),
            ("markets", markets),
            ("oddsFormat", "american"),
            ("bookmakers", _ODDS_API_BOOKS),
            ("date", "{as_of_utc}"),
            ("commenceTimeFrom", "{day_start_utc}"),
            ("commenceTimeTo", "{day_end_utc}"),
        ),
        items=("data",),
        note=(
            "the real API serves player props only per event "
            "(/v4/historical/sports/basketball_nba/events/{eventId}/odds); here one call per date"
            if markets == "player_points"
            else ""
        ),
    )


_CATALOG: tuple[Endpoint, ...] = (
    Endpoint(
        source="nbac_schedule",
        conn_id="nba_cdn",
        path="/static/json/staticData/scheduleLeagueV2.json",
        items=("leagueSchedule", "gameDates", EACH, "games"),
        window_days=(-1, 60),
        headers=_NBA_COM_HEADERS,
        note="the real file holds the whole season; the simulation serves the window date-1..date+60",
    ),
    Endpoint(
        source="nbac_gamebook",
        conn_id="nba_stats",
        path="/stats/playergamelogs",
        params=(
            ("LeagueID", "00"),
            ("Season", "{season}"),
            ("DateFrom", "{date_us}"),
            ("DateTo", "{date_us}"),
        ),
        results=True,
        items=("games",),
        headers=_NBA_COM_HEADERS,
        note="the payload is the per-date gamebook rendition of docs/payloads.md, not PlayerGameLogs' shape",
    ),
    Endpoint(
        source="nbac_team_boxscore",
        conn_id="nba_stats",
        path="/stats/teamgamelogs",
        params=(
            ("LeagueID", "00"),
            ("Season", "{season}"),
            ("DateFrom", "{date_us}"),
            ("DateTo", "{date_us}"),
        ),
        results=True,
        items=("resultSets", 0, "rowSet"),
        headers=_NBA_COM_HEADERS,
    ),
    Endpoint(
        source="nbac_play_by_play",
        conn_id="nba_stats",
        path="/stats/shotzonesummary",
        params=(("GameDate", "{date}"), ("LeagueID", "00"), ("Season", "{season}")),
        results=True,
        items=("resultSets", 0, "rowSet"),
        headers=_NBA_COM_HEADERS,
        note="shot zones per player and date, resultSets style; the real play-by-play is per game",
    ),
    Endpoint(
        source="nbac_injury_report",
        conn_id="nba_injury_report",
        path="/referee/injury/Injury-Report_{slot}.pdf",
        headers=_NBA_COM_HEADERS,
        media_type="application/pdf",
        slots=report_slots,
        note="the simulation publishes 3 reports a day; the real site hourly, every 15 minutes since 2025-12-22",
    ),
    Endpoint(
        source="bdl_boxscores",
        conn_id="nba_balldontlie",
        path="/v1/stats",
        params=(("dates[]", "{date}"), ("per_page", "100")),
        results=True,
        items=("data",),
        paging=CursorPaging(),
        note="the pages a fetch follows are stored merged: every page's data, the last page's meta",
    ),
    Endpoint(
        source="odds_api_events",
        conn_id="nba_odds_api",
        path="/v4/historical/sports/basketball_nba/events",
        params=(
            ("date", "{as_of_utc}"),
            ("commenceTimeFrom", "{day_start_utc}"),
            ("commenceTimeTo", "{day_end_utc}"),
        ),
        items=("data",),
    ),
    _odds_api("odds_api_player_points_props", "player_points"),
    _odds_api("odds_api_game_lines", "h2h,spreads,totals"),
    Endpoint(
        source="bettingpros_player_props",
        conn_id="nba_bettingpros",
        path="/v3/offers",
        params=(("sport", "NBA"), ("market_id", "156"), ("date", "{date}"), ("location", "ALL")),
        items=("offers",),
        note="events and offers of the date in one document (the real API pages offers)",
    ),
    Endpoint(
        source="espn_rosters",
        conn_id="nba_espn",
        path="/apis/site/v2/sports/basketball/nba/teams",
        params=(("enable", "roster"), ("limit", "30")),
        items=("teams",),
        note="all 30 rosters in one document; the real API serves one roster per team (/teams/{id}/roster)",
    ),
)

#: source name -> endpoint, in the order of ``nba_pipeline.sources.simulation.SOURCES``.
ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType({endpoint.source: endpoint for endpoint in _CATALOG})


def endpoint_for(source: str) -> Endpoint:
    """The catalog entry of ``source``.

    :raises UnknownSourceError: the source is not in the catalog.
    """
    try:
        return ENDPOINTS[source]
    except KeyError:
        raise UnknownSourceError(
            f"no endpoint for source {source!r}; known sources: {', '.join(ENDPOINTS)}"
        ) from None
