"""The league's people: the 30 real franchises and the players generated for them.

Each roster is drawn from the seed in depth order (starters with a star first, rotation, deep
bench), and each player gets the ids every source knows him by and a scoring profile that box
scores and lines are later drawn around. The minutes model lives here too: a healthy team plays
240 minutes, and when players are missing the bench absorbs most of the gap, as coaches do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from nba_pipeline.player_names import player_lookup, universal_player_id
from nba_pipeline.sources.simulation.data import DIVISIONS, FIRST_NAMES, LAST_NAMES, SUFFIXES, TEAM_ROWS
from nba_pipeline.sources.simulation.draws import seeded_rng

__all__ = [
    "MAX_MINUTES",
    "MINUTES_ABSORPTION",
    "SIMULATED_PERSON_IDS",
    "TEAMS",
    "TEAM_CODES",
    "TEAM_INFO",
    "Rosters",
    "ScoringProfile",
    "SimulatedPlayer",
    "TeamInfo",
    "player_lookup_from_name",
    "redistribute",
]

# --------------------------------------------------------------------------- teams


@dataclass(frozen=True)
class TeamInfo:
    """One real franchise, with the ids and spellings each source uses for it."""

    code: str
    full_name: str  # The Odds API / injury report spelling, e.g. "Los Angeles Clippers"
    city: str  # NBA.com teamCity, e.g. "LA"
    nickname: str  # NBA.com teamName, e.g. "Clippers"
    conference: str  # "East" | "West"
    division: str  # "Atlantic", "Central", "Southeast", "Northwest", "Pacific" or "Southwest"
    nba_team_id: int
    espn_team_id: int
    bdl_team_id: int
    time_zone: str  # home arena: "E", "C", "M" or "P"; drives tip-off times


TEAM_INFO: dict[str, TeamInfo] = {
    row[0]: TeamInfo(
        *row[:5],
        division=DIVISIONS[row[0]],
        nba_team_id=row[5],
        espn_team_id=row[6],
        bdl_team_id=index + 1,
        time_zone=row[7],
    )
    for index, row in enumerate(TEAM_ROWS)
}
TEAM_CODES: tuple[str, ...] = tuple(TEAM_INFO)
TEAMS: dict[str, str] = {code: info.full_name for code, info in TEAM_INFO.items()}


#: the pipeline's player key (:func:`nba_pipeline.player_names.player_lookup`): the lowercase ASCII
#: letters of "First Last", also from the injury report's "Last, First" order
player_lookup_from_name = player_lookup


# --------------------------------------------------------------------------- players

#: Where simulated NBA.com personIds lie: far above every real one, which grow by about a thousand a year.
SIMULATED_PERSON_IDS = range(9_000_000, 9_016_800)

_POSITIONS = ("PG", "SG", "SF", "PF", "C")
_POSITION_GROUP = {"PG": "G", "SG": "G", "SF": "F", "PF": "F", "C": "C"}

# Role ranges: (minutes, points per game, usage rate, appearance rate when healthy).
_ROLE_RANGES = {
    "star": ((33.5, 36.5), (25.0, 30.0), (0.28, 0.34), (1.0, 1.0)),
    "starter": ((29.5, 35.5), (12.0, 16.0), (0.18, 0.24), (1.0, 1.0)),
    "rotation": ((13.0, 20.0), (4.0, 8.5), (0.15, 0.21), (1.0, 1.0)),
    "deep_bench": ((3.0, 9.0), (1.5, 4.0), (0.13, 0.19), (0.3, 0.55)),
}
# Share of points by zone (paint, mid-range, three, free throw) per position group.
_ZONE_MIX = {"G": (0.30, 0.14, 0.40, 0.16), "F": (0.38, 0.15, 0.31, 0.16), "C": (0.62, 0.08, 0.12, 0.18)}
# Per-minute rates (offensive rebounds, defensive rebounds, assists, steals, blocks, fouls).
_OTHER_RATES = {
    "G": (0.02, 0.11, 0.17, 0.035, 0.01, 0.07),
    "F": (0.045, 0.16, 0.08, 0.03, 0.02, 0.075),
    "C": (0.10, 0.24, 0.07, 0.025, 0.05, 0.09),
}


@dataclass(frozen=True)
class ScoringProfile:
    """How a simulated player plays on an average healthy night; box scores are drawn around it.

    The zone shares split his points (paint, mid-range, three, free throw) and sum to 1; attempt
    rates follow from points per minute, the shares and his percentages.
    """

    role: str  # "star" | "starter" | "rotation" | "deep_bench"
    usage_rate: float
    mean_minutes: float  # when he plays
    appearance_rate: float  # share of healthy games he gets on the floor at all
    points_per_minute: float
    paint_share: float
    mid_range_share: float
    three_share: float
    free_throw_share: float
    paint_pct: float
    mid_range_pct: float
    three_pct: float
    free_throw_pct: float
    oreb_per_minute: float
    dreb_per_minute: float
    ast_per_minute: float
    stl_per_minute: float
    blk_per_minute: float
    tov_per_minute: float
    pf_per_minute: float

    @property
    def points_per_game(self) -> float:
        return self.mean_minutes * self.points_per_minute

    @property
    def paint_attempts_per_minute(self) -> float:
        return self.points_per_minute * self.paint_share / (2 * self.paint_pct)

    @property
    def mid_range_attempts_per_minute(self) -> float:
        return self.points_per_minute * self.mid_range_share / (2 * self.mid_range_pct)

    @property
    def three_attempts_per_minute(self) -> float:
        return self.points_per_minute * self.three_share / (3 * self.three_pct)

    @property
    def free_throw_attempts_per_minute(self) -> float:
        return self.points_per_minute * self.free_throw_share / self.free_throw_pct


@dataclass(frozen=True)
class SimulatedPlayer:
    """A generated player of the simulated league, with the ids each source knows him by."""

    player_lookup: str
    universal_player_id: str
    person_id: int  # NBA.com personId
    bdl_player_id: int
    espn_athlete_id: str
    first_name: str
    last_name: str  # family name with any suffix, e.g. "O'Dell Jr."
    team: str
    jersey: str
    position: str  # PG | SG | SF | PF | C
    profile: ScoringProfile

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def report_name(self) -> str:
        """The injury report's "Last, First" spelling."""
        return f"{self.last_name}, {self.first_name}"

    @property
    def slug(self) -> str:
        words = "".join(c if c.isalnum() or c == " " else " " if c == "-" else "" for c in self.full_name)
        return "-".join(words.lower().split())

    @property
    def position_group(self) -> str:
        return _POSITION_GROUP[self.position]


