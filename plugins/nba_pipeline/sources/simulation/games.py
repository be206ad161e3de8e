"""Games as played: the box score of every game, player by player.

A game's box score is drawn from its own seeded stream. Listed players who miss the game sit
(Out and Doubtful always, Questionable some of the time), the coach benches some healthy
deep-bench players, minutes are shared out to 240 per team (the bench absorbing what the
missing leave), and shots are drawn per zone around each player's scoring profile, with the
team's possessions shared so team scores vary as real ones do. A tie is broken by a last
basket; plus-minus follows the margin.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from nba_pipeline.sources.simulation.draws import binomial, poisson, seeded_rng, stochastic_round
from nba_pipeline.sources.simulation.injuries import Injuries
from nba_pipeline.sources.simulation.rosters import (
    MAX_MINUTES,
    MINUTES_ABSORPTION,
    Rosters,
    ScoringProfile,
    redistribute,
)
from nba_pipeline.sources.simulation.schedule import SimulatedGame

__all__ = ["BoxScoreSimulator", "PlayerLine", "SimulatedBoxScore"]


@dataclass(frozen=True)
class PlayerLine:
    """One player's line in one game; counting stats are zero unless status is "active"."""

    player_lookup: str
    team: str
    status: str  # "active" | "dnp" | "inactive"
    dnp_reason: str | None
    starter: bool
    seconds: int = 0
    points: int = 0
    fgm: int = 0
    fga: int = 0
    fg3m: int = 0
    fg3a: int = 0
    ftm: int = 0
    fta: int = 0
    oreb: int = 0
    dreb: int = 0
    ast: int = 0
    stl: int = 0
    blk: int = 0
    tov: int = 0
    pf: int = 0
    plus_minus: int = 0
    paint_attempts: int = 0
    paint_makes: int = 0
    mid_range_attempts: int = 0
    mid_range_makes: int = 0

    @property
    def played(self) -> bool:
        return self.status == "active"

    @property
    def minutes_clock(self) -> str:
        return f"{self.seconds // 60}:{self.seconds % 60:02d}"


_TOTAL_FIELDS = (
    "points", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "ast", "stl", "blk", "tov", "pf",
    "plus_minus", "paint_attempts", "paint_makes", "mid_range_attempts", "mid_range_makes",
)  # fmt: skip


@dataclass(frozen=True)
class SimulatedBoxScore:
    """The final box score of one game: the away roster's lines first, then the home roster's."""

    game_id: str
    away: str
    home: str
    lines: tuple[PlayerLine, ...]

    def team_lines(self, team: str) -> tuple[PlayerLine, ...]:
        return tuple(line for line in self.lines if line.team == team)

    def team_total(self, team: str, stat: str) -> int:
        return sum(getattr(line, stat) for line in self.lines if line.team == team)

    def points(self, team: str) -> int:
        return self.team_total(team, "points")

    @property
    def winner(self) -> str:
        return self.home if self.points(self.home) > self.points(self.away) else self.away


_COACHS_DECISION = "DNP - Coach's Decision"


