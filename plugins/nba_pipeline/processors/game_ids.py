"""Canonical game ids, team codes, player keys and source timestamps: pure functions.

Player keys (``player_lookup``, ``display_name``) are :mod:`nba_pipeline.player_names`'s, re-exported
here for the raw processors.

Every raw table keys games by ``YYYYMMDD_AWAY_HOME`` on the America/New_York game date. The
sources spell a game in many ways (NBA.com's 10-character id, its ``YYYYMMDD/AWAYHOME`` game
code, ``AWAY@HOME`` with a date, balldontlie ids with team ids, Odds API events with a UTC start
and full team names); each form has one function here, so a game collapses to one key whatever
mix of forms a payload carries. Functions raise :class:`GameIdError` (a ``ValueError``) with the
reason; callers add the payload path.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from nba_pipeline.player_names import display_name as display_name  # re-exported for the raw processors
from nba_pipeline.player_names import player_lookup as player_lookup

ET = ZoneInfo("America/New_York")


class GameIdError(ValueError):
    """A game id, team, date or timestamp that cannot be read or is inconsistent."""


@dataclass(frozen=True)
class Team:
    """One franchise and the ids each source uses for it."""

    code: str  # NBA.com tricode, the pipeline's team key
    full_name: str  # The Odds API and injury report spelling
    nba_team_id: int
    bdl_team_id: int
    espn_team_id: int


_TEAM_ROWS = (
    ("ATL", "Atlanta Hawks", 1610612737, 1, 1),
    ("BOS", "Boston Celtics", 1610612738, 2, 2),
    ("BKN", "Brooklyn Nets", 1610612751, 3, 17),
    ("CHA", "Charlotte Hornets", 1610612766, 4, 30),
    ("CHI", "Chicago Bulls", 1610612741, 5, 4),
    ("CLE", "Cleveland Cavaliers", 1610612739, 6, 5),
    ("DAL", "Dallas Mavericks", 1610612742, 7, 6),
    ("DEN", "Denver Nuggets", 1610612743, 8, 7),
    ("DET", "Detroit Pistons", 1610612765, 9, 8),
    ("GSW", "Golden State Warriors", 1610612744, 10, 9),
    ("HOU", "Houston Rockets", 1610612745, 11, 10),
    ("IND", "Indiana Pacers", 1610612754, 12, 11),
    ("LAC", "Los Angeles Clippers", 1610612746, 13, 12),
    ("LAL", "Los Angeles Lakers", 1610612747, 14, 13),
    ("MEM", "Memphis Grizzlies", 1610612763, 15, 29),
    ("MIA", "Miami Heat", 1610612748, 16, 14),
    ("MIL", "Milwaukee Bucks", 1610612749, 17, 15),
    ("MIN", "Minnesota Timberwolves", 1610612750, 18, 16),
    ("NOP", "New Orleans Pelicans", 1610612740, 19, 3),
    ("NYK", "New York Knicks", 1610612752, 20, 18),
    ("OKC", "Oklahoma City Thunder", 1610612760, 21, 25),
    ("ORL", "Orlando Magic", 1610612753, 22, 19),
    ("PHI", "Philadelphia 76ers", 1610612755, 23, 20),
    ("PHX", "Phoenix Suns", 1610612756, 24, 21),
    ("POR", "Portland Trail Blazers", 1610612757, 25, 22),
    ("SAC", "Sacramento Kings", 1610612758, 26, 23),
    ("SAS", "San Antonio Spurs", 1610612759, 27, 24),
    ("TOR", "Toronto Raptors", 1610612761, 28, 28),
    ("UTA", "Utah Jazz", 1610612762, 29, 26),
    ("WAS", "Washington Wizards", 1610612764, 30, 27),
)
TEAMS: dict[str, Team] = {row[0]: Team(*row) for row in _TEAM_ROWS}
#: Other spellings of team codes seen in sources (ESPN's short codes, Basketball-Reference's).
TEAM_ALIASES: dict[str, str] = {
    "GS": "GSW",
    "NY": "NYK",
    "NO": "NOP",
    "SA": "SAS",
    "UTAH": "UTA",
    "WSH": "WAS",
    "PHO": "PHX",
    "BRK": "BKN",
    "CHO": "CHA",
}
#: Other spellings of full team names: NBA.com writes the Clippers' city "LA" (its injury report too).
TEAM_NAME_ALIASES: dict[str, str] = {"LA Clippers": "LAC"}
_BY_NAME = {team.full_name.lower(): code for code, team in TEAMS.items()} | {
    name.lower(): code for name, code in TEAM_NAME_ALIASES.items()
}
_BY_BDL_ID = {team.bdl_team_id: code for code, team in TEAMS.items()}

#: NBA.com game id prefix → season type.
SEASON_TYPES: dict[str, str] = {
    "001": "Pre Season",
    "002": "Regular Season",
    "003": "All Star",
    "004": "Playoffs",
    "005": "PlayIn",
    "006": "NBA Cup",
}

_CANONICAL = re.compile(r"^(\d{8})_([A-Z]{3})_([A-Z]{3})$")
_GAME_CODE = re.compile(r"^(\d{8})/([A-Z]{3})([A-Z]{3})$")
_MATCHUP = re.compile(r"^([A-Z]{2,4})@([A-Z]{2,4})$")
_NBA_GAME_ID = re.compile(r"^(00[1-6])(\d{2})(\d{5})$")


# --------------------------------------------------------------------------- teams and players


def team_code(value: str) -> str:
    """The canonical tricode of a code or alias (``"GS"`` → ``"GSW"``)."""
    code = value.strip().upper() if isinstance(value, str) else value
    code = TEAM_ALIASES.get(code, code)
    if code not in TEAMS:
        raise GameIdError(f"unknown team code {value!r}")
    return code


def team_from_name(full_name: str) -> str:
    """The tricode of a full team name (``"Los Angeles Clippers"`` → ``"LAC"``)."""
    code = _BY_NAME.get(full_name.strip().lower()) if isinstance(full_name, str) else None
    if code is None:
        raise GameIdError(f"unknown team name {full_name!r}")
    return code


def team_from_bdl_id(team_id: int) -> str:
    """The tricode of a balldontlie team id."""
    code = _BY_BDL_ID.get(team_id)
    if code is None:
        raise GameIdError(f"unknown balldontlie team id {team_id!r}")
    return code


# --------------------------------------------------------------------------- dates and times


def season_start_year(game_date: dt.date) -> int:
    """The first year of the season a date belongs to (2024 for 2024-25); seasons turn over in July."""
    return game_date.year if game_date.month >= 7 else game_date.year - 1


def parse_utc_z(text: str) -> dt.datetime:
    """``2025-01-16T00:00:00Z`` (true UTC) as an aware UTC datetime."""
    if not isinstance(text, str) or not text.endswith("Z"):
        raise GameIdError(f"{text!r} is not a UTC timestamp ending in Z")
    try:
        moment = dt.datetime.fromisoformat(text[:-1])
    except ValueError as err:
        raise GameIdError(f"{text!r} is not a UTC timestamp: {err}") from None
    if moment.tzinfo is not None:
        raise GameIdError(f"{text!r} has both an offset and Z")
    return moment.replace(tzinfo=dt.UTC)


def parse_et_iso(text: str) -> dt.datetime:
    """``2025-01-15T19:00:00-05:00`` (ET wall clock with its offset) as an aware UTC datetime."""
    try:
        moment = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError as err:
        raise GameIdError(f"{text!r} is not an ISO timestamp: {err}") from None
    if moment is None or moment.tzinfo is None or text.endswith("Z"):
        raise GameIdError(f"{text!r} is not an ET timestamp with an offset")
    return moment.astimezone(dt.UTC)


def parse_nba_est(text: str) -> dt.datetime:
    """NBA.com's "Est" form, ET wall clock with a literal Z (``2025-01-15T19:00:00Z``), as aware UTC."""
    if not isinstance(text, str) or not text.endswith("Z"):
        raise GameIdError(f"{text!r} is not an NBA.com Est timestamp")
    try:
        wall = dt.datetime.fromisoformat(text[:-1])
    except ValueError as err:
        raise GameIdError(f"{text!r} is not an NBA.com Est timestamp: {err}") from None
    return wall.replace(tzinfo=ET).astimezone(dt.UTC)