# --------------------------------------------------------------------------- minutes

MAX_MINUTES = 42.0
# Who absorbs minutes that injured teammates leave (or gives them back): stars least.
MINUTES_ABSORPTION = {"star": 0.4, "starter": 0.7, "rotation": 1.0, "deep_bench": 1.5}


def redistribute(values: list[float], weights: list[float], total: float, cap: float) -> list[float]:
    """Add (or take) the gap to ``total`` in proportion to value x weight, nobody above ``cap``.

    Weights say who absorbs missing minutes: the bench more than the stars, as coaches do.
    """
    result = list(values)
    capped = [False] * len(values)
    for _ in range(len(values) + 1):
        gap = total - sum(result)
        shares = [
            0.0 if is_capped else v * w for v, w, is_capped in zip(result, weights, capped, strict=True)
        ]
        share_total = sum(shares)
        if abs(gap) < 1e-9 or share_total <= 0:
            break
        result = [
            max(0.05 * v, v + gap * share / share_total) for v, share in zip(result, shares, strict=True)
        ]
        over = [i for i, v in enumerate(result) if v > cap]
        if not over:
            break
        for i in over:
            capped[i] = True
            result[i] = cap
    return result


# --------------------------------------------------------------------------- rosters


class Rosters:
    """The players of the league of ``seed``: ``players_per_team`` per franchise, in depth order.

    :param seed: the league's seed.
    :param players_per_team: roster size, 8 to 20 (15 gives about 450 players).
    :raises ValueError: a roster size outside 8..20.
    """

    def __init__(self, seed: int, players_per_team: int) -> None:
        if not 8 <= players_per_team <= 20:
            raise ValueError(f"players_per_team must be between 8 and 20, got {players_per_team}")
        self.seed = seed
        self.players_per_team = players_per_team
        self.players: tuple[SimulatedPlayer, ...] = self._build_players()
        self._by_lookup = {player.player_lookup: player for player in self.players}
        self._by_team = {code: tuple(p for p in self.players if p.team == code) for code in TEAM_CODES}

    def roster(self, team: str) -> tuple[SimulatedPlayer, ...]:
        """The team's players in depth order: starters (star first), rotation, deep bench."""
        return self._by_team[team]

    def player(self, player_lookup: str) -> SimulatedPlayer:
        """The player with this key; KeyError if there is none."""
        return self._by_lookup[player_lookup]

    def get(self, player_lookup: str) -> SimulatedPlayer | None:
        return self._by_lookup.get(player_lookup)

    def _build_players(self) -> tuple[SimulatedPlayer, ...]:
        rng = seeded_rng(self.seed, "players")
        total = len(TEAM_CODES) * self.players_per_team
        # Drawn as seven-digit ids like NBA.com's, then moved above every real personId (the real
        # list tops out at 1,643,813), so a simulated id never names a real player; the draw itself
        # is unchanged, and with it every later draw of the seeded stream.
        drawn = rng.sample(range(1626100, 1642900), total)
        person_ids = sorted(SIMULATED_PERSON_IDS.start + n - 1626100 for n in drawn)
        bdl_ids = rng.sample(range(100_000, 1_000_000), total)
        espn_ids = rng.sample(range(3_000_000, 5_200_000), total)
        used_lookups: set[str] = set()
        players: list[SimulatedPlayer] = []
        for team in TEAM_CODES:
            team_rng = seeded_rng(self.seed, "roster", team)
            roles = self._roles(team_rng)
            starter_positions = list(_POSITIONS)
            team_rng.shuffle(starter_positions)
            jerseys = team_rng.sample(range(100), self.players_per_team)
            drafts = []
            for slot, role in enumerate(roles):
                first, last = self._unique_name(team_rng, used_lookups)
                position = starter_positions[slot] if slot < 5 else team_rng.choice(_POSITIONS)
                drafts.append((first, last, position, role))
            profiles = self._profiles(team_rng, [(d[3], d[2]) for d in drafts])
            for slot, ((first, last, position, _role), profile) in enumerate(
                zip(drafts, profiles, strict=True)
            ):
                index = len(players)
                lookup = player_lookup_from_name(f"{first} {last}")
                players.append(
                    SimulatedPlayer(
                        player_lookup=lookup,
                        universal_player_id=universal_player_id(lookup),
                        person_id=person_ids[index],
                        bdl_player_id=bdl_ids[index],
                        espn_athlete_id=str(espn_ids[index]),
                        first_name=first,
                        last_name=last,
                        team=team,
                        jersey=str(jerseys[slot]),
                        position=position,
                        profile=profile,
                    )
                )
        return tuple(players)

    def _roles(self, rng: random.Random) -> list[str]:
        second_star = rng.random() < 0.25
        roles = []
        for slot in range(self.players_per_team):
            if slot == 0 or (slot == 1 and second_star):
                roles.append("star")
            elif slot < 5:
                roles.append("starter")
            elif slot < 9:
                roles.append("rotation")
            else:
                roles.append("deep_bench")
        return roles

    @staticmethod
    def _unique_name(rng: random.Random, used_lookups: set[str]) -> tuple[str, str]:
        while True:
            first = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            if rng.random() < 0.04:
                last = f"{last} {rng.choice(SUFFIXES)}"
            lookup = player_lookup_from_name(f"{first} {last}")
            if lookup not in used_lookups:
                used_lookups.add(lookup)
                return first, last

    @staticmethod
    def _profiles(rng: random.Random, roles_and_positions: list[tuple[str, str]]) -> list[ScoringProfile]:
        """Draw each player's profile; minutes are adjusted so a healthy team plays 240 of them."""
        drafts = []
        for role, _position in roles_and_positions:
            minutes_range, ppg_range, usage_range, appearance_range = _ROLE_RANGES[role]
            drafts.append(
                (
                    rng.uniform(*minutes_range),
                    rng.uniform(*ppg_range),
                    rng.uniform(*usage_range),
                    rng.uniform(*appearance_range),
                )
            )
        # The bench absorbs most of the gap to 240 minutes, as in a day's expected minutes.
        scaled = redistribute(
            [minutes * appearance for minutes, _, _, appearance in drafts],
            [MINUTES_ABSORPTION[role] for role, _ in roles_and_positions],
            240.0,
            MAX_MINUTES,
        )
        profiles = []
        for (role, position), (_, ppg, usage, appearance), minutes in zip(
            roles_and_positions, drafts, scaled, strict=True
        ):
            group = _POSITION_GROUP[position]
            mean_minutes = minutes / appearance
            mix = [share * rng.uniform(0.8, 1.2) for share in _ZONE_MIX[group]]
            if role == "star":
                mix[3] *= 1.3
            shares = [share / sum(mix) for share in mix]
            oreb, dreb, ast, stl, blk, pf = (rate * rng.uniform(0.8, 1.2) for rate in _OTHER_RATES[group])
            profiles.append(
                ScoringProfile(
                    role=role,
                    usage_rate=round(usage, 3),
                    mean_minutes=mean_minutes,
                    appearance_rate=appearance,
                    points_per_minute=ppg / mean_minutes,
                    paint_share=shares[0],
                    mid_range_share=shares[1],
                    three_share=shares[2],
                    free_throw_share=shares[3],
                    paint_pct=rng.uniform(0.54, 0.64) + (0.04 if group == "C" else 0.0),
                    mid_range_pct=rng.uniform(0.36, 0.46),
                    three_pct=rng.uniform(0.28, 0.36) if group == "C" else rng.uniform(0.31, 0.40),
                    free_throw_pct=rng.uniform(0.60, 0.78) if group == "C" else rng.uniform(0.70, 0.90),
                    oreb_per_minute=oreb,
                    dreb_per_minute=dreb,
                    ast_per_minute=ast * (1.3 if role == "star" else 1.0),
                    stl_per_minute=stl,
                    blk_per_minute=blk,
                    tov_per_minute=0.02 + usage * 0.15,
                    pf_per_minute=pf,
                )
            )
        return profiles
