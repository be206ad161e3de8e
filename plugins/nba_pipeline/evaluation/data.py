"""What the evaluation reads: the graded predictions of a date range (one query on the warehouse)
and the truth, the simulated league's expected points of each player-game.

A prediction is graded as :mod:`nba_pipeline.predictions.grading` grades it: the player has a
``player_game_summary`` row with minutes that day, and his points (summed over his rows, as there)
are the actual points. Each row also carries the season-average baseline (the feature store's
``points_avg_season`` of that player and date, the baseline ``nba_model_training`` must beat) and,
for a line a book quoted, the prices of that quote, found in the raw odds row the line came from:

* an Odds API book (``line_source`` is its key): the newest snapshot of that book, game and player
  quoting that line;
* ``bettingpros``: the BettingPros row quoting that line, of the book the context prefers
  (DraftKings, FanDuel, then by name), as ``upcoming_player_game_context`` picks it.

Estimated lines (``line_estimated``) have no price and are never bet on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nba_pipeline.settings import Settings, get_settings
from nba_pipeline.warehouse import Warehouse

#: the feature holding the baseline's prediction
BASELINE_FEATURE = "points_avg_season"

#: ``(player_lookup, game_date) -> expected points``, None when the truth does not know the player-game
TruthLookup = Callable[[str, dt.date], float | None]

GRADED_SQL = """
WITH
actual AS (
  SELECT game_date, player_lookup, SUM(points) AS points
  FROM nba_analytics.player_game_summary
  WHERE game_date BETWEEN @start_date AND @end_date AND COALESCE(minutes_played, 0) > 0
  GROUP BY game_date, player_lookup
),
odds_api AS (
  SELECT game_id, player_lookup, bookmaker AS line_source, points_line, over_price, under_price,
         ROW_NUMBER() OVER (PARTITION BY game_id, player_lookup, bookmaker, points_line
                            ORDER BY snapshot_time DESC) AS pick
  FROM nba_raw.odds_api_player_points_props
  WHERE game_date BETWEEN @start_date AND @end_date
),
bettingpros AS (
  SELECT game_id, player_lookup, 'bettingpros' AS line_source, points_line,
         over_odds AS over_price, under_odds AS under_price,
         ROW_NUMBER() OVER (PARTITION BY game_id, player_lookup, points_line
                            ORDER BY CASE bookmaker WHEN 'draftkings' THEN 1 WHEN 'fanduel' THEN 2 ELSE 3 END,
                                     bookmaker) AS pick
  FROM nba_raw.bettingpros_player_points_props
  WHERE game_date BETWEEN @start_date AND @end_date
),
prices AS (
  SELECT game_id, player_lookup, line_source, points_line, over_price, under_price FROM odds_api WHERE pick = 1
  UNION ALL
  SELECT game_id, player_lookup, line_source, points_line, over_price, under_price FROM bettingpros WHERE pick = 1
)
SELECT
  p.system_id, p.player_lookup, p.game_date, p.predicted_points, p.recommendation,
  p.current_points_line, p.line_source, p.line_estimated,
  CAST(a.points AS FLOAT64) AS actual_points,
  f.features, f.feature_names,
  pr.over_price, pr.under_price
FROM nba_predictions.player_prop_predictions AS p
JOIN actual AS a ON a.player_lookup = p.player_lookup AND a.game_date = p.game_date
LEFT JOIN nba_predictions.ml_feature_store_v2 AS f
  ON f.player_lookup = p.player_lookup AND f.game_date = p.game_date
LEFT JOIN prices AS pr
  ON pr.game_id = p.game_id AND pr.player_lookup = p.player_lookup AND pr.line_source = p.line_source
  AND pr.points_line = p.current_points_line AND p.line_estimated = FALSE
WHERE p.game_date BETWEEN @start_date AND @end_date AND p.predicted_points IS NOT NULL
ORDER BY p.game_date, p.system_id, p.player_lookup
"""


@dataclass(frozen=True)
class GradedPrediction:
    """One system's prediction of a player-game that was played, with what it is judged against.

    ``real_line``: the line is a book's (not estimated). ``over_price`` / ``under_price``: the
    quote's American prices, None when the line is estimated or its raw row was not found.
    """

    system_id: str
    player_lookup: str
    game_date: dt.date
    predicted_points: float
    recommendation: str | None
    line: float | None
    line_source: str | None
    real_line: bool
    actual_points: float
    baseline: float | None
    over_price: int | None
    under_price: int | None

    @property
    def player_game(self) -> tuple[str, dt.date]:
        return self.player_lookup, self.game_date

    def price_of(self, call: str) -> int | None:
        """The quoted price of the side called (OVER / UNDER)."""
        return self.over_price if call == "OVER" else self.under_price


def _baseline(features: Sequence[float] | None, names: Sequence[str] | None) -> float | None:
    if not features or not names or BASELINE_FEATURE not in names:
        return None
    value = features[list(names).index(BASELINE_FEATURE)]
    return None if value is None else float(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def read_graded(warehouse: Warehouse, start: dt.date, end: dt.date) -> list[GradedPrediction]:
    """Every graded prediction with game date in ``start``..``end``, each system's rows, in one query."""
    rows = warehouse.query(GRADED_SQL, {"start_date": start, "end_date": end})
    return [
        GradedPrediction(
            system_id=str(row["system_id"]),
            player_lookup=str(row["player_lookup"]),
            game_date=row["game_date"],
            predicted_points=float(row["predicted_points"]),
            recommendation=row["recommendation"],
            line=None if row["current_points_line"] is None else float(row["current_points_line"]),
            line_source=row["line_source"],
            real_line=row["line_estimated"] is False and row["current_points_line"] is not None,
            actual_points=float(row["actual_points"]),
            baseline=_baseline(row["features"], row["feature_names"]),
            over_price=_optional_int(row["over_price"]),
            under_price=_optional_int(row["under_price"]),
        )
        for row in rows
    ]


def simulated_truth(settings: Settings | None = None) -> TruthLookup | None:
    """The simulated league's expected points, built from the settings as the simulated source
    builds its league (``NBA_SIMULATION_SEED``); None when the data does not come from the
    simulation (``NBA_SOURCE_MODE=http``): real games have no known truth.

    The lookup answers None for a player the league does not know, or one it did not expect to
    play (listed Out or Doubtful) but who played.
    """
    settings = settings or get_settings()
    if settings.source_mode != "simulated":
        return None
    from nba_pipeline.sources.simulation import SimulatedLeague

    league = SimulatedLeague(seed=settings.simulation_seed)

    def expected(player_lookup: str, game_date: dt.date) -> float | None:
        try:
            return league.expected_points(player_lookup, game_date)
        except KeyError:
            return None

    return expected
