"""Reading a batch's inputs: one query for the features, one for the history, whatever the batch's size.

A player is skipped before the systems run, with a run row (success false) and no prediction, when:

* it has no line and nothing to estimate one from → ``no_data``;
* it has no feature row (or one whose values do not match its names) → ``no_features``;
* its ``feature_quality_score`` is below 70 → ``low_feature_quality``.

Every other player is *ready*: it gets a :class:`~nba_pipeline.predictions.contract.PlayerInput`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nba_pipeline.features import FEATURE_NAMES, QUALITY_THRESHOLD
from nba_pipeline.guards.skip_reasons import SkipReason
from nba_pipeline.predictions.contract import PastGame, PlayerInput, SystemPrediction
from nba_pipeline.predictions.coordinator import EligiblePlayer
from nba_pipeline.registry.skip_reasons import LeagueSkipReason
from nba_pipeline.warehouse.base import QueryParam, Warehouse, activity

HISTORY_DAYS = 365
HISTORY_MAX_GAMES = 82
DEF_RATING_WINDOW = 15

#: the tables the batch's queries read (its lineage; a test checks them against the SQL)
TABLES_READ = (
    "nba_predictions.ml_feature_store_v2",
    "nba_precompute.player_shot_zone_analysis",
    "nba_precompute.team_defense_zone_analysis",
    "nba_analytics.team_defense_game_summary",
    "nba_analytics.player_game_summary",
)

_FEATURES_SQL = """
SELECT
  p.player_lookup, f.game_id, f.features, f.feature_names, f.feature_quality_score, f.missing_features,
  z.pct_paint, z.pct_mid_range, z.pct_three, z.pct_free_throw,
  d.paint_pct_vs_league, d.mid_range_pct_vs_league, d.three_pt_pct_vs_league
FROM UNNEST(@players) AS p
JOIN nba_predictions.ml_feature_store_v2 AS f
  ON f.player_lookup = p.player_lookup AND f.game_date = @game_date
LEFT JOIN nba_precompute.player_shot_zone_analysis AS z
  ON z.player_lookup = p.player_lookup AND z.analysis_date = @game_date
LEFT JOIN nba_precompute.team_defense_zone_analysis AS d
  ON d.team_abbr = p.opponent_team_abbr AND d.analysis_date = @game_date
"""

# A past game counts when the player had minutes. The opponent's defensive rating going into that
# game is the mean of its previous DEF_RATING_WINDOW games (as team_defense_zone_analysis defines it).
_HISTORY_SQL = f"""
WITH
defense AS (
  SELECT
    defending_team_abbr, game_id,
    AVG(defensive_rating) OVER (
      PARTITION BY defending_team_abbr ORDER BY game_date, game_id
      ROWS BETWEEN {DEF_RATING_WINDOW} PRECEDING AND 1 PRECEDING
    ) AS def_rating_before
  FROM nba_analytics.team_defense_game_summary
  WHERE game_date < @game_date AND game_date >= DATE_SUB(@game_date, INTERVAL {HISTORY_DAYS + 60} DAY)
),
games AS (
  SELECT
    g.player_lookup, g.game_id, g.game_date, g.opponent_team_abbr, g.points, g.minutes_played,
    COALESCE(g.home_game, FALSE) AS home_game,
    DATE_DIFF(
      g.game_date, LAG(g.game_date) OVER (PARTITION BY g.player_lookup ORDER BY g.game_date, g.game_id), DAY
    ) AS days_rest,
    AVG(g.points) OVER (
      PARTITION BY g.player_lookup ORDER BY g.game_date, g.game_id ROWS BETWEEN 5 PRECEDING AND 1 PRECEDING
    ) AS points_avg_last_5_before,
    ROW_NUMBER() OVER (PARTITION BY g.player_lookup ORDER BY g.game_date DESC, g.game_id DESC) AS recency
  FROM nba_analytics.player_game_summary AS g
  WHERE g.player_lookup IN UNNEST(@player_lookups)
    AND g.game_date < @game_date
    AND g.game_date >= DATE_SUB(@game_date, INTERVAL {HISTORY_DAYS} DAY)
    AND COALESCE(g.minutes_played, 0) > 0
)
SELECT
  games.player_lookup, games.game_date, games.points, games.minutes_played, games.home_game, games.days_rest,
  games.points_avg_last_5_before, defense.def_rating_before
FROM games
LEFT JOIN defense
  ON defense.defending_team_abbr = games.opponent_team_abbr AND defense.game_id = games.game_id
WHERE games.recency <= @max_games
ORDER BY games.player_lookup, games.game_date, games.game_id
"""


@dataclass
class PlayerWork:
    """One player's way through the batch: read here, filled in by the systems, written as rows."""

    player: EligiblePlayer
    feature_row: Mapping[str, Any] | None = None
    history: list[PastGame] = field(default_factory=list)
    inputs: PlayerInput | None = None
    skip_reason: str | None = None
    skip_detail: str | None = None
    attempted: list[str] = field(default_factory=list)
    predictions: dict[str, SystemPrediction] = field(default_factory=dict)
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # system -> (error type, message)


@dataclass(frozen=True)
class BatchInputs:
    """Every player of the batch (in its order), and those of them ready for the systems."""

    work: list[PlayerWork]
    ready: list[PlayerWork]


