-- Phase 4: team_defense_zone_analysis (TDZA) for the analysis date @target_date.
-- One row per team playing on the date (schedule, not postponed), key (team_abbr, analysis_date).
--
-- Window: each team's last 15 games strictly before the date in team_defense_game_summary (within
-- the past 365 days, across seasons). Per zone (paint, mid_range, three):
--   <zone>_pct_allowed   = SUM(opponent makes) / SUM(opponent attempts) over the team's window (0-1)
--   league <zone> pct    = the same ratio pooled over the windows of every team that has history
--   <zone>_pct_vs_league = 100 * (team pct - league pct), in percentage points
--   strongest_zone       = the zone with the lowest vs_league (allows least relative to the league)
--   weakest_zone         = the zone with the highest vs_league
--   ties are broken in the order paint, mid_range, three; NULL when a zone has no attempts.
--   defensive_rating, opponent_pace = means over the window.
-- Completeness: expected = min(15, the team's non-postponed scheduled games in the past 365 days
-- before the date); actual = games in the window; production-ready at >= 90 %.
-- Ratios are rounded to 4 decimals so that a rerun reproduces them exactly; the update fires only when
-- a column differs. Rows of the date for teams no longer playing (postponed game) are deleted.
MERGE nba_precompute.team_defense_zone_analysis T
USING (
  WITH
  teams_today AS (
    -- @include fragments/teams_today.sql
  ),
  teams AS (
    SELECT DISTINCT team_abbr FROM teams_today
  ),
  scheduled AS (
    -- @include fragments/scheduled_games.sql
  ),
  ranked AS (
    -- @include fragments/team_defense_history.sql
  ),
  windowed AS (
    SELECT * FROM ranked WHERE rn <= 15
  ),
  league AS (
    -- pooled over every team's 15-game window
    SELECT
      SAFE_DIVIDE(SUM(opp_paint_makes), SUM(opp_paint_attempts)) AS paint_pct,
      SAFE_DIVIDE(SUM(opp_mid_range_makes), SUM(opp_mid_range_attempts)) AS mid_range_pct,
      SAFE_DIVIDE(SUM(opp_three_pt_makes), SUM(opp_three_pt_attempts)) AS three_pt_pct
    FROM windowed
  ),
  per_team AS (
    SELECT
      defending_team_abbr AS team_abbr,
      COUNT(*) AS games_in_window,
      SAFE_DIVIDE(SUM(opp_paint_makes), SUM(opp_paint_attempts)) AS paint_pct,
      SAFE_DIVIDE(SUM(opp_mid_range_makes), SUM(opp_mid_range_attempts)) AS mid_range_pct,
      SAFE_DIVIDE(SUM(opp_three_pt_makes), SUM(opp_three_pt_attempts)) AS three_pt_pct,
      -- means over exact integer sums (ten-thousandths: see the fragment)
      SAFE_DIVIDE(SUM(defensive_rating_e4), 10000 * COUNT(defensive_rating_e4)) AS defensive_rating,
      SAFE_DIVIDE(SUM(opponent_pace_e4), 10000 * COUNT(opponent_pace_e4)) AS opponent_pace
    FROM windowed
    GROUP BY defending_team_abbr
  ),
  zones AS (
    SELECT
      t.team_abbr,
      COALESCE(p.games_in_window, 0) AS games_in_window,
      ROUND(p.paint_pct, 4) AS paint_pct_allowed,
      ROUND(p.mid_range_pct, 4) AS mid_range_pct_allowed,
      ROUND(p.three_pt_pct, 4) AS three_pt_pct_allowed,
      -- percentage points above (+) or below (-) the league
      ROUND(100 * (p.paint_pct - l.paint_pct), 4) AS paint_vs,
      ROUND(100 * (p.mid_range_pct - l.mid_range_pct), 4) AS mid_range_vs,
      ROUND(100 * (p.three_pt_pct - l.three_pt_pct), 4) AS three_vs,
      ROUND(p.defensive_rating, 4) AS defensive_rating,
      ROUND(p.opponent_pace, 4) AS opponent_pace,
      LEAST(15, COALESCE(s.scheduled_games, 0)) AS expected_games_count
    FROM teams AS t
    LEFT JOIN per_team AS p ON p.team_abbr = t.team_abbr
    LEFT JOIN scheduled AS s ON s.team_abbr = t.team_abbr
    CROSS JOIN league AS l
  ),
  figures AS (
    SELECT
      z.*,
      CASE
        WHEN games_in_window = 0 THEN 0.0
        WHEN expected_games_count = 0 THEN 100.0
        ELSE ROUND(100 * LEAST(games_in_window, expected_games_count) / expected_games_count, 2)
      END AS completeness_percentage
    FROM zones AS z
  ),
  fresh AS (
    SELECT
      team_abbr,
      CAST(@target_date AS DATE) AS analysis_date,
      games_in_window,
      paint_pct_allowed,
      mid_range_pct_allowed,
      three_pt_pct_allowed,
      paint_vs AS paint_pct_vs_league,
      mid_range_vs AS mid_range_pct_vs_league,
      three_vs AS three_pt_pct_vs_league,
      defensive_rating,
      opponent_pace,
      CASE
        WHEN paint_vs IS NULL OR mid_range_vs IS NULL OR three_vs IS NULL THEN NULL
        WHEN paint_vs <= mid_range_vs AND paint_vs <= three_vs THEN 'paint'
        WHEN mid_range_vs <= three_vs THEN 'mid_range'
        ELSE 'three'
      END AS strongest_zone,
      CASE
        WHEN paint_vs IS NULL OR mid_range_vs IS NULL OR three_vs IS NULL THEN NULL
        WHEN paint_vs >= mid_range_vs AND paint_vs >= three_vs THEN 'paint'
        WHEN mid_range_vs >= three_vs THEN 'mid_range'
        ELSE 'three'
      END AS weakest_zone,
      expected_games_count,
      games_in_window AS actual_games_count,
      completeness_percentage,
      GREATEST(0, expected_games_count - games_in_window) AS missing_games_count,
      completeness_percentage >= 90 AS is_production_ready,
      CASE
        WHEN games_in_window = 0 THEN 'no_history: no team defense games before the date'
        ELSE CONCAT(
          IF(completeness_percentage >= 90, 'complete: ', 'incomplete_history: '),
          CAST(games_in_window AS STRING), ' of ', CAST(expected_games_count AS STRING),
          ' expected games in the 15-game window')
      END AS processing_decision_reason
    FROM figures
  )
  -- The fresh rows, and the keys of the table's rows of the date that are no longer among them
  -- (gone: deleted below). Not WHEN NOT MATCHED BY SOURCE, which DuckDB runs as a full outer join
  -- with the whole table (a cost that grows with every date loaded): this reads the date's rows only.
  SELECT
    f.*,
    COALESCE(f.team_abbr, old.team_abbr) AS merge_team_abbr,
    f.team_abbr IS NULL AS gone
  FROM fresh AS f
  FULL JOIN (
    SELECT team_abbr FROM nba_precompute.team_defense_zone_analysis WHERE analysis_date = @target_date
  ) AS old ON old.team_abbr = f.team_abbr
) S
ON T.team_abbr = S.merge_team_abbr AND T.analysis_date = @target_date
WHEN MATCHED AND S.gone THEN DELETE
WHEN MATCHED AND (
  T.games_in_window IS DISTINCT FROM S.games_in_window
  OR T.paint_pct_allowed IS DISTINCT FROM S.paint_pct_allowed
  OR T.mid_range_pct_allowed IS DISTINCT FROM S.mid_range_pct_allowed
  OR T.three_pt_pct_allowed IS DISTINCT FROM S.three_pt_pct_allowed
  OR T.paint_pct_vs_league IS DISTINCT FROM S.paint_pct_vs_league
  OR T.mid_range_pct_vs_league IS DISTINCT FROM S.mid_range_pct_vs_league
  OR T.three_pt_pct_vs_league IS DISTINCT FROM S.three_pt_pct_vs_league
  OR T.defensive_rating IS DISTINCT FROM S.defensive_rating
  OR T.opponent_pace IS DISTINCT FROM S.opponent_pace
  OR T.strongest_zone IS DISTINCT FROM S.strongest_zone
  OR T.weakest_zone IS DISTINCT FROM S.weakest_zone
  OR T.expected_games_count IS DISTINCT FROM S.expected_games_count
  OR T.actual_games_count IS DISTINCT FROM S.actual_games_count
  OR T.completeness_percentage IS DISTINCT FROM S.completeness_percentage
  OR T.missing_games_count IS DISTINCT FROM S.missing_games_count
  OR T.is_production_ready IS DISTINCT FROM S.is_production_ready
  OR T.processing_decision_reason IS DISTINCT FROM S.processing_decision_reason
) THEN UPDATE SET
  games_in_window = S.games_in_window,
  paint_pct_allowed = S.paint_pct_allowed,
  mid_range_pct_allowed = S.mid_range_pct_allowed,
  three_pt_pct_allowed = S.three_pt_pct_allowed,
  paint_pct_vs_league = S.paint_pct_vs_league,
  mid_range_pct_vs_league = S.mid_range_pct_vs_league,
  three_pt_pct_vs_league = S.three_pt_pct_vs_league,
  defensive_rating = S.defensive_rating,
  opponent_pace = S.opponent_pace,
  strongest_zone = S.strongest_zone,
  weakest_zone = S.weakest_zone,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  team_abbr, analysis_date, games_in_window, paint_pct_allowed, mid_range_pct_allowed, three_pt_pct_allowed,
  paint_pct_vs_league, mid_range_pct_vs_league, three_pt_pct_vs_league, defensive_rating, opponent_pace,
  strongest_zone, weakest_zone, expected_games_count, actual_games_count, completeness_percentage,
  missing_games_count, is_production_ready, processing_decision_reason, loaded_at
) VALUES (
  S.team_abbr, S.analysis_date, S.games_in_window, S.paint_pct_allowed, S.mid_range_pct_allowed,
  S.three_pt_pct_allowed, S.paint_pct_vs_league, S.mid_range_pct_vs_league, S.three_pt_pct_vs_league,
  S.defensive_rating, S.opponent_pace, S.strongest_zone, S.weakest_zone, S.expected_games_count,
  S.actual_games_count, S.completeness_percentage, S.missing_games_count, S.is_production_ready,
  S.processing_decision_reason, @loaded_at
)