def et_date(moment: dt.datetime) -> dt.date:
    """The America/New_York date of an aware moment: the game date of a tip-off."""
    return moment.astimezone(ET).date()


def parse_yyyymmdd(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except (TypeError, ValueError):
        raise GameIdError(f"{text!r} is not a YYYYMMDD date") from None


# --------------------------------------------------------------------------- game ids


def canonical_game_id(game_date: dt.date, away: str, home: str) -> str:
    """``YYYYMMDD_AWAY_HOME`` from the ET game date and the two tricodes."""
    away, home = team_code(away), team_code(home)
    if away == home:
        raise GameIdError(f"a team cannot play itself ({away})")
    return f"{game_date:%Y%m%d}_{away}_{home}"


def parse_canonical(game_id: str) -> tuple[dt.date, str, str]:
    """The date, away and home team of a canonical id; checks every part."""
    match = _CANONICAL.match(game_id) if isinstance(game_id, str) else None
    if not match:
        raise GameIdError(f"{game_id!r} is not a YYYYMMDD_AWAY_HOME game id")
    game_date = parse_yyyymmdd(match.group(1))
    canonical_game_id(game_date, match.group(2), match.group(3))
    return game_date, match.group(2), match.group(3)


def from_game_code(game_code: str) -> str:
    """NBA.com ``20250115/SASIND`` → ``20250115_SAS_IND``."""
    match = _GAME_CODE.match(game_code) if isinstance(game_code, str) else None
    if not match:
        raise GameIdError(f"{game_code!r} is not a YYYYMMDD/AWAYHOME game code")
    return canonical_game_id(parse_yyyymmdd(match.group(1)), match.group(2), match.group(3))


def from_matchup(matchup: str, game_date: dt.date) -> str:
    """``SAS@IND`` on 2025-01-15 → ``20250115_SAS_IND``."""
    match = _MATCHUP.match(matchup) if isinstance(matchup, str) else None
    if not match:
        raise GameIdError(f"{matchup!r} is not an AWAY@HOME matchup")
    return canonical_game_id(game_date, match.group(1), match.group(2))


def check_nba_game_id(nba_game_id: str, game_date: dt.date) -> str:
    """Check a 10-character NBA.com id against the game's date; return its season type.

    ``0022400607``: ``002`` regular season (``004`` playoffs …), ``24`` the 2024-25 season.
    """
    match = _NBA_GAME_ID.match(nba_game_id) if isinstance(nba_game_id, str) else None
    if not match:
        raise GameIdError(f"{nba_game_id!r} is not a 10-digit NBA.com game id")
    season = int(match.group(2))
    if season != season_start_year(game_date) % 100:
        raise GameIdError(f"{nba_game_id!r} is a 20{season:02d} season id, but the game is on {game_date}")
    return SEASON_TYPES[match.group(1)]


def from_nba_game_id(nba_game_id: str, game_date: dt.date, away: str, home: str) -> str:
    """NBA.com ``0022400607`` with the game's date and teams (from its game code) → canonical."""
    check_nba_game_id(nba_game_id, game_date)
    return canonical_game_id(game_date, away, home)


def from_bdl_game(game_date: str | dt.date, home_team_id: int, visitor_team_id: int) -> str:
    """A balldontlie game (``date`` ``2025-01-15``, team ids) → canonical."""
    if isinstance(game_date, str):
        try:
            game_date = dt.date.fromisoformat(game_date[:10])
        except ValueError:
            raise GameIdError(f"{game_date!r} is not a YYYY-MM-DD date") from None
    return canonical_game_id(game_date, team_from_bdl_id(visitor_team_id), team_from_bdl_id(home_team_id))


def from_odds_event(commence_time: str, home_team: str, away_team: str) -> str:
    """An Odds API event (UTC ``commence_time``, full team names) → canonical on the ET date."""
    start = parse_utc_z(commence_time)
    return canonical_game_id(et_date(start), team_from_name(away_team), team_from_name(home_team))


def normalise_game_id(
    value: str,
    *,
    game_date: dt.date | None = None,
    away: str | None = None,
    home: str | None = None,
) -> str:
    """Any string form to canonical: canonical, game code, ``AWAY@HOME`` (needs ``game_date``) or
    the NBA.com 10-character id (needs ``game_date``, ``away`` and ``home``).

    When the context is given, the result must agree with it.
    """
    if not isinstance(value, str):
        raise GameIdError(f"{value!r} is not a game id string")
    text = value.strip()
    if _CANONICAL.match(text):
        parse_canonical(text)
        result = text
    elif _GAME_CODE.match(text):
        result = from_game_code(text)
    elif _MATCHUP.match(text):
        if game_date is None:
            raise GameIdError(f"matchup {value!r} needs the game date")
        result = from_matchup(text, game_date)
    elif _NBA_GAME_ID.match(text) or text.isdigit():
        if game_date is None or away is None or home is None:
            raise GameIdError(f"NBA.com game id {value!r} needs the game's date and teams")
        result = from_nba_game_id(text, game_date, away, home)
    else:
        raise GameIdError(f"{value!r} is not a game id in any known form")
    if game_date is not None and away is not None and home is not None:
        expected = canonical_game_id(game_date, away, home)
        if result != expected:
            raise GameIdError(f"{value!r} is game {result}, not {expected}")
    return result