class BoxScoreSimulator:
    """Plays the games of the league of ``seed`` with its ``rosters`` and ``injuries``."""

    def __init__(self, seed: int, rosters: Rosters, injuries: Injuries) -> None:
        self.seed = seed
        self._rosters = rosters
        self._injuries = injuries

    def simulate(self, game: SimulatedGame) -> SimulatedBoxScore:
        """The final box score of ``game``, drawn from its own stream: the same whenever it is asked for."""
        rng = seeded_rng(self.seed, "box", game.game_id)
        sides = {
            game.away: self._simulate_side(rng, game.away, game.game_date, home_edge=1.0),
            game.home: self._simulate_side(rng, game.home, game.game_date, home_edge=1.02),
        }
        points = {team: sum(row["points"] for row in rows) for team, rows in sides.items()}
        if points[game.away] == points[game.home]:
            # Decided in the last possession: a made basket in the paint for one side.
            winner = game.home if rng.random() < 0.5 else game.away
            closer = max(
                (row for row in sides[winner] if row["status"] == "active"), key=lambda row: row["seconds"]
            )
            for stat in ("fga", "fgm", "paint_attempts", "paint_makes"):
                closer[stat] += 1
            closer["points"] += 2
            points[winner] += 2
        for team, opponent in ((game.away, game.home), (game.home, game.away)):
            self._assign_plus_minus(rng, sides[team], points[team] - points[opponent])
        lines = tuple(PlayerLine(**row) for team in (game.away, game.home) for row in sides[team])
        return SimulatedBoxScore(game.game_id, game.away, game.home, lines)

    def _simulate_side(
        self, rng: random.Random, team: str, day: date, home_edge: float
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        healthy_benched: list[dict[str, Any]] = []
        for player in self._rosters.roster(team):
            state = self._injuries.state(player, day)
            row: dict[str, Any] = {
                "player_lookup": player.player_lookup,
                "team": team,
                "starter": False,
                "seconds": 0,
                **dict.fromkeys(_TOTAL_FIELDS, 0),
            }
            if state is not None and not state.plays:
                row.update(status="inactive", dnp_reason=state.reason)
            elif rng.random() >= player.profile.appearance_rate:
                row.update(status="dnp", dnp_reason=_COACHS_DECISION)
                healthy_benched.append(row)
            else:
                row.update(status="active", dnp_reason=None)
            rows.append(row)
        for row in healthy_benched:  # a team dresses at least eight
            if sum(1 for r in rows if r["status"] == "active") >= 8:
                break
            row.update(status="active", dnp_reason=None)
        playing = [row for row in rows if row["status"] == "active"]
        for row in playing[:5]:
            row["starter"] = True
        raw_seconds, weights = [], []
        for row in playing:
            profile = self._rosters.player(row["player_lookup"]).profile
            if profile.role == "deep_bench":
                factor = rng.uniform(0.3, 1.7)
            else:
                factor = min(1.3, max(0.7, rng.gauss(1.0, 0.08)))
            raw_seconds.append(60 * max(1.0, profile.mean_minutes * factor))
            weights.append(MINUTES_ABSORPTION[profile.role])
        seconds = _whole_seconds(redistribute(raw_seconds, weights, 14_400.0, MAX_MINUTES * 60))
        for row, played_seconds in zip(playing, seconds, strict=True):
            row["seconds"] = played_seconds
        self._draw_shots(rng, playing, home_edge)
        for row in playing:
            self._draw_other_stats(rng, row, self._rosters.player(row["player_lookup"]).profile)
        return rows

    def _draw_shots(self, rng: random.Random, playing: list[dict[str, Any]], home_edge: float) -> None:
        """Shots per player and zone, then makes.

        A team's possessions are shared, so its attempt total stays near expectation (a mild
        team form) while each player's share moves with his own form; independent draws per
        player would make team scores swing twice as much as real ones.
        """
        profiles = [self._rosters.player(row["player_lookup"]).profile for row in playing]
        expected: list[tuple[float, float, float, float]] = []
        weights: list[list[float]] = []
        for row, profile in zip(playing, profiles, strict=True):
            minutes = row["seconds"] / 60
            zone_expectation = (
                profile.paint_attempts_per_minute * minutes,
                profile.mid_range_attempts_per_minute * minutes,
                profile.three_attempts_per_minute * minutes,
                profile.free_throw_attempts_per_minute * minutes,
            )
            form = min(1.7, max(0.4, rng.gauss(1.0, 0.18)))
            expected.append(zone_expectation)
            weights.append([value * form * max(0.3, rng.gauss(1.0, 0.12)) for value in zone_expectation])
        team_form = min(1.15, max(0.85, rng.gauss(1.0, 0.04))) * home_edge
        field_goal_target = team_form * sum(sum(zone[:3]) for zone in expected)
        free_throw_target = min(1.5, max(0.5, rng.gauss(1.0, 0.15))) * sum(zone[3] for zone in expected)
        field_goal_weight = sum(sum(w[:3]) for w in weights) or 1.0
        free_throw_weight = sum(w[3] for w in weights) or 1.0
        for row, profile, w in zip(playing, profiles, weights, strict=True):
            paint, mid, three = (
                stochastic_round(rng, value * field_goal_target / field_goal_weight) for value in w[:3]
            )
            free_throws = stochastic_round(rng, w[3] * free_throw_target / free_throw_weight)
            paint_makes = binomial(rng, paint, profile.paint_pct)
            mid_makes = binomial(rng, mid, profile.mid_range_pct)
            three_makes = binomial(rng, three, profile.three_pct)
            free_throw_makes = binomial(rng, free_throws, profile.free_throw_pct)
            row.update(
                paint_attempts=paint,
                paint_makes=paint_makes,
                mid_range_attempts=mid,
                mid_range_makes=mid_makes,
                fg3a=three,
                fg3m=three_makes,
                fga=paint + mid + three,
                fgm=paint_makes + mid_makes + three_makes,
                fta=free_throws,
                ftm=free_throw_makes,
                points=2 * (paint_makes + mid_makes) + 3 * three_makes + free_throw_makes,
            )

    @staticmethod
    def _draw_other_stats(rng: random.Random, row: dict[str, Any], profile: ScoringProfile) -> None:
        minutes = row["seconds"] / 60
        row.update(
            oreb=poisson(rng, profile.oreb_per_minute * minutes),
            dreb=poisson(rng, profile.dreb_per_minute * minutes),
            ast=poisson(rng, profile.ast_per_minute * minutes),
            stl=poisson(rng, profile.stl_per_minute * minutes),
            blk=poisson(rng, profile.blk_per_minute * minutes),
            tov=poisson(rng, profile.tov_per_minute * minutes),
            pf=min(6, poisson(rng, profile.pf_per_minute * minutes)),
        )

    @staticmethod
    def _assign_plus_minus(rng: random.Random, rows: list[dict[str, Any]], margin: int) -> None:
        """Plus-minus by share of the game on court, with noise; the team's sum is 5 x margin."""
        playing = [row for row in rows if row["status"] == "active"]
        noise = [rng.gauss(0, 4.0) for _ in playing]
        mean_noise = sum(noise) / len(noise)
        values = [
            round(margin * row["seconds"] / 2880 + n - mean_noise)
            for row, n in zip(playing, noise, strict=True)
        ]
        residual = 5 * margin - sum(values)
        by_minutes = sorted(range(len(playing)), key=lambda i: (-playing[i]["seconds"], i))
        step = 1 if residual > 0 else -1
        for k in range(abs(residual)):
            values[by_minutes[k % len(by_minutes)]] += step
        for row, value in zip(playing, values, strict=True):
            row["plus_minus"] = value


def _whole_seconds(seconds: list[float], total: int = 14_400) -> list[int]:
    """Round to whole seconds that still add up to ``total`` (largest remainders first)."""
    whole = [int(value) for value in seconds]
    by_fraction = sorted(range(len(seconds)), key=lambda i: (-(seconds[i] - whole[i]), i))
    missing = total - sum(whole)
    for k in range(abs(missing)):
        whole[by_fraction[k % len(whole)]] += 1 if missing > 0 else -1
    return whole