def read_inputs(
    warehouse: Warehouse, game_date: dt.date, players: Sequence[EligiblePlayer], timings: dict[str, float]
) -> BatchInputs:
    """Read the features, then the history of the players the features let through; time each read
    (``feature_load_seconds``, ``history_load_seconds`` in ``timings``)."""
    work = [PlayerWork(p) for p in players]
    candidates = [w for w in work if w.player.line is not None]
    for w in work:
        if w.player.line is None:
            w.skip_reason, w.skip_detail = SkipReason.NO_DATA, "no book line and no points average to estimate one"
    with activity("predictions"):
        t0 = time.perf_counter()
        features = _load_features(warehouse, game_date, [w.player for w in candidates]) if candidates else {}
        timings["feature_load_seconds"] = time.perf_counter() - t0
        for w in candidates:
            w.feature_row = features.get(w.player.player_lookup)
            _apply_feature_skips(w)
        ready = [w for w in candidates if w.skip_reason is None]
        t0 = time.perf_counter()
        history = _load_history(warehouse, game_date, [w.player.player_lookup for w in ready]) if ready else {}
        timings["history_load_seconds"] = time.perf_counter() - t0
    for w in ready:
        w.history = history.get(w.player.player_lookup, [])
        w.inputs = _player_input(w)
    return BatchInputs(work, ready)


def optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _load_features(
    warehouse: Warehouse, game_date: dt.date, players: Sequence[EligiblePlayer]
) -> dict[str, dict[str, Any]]:
    rows = warehouse.query(
        _FEATURES_SQL,
        {
            "game_date": game_date,
            "players": QueryParam(
                [{"player_lookup": p.player_lookup, "opponent_team_abbr": p.opponent_team_abbr} for p in players],
                "ARRAY<STRUCT<player_lookup STRING, opponent_team_abbr STRING>>",
            ),
        },
    )
    return {row["player_lookup"]: row for row in rows}


def _load_history(warehouse: Warehouse, game_date: dt.date, player_lookups: Sequence[str]) -> dict[str, list[PastGame]]:
    rows = warehouse.query(
        _HISTORY_SQL,
        {
            "game_date": game_date,
            "player_lookups": QueryParam(sorted(set(player_lookups)), "ARRAY<STRING>"),
            "max_games": HISTORY_MAX_GAMES,
        },
    )
    history: dict[str, list[PastGame]] = {}
    for row in rows:
        history.setdefault(row["player_lookup"], []).append(
            PastGame(
                game_date=row["game_date"],
                points=float(row["points"] or 0),
                minutes=float(row["minutes_played"] or 0),
                opponent_def_rating=optional_float(row["def_rating_before"]),
                days_rest=None if row["days_rest"] is None else int(row["days_rest"]),
                home_game=bool(row["home_game"]),
                points_avg_last_5_before=optional_float(row["points_avg_last_5_before"]),
            )
        )
    return history


def _apply_feature_skips(work: PlayerWork) -> None:
    row = work.feature_row
    if row is None or not row.get("features"):
        work.skip_reason, work.skip_detail = LeagueSkipReason.NO_FEATURES, "no feature store row for the game date"
        return
    names = list(row.get("feature_names") or FEATURE_NAMES)
    if len(names) != len(row["features"]) or not set(FEATURE_NAMES) <= set(names):
        work.skip_reason = LeagueSkipReason.NO_FEATURES
        work.skip_detail = f"feature row has {len(row['features'])} values for {len(names)} names"
        return
    quality = row.get("feature_quality_score")
    if quality is None or float(quality) < QUALITY_THRESHOLD:
        work.skip_reason = LeagueSkipReason.LOW_FEATURE_QUALITY
        work.skip_detail = f"feature_quality_score {quality} is below {QUALITY_THRESHOLD}"


def _player_input(work: PlayerWork) -> PlayerInput:
    row, player = work.feature_row, work.player
    assert row is not None and player.line is not None
    names = list(row.get("feature_names") or FEATURE_NAMES)
    values = dict(zip(names, (float(v) for v in row["features"]), strict=True))
    zone = {
        "paint": optional_float(row.get("pct_paint")),
        "mid_range": optional_float(row.get("pct_mid_range")),
        "three": optional_float(row.get("pct_three")),
        "free_throw": optional_float(row.get("pct_free_throw")),
        "opp_paint_vs_league": optional_float(row.get("paint_pct_vs_league")),
        "opp_mid_range_vs_league": optional_float(row.get("mid_range_pct_vs_league")),
        "opp_three_pt_vs_league": optional_float(row.get("three_pt_pct_vs_league")),
    }
    return PlayerInput(
        player_lookup=player.player_lookup,
        game_id=player.game_id or row.get("game_id") or "",
        game_date=player.game_date,
        team_abbr=player.team_abbr,
        opponent_team_abbr=player.opponent_team_abbr,
        is_home=player.is_home,
        line=float(player.line),
        line_source=player.line_source or "unknown",
        line_estimated=player.line_estimated,
        features={name: values[name] for name in FEATURE_NAMES},
        feature_quality_score=float(row["feature_quality_score"]),
        missing_features=tuple(row.get("missing_features") or ()),
        zone_matchup=zone,
        history=tuple(work.history),
    )
