"""The scrapers' endpoint catalog: one declarative entry per source.

Each entry says which Airflow connection holds the API's host and key
(:mod:`nba_pipeline.scrapers.connections`), which path and query a date maps to, whether the
source reports *results* (box scores, fetched the morning after the games) or *upcoming games*
(fetched on the game date), and where its list of items sits in the payload. The two payload
sources (:mod:`nba_pipeline.scrapers.sources`) read the same catalog,
so the simulated league and the real APIs are asked for the same thing.

The paths follow the real APIs. Where the real API needs several requests for one source and
date, the entry declares how they follow from one another: cursor pages (:class:`CursorPaging`,
balldontlie), one file per publication slot (``slots``, the injury report), or one request per
item of another endpoint's answer or of a declared list (:class:`PerItem`: The Odds API's player
props per event, NBA.com's box scores per final game of the scoreboard, ESPN's rosters per team),
numbered pages after a first request whose ids they name (:class:`JoinedIds`,
:class:`PageNumbers`: BettingPros' events, then offer pages). Where the entry is still an
approximation its ``note`` says how. Endpoints that bill each request against an account's quota
declare it (:class:`Quota`).

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

from nba_pipeline.scrapers.fetch_shapes import CursorPaging, JoinedIds, PageNumbers, PerItem, Quota
from nba_pipeline.settings import LOCAL_TIMEZONE
from nba_pipeline.sources.injury_report import report_slots

__all__ = [
    "EACH",
    "ENDPOINTS",
    "ESPN_TEAM_IDS",
    "CursorPaging",
    "FETCH_HOUR_ET",
    "Endpoint",
    "JoinedIds",
    "PageNumbers",
    "PerItem",
    "Quota",
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
    :param per_item: set for an endpoint served once per item of another endpoint's answer: the
        HTTP source asks for every item and stores the answers together (:class:`PerItem`).
    :param joined_ids: set for an endpoint whose requests name every id of a first request's
        answer in one parameter (:class:`JoinedIds`).
    :param pages: set for an endpoint that answers in numbered pages (:class:`PageNumbers`); the
        HTTP source asks for every page and stores them as served.
    :param quota: set for an endpoint that bills requests against a quota (:class:`Quota`).
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
    per_item: PerItem | None = None
    joined_ids: JoinedIds | None = None
    pages: PageNumbers | None = None
    quota: Quota | None = None
    note: str = ""

    @property
    def date_offset_days(self) -> int:
        """The offset of the scraped date from the run's game date (-1 for results sources)."""
        return -1 if self.results else 0

    def fetch_moment(self, target_date: dt.date) -> dt.datetime:
        """When the payload of ``target_date`` is fetched: 10:00 ET that day, or the next day for results."""
        day = target_date + dt.timedelta(days=1 if self.results else 0)
        return dt.datetime.combine(day, dt.time(FETCH_HOUR_ET), tzinfo=ET)

    def request(
        self, target_date: dt.date, slot: str | None = None, item: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """The path and query parameters for ``target_date`` (without any API key); ``slot`` picks
        one of :attr:`slots` (by default the newest), ``item`` the item of a :class:`PerItem`
        endpoint or the joined ids of a :class:`JoinedIds` one (without it, the field keeps its
        placeholder: a template, not a URL)."""
        moment = self.fetch_moment(target_date)
        fields = _template_fields(target_date, moment)
        if self.slots is not None:
            fields["slot"] = slot if slot is not None else self.slots(moment)[0]
        for field in (self.per_item, self.joined_ids):
            if field is not None:
                fields[field.field] = item if item is not None else f"{{{field.field}}}"
        return self.path.format(**fields), {name: value.format(**fields) for name, value in self.params}

    def first_request(self, target_date: dt.date) -> tuple[str, dict[str, str]]:
        """The path and query of the :class:`JoinedIds` request that comes first."""
        assert self.joined_ids is not None, f"{self.source} has no first request"
        fields = _template_fields(target_date, self.fetch_moment(target_date))
        joined = self.joined_ids
        return joined.path.format(**fields), {name: value.format(**fields) for name, value in joined.params}

    def index_request(self, target_date: dt.date) -> tuple[str, dict[str, str]]:
        """The path and query of a :class:`PerItem` endpoint's own index request (``index_path``)."""
        assert self.per_item is not None and self.per_item.index_path, f"{self.source} has no index path"
        fields = _template_fields(target_date, self.fetch_moment(target_date))
        params = {name: value.format(**fields) for name, value in self.per_item.index_params}
        return self.per_item.index_path.format(**fields), params

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


#: The Odds API's historical endpoints cost 10 x markets x regions a request; the four books
#: asked for count as one region (each group of ten books does).
_HISTORICAL_COST = 10


def _odds_params(markets: str) -> tuple[tuple[str, str], ...]:
    return (
        ("regions", "us"),
        ("markets", markets),
        ("oddsFormat", "american"),
        ("bookmakers", _ODDS_API_BOOKS),
        ("date", "{as_of_utc}"),
    )


_ODDS_EVENTS = "odds_api_events"

#: ESPN's ids of the 30 NBA teams (docs/real-endpoints.md §6), the rosters asked for. Declared rather
#: than read from ESPN's teams index (``/apis/site/v2/sports/basketball/nba/teams``) each day: the
#: ids have not changed since ESPN assigned them (relocations and renames kept theirs), a fixed list
#: saves a request and a second shape to validate, and a team that ESPN stops serving fails its own
#: request by name instead of silently dropping out of an index.
ESPN_TEAM_IDS: tuple[str, ...] = tuple(str(team_id) for team_id in range(1, 31))


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
        path="/stats/boxscoretraditionalv3",
        params=(  # nba_api's parameters, in its (sorted) order
            ("EndPeriod", "0"),
            ("EndRange", "0"),
            ("GameID", "{game_id}"),
            ("RangeType", "0"),
            ("StartPeriod", "0"),
            ("StartRange", "0"),
        ),
        results=True,
        items=("games",),
        headers=_NBA_COM_HEADERS,
        per_item=PerItem(
            field="game_id",
            stored_as="games",
            index_path="/stats/scoreboardv3",
            index_params=(("GameDate", "{date}"), ("LeagueID", "00")),
            ids_at=("scoreboard", "games", EACH, "gameId"),
            only=("gameStatus", 3),
            index_stored_as="scoreboard",
            max_items=20,
        ),
        note="the date's scoreboard, then each final game's box score: stored as one document",
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
        source=_ODDS_EVENTS,
        conn_id="nba_odds_api",
        path="/v4/historical/sports/basketball_nba/events",
        params=(
            ("date", "{as_of_utc}"),
            ("commenceTimeFrom", "{day_start_utc}"),
            ("commenceTimeTo", "{day_end_utc}"),
        ),
        items=("data",),
        quota=Quota(cost=1),
    ),
    Endpoint(
        source="odds_api_player_points_props",
        conn_id="nba_odds_api",
        path="/v4/historical/sports/basketball_nba/events/{event_id}/odds",
        params=_odds_params("player_points"),
        items=("events",),
        per_item=PerItem(index=_ODDS_EVENTS, ids_at=("data", EACH, "id"), field="event_id", stored_as="events"),
        quota=Quota(cost=_HISTORICAL_COST * 1),
        note="the day's events, then each event's odds: the answers stored as one document's events list",
    ),
    Endpoint(
        source="odds_api_game_lines",
        conn_id="nba_odds_api",
        path="/v4/historical/sports/basketball_nba/odds",
        params=(
            *_odds_params("h2h,spreads,totals"),
            ("commenceTimeFrom", "{day_start_utc}"),
            ("commenceTimeTo", "{day_end_utc}"),
        ),
        items=("data",),
        quota=Quota(cost=_HISTORICAL_COST * 3),
    ),
    Endpoint(
        source="bettingpros_player_props",
        conn_id="nba_bettingpros",
        path="/v3/offers",
        params=(
            ("sport", "NBA"),
            ("market_id", "156"),
            ("event_id", "{event_ids}"),
            ("location", "ALL"),
            ("limit", "10"),
        ),
        items=("offer_pages", EACH, "offers"),
        joined_ids=JoinedIds(
            path="/v3/events",
            params=(("sport", "NBA"), ("date", "{date}")),
            ids_at=("events", EACH, "id"),
            field="event_ids",
            stored_as="events",
        ),
        pages=PageNumbers(stored_as="offer_pages"),
        note="the day's events, then the offers of all of them in pages of 10: stored as one document",
    ),
    Endpoint(
        source="espn_rosters",
        conn_id="nba_espn",
        path="/apis/site/v2/sports/basketball/nba/teams/{team_id}/roster",
        items=("teams",),
        per_item=PerItem(field="team_id", stored_as="teams", ids=ESPN_TEAM_IDS, max_items=len(ESPN_TEAM_IDS)),
        note="one request per team; the 30 answers stored as one document's teams list",
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
