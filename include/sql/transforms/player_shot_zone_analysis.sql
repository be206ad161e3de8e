-- Phase 4: player_shot_zone_analysis (PSZA) for the analysis date @target_date.
-- One row per player in upcoming_player_game_context for the date, key (player_lookup, analysis_date);
-- a player without history gets a row with NULL figures.
--
-- History: the player's games strictly before the date in player_game_summary (within the past 365
-- days, across seasons; rows with minutes_played = 0 are not games played), newest first.
-- Zone figures use the window's games that carry shot-zone data (paint and mid-range makes not NULL).
--   last 10 games, share of points by zone (0-1), over the points of those games:
--     pct_paint = SUM(2 * paint_makes) / SUM(points)       pct_mid_range = SUM(2 * mid_range_makes) / SUM(points)
--     pct_three = SUM(3 * three_pt_makes) / SUM(points)    pct_free_throw = SUM(ft_makes) / SUM(points)
--   last 10 games, FG% per zone: SUM(makes) / SUM(attempts) for paint, mid-range, three.
--   last 20 games, share of field-goal attempts by zone: SUM(zone attempts) / SUM(fg_attempts).
--   primary_scoring_zone = the zone with the largest point share (ties: paint, mid_range, three,
--   free_throw); NULL without points.
-- Completeness: expected = min(10, the player's team's non-postponed scheduled games in the past 365
-- days before the date); actual = games in the 10-game window; production-ready at >= 90 %.
-- Ratios are rounded to 4 decimals; the update fires only when a column differs. Rows of the date for
-- players no longer in the upcoming context are deleted.
MERGE nba_precompute.player_shot_zone_analysis T
USING (
  WITH
  players AS (
    -- @include fragments/upcoming_players.sql
  ),
  scheduled AS (
    -- @include fragments/scheduled_games.sql
  ),
  player_games AS (
    -- @include fragments/player_history.sql
  ),
  history AS (
    SELECT g.*, g.paint_makes IS NOT NULL AND g.mid_range_makes IS NOT NULL AS has_zones
    FROM player_games AS g
  ),
  sums AS (
    SELECT
      player_lookup,
      COUNTIF(rn <= 10) AS games_last_10,
      COUNTIF(rn <= 20) AS games_last_20,
      -- last 10 games with zone data: points by zone
      SUM(IF(rn <= 10 AND has_zones, points, NULL)) AS points_10,
      SUM(IF(rn <= 10 AND has_zones, 2 * paint_makes, NULL)) AS paint_points_10,
      SUM(IF(rn <= 10 AND has_zones, 2 * mid_range_makes, NULL)) AS mid_range_points_10,
      SUM(IF(rn <= 10 AND has_zones, 3 * three_pt_makes, NULL)) AS three_points_10,
      SUM(IF(rn <= 10 AND has_zones, ft_makes, NULL)) AS ft_points_10,
      -- last 10 games with zone data: makes and attempts by zone
      SUM(IF(rn <= 10 AND has_zones, paint_makes, NULL)) AS paint_makes_10,
      SUM(IF(rn <= 10 AND has_zones, paint_attempts, NULL)) AS paint_attempts_10,
      SUM(IF(rn <= 10 AND has_zones, mid_range_makes, NULL)) AS mid_range_makes_10,
      SUM(IF(rn <= 10 AND has_zones, mid_range_attempts, NULL)) AS mid_range_attempts_10,
      SUM(IF(rn <= 10 AND has_zones, three_pt_makes, NULL)) AS three_makes_10,
      SUM(IF(rn <= 10 AND has_zones, three_pt_attempts, NULL)) AS three_attempts_10,
      -- last 20 games with zone data: attempts by zone
      SUM(IF(rn <= 20 AND has_zones, fg_attempts, NULL)) AS fg_attempts_20,
      SUM(IF(rn <= 20 AND has_zones, paint_attempts, NULL)) AS paint_attempts_20,
      SUM(IF(rn <= 20 AND has_zones, mid_range_attempts, NULL)) AS mid_range_attempts_20,
      SUM(IF(rn <= 20 AND has_zones, three_pt_attempts, NULL)) AS three_attempts_20
    FROM history
    GROUP BY player_lookup
  ),
  shares AS (
    SELECT
      p.player_lookup,
      COALESCE(s.games_last_10, 0) AS games_last_10,
      COALESCE(s.games_last_20, 0) AS games_last_20,
      ROUND(SAFE_DIVIDE(s.paint_points_10, s.points_10), 4) AS pct_paint,
      ROUND(SAFE_DIVIDE(s.mid_range_points_10, s.points_10), 4) AS pct_mid_range,
      ROUND(SAFE_DIVIDE(s.three_points_10, s.points_10), 4) AS pct_three,
      ROUND(SAFE_DIVIDE(s.ft_points_10, s.points_10), 4) AS pct_free_throw,
      ROUND(SAFE_DIVIDE(s.paint_makes_10, s.paint_attempts_10), 4) AS paint_fg_pct_last_10,
      ROUND(SAFE_DIVIDE(s.mid_range_makes_10, s.mid_range_attempts_10), 4) AS mid_range_fg_pct_last_10,
      ROUND(SAFE_DIVIDE(s.three_makes_10, s.three_attempts_10), 4) AS three_pt_fg_pct_last_10,
      ROUND(SAFE_DIVIDE(s.paint_attempts_20, s.fg_attempts_20), 4) AS paint_rate_last_20,
      ROUND(SAFE_DIVIDE(s.mid_range_attempts_20, s.fg_attempts_20), 4) AS mid_range_rate_last_20,
      ROUND(SAFE_DIVIDE(s.three_attempts_20, s.fg_attempts_20), 4) AS three_pt_rate_last_20,
      LEAST(10, COALESCE(c.scheduled_games, 0)) AS expected_games_count
    FROM players AS p
    LEFT JOIN sums AS s ON s.player_lookup = p.player_lookup
    LEFT JOIN scheduled AS c ON c.team_abbr = p.team_abbr
  ),
  figures AS (
    SELECT
      x.*,
      CASE
        WHEN pct_paint IS NULL OR pct_mid_range IS NULL OR pct_three IS NULL OR pct_free_throw IS NULL
          THEN NULL
        WHEN pct_paint >= pct_mid_range AND pct_paint >= pct_three AND pct_paint >= pct_free_throw
          THEN 'paint'
        WHEN pct_mid_range >= pct_three AND pct_mid_range >= pct_free_throw THEN 'mid_range'
        WHEN pct_three >= pct_free_throw THEN 'three'
        ELSE 'free_throw'
      END AS primary_scoring_zone,
      CASE
        WHEN games_last_10 = 0 THEN 0.0
        WHEN expected_games_count = 0 THEN 100.0
        ELSE ROUND(100 * LEAST(games_last_10, expected_games_count) / expected_games_count, 2)
      END AS completeness_percentage
    FROM shares AS x
  ),
  fresh AS (
    SELECT
      player_lookup,
      CAST(@target_date AS DATE) AS analysis_date,
      games_last_10,
      games_last_20,
      pct_paint,
      pct_mid_range,
      pct_three,
      pct_free_throw,
      paint_fg_pct_last_10,
      mid_range_fg_pct_last_10,
      three_pt_fg_pct_last_10,
      paint_rate_last_20,
      mid_range_rate_last_20,
      three_pt_rate_last_20,
      primary_scoring_zone,
      expected_games_count,
      games_last_10 AS actual_games_count,
      completeness_percentage,
      GREATEST(0, expected_games_count - games_last_10) AS missing_games_count,
      completeness_percentage >= 90 AS is_production_ready,
      CASE
        WHEN games_last_10 = 0 THEN 'no_history: no games before the date'
        ELSE CONCAT(
          IF(completeness_percentage >= 90, 'complete: ', 'incomplete_history: '),
          CAST(games_last_10 AS STRING), ' of ', CAST(expected_games_count AS STRING),
          ' expected games in the 10-game window')
      END AS processing_decision_reason
    FROM figures
  )
  -- The fresh rows, and the keys of the table's rows of the date that are no longer among them
  -- (gone: deleted below). Not WHEN NOT MATCHED BY SOURCE, which DuckDB runs as a full outer join
  -- with the whole table (a cost that grows with every date loaded): this reads the date's rows only.
  SELECT
    f.*,
    COALESCE(f.player_lookup, old.player_lookup) AS merge_player_lookup,
    f.player_lookup IS NULL AS gone
  FROM fresh AS f
  FULL JOIN (
    SELECT player_lookup FROM nba_precompute.player_shot_zone_analysis WHERE analysis_date = @target_date
  ) AS old ON old.player_lookup = f.player_lookup
) S
ON T.player_lookup = S.merge_player_lookup AND T.analysis_date = @target_date
WHEN MATCHED AND S.gone THEN DELETE
WHEN MATCHED AND (
  T.games_last_10 IS DISTINCT FROM S.games_last_10
  OR T.games_last_20 IS DISTINCT FROM S.games_last_20
  OR T.pct_paint IS DISTINCT FROM S.pct_paint
  OR T.pct_mid_range IS DISTINCT FROM S.pct_mid_range
  OR T.pct_three IS DISTINCT FROM S.pct_three
  OR T.pct_free_throw IS DISTINCT FROM S.pct_free_throw
  OR T.paint_fg_pct_last_10 IS DISTINCT FROM S.paint_fg_pct_last_10
  OR T.mid_range_fg_pct_last_10 IS DISTINCT FROM S.mid_range_fg_pct_last_10
  OR T.three_pt_fg_pct_last_10 IS DISTINCT FROM S.three_pt_fg_pct_last_10
  OR T.paint_rate_last_20 IS DISTINCT FROM S.paint_rate_last_20
  OR T.mid_range_rate_last_20 IS DISTINCT FROM S.mid_range_rate_last_20
  OR T.three_pt_rate_last_20 IS DISTINCT FROM S.three_pt_rate_last_20
  OR T.primary_scoring_zone IS DISTINCT FROM S.primary_scoring_zone
  OR T.expected_games_count IS DISTINCT FROM S.expected_games_count
  OR T.actual_games_count IS DISTINCT FROM S.actual_games_count
  OR T.completeness_percentage IS DISTINCT FROM S.completeness_percentage
  OR T.missing_games_count IS DISTINCT FROM S.missing_games_count
  OR T.is_production_ready IS DISTINCT FROM S.is_production_ready
  OR T.processing_decision_reason IS DISTINCT FROM S.processing_decision_reason
) THEN UPDATE SET
  games_last_10 = S.games_last_10,
  games_last_20 = S.games_last_20,
  pct_paint = S.pct_paint,
  pct_mid_range = S.pct_mid_range,
  pct_three = S.pct_three,
  pct_free_throw = S.pct_free_throw,
  paint_fg_pct_last_10 = S.paint_fg_pct_last_10,
  mid_range_fg_pct_last_10 = S.mid_range_fg_pct_last_10,
  three_pt_fg_pct_last_10 = S.three_pt_fg_pct_last_10,
  paint_rate_last_20 = S.paint_rate_last_20,
  mid_range_rate_last_20 = S.mid_range_rate_last_20,
  three_pt_rate_last_20 = S.three_pt_rate_last_20,
  primary_scoring_zone = S.primary_scoring_zone,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  player_lookup, analysis_date, games_last_10, games_last_20, pct_paint, pct_mid_range, pct_three,
  pct_free_throw, paint_fg_pct_last_10, mid_range_fg_pct_last_10, three_pt_fg_pct_last_10,
  paint_rate_last_20, mid_range_rate_last_20, three_pt_rate_last_20, primary_scoring_zone,
  expected_games_count, actual_games_count, completeness_percentage, missing_games_count,
  is_production_ready, processing_decision_reason, loaded_at
) VALUES (
  S.player_lookup, S.analysis_date, S.games_last_10, S.games_last_20, S.pct_paint, S.pct_mid_range,
  S.pct_three, S.pct_free_throw, S.paint_fg_pct_last_10, S.mid_range_fg_pct_last_10,
  S.three_pt_fg_pct_last_10, S.paint_rate_last_20, S.mid_range_rate_last_20, S.three_pt_rate_last_20,
  S.primary_scoring_zone, S.expected_games_count, S.actual_games_count, S.completeness_percentage,
  S.missing_games_count, S.is_production_ready, S.processing_decision_reason, @loaded_at
)
