"""What a game's setting does to its players' scoring: pace, the opponent's defence by zone, home
court, the second night of a back-to-back, and teammates who are missing.

Each team has a style drawn once from the seed (its own stream, so no other draw moves): a pace and
a defence relative to the league average, and how much it lets opponents make in the paint, from
mid-range and from three. A game's setting turns those into two things for each side: a **volume**
factor on its shot and free-throw attempts (both teams' pace, the opponent's defence, home court,
a back-to-back) and a make-rate factor per zone (the opponent's zone defence). Box scores are
drawn with them (:mod:`.games`) and the truth and the books' lines expect them (:mod:`.books`).
The sizes and the figures they come from are in ``docs/simulation.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from nba_pipeline.sources.simulation.draws import seeded_rng
from nba_pipeline.sources.simulation.rosters import TEAM_CODES, ScoringProfile
from nba_pipeline.sources.simulation.schedule import SimulatedGame

__all__ = [
    "BACK_TO_BACK_FACTOR",
    "HOME_FACTOR",
    "USAGE_RECOVERY",
    "GameSetting",
    "SideSetting",
    "TeamStyle",
    "team_styles",
]

#: Standard deviations across teams, relative to the league average (docs/simulation.md).
PACE_SD = 0.025
DEFENCE_SD = 0.023
ZONE_DEFENCE_SD = (0.03, 0.025, 0.025)  # paint, mid-range, three: opponents' make rate
#: Home court: the home side scores this much more, the away side this much less (2.5 points of
#: margin on about 115 points a side).
HOME_FACTOR = 0.011
#: The second night of a back-to-back: this much less scoring for the tired side (2 points).
BACK_TO_BACK_FACTOR = 0.017
#: The share of a missing teammate's scoring that the players present take up (usage shift).
USAGE_RECOVERY = 0.85
#: Bounds on a side's volume factor from missing teammates (a depleted team still plays 48 minutes).
_USAGE_BOUNDS = (1.0, 1.25)


@dataclass(frozen=True)
class TeamStyle:
    """How a team plays, relative to the league average (1.0 is average)."""

    pace: float
    defence: float  # points it allows per possession: below 1 is a good defence
    zone_defence: tuple[float, float, float]  # make-rate multipliers it allows: paint, mid-range, three


def team_styles(seed: int) -> dict[str, TeamStyle]:
    """Every franchise's style in the league of ``seed``."""
    styles = {}
    for team in TEAM_CODES:
        rng = seeded_rng(seed, "team-style", team)
        styles[team] = TeamStyle(
            pace=_bounded(rng.gauss(1.0, PACE_SD), PACE_SD),
            defence=_bounded(rng.gauss(1.0, DEFENCE_SD), DEFENCE_SD),
            zone_defence=(  # a tuple of three, drawn in zone order
                _bounded(rng.gauss(1.0, ZONE_DEFENCE_SD[0]), ZONE_DEFENCE_SD[0]),
                _bounded(rng.gauss(1.0, ZONE_DEFENCE_SD[1]), ZONE_DEFENCE_SD[1]),
                _bounded(rng.gauss(1.0, ZONE_DEFENCE_SD[2]), ZONE_DEFENCE_SD[2]),
            ),
        )
    return styles


def _bounded(value: float, sd: float) -> float:
    """At most 2.5 standard deviations from average: no team is a caricature."""
    return min(1.0 + 2.5 * sd, max(1.0 - 2.5 * sd, value))


@dataclass(frozen=True)
class SideSetting:
    """One side of one game: its volume factor and the make-rate factors its opponent allows."""

    volume: float
    zone_makes: tuple[float, float, float]  # paint, mid-range, three
    back_to_back: bool

    def expected_factor(self, profile: ScoringProfile) -> float:
        """A player's expected points here over his average night's: volume times his zone mix
        against the opponent's zone defence (free throws are not defended by zone)."""
        paint, mid, three = self.zone_makes
        zones = (profile.paint_share * paint + profile.mid_range_share * mid + profile.three_share * three
                 + profile.free_throw_share)
        return self.volume * zones


class GameSetting:
    """The settings of every game of a league: team styles and each team's regular-season dates.

    Back-to-backs are read from the regular season alone: the NBA's playoffs have none.

    :param seed: the league's seed (the styles' stream).
    :param regular_season: the regular season's games, asked for on first use (building the
        schedule takes about a second).
    """

    def __init__(self, seed: int, regular_season: Callable[[], Iterable[SimulatedGame]]) -> None:
        self.styles = team_styles(seed)
        self._regular_season = regular_season
        self._played: set[tuple[str, date]] | None = None

    def back_to_back(self, team: str, day: date) -> bool:
        """True when ``team`` also played the day before (in the regular season)."""
        if self._played is None:
            self._played = {(team, game.game_date) for game in self._regular_season()
                            for team in (game.away, game.home)}
        return (team, day) in self._played and (team, day - timedelta(days=1)) in self._played

    def side(self, team: str, opponent: str, day: date, *, home: bool) -> SideSetting:
        """``team``'s setting against ``opponent`` on ``day``."""
        own, other = self.styles[team], self.styles[opponent]
        tired = self.back_to_back(team, day)
        volume = ((own.pace + other.pace) / 2 * other.defence * (1 + HOME_FACTOR if home else 1 - HOME_FACTOR)
                  * (1 - BACK_TO_BACK_FACTOR if tired else 1.0))
        return SideSetting(volume, other.zone_defence, tired)


def usage_factor(present_volume: float, full_volume: float) -> float:
    """How much more each present player shoots when teammates are missing: the players present
    take up :data:`USAGE_RECOVERY` of the missing shot volume, in proportion to their own."""
    if present_volume <= 0:
        return 1.0
    missing = max(0.0, full_volume - present_volume)
    low, high = _USAGE_BOUNDS
    return min(high, max(low, (present_volume + USAGE_RECOVERY * missing) / present_volume))
