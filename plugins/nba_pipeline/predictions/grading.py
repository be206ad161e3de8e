"""Grade a game date's predictions against the points scored, per system, in one MERGE.

A prediction is graded when the player has a ``player_game_summary`` row with minutes for that date
(a player who did not play voids the bet). Of the graded ones, OVER and UNDER recommendations are
calls (PASS is not); a call hits when OVER and points > line, or UNDER and points < line, so a push
(points = line) is a miss. ``hit_rate`` = hits / calls (NULL without calls);
``mean_absolute_error`` = mean |predicted − points| over graded predictions, summed exactly
(NUMERIC): a float sum depends on the order a parallel scan adds the rows in, which moved the 4th
decimal of 4 of 793 grades between two replays of the season. Rates are rounded to 4 decimals; a
rerun with the same figures changes nothing, ``graded_at`` included.
"""

from __future__ import annotations

import datetime as dt

from nba_pipeline import clock
from nba_pipeline.warehouse.base import QueryParam, Warehouse

GRADES_TABLE = "nba_predictions.prediction_grades"
#: the tables grading reads (its lineage; a test checks them against the SQL)
GRADING_READS = ("nba_analytics.player_game_summary", "nba_predictions.player_prop_predictions")

_GRADE_SQL = """
MERGE nba_predictions.prediction_grades AS T
USING (
  WITH
  actual AS (
    SELECT player_lookup, SUM(points) AS points
    FROM nba_analytics.player_game_summary
    WHERE game_date = @game_date AND COALESCE(minutes_played, 0) > 0
    GROUP BY player_lookup
  ),
  joined AS (
    SELECT
      p.system_id, p.predicted_points, p.recommendation, p.current_points_line, a.points,
      a.points IS NOT NULL AS graded,
      a.points IS NOT NULL AND p.recommendation IN ('OVER', 'UNDER') AND p.current_points_line IS NOT NULL
        AS called,
      a.points IS NOT NULL AND (
        (p.recommendation = 'OVER' AND a.points > p.current_points_line)
        OR (p.recommendation = 'UNDER' AND a.points < p.current_points_line)
      ) AS hit
    FROM nba_predictions.player_prop_predictions AS p
    LEFT JOIN actual AS a ON a.player_lookup = p.player_lookup
    WHERE p.game_date = @game_date
  ),
  figures AS (
    SELECT
      system_id,
      COUNT(*) AS predictions,
      COUNTIF(graded) AS graded,
      COUNTIF(called) AS calls,
      COUNTIF(called AND hit) AS hits,
      -- exact (NUMERIC) so the mean does not depend on the order the rows are summed in
      AVG(IF(graded, ABS(CAST(predicted_points AS NUMERIC) - points), NULL)) AS mae
    FROM joined
    GROUP BY system_id
  )
  SELECT
    CAST(@game_date AS DATE) AS game_date, system_id, predictions, graded, calls, hits,
    ROUND(SAFE_DIVIDE(hits, calls), 4) AS hit_rate,
    CAST(ROUND(mae, 4) AS FLOAT64) AS mean_absolute_error
  FROM figures
) AS S
ON T.game_date = S.game_date AND T.system_id = S.system_id
WHEN MATCHED AND (
  T.predictions IS DISTINCT FROM S.predictions OR T.graded IS DISTINCT FROM S.graded
  OR T.calls IS DISTINCT FROM S.calls OR T.hits IS DISTINCT FROM S.hits
  OR T.hit_rate IS DISTINCT FROM S.hit_rate OR T.mean_absolute_error IS DISTINCT FROM S.mean_absolute_error
) THEN UPDATE SET
  predictions = S.predictions, graded = S.graded, calls = S.calls, hits = S.hits, hit_rate = S.hit_rate,
  mean_absolute_error = S.mean_absolute_error, graded_at = @now
WHEN NOT MATCHED THEN INSERT
  (game_date, system_id, predictions, graded, calls, hits, hit_rate, mean_absolute_error, graded_at)
  VALUES (S.game_date, S.system_id, S.predictions, S.graded, S.calls, S.hits, S.hit_rate,
          S.mean_absolute_error, @now)
"""


def grade_predictions(warehouse: Warehouse, game_date: dt.date, *, now: dt.datetime | None = None) -> int:
    """Grade ``game_date`` (the daily run grades the previous game date); return the rows changed.

    :param now: the ``graded_at`` written to new and changed rows; the current time when None.
    """
    return warehouse.execute(_GRADE_SQL, {"game_date": game_date, "now": now or clock.now()})


#: the days before a date whose grades the ensemble's weights are learned on
WEIGHT_DAYS = 28
#: the fewest graded predictions a system needs there to get a learned weight
MIN_WEIGHT_ROWS = 200

_WEIGHTS_SQL = """
SELECT system_id, SUM(graded) AS graded, SUM(graded * mean_absolute_error) AS absolute_error
FROM nba_predictions.prediction_grades
WHERE game_date >= @first_date AND game_date < @game_date AND graded > 0 AND system_id IN UNNEST(@systems)
GROUP BY system_id
ORDER BY system_id
"""


def ensemble_weights(warehouse: Warehouse, game_date: dt.date, systems: tuple[str, ...]) -> dict[str, float]:
    """Each of ``systems``' weight in the ensemble for ``game_date``, learned on its grades of the
    :data:`WEIGHT_DAYS` before the date (never the date itself): inverse squared mean absolute error,
    scaled to sum to 1, so a system that missed by half as much counts four times as much. Empty
    (the ensemble then weights by confidence) unless at least two systems have
    :data:`MIN_WEIGHT_ROWS` graded predictions there."""
    rows = warehouse.query(_WEIGHTS_SQL, {
        "first_date": game_date - dt.timedelta(days=WEIGHT_DAYS), "game_date": game_date,
        "systems": QueryParam(list(systems), "ARRAY<STRING>"),
    })
    inverse = {str(r["system_id"]): float(r["graded"]) ** 2 / float(r["absolute_error"]) ** 2
               for r in rows if r["graded"] >= MIN_WEIGHT_ROWS and r["absolute_error"]}
    if len(inverse) < 2:
        return {}
    total = sum(inverse.values())
    return {system: round(value / total, 6) for system, value in inverse.items()}
