-- Completeness of a phase 3 game summary for its date, one row. expected = the final games (CTE
-- `final_games`); actual = those the summary has data for (CTE `covered_games`: game_id, repeats
-- allowed). completeness_percentage = 100 * actual / expected, 2 decimals (100 when nothing is
-- expected); missing = expected - actual; production-ready at >= 90 %.
-- Parameters: none. Reads: final_games, covered_games.
SELECT
  expected_games_count,
  actual_games_count,
  completeness_percentage,
  expected_games_count - actual_games_count AS missing_games_count,
  completeness_percentage >= 90 AS is_production_ready
FROM (
  SELECT
    expected_games_count,
    actual_games_count,
    IF(expected_games_count = 0, 100.0,
       ROUND(100 * actual_games_count / expected_games_count, 2)) AS completeness_percentage
  FROM (
    SELECT
      (SELECT COUNT(*) FROM final_games) AS expected_games_count,
      (SELECT COUNT(DISTINCT game_id) FROM covered_games) AS actual_games_count
  )
)
