"""The simulated league: its model of players, calendar, games and lines, and the payloads it renders.

See the package docstring for why it exists and how it stays deterministic.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime, timedelta
from typing import Any

from nba_pipeline.sources.simulation.books import (
    BOOKS,
    MOVE_HOUR,
    GameLine,
    Lines,
    PropLine,
    book_post_time,
)
from nba_pipeline.sources.simulation.calendar import (
    ET,
    at,
    et_iso,
    season_label,
    utc_z,
)
from nba_pipeline.sources.simulation.draws import stable_int
from nba_pipeline.sources.simulation.games import BoxScoreSimulator, PlayerLine, SimulatedBoxScore
from nba_pipeline.sources.simulation.injuries import (
    Injuries,
    InjuryReportEntry,
    publications,
)
from nba_pipeline.sources.simulation.playoffs import playoff_games
from nba_pipeline.sources.simulation.rosters import (
    TEAM_CODES,
    TEAM_INFO,
    TEAMS,
    Rosters,
    SimulatedPlayer,
    player_lookup_from_name,
)
from nba_pipeline.sources.simulation.schedule import (
    Schedule,
    SimulatedGame,
    next_opening_night,
    regular_season,
)

__all__ = [
    "BOX_SCORE_SOURCES",
    "DUPLICATE_ROWS",
    "GAME_POSTPONED",
    "IMPERFECTIONS",
    "LATE_BOXSCORES",
    "MIXED_GAME_ID",
    "PLAYER_MISSING_FROM_BOOK",
    "SOURCES",
    "SimulatedLeague",
]


# --------------------------------------------------------------------------- sources

SOURCES: tuple[str, ...] = (
    "nbac_schedule",
    "nbac_gamebook",
    "nbac_team_boxscore",
    "nbac_play_by_play",
    "nbac_injury_report",
    "bdl_boxscores",
    "odds_api_events",
    "odds_api_player_points_props",
    "odds_api_game_lines",
    "bettingpros_player_props",
    "espn_rosters",
)
BOX_SCORE_SOURCES: frozenset[str] = frozenset(
    {"nbac_gamebook", "nbac_team_boxscore", "nbac_play_by_play", "bdl_boxscores"}
)

# Imperfections a caller can ask for, to exercise the pipeline's fallbacks and dedup.
LATE_BOXSCORES = "late_boxscores"
PLAYER_MISSING_FROM_BOOK = "player_missing_from_book"
GAME_POSTPONED = "game_postponed"
DUPLICATE_ROWS = "duplicate_rows"
MIXED_GAME_ID = "mixed_game_id"
IMPERFECTIONS: frozenset[str] = frozenset(
    {LATE_BOXSCORES, PLAYER_MISSING_FROM_BOOK, GAME_POSTPONED, DUPLICATE_ROWS, MIXED_GAME_ID}
)



# --------------------------------------------------------------------------- helpers




def _dump(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


_POSITION_NAMES = {
    "PG": "Point Guard", "SG": "Shooting Guard", "SF": "Small Forward", "PF": "Power Forward", "C": "Center",
}  # fmt: skip


# --------------------------------------------------------------------------- games and results












_BETTINGPROS_MARKET_ID = 156




# --------------------------------------------------------------------------- the league


class SimulatedLeague:
    """A seeded, deterministic simulated NBA league that emits payloads shaped like the real sources.

    Rosters, injuries and the schedule are fixed by ``seed``; box scores, lines and payloads are
    drawn from streams keyed by stable hashes, so ``payload()`` returns the same bytes for the
    same arguments in any process and in any call order. The schedule is built once per
    instance, on first use, and box scores are cached per game.

    :param seed: fixes the whole simulated league.
    :param players_per_team: roster size, 8 to 20 (15 gives about 450 players).
    """

    def __init__(self, seed: int = 2024, players_per_team: int = 15) -> None:
        self.seed = seed
        self.players_per_team = players_per_team
        self._rosters = Rosters(seed, players_per_team)
        self._injuries = Injuries(seed, self._rosters)
        self._box_score_simulator = BoxScoreSimulator(seed, self._rosters, self._injuries)
        self._box_scores: dict[str, SimulatedBoxScore] = {}
        self._lines = Lines(seed, self._rosters, self._injuries, self.games_on)
        self._schedule: Schedule | None = None

    # ----------------------------------------------------------------- players

    @property
    def teams(self) -> tuple[str, ...]:
        return TEAM_CODES

    @property
    def players(self) -> tuple[SimulatedPlayer, ...]:
        return self._rosters.players

    def roster(self, team: str) -> tuple[SimulatedPlayer, ...]:
        """The team's players in depth order: starters (star first), rotation, deep bench."""
        return self._rosters.roster(team)

    def player(self, player_lookup: str) -> SimulatedPlayer:
        return self._rosters.player(player_lookup)

    def player_by_name(self, name: str) -> SimulatedPlayer | None:
        """The player called ``name`` ("First Last" or "Last, First"), or None."""
        return self._rosters.get(player_lookup_from_name(name))

    # ----------------------------------------------------------------- injuries

    def injury_report(self, game_date: date) -> list[InjuryReportEntry]:
        """Listed players of the teams playing on ``game_date``, in game order, away team first."""
        return self._injuries.report(game_date, [(game.away, game.home) for game in self.games_on(game_date)])

    # ----------------------------------------------------------------- schedule

    def _ensure_schedule(self) -> Schedule:
        if self._schedule is None:
            games = (
                regular_season(self.seed)
                + playoff_games(self.seed, self._rosters, self.box_score)
                + next_opening_night(self.seed)
            )
            self._schedule = Schedule(self.seed, games)
        return self._schedule

    def season_dates(self) -> tuple[date, ...]:
        """Every date with at least one game: 2024-25 regular season, playoffs, 2025-26 opener."""
        return self._ensure_schedule().dates

    def games_on(self, game_date: date) -> list[SimulatedGame]:
        """The games of ``game_date`` (ET) in day order: by tip-off, then NBA.com game id."""
        return self._ensure_schedule().games_on(game_date)

    def is_game_day(self, game_date: date) -> bool:
        return self._ensure_schedule().is_game_day(game_date)

    def all_games(self) -> tuple[SimulatedGame, ...]:
        return self._ensure_schedule().games

    def game(self, game_id: str) -> SimulatedGame:
        """A game by canonical id (``YYYYMMDD_AWAY_HOME``) or NBA.com id."""
        return self._ensure_schedule().game(game_id)

    def is_offseason(self, day: date) -> bool:
        """True between the 2024-25 Finals and the 2025-26 opener, and before the 2024-25 opener."""
        return self._ensure_schedule().is_offseason(day)

    # ----------------------------------------------------------------- box scores

    def box_score(self, game: SimulatedGame | str) -> SimulatedBoxScore:
        """The final box score of a game (object, canonical id or NBA.com id); cached per game."""
        if isinstance(game, str):
            game = self.game(game)
        cached = self._box_scores.get(game.game_id)
        if cached is None:
            cached = self._box_score_simulator.simulate(game)
            self._box_scores[game.game_id] = cached
        return cached

    # ----------------------------------------------------------------- expectations and lines

    def expected_points(self, player_lookup: str, game_date: date) -> float | None:
        """The simulation's expectation of a player's points on ``game_date``; None if he is not
        expected to play (no game, or Out / Doubtful)."""
        return self._lines.expected_points(player_lookup, game_date)

    def prop_lines(self, game_date: date) -> list[PropLine]:
        """Points lines of every book for players expected to play with at least 12 expected
        minutes; the Odds API quotes those with 20+ minutes who are not Questionable."""
        return self._lines.prop_lines(game_date)

    def game_lines(self, game_date: date) -> list[GameLine]:
        """Spread (home), total and moneylines per game and book, opening and current."""
        return self._lines.game_lines(game_date)

    # ----------------------------------------------------------------- payloads

    def payload(
        self,
        source: str,
        game_date: date,
        *,
        as_of: datetime | None = None,
        imperfections: frozenset[str] = frozenset(),
    ) -> bytes:
        """The payload ``source`` would have served for ``game_date``, as UTF-8 JSON bytes.

        ``as_of`` is the moment of the fetch (naive means America/New_York); None means the day
        is settled: 06:00 ET on the next day. ``imperfections`` injects the documented faults.
        Byte-identical for the same seed and arguments.

        :param source: one of ``SOURCES``.
        :param game_date: the ET game date the payload describes.
        :param as_of: when the payload is fetched; decides game status, box-score and line availability.
        :param imperfections: a subset of ``IMPERFECTIONS``.
        :raises ValueError: on an unknown source or imperfection.
        """
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
        unknown = set(imperfections) - IMPERFECTIONS
        if unknown:
            raise ValueError(
                f"unknown imperfections {sorted(unknown)}; expected a subset of {sorted(IMPERFECTIONS)}"
            )
        if as_of is None:
            moment = at(game_date + timedelta(days=1), 6)
        elif as_of.tzinfo is None:
            moment = as_of.replace(tzinfo=ET)
        else:
            moment = as_of
        render = getattr(self, f"_render_{source}")
        return _dump(render(game_date, moment, frozenset(imperfections)))

    # Which games reach the box-score sources of one family ("nbac" or "bdl").
    def _box_score_games(
        self, day: date, as_of: datetime, imperfections: frozenset[str], family: str
    ) -> list[SimulatedGame]:
        games = self.games_on(day)
        missing: set[str] = set()
        if GAME_POSTPONED in imperfections and games:
            missing.add(games[-1].game_id)
        if LATE_BOXSCORES in imperfections:
            lagging_index = 0 if family == "nbac" else 1
            missing |= {g.game_id for i, g in enumerate(games) if i % 3 == lagging_index}
        return [g for g in games if g.game_id not in missing and as_of >= g.final_time]

    def _render_nbac_schedule(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        games = self.games_on(day)
        postponed = games[-1].game_id if GAME_POSTPONED in imperfections and games else None
        rows = []
        for sequence, game in enumerate(games, start=1):
            if game.game_id == postponed:
                status, text, fraction = 1, "PPD", 0.0
            elif as_of < game.start_time:
                status, text, fraction = 1, _clock_text(game.start_time), 0.0
            elif as_of < game.end_time:
                elapsed = (as_of - game.start_time) / (game.end_time - game.start_time)
                status, text, fraction = 2, "Live", elapsed
            else:
                status, text, fraction = 3, "Final", 1.0
            box = self.box_score(game) if status > 1 else None
            start_et = game.start_time.astimezone(ET)
            rows.append(
                {
                    "gameId": game.nba_game_id,
                    "gameCode": game.game_code,
                    "gameStatus": status,
                    "gameStatusText": text,
                    "gameSequence": sequence,
                    "gameDateEst": f"{day:%Y-%m-%d}T00:00:00Z",
                    "gameDateTimeEst": start_et.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "gameDateTimeUTC": utc_z(game.start_time),
                    "day": _WEEKDAY_NAMES[day.weekday()],
                    "gameLabel": game.game_label,
                    "gameSubLabel": f"Game {game.series_game}" if game.series_game else "",
                    "postponedStatus": "P" if game.game_id == postponed else "A",
                    "isNeutral": False,
                    "homeTeam": _schedule_team(game.home, game.home_seed, box, fraction),
                    "awayTeam": _schedule_team(game.away, game.away_seed, box, fraction),
                }
            )
        _duplicate_first(rows, imperfections)
        return {
            "meta": {"version": 1, "request": "scheduleLeagueV2", "time": et_iso(as_of)},
            "leagueSchedule": {
                "seasonYear": season_label(day),
                "leagueId": "00",
                "gameDates": [{"gameDate": f"{day:%m/%d/%Y} 00:00:00", "games": rows}],
            },
        }

    def _render_nbac_gamebook(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        games = []
        for game in self._box_score_games(day, as_of, imperfections, "nbac"):
            box = self.box_score(game)
            players = []
            for index, line in enumerate(box.lines):
                player = self._rosters.player(line.player_lookup)
                mixed = MIXED_GAME_ID in imperfections and index % 2 == 1
                row: dict[str, Any] = {
                    "gameId": game.game_id if mixed else game.nba_game_id,
                    "personId": player.person_id,
                    "name": player.full_name,
                    "firstName": player.first_name,
                    "familyName": player.last_name,
                    "teamTricode": line.team,
                    "jerseyNum": player.jersey,
                    "position": player.position_group if line.starter else "",
                    "starter": line.starter,
                    "status": line.status,
                    "dnpReason": line.dnp_reason,
                    "minutes": line.minutes_clock if line.played else None,
                }
                for key, stat in _GAMEBOOK_STATS:
                    row[key] = _stat(line, stat) if line.played else None
                players.append(row)
            _duplicate_first(players, imperfections)
            games.append(
                {
                    "gameId": game.nba_game_id,
                    "gameCode": game.game_code,
                    "gameStatus": 3,
                    "gameStatusText": "Final",
                    "homeTeam": {"teamTricode": game.home, "score": box.points(game.home)},
                    "awayTeam": {"teamTricode": game.away, "score": box.points(game.away)},
                    "players": players,
                }
            )
        return {"gameDate": day.isoformat(), "games": games}

    def _render_nbac_team_boxscore(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        rows = []
        for game in self._box_score_games(day, as_of, imperfections, "nbac"):
            box = self.box_score(game)
            for team, opponent, is_home in ((game.away, game.home, False), (game.home, game.away, True)):
                mixed = MIXED_GAME_ID in imperfections and len(rows) % 2 == 1
                row: dict[str, Any] = {
                    "gameId": game.game_id if mixed else game.nba_game_id,
                    "gameCode": game.game_code,
                    "teamId": TEAM_INFO[team].nba_team_id,
                    "teamTricode": team,
                    "opponentTricode": opponent,
                    "isHome": is_home,
                    "minutes": "240:00",
                }
                for key, stat in _GAMEBOOK_STATS:
                    row[key] = sum(_stat(line, stat) for line in box.team_lines(team))
                row["plusMinus"] = box.points(team) - box.points(opponent)
                rows.append(row)
        _duplicate_first(rows, imperfections)
        return {"gameDate": day.isoformat(), "teams": rows}

    def _render_nbac_play_by_play(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        rows: list[list[Any]] = []
        for game in self._box_score_games(day, as_of, imperfections, "nbac"):
            for line in self.box_score(game).lines:
                if not line.played:
                    continue
                player = self._rosters.player(line.player_lookup)
                mixed = MIXED_GAME_ID in imperfections and len(rows) % 2 == 1
                rows.append(
                    [
                        game.matchup if mixed else game.nba_game_id,
                        f"{day:%Y%m%d}",
                        game.away,
                        game.home,
                        player.person_id,
                        player.full_name,
                        TEAM_INFO[line.team].nba_team_id,
                        line.team,
                        line.paint_attempts,
                        line.paint_makes,
                        line.mid_range_attempts,
                        line.mid_range_makes,
                        line.fg3a,
                        line.fg3m,
                    ]
                )
        _duplicate_first(rows, imperfections)
        return {
            "resource": "shotzonesummary",
            "parameters": {"GameDate": day.isoformat(), "LeagueID": "00", "Season": season_label(day)},
            "resultSets": [{"name": "PlayerShotZones", "headers": list(_SHOT_ZONE_HEADERS), "rowSet": rows}],
        }

    def _render_nbac_injury_report(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        published = publications(day, as_of)
        rows = []
        if published:
            games_by_team = {team: g for g in self.games_on(day) for team in (g.away, g.home)}
            for entry in self.injury_report(day):
                game = games_by_team[entry.team]
                start_et = game.start_time.astimezone(ET)
                rows.append(
                    {
                        "gameDate": f"{day:%m/%d/%Y}",
                        "gameTime": f"{(start_et.hour - 1) % 12 + 1:02d}:{start_et.minute:02d} "
                        f"{'PM' if start_et.hour >= 12 else 'AM'} ET",
                        "matchup": game.matchup,
                        "team": TEAMS[entry.team],
                        "playerName": self._rosters.player(entry.player_lookup).report_name,
                        "currentStatus": entry.status,
                        "reason": entry.reason,
                    }
                )
        _duplicate_first(rows, imperfections)
        return {
            "gameDate": day.isoformat(),
            "reportTime": et_iso(max(published)) if published else None,
            "rows": rows,
        }

    def _render_bdl_boxscores(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        data = []
        for game in self._box_score_games(day, as_of, imperfections, "bdl"):
            box = self.box_score(game)
            home, away = TEAM_INFO[game.home], TEAM_INFO[game.away]
            game_object = {
                "id": game.bdl_game_id,
                "date": day.isoformat(),
                "season": game.season_year,
                "status": "Final",
                "postseason": game.season_type == "Playoffs",
                "home_team_id": home.bdl_team_id,
                "visitor_team_id": away.bdl_team_id,
                "home_team_score": box.points(game.home),
                "visitor_team_score": box.points(game.away),
            }
            for line in box.lines:
                if not line.played:
                    continue
                player = self._rosters.player(line.player_lookup)
                team = TEAM_INFO[line.team]
                data.append(
                    {
                        "id": stable_int(self.seed, "bdl-stat", game.game_id, player.player_lookup)
                        % 900_000_000
                        + 100_000_000,
                        "min": str(line.seconds // 60),
                        "pts": line.points,
                        "fgm": line.fgm,
                        "fga": line.fga,
                        "fg_pct": round(line.fgm / line.fga, 3) if line.fga else 0.0,
                        "fg3m": line.fg3m,
                        "fg3a": line.fg3a,
                        "fg3_pct": round(line.fg3m / line.fg3a, 3) if line.fg3a else 0.0,
                        "ftm": line.ftm,
                        "fta": line.fta,
                        "ft_pct": round(line.ftm / line.fta, 3) if line.fta else 0.0,
                        "oreb": line.oreb,
                        "dreb": line.dreb,
                        "reb": line.oreb + line.dreb,
                        "ast": line.ast,
                        "stl": line.stl,
                        "blk": line.blk,
                        "turnover": line.tov,
                        "pf": line.pf,
                        "player": {
                            "id": player.bdl_player_id,
                            "first_name": player.first_name,
                            "last_name": player.last_name,
                            "position": player.position_group,
                            "jersey_number": player.jersey,
                            "team_id": team.bdl_team_id,
                        },
                        "team": {
                            "id": team.bdl_team_id,
                            "abbreviation": line.team,
                            "city": team.city,
                            "conference": team.conference,
                            "full_name": team.full_name,
                            "name": team.nickname,
                        },
                        "game": game_object,
                    }
                )
        _duplicate_first(data, imperfections)
        return {"data": data, "meta": {"next_cursor": None, "per_page": 100}}

    def _odds_event(self, game: SimulatedGame) -> dict[str, Any]:
        return {
            "id": game.odds_event_id,
            "sport_key": "basketball_nba",
            "sport_title": "NBA",
            "commence_time": utc_z(game.start_time),
            "home_team": TEAMS[game.home],
            "away_team": TEAMS[game.away],
        }

    def _render_odds_api_events(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        data = [self._odds_event(game) for game in self.games_on(day)]
        _duplicate_first(data, imperfections)
        return {"timestamp": utc_z(as_of), "data": data}

    def _render_odds_api_player_points_props(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        lines_by_game_book: dict[tuple[str, str], list[PropLine]] = {}
        for line in self.prop_lines(day):
            if line.in_odds_api:
                lines_by_game_book.setdefault((line.game_id, line.book), []).append(line)
        data = []
        for game_index, game in enumerate(self.games_on(day)):
            omitted = None
            if PLAYER_MISSING_FROM_BOOK in imperfections and game_index == 0:
                covered = lines_by_game_book.get((game.game_id, BOOKS[0].key), [])
                if covered:
                    omitted = min(self._rosters.player(line.player_lookup).full_name for line in covered)
            bookmakers = []
            for book in BOOKS:
                posted = book_post_time(day, book, as_of)
                if posted is None:
                    continue
                outcomes = []
                lines = sorted(
                    lines_by_game_book.get((game.game_id, book.key), []),
                    key=lambda line: self._rosters.player(line.player_lookup).full_name,
                )
                for line in lines:
                    name = self._rosters.player(line.player_lookup).full_name
                    if book is BOOKS[0] and name == omitted:
                        continue
                    point = line.current_line if posted.hour >= MOVE_HOUR else line.opening_line
                    outcomes.append(
                        {"name": "Over", "description": name, "price": line.over_price, "point": point}
                    )
                    outcomes.append(
                        {"name": "Under", "description": name, "price": line.under_price, "point": point}
                    )
                _duplicate_first(outcomes, imperfections)
                bookmakers.append(
                    {
                        "key": book.key,
                        "title": book.title,
                        "last_update": utc_z(posted),
                        "markets": [
                            {"key": "player_points", "last_update": utc_z(posted), "outcomes": outcomes}
                        ],
                    }
                )
            data.append(self._odds_event(game) | {"bookmakers": bookmakers})
        return {"timestamp": utc_z(as_of), "data": data}

    def _render_odds_api_game_lines(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        by_game_book = {(line.game_id, line.book): line for line in self.game_lines(day)}
        data = []
        for game in self.games_on(day):
            home, away = TEAMS[game.home], TEAMS[game.away]
            bookmakers = []
            for book in BOOKS:
                posted = book_post_time(day, book, as_of)
                if posted is None:
                    continue
                line = by_game_book[(game.game_id, book.key)]
                moved = posted.hour >= MOVE_HOUR
                spread = line.current_home_spread if moved else line.opening_home_spread
                total = line.current_total if moved else line.opening_total
                home_price = line.current_home_price if moved else line.opening_home_price
                away_price = line.current_away_price if moved else line.opening_away_price
                stamp = utc_z(posted)
                markets = [
                    {
                        "key": "h2h",
                        "last_update": stamp,
                        "outcomes": [
                            {"name": home, "price": home_price},
                            {"name": away, "price": away_price},
                        ],
                    },
                    {
                        "key": "spreads",
                        "last_update": stamp,
                        "outcomes": [
                            {"name": home, "price": -110, "point": spread},
                            {"name": away, "price": -110, "point": -spread},
                        ],
                    },
                    {
                        "key": "totals",
                        "last_update": stamp,
                        "outcomes": [
                            {"name": "Over", "price": -110, "point": total},
                            {"name": "Under", "price": -110, "point": total},
                        ],
                    },
                ]
                bookmakers.append(
                    {"key": book.key, "title": book.title, "last_update": stamp, "markets": markets}
                )
            data.append(self._odds_event(game) | {"bookmakers": bookmakers})
        _duplicate_first(data, imperfections)
        return {"timestamp": utc_z(as_of), "data": data}

    def _render_bettingpros_player_props(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        games = self.games_on(day)
        game_by_id = {game.game_id: game for game in games}
        by_player: dict[tuple[str, str], list[PropLine]] = {}
        for line in self.prop_lines(day):
            by_player.setdefault((line.game_id, line.player_lookup), []).append(line)
        offers = []
        for (game_id, lookup), lines in by_player.items():
            player = self._rosters.player(lookup)
            books = []
            for book, line in zip(BOOKS, lines, strict=True):
                posted = book_post_time(day, book, as_of)
                if posted is None:
                    continue
                books.append(
                    {
                        "book_id": book.bettingpros_id,
                        "book_name": book.title,
                        "line": line.current_line if posted.hour >= MOVE_HOUR else line.opening_line,
                        "opening_line": line.opening_line,
                        "over_odds": line.over_price,
                        "under_odds": line.under_price,
                        "updated": et_iso(posted),
                    }
                )
            if books:
                offers.append(
                    {
                        "offer_id": hashlib.sha256(f"{self.seed}|bp|{game_id}|{lookup}".encode()).hexdigest()[
                            :24
                        ],
                        "event_id": game_by_id[game_id].bettingpros_event_id,
                        "market_id": _BETTINGPROS_MARKET_ID,
                        "player": {
                            "name": player.full_name,
                            "slug": player.slug,
                            "team": player.team,
                            "position": player.position,
                        },
                        "books": books,
                    }
                )
        _duplicate_first(offers, imperfections)
        events = [
            {
                "id": game.bettingpros_event_id,
                "home": game.home,
                "visitor": game.away,
                "scheduled": et_iso(game.start_time),
            }
            for game in games
        ]
        return {
            "date": day.isoformat(),
            "market": {"id": _BETTINGPROS_MARKET_ID, "name": "Points"},
            "events": events,
            "offers": offers,
            "pagination": {"page": 1, "total_pages": 1, "total_items": len(offers)},
        }

    def _render_espn_rosters(
        self, day: date, as_of: datetime, imperfections: frozenset[str]
    ) -> dict[str, Any]:
        teams = []
        for code in TEAM_CODES:
            info = TEAM_INFO[code]
            athletes = [
                {
                    "id": player.espn_athlete_id,
                    "fullName": player.full_name,
                    "firstName": player.first_name,
                    "lastName": player.last_name,
                    "jersey": player.jersey,
                    "position": {"abbreviation": player.position, "name": _POSITION_NAMES[player.position]},
                }
                for player in self._rosters.roster(code)
            ]
            _duplicate_first(athletes, imperfections)
            teams.append(
                {
                    "team": {
                        "id": str(info.espn_team_id),
                        "abbreviation": code,
                        "displayName": info.full_name,
                        "location": info.city,
                        "name": info.nickname,
                    },
                    "athletes": athletes,
                }
            )
        label = season_label(day)
        return {
            "season": {"year": int(label[:4]) + 1, "displayName": label},
            "timestamp": utc_z(as_of),
            "teams": teams,
        }


# --------------------------------------------------------------------------- rendering helpers

_GAMEBOOK_STATS = (
    ("fgm", "fgm"), ("fga", "fga"), ("fg3m", "fg3m"), ("fg3a", "fg3a"), ("ftm", "ftm"), ("fta", "fta"),
    ("oreb", "oreb"), ("dreb", "dreb"), ("reb", "reb"), ("ast", "ast"), ("stl", "stl"), ("blk", "blk"),
    ("tov", "tov"), ("pf", "pf"), ("pts", "points"), ("plusMinus", "plus_minus"),
)  # fmt: skip
_SHOT_ZONE_HEADERS = (
    "GAME_ID", "GAME_DATE", "VTM", "HTM", "PLAYER_ID", "PLAYER_NAME", "TEAM_ID", "TEAM_ABBREVIATION",
    "PAINT_FGA", "PAINT_FGM", "MID_RANGE_FGA", "MID_RANGE_FGM", "THREE_PT_FGA", "THREE_PT_FGM",
)  # fmt: skip


def _schedule_team(
    team: str, seed: int | None, box: SimulatedBoxScore | None, fraction: float
) -> dict[str, Any]:
    """A schedule's homeTeam / awayTeam object; a live game shows the share of its final score so far."""
    info = TEAM_INFO[team]
    return {
        "teamId": info.nba_team_id,
        "teamName": info.nickname,
        "teamCity": info.city,
        "teamTricode": team,
        "teamSlug": info.nickname.lower().replace(" ", ""),
        "score": math.floor(box.points(team) * fraction) if box else 0,
        "seed": seed,
    }


def _stat(line: PlayerLine, stat: str) -> int:
    return line.oreb + line.dreb if stat == "reb" else int(getattr(line, stat))


_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _clock_text(moment: datetime) -> str:
    """NBA.com's scheduled-game status text, e.g. "7:30 pm ET"."""
    local = moment.astimezone(ET)
    return f"{(local.hour - 1) % 12 + 1}:{local.minute:02d} {'pm' if local.hour >= 12 else 'am'} ET"


def _duplicate_first(rows: list[Any], imperfections: frozenset[str]) -> None:
    """``duplicate_rows``: the first row of a row list is repeated right after itself."""
    if DUPLICATE_ROWS in imperfections and rows:
        rows.insert(1, rows[0])






