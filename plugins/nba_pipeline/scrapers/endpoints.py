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
props per event, NBA.com's box scores and play-by-play feeds per final game of the scoreboard,
ESPN's rosters per team), numbered pages after a first request whose ids they name
(:class:`JoinedIds`, :class:`PageNumbers`: BettingPros' events, then offer pages). Where the entry is still an
approximation its ``note`` says how. Endpoints that bill each request against an account's quota
declare it (:class:`Quota`).

Live and historical: The Odds API serves the past from its historical endpoints (a snapshot at a
``date``) and today's and later games from its live ones (no ``date``, other prices, other shapes).
An entry may declare its ``live`` variant; :meth:`Endpoint.for_date` picks it by one rule,
:func:`fetches_live` (the date is today or later on the package clock), and both payload sources
fetch the entry it returns, so each mode stores the same shape for the same date and clock.

Fetch moments: every source is fetched at :data:`FETCH_HOUR_ET`:00 America/New_York. Upcoming-game
sources are fetched on their date; results sources describe date D and are fetched on D+1
(their processors run with ``date_offset_days=-1``), when every game of D is final.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from nba_pipeline.scrapers.endpoint import (
    EACH,
    FETCH_HOUR_ET,
    Endpoint,
    UnknownSourceError,
    fetches_live,
    season_label,
)
from nba_pipeline.scrapers.fetch_shapes import CursorPaging, ItemRequest, JoinedIds, PageNumbers, PerItem, Quota
from nba_pipeline.sources.injury_report import report_slots

__all__ = [
    "EACH",
    "ENDPOINTS",
    "ESPN_TEAM_IDS",
    "CursorPaging",
    "FETCH_HOUR_ET",
    "Endpoint",
    "ItemRequest",
    "JoinedIds",
    "PageNumbers",
    "PerItem",
    "Quota",
    "UnknownSourceError",
    "endpoint_for",
    "fetches_live",
    "season_label",
]

_NBA_COM_HEADERS = (("Referer", "https://www.nba.com/"), ("Origin", "https://www.nba.com"))
_ODDS_API_BOOKS = "draftkings,fanduel,betmgm,williamhill_us"


#: The Odds API's historical endpoints cost 10 x markets x regions a request, the live ones
#: markets x regions (event lists: historical 1, live free); the four books asked for count as one
#: region (each group of ten books does).
_HISTORICAL_COST = 10


def _odds_params(markets: str, *, live: bool = False) -> tuple[tuple[str, str], ...]:
    """The odds query; a historical request adds the snapshot moment (``date``), a live one has none."""
    query = (
        ("regions", "us"),
        ("markets", markets),
        ("oddsFormat", "american"),
        ("bookmakers", _ODDS_API_BOOKS),
    )
    return query if live else (*query, ("date", "{as_of_utc}"))


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
        conn_id="nba_cdn",
        path="/static/json/liveData/playbyplay/playbyplay_{game_id}.json",
        results=True,
        items=("games",),
        headers=_NBA_COM_HEADERS,
        per_item=PerItem(
            field="game_id",
            stored_as="games",
            index_path="/stats/scoreboardv3",
            index_params=(("GameDate", "{date}"), ("LeagueID", "00")),
            index_conn_id="nba_stats",  # the CDN has no dated scoreboard
            ids_at=("scoreboard", "games", EACH, "gameId"),
            only=("gameStatus", 3),
            index_stored_as="scoreboard",
            also=(ItemRequest("/static/json/liveData/boxscore/boxscore_{game_id}.json", stored_as="boxscores"),),
            max_items=20,
        ),
        note="the date's scoreboard (stats host), then each final game's live feed and live box score "
        "(CDN): stored as one document",
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
        source="nbac_player_list",
        conn_id="nba_stats",
        path="/stats/playerindex",
        params=(  # nba_api's parameters at their defaults, in its (sorted) order
            ("Active", ""),
            ("AllStar", ""),
            ("College", ""),
            ("Country", ""),
            ("DraftPick", ""),
            ("DraftYear", ""),
            ("Height", ""),
            ("Historical", ""),
            ("LeagueID", "00"),
            ("PlayerPosition", ""),
            ("Season", "{season}"),
            ("TeamID", ""),
            ("Weight", ""),
        ),
        items=("resultSets", 0, "rowSet"),
        headers=_NBA_COM_HEADERS,
        note="the season's whole list in one answer, fetched each run: trades and signings change it",
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
        live=Endpoint(
            source=_ODDS_EVENTS,
            conn_id="nba_odds_api",
            path="/v4/sports/basketball_nba/events",
            params=(("commenceTimeFrom", "{day_start_utc}"), ("commenceTimeTo", "{day_end_utc}")),
            quota=Quota(cost=0),  # the live event list is free
            is_live=True,
            note="a bare list of the day's events",
        ),
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
        live=Endpoint(
            source="odds_api_player_points_props",
            conn_id="nba_odds_api",
            path="/v4/sports/basketball_nba/events/{event_id}/odds",
            params=_odds_params("player_points", live=True),
            items=("events",),
            per_item=PerItem(index=_ODDS_EVENTS, ids_at=(EACH, "id"), field="event_id", stored_as="events"),
            quota=Quota(cost=1),
            is_live=True,
            note="the day's live events, then each event's odds (one event object): stored as one events list",
        ),
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
        live=Endpoint(
            source="odds_api_game_lines",
            conn_id="nba_odds_api",
            path="/v4/sports/basketball_nba/odds",
            params=(
                *_odds_params("h2h,spreads,totals", live=True),
                ("commenceTimeFrom", "{day_start_utc}"),
                ("commenceTimeTo", "{day_end_utc}"),
            ),
            quota=Quota(cost=3),
            is_live=True,
            note="a bare list of the day's events with their bookmakers",
        ),
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
