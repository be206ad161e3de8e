"""The simulated league's players respond to the game's setting, and the truth expects what the box
scores then show: home court, back-to-backs, the opponent's defence and pace, missing teammates."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import timedelta

import pytest

from nba_pipeline.sources.simulation import SimulatedLeague
from nba_pipeline.sources.simulation.effects import (
    DEFENCE_SD,
    PACE_SD,
    USAGE_RECOVERY,
    team_styles,
    usage_factor,
)
from nba_pipeline.sources.simulation.schedule import regular_season


@pytest.fixture(scope="module")
def league() -> SimulatedLeague:
    return SimulatedLeague(seed=2024)


@pytest.fixture(scope="module")
def played(league: SimulatedLeague) -> list[dict]:
    """Every line of a player who played in half the regular season's game days (rotation and
    up: a deep-bench player's truth counts the nights he sits), with his truth and setting."""
    setting = league._box_score_simulator._setting
    dates = sorted({g.game_date for g in regular_season(league.seed)})[::2]
    rows = []
    for day in dates:
        for game in league.games_on(day):
            for line in league.box_score(game).lines:
                profile = league.player(line.player_lookup).profile
                truth = league.expected_points(line.player_lookup, day)
                if not line.played or truth is None or profile.role == "deep_bench":
                    continue
                home = line.team == game.home
                opponent = game.away if home else game.home
                rows.append({
                    "points": line.points, "truth": truth, "home": home,
                    "back_to_back": setting.back_to_back(line.team, day),
                    "defence": setting.styles[opponent].defence,
                    "usual": profile.points_per_minute * line.seconds / 60,
                })
    return rows


def test_team_styles_are_seeded_centred_and_bounded() -> None:
    styles = team_styles(2024)
    assert styles == team_styles(2024) and styles != team_styles(7)
    assert len(styles) == 30
    for name, sd in (("pace", PACE_SD), ("defence", DEFENCE_SD)):
        values = [getattr(style, name) for style in styles.values()]
        assert abs(statistics.mean(values) - 1.0) < sd, name
        assert 0.5 * sd < statistics.pstdev(values) < 1.5 * sd, name
        assert all(abs(v - 1.0) <= 2.5 * sd + 1e-12 for v in values), name


def test_a_back_to_back_is_the_second_of_two_consecutive_game_days(league: SimulatedLeague) -> None:
    setting = league._box_score_simulator._setting
    days_of = defaultdict(set)
    for game in regular_season(league.seed):
        days_of[game.away].add(game.game_date)
        days_of[game.home].add(game.game_date)
    pairs = [(team, day) for team, days in days_of.items() for day in days if day - timedelta(days=1) in days]
    assert 200 < len(pairs) < 800, "each team has several back-to-backs (269 in all for this seed)"
    for team, day in pairs[:50]:
        assert setting.back_to_back(team, day) and not setting.back_to_back(team, day - timedelta(days=1))


def test_usage_shift_takes_up_most_of_what_is_missing() -> None:
    assert usage_factor(100.0, 100.0) == 1.0
    assert usage_factor(80.0, 100.0) == pytest.approx((80 + USAGE_RECOVERY * 20) / 80)
    assert usage_factor(50.0, 100.0) == 1.25, "bounded: a depleted team does not shoot twice as often"


def _ratio(rows: list[dict]) -> float:
    """Points scored over what the same players usually score in the minutes they played."""
    return sum(r["points"] for r in rows) / sum(r["usual"] for r in rows)


def test_players_score_more_at_home_less_on_back_to_backs_and_against_good_defences(played) -> None:
    home = _ratio([r for r in played if r["home"]])
    away = _ratio([r for r in played if not r["home"]])
    assert 1.01 < home / away < 1.04, "home court is worth about 2.5 points of margin"
    rested = _ratio([r for r in played if not r["back_to_back"]])
    tired = _ratio([r for r in played if r["back_to_back"]])
    assert tired < rested
    by_defence = sorted(played, key=lambda r: r["defence"])
    third = len(by_defence) // 3
    assert _ratio(by_defence[:third]) / _ratio(by_defence[-third:]) < 0.97, "good defences allow fewer points"


def test_the_truth_expects_what_the_box_scores_show_in_every_setting(played) -> None:
    """The mean miss of the truth is near zero for each setting, and far below the spread."""
    groups = {
        "home": [r for r in played if r["home"]],
        "away": [r for r in played if not r["home"]],
        "back to back": [r for r in played if r["back_to_back"]],
        "good defence": [r for r in played if r["defence"] < 0.98],
        "poor defence": [r for r in played if r["defence"] > 1.02],
    }
    for name, rows in groups.items():
        misses = [r["points"] - r["truth"] for r in rows]
        assert len(rows) > 500, name
        assert abs(statistics.mean(misses)) < 0.5, (name, statistics.mean(misses))
        assert statistics.pstdev(misses) > 3, "points stay noisy around the truth"
