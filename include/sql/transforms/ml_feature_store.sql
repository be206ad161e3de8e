-- Phase 4: ml_feature_store_v2 (MLFS) for the game date @target_date, feature version v1_baseline_25.
-- One row per player in upcoming_player_game_context (UPGC) for the date, key (player_lookup, game_date).
-- Runs last in phase 4: reads this date's player_daily_cache (PDC), player_composite_factors (PCF),
-- player_shot_zone_analysis (PSZA) and team_defense_zone_analysis (TDZA) rows.
--
-- The 25 features, in this order (the contract is plugins/nba_pipeline/features.py). For each feature
-- the phase 4 value is taken when present (source 'phase4', weight 100), else the phase 3 value where
-- one exists ('phase3', 75), else the default ('default', 40). Features that only exist in the game
-- context (UPGC, upcoming_team_game_context = UTGC, the schedule) have no phase 4 value, so a player
-- with complete data scores (17 * 100 + 8 * 75) / 25 = 92.
--   #  name                      phase 4                      phase 3                                 default
--   1  points_avg_last_5         PDC                          UPGC points_avg_last_5                  10.0
--   2  points_avg_last_10        PDC                          UPGC points_avg_last_10                 10.0
--   3  points_avg_season         PDC                          PGS mean points, this season            10.0
--   4  points_std_last_10        PDC                          PGS sample std, last 10 games           5.0
--   5  games_in_last_7_days      -                            UPGC games_in_last_7_days               3.0
--   6  fatigue_score             PCF                          -                                       50.0
--   7  shot_zone_mismatch_score  PCF                          -                                       0.0
--   8  pace_score                PCF                          -                                       0.0
--   9  usage_spike_score         PCF                          -                                       0.0
--  10  rest_advantage            -                            team days_rest - opponent days_rest     0.0
--                                                             (UTGC; the team's from UPGC if missing)
--  11  injury_risk               -                            UPGC player_status: available/probable  0.0
--                                                             0, questionable 1, doubtful 2, out 3
--  12  recent_trend              PDC last 5 - last 10         UPGC last 5 - last 10                   0.0
--  13  minutes_change            -                            UPGC avg_minutes_per_game_last_7 -      0.0
--                                                             PGS mean minutes this season
--  14  opponent_def_rating       TDZA (opponent)              TDGS mean, opponent's last 15 games     112.0
--  15  opponent_pace             TDZA (opponent)              TDGS mean, opponent's last 15 games     100.0
--  16  home_away                 -                            UPGC home_game (UTGC): 1 home, 0 away   0.0
--  17  back_to_back              -                            UPGC back_to_back (days_rest = 1): 1/0  0.0
--  18  playoff_game              -                            schedule season_type = 'Playoffs': 1/0  0.0
--  19  pct_paint                 PSZA                         -                                       0.35
--  20  pct_mid_range             PSZA                         -                                       0.10
--  21  pct_three                 PSZA                         -                                       0.35
--  22  pct_free_throw            PSZA                         -                                       0.20
--  23  team_pace                 PDC team_pace_last_10        TOGS mean pace, team's last 10 games    100.0
--  24  team_off_rating           PDC team_off_rating_last_10  TOGS mean, team's last 10 games         112.0
--  25  team_win_pct              -                            TOGS wins / games this season           0.5
-- feature_quality_score = mean of the 25 weights; missing_features = the names that took the default.
-- History windows as in the other phase 4 transforms: games strictly before the date, past 365 days,
-- player rows with minutes_played = 0 are not games; "this season" = the date's season_year.
-- Completeness: expected = min(10, the team's non-postponed scheduled games in the past 365 days
-- before the date); actual = the player's games in his 10-game window; ready at >= 90 %.
-- Values are rounded to 4 decimals; the update fires only when a column differs (arrays compared as
-- JSON text: GoogleSQL cannot compare arrays). Rows of the date for players no longer in UPGC are deleted.
MERGE nba_predictions.ml_feature_store_v2 T
USING (
  WITH
  players AS (
    -- @include fragments/upcoming_players.sql
  ),
  season AS (
    -- @include fragments/season.sql
  ),
  games_today AS (
    SELECT game_id, season_type
    FROM nba_raw.nbac_schedule
    WHERE game_date = @target_date
  ),
  teams_today AS (
    SELECT team_abbr, days_rest, home_game, back_to_back
    FROM (
      SELECT team_abbr, days_rest, home_game, back_to_back,
             ROW_NUMBER() OVER (PARTITION BY team_abbr ORDER BY game_id) AS pick
      FROM nba_analytics.upcoming_team_game_context
      WHERE game_date = @target_date
    )
    WHERE pick = 1
  ),
  scheduled AS (
    -- @include fragments/scheduled_games.sql
  ),
  -- ------------------------------------------------------------------ phase 3 figures (fallbacks)
  player_games AS (
    -- @include fragments/player_history.sql
  ),
  player_history AS (
    SELECT
      g.player_lookup,
      COUNTIF(g.rn <= 10) AS games_last_10,
      STDDEV_SAMP(IF(g.rn <= 10, g.points, NULL)) AS points_std_last_10,
      AVG(IF(g.season_year = s.season_year, g.points, NULL)) AS points_avg_season,
      -- a mean over an exact integer sum (seconds: see the fragment)
      SAFE_DIVIDE(SUM(IF(g.season_year = s.season_year, g.seconds_played, NULL)),
                  60 * COUNT(IF(g.season_year = s.season_year, g.seconds_played, NULL))) AS minutes_avg_season
    FROM player_games AS g
    CROSS JOIN season AS s
    GROUP BY g.player_lookup
  ),
  team_games AS (
    -- @include fragments/team_offense_history.sql
  ),
  team_offense AS (
    -- the season of each game: the schedule's, else from the game date
    SELECT
      o.*,
      COALESCE(sc.season_year,
               IF(EXTRACT(MONTH FROM o.game_date) >= 8, EXTRACT(YEAR FROM o.game_date),
                  EXTRACT(YEAR FROM o.game_date) - 1)) AS season_year
    FROM team_games AS o
    LEFT JOIN nba_raw.nbac_schedule AS sc ON sc.game_id = o.game_id
  ),
  team_offense_figures AS (
    SELECT
      o.team_abbr,
      -- means over exact integer sums (ten-thousandths: see the fragment)
      SAFE_DIVIDE(SUM(IF(o.rn <= 10, o.pace_e4, NULL)),
                  10000 * COUNT(IF(o.rn <= 10, o.pace_e4, NULL))) AS pace_last_10,
      SAFE_DIVIDE(SUM(IF(o.rn <= 10, o.offensive_rating_e4, NULL)),
                  10000 * COUNT(IF(o.rn <= 10, o.offensive_rating_e4, NULL))) AS off_rating_last_10,
      SAFE_DIVIDE(COUNTIF(o.season_year = s.season_year AND o.win_flag),
                  COUNTIF(o.season_year = s.season_year AND o.win_flag IS NOT NULL)) AS win_pct_season
    FROM team_offense AS o
    CROSS JOIN season AS s
    GROUP BY o.team_abbr
  ),
  team_defense AS (
    -- @include fragments/team_defense_history.sql
  ),
  team_defense_figures AS (
    -- means over exact integer sums (ten-thousandths: see the fragment)
    SELECT defending_team_abbr AS team_abbr,
           SAFE_DIVIDE(SUM(defensive_rating_e4), 10000 * COUNT(defensive_rating_e4)) AS def_rating_last_15,
           SAFE_DIVIDE(SUM(opponent_pace_e4), 10000 * COUNT(opponent_pace_e4)) AS opponent_pace_last_15
    FROM team_defense
    WHERE rn <= 15
    GROUP BY defending_team_abbr
  ),
  -- ------------------------------------------------------------------ one row of inputs per player
  base AS (
    SELECT
      p.player_lookup, p.game_id, p.team_abbr, p.opponent_team_abbr, p.home_game, p.days_rest,
      p.current_points_line,
      COALESCE(h.games_last_10, 0) AS actual_games_count,
      LEAST(10, COALESCE(c.scheduled_games, 0)) AS expected_games_count,
      -- phase 4
      pdc.points_avg_last_5 AS p4_points_avg_last_5,
      pdc.points_avg_last_10 AS p4_points_avg_last_10,
      pdc.points_avg_season AS p4_points_avg_season,
      pdc.points_std_last_10 AS p4_points_std_last_10,
      pcf.fatigue_score AS p4_fatigue_score,
      pcf.shot_zone_mismatch_score AS p4_shot_zone_mismatch_score,
      pcf.pace_score AS p4_pace_score,
      pcf.usage_spike_score AS p4_usage_spike_score,
      pdc.points_avg_last_5 - pdc.points_avg_last_10 AS p4_recent_trend,
      tdza.defensive_rating AS p4_opponent_def_rating,
      tdza.opponent_pace AS p4_opponent_pace,
      psza.pct_paint AS p4_pct_paint,
      psza.pct_mid_range AS p4_pct_mid_range,
      psza.pct_three AS p4_pct_three,
      psza.pct_free_throw AS p4_pct_free_throw,
      pdc.team_pace_last_10 AS p4_team_pace,
      pdc.team_off_rating_last_10 AS p4_team_off_rating,
      -- phase 3
      p.points_avg_last_5 AS p3_points_avg_last_5,
      p.points_avg_last_10 AS p3_points_avg_last_10,
      h.points_avg_season AS p3_points_avg_season,
      h.points_std_last_10 AS p3_points_std_last_10,
      CAST(p.games_in_last_7_days AS FLOAT64) AS p3_games_in_last_7_days,
      CAST(COALESCE(tt.days_rest, p.days_rest) - ot.days_rest AS FLOAT64) AS p3_rest_advantage,
      CASE LOWER(p.player_status)
        WHEN 'available' THEN 0.0
        WHEN 'probable' THEN 0.0
        WHEN 'questionable' THEN 1.0
        WHEN 'doubtful' THEN 2.0
        WHEN 'out' THEN 3.0
      END AS p3_injury_risk,
      p.points_avg_last_5 - p.points_avg_last_10 AS p3_recent_trend,
      p.avg_minutes_per_game_last_7 - h.minutes_avg_season AS p3_minutes_change,
      tdf.def_rating_last_15 AS p3_opponent_def_rating,
      tdf.opponent_pace_last_15 AS p3_opponent_pace,
      CASE COALESCE(p.home_game, tt.home_game) WHEN TRUE THEN 1.0 WHEN FALSE THEN 0.0 END AS p3_home_away,
      CASE COALESCE(p.back_to_back, p.days_rest <= 1, tt.back_to_back)
        WHEN TRUE THEN 1.0 WHEN FALSE THEN 0.0
      END AS p3_back_to_back,
      CASE
        WHEN gt.season_type IS NULL THEN NULL
        WHEN gt.season_type = 'Playoffs' THEN 1.0
        ELSE 0.0
      END AS p3_playoff_game,
      tof.pace_last_10 AS p3_team_pace,
      tof.off_rating_last_10 AS p3_team_off_rating,
      tof.win_pct_season AS p3_team_win_pct
    FROM players AS p
    LEFT JOIN nba_precompute.player_daily_cache AS pdc
      ON pdc.player_lookup = p.player_lookup AND pdc.analysis_date = @target_date
    LEFT JOIN nba_precompute.player_composite_factors AS pcf
      ON pcf.player_lookup = p.player_lookup AND pcf.analysis_date = @target_date
    LEFT JOIN nba_precompute.player_shot_zone_analysis AS psza
      ON psza.player_lookup = p.player_lookup AND psza.analysis_date = @target_date
    LEFT JOIN nba_precompute.team_defense_zone_analysis AS tdza
      ON tdza.team_abbr = p.opponent_team_abbr AND tdza.analysis_date = @target_date
    LEFT JOIN player_history AS h ON h.player_lookup = p.player_lookup
    LEFT JOIN teams_today AS tt ON tt.team_abbr = p.team_abbr
    LEFT JOIN teams_today AS ot ON ot.team_abbr = p.opponent_team_abbr
    LEFT JOIN games_today AS gt ON gt.game_id = p.game_id
    LEFT JOIN team_offense_figures AS tof ON tof.team_abbr = p.team_abbr
    LEFT JOIN team_defense_figures AS tdf ON tdf.team_abbr = p.opponent_team_abbr
    LEFT JOIN scheduled AS c ON c.team_abbr = p.team_abbr
  ),
  -- ------------------------------------------------------------------ one row per player and feature
  feature_rows AS (
    SELECT
      b.player_lookup,
      f.pos,
      f.name,
      CAST(ROUND(COALESCE(f.phase4, f.phase3, f.default_value), 4) AS FLOAT64) AS value,
      CASE
        WHEN f.phase4 IS NOT NULL THEN 'phase4'
        WHEN f.phase3 IS NOT NULL THEN 'phase3'
        ELSE 'default'
      END AS source
    FROM base AS b
    CROSS JOIN UNNEST([
      STRUCT(1 AS pos, 'points_avg_last_5' AS name, CAST(b.p4_points_avg_last_5 AS FLOAT64) AS phase4,
             CAST(b.p3_points_avg_last_5 AS FLOAT64) AS phase3, CAST(10.0 AS FLOAT64) AS default_value),
      STRUCT(2, 'points_avg_last_10', b.p4_points_avg_last_10, b.p3_points_avg_last_10, 10.0),
      STRUCT(3, 'points_avg_season', b.p4_points_avg_season, b.p3_points_avg_season, 10.0),
      STRUCT(4, 'points_std_last_10', b.p4_points_std_last_10, b.p3_points_std_last_10, 5.0),
      STRUCT(5, 'games_in_last_7_days', NULL, b.p3_games_in_last_7_days, 3.0),
      STRUCT(6, 'fatigue_score', b.p4_fatigue_score, NULL, 50.0),
      STRUCT(7, 'shot_zone_mismatch_score', b.p4_shot_zone_mismatch_score, NULL, 0.0),
      STRUCT(8, 'pace_score', b.p4_pace_score, NULL, 0.0),
      STRUCT(9, 'usage_spike_score', b.p4_usage_spike_score, NULL, 0.0),
      STRUCT(10, 'rest_advantage', NULL, b.p3_rest_advantage, 0.0),
      STRUCT(11, 'injury_risk', NULL, b.p3_injury_risk, 0.0),
      STRUCT(12, 'recent_trend', b.p4_recent_trend, b.p3_recent_trend, 0.0),
      STRUCT(13, 'minutes_change', NULL, b.p3_minutes_change, 0.0),
      STRUCT(14, 'opponent_def_rating', b.p4_opponent_def_rating, b.p3_opponent_def_rating, 112.0),
      STRUCT(15, 'opponent_pace', b.p4_opponent_pace, b.p3_opponent_pace, 100.0),
      STRUCT(16, 'home_away', NULL, b.p3_home_away, 0.0),
      STRUCT(17, 'back_to_back', NULL, b.p3_back_to_back, 0.0),
      STRUCT(18, 'playoff_game', NULL, b.p3_playoff_game, 0.0),
      STRUCT(19, 'pct_paint', b.p4_pct_paint, NULL, 0.35),
      STRUCT(20, 'pct_mid_range', b.p4_pct_mid_range, NULL, 0.10),
      STRUCT(21, 'pct_three', b.p4_pct_three, NULL, 0.35),
      STRUCT(22, 'pct_free_throw', b.p4_pct_free_throw, NULL, 0.20),
      STRUCT(23, 'team_pace', b.p4_team_pace, b.p3_team_pace, 100.0),
      STRUCT(24, 'team_off_rating', b.p4_team_off_rating, b.p3_team_off_rating, 112.0),
      STRUCT(25, 'team_win_pct', NULL, b.p3_team_win_pct, 0.5)
    ]) AS f
  ),
  vectors AS (
    SELECT
      player_lookup,
      ARRAY_AGG(value ORDER BY pos) AS features,
      ARRAY_AGG(name ORDER BY pos) AS feature_names,
      ARRAY_AGG(source ORDER BY pos) AS feature_sources,
      COUNT(*) AS feature_count,
      -- weights: phase4 100, phase3 75, default 40
      ROUND(AVG(CASE source WHEN 'phase4' THEN 100 WHEN 'phase3' THEN 75 ELSE 40 END), 4) AS feature_quality_score,
      COALESCE(ARRAY_AGG(IF(source = 'default', name, NULL) IGNORE NULLS ORDER BY pos), ARRAY<STRING>[])
        AS missing_features
    FROM feature_rows
    GROUP BY player_lookup
  ),
  figures AS (
    SELECT
      b.player_lookup, b.game_id, b.opponent_team_abbr, b.home_game, b.days_rest, b.current_points_line,
      b.expected_games_count, b.actual_games_count,
      v.features, v.feature_names, v.feature_sources, v.feature_count, v.feature_quality_score,
      v.missing_features,
      CASE
        WHEN b.actual_games_count = 0 THEN 0.0
        WHEN b.expected_games_count = 0 THEN 100.0
        ELSE ROUND(100 * LEAST(b.actual_games_count, b.expected_games_count) / b.expected_games_count, 2)
      END AS completeness_percentage
    FROM base AS b
    JOIN vectors AS v ON v.player_lookup = b.player_lookup
  ),
  fresh AS (
    SELECT
      player_lookup,
      CAST(@target_date AS DATE) AS game_date,
      game_id,
      features,
      feature_names,
      feature_sources,
      feature_count,
      'v1_baseline_25' AS feature_version,
      feature_quality_score,
      missing_features,
      opponent_team_abbr,
      home_game AS is_home,
      days_rest,
      current_points_line,
      expected_games_count,
      actual_games_count,
      completeness_percentage,
      GREATEST(0, expected_games_count - actual_games_count) AS missing_games_count,
      completeness_percentage >= 90 AS is_production_ready,
      CONCAT(
        CASE
          WHEN actual_games_count = 0 THEN 'no_history: no games before the date'
          ELSE CONCAT(
            IF(completeness_percentage >= 90, 'complete: ', 'incomplete_history: '),
            CAST(actual_games_count AS STRING), ' of ', CAST(expected_games_count AS STRING),
            ' expected games in the 10-game window')
        END,
        IF(feature_quality_score < 70, '; feature quality below 70', '')
      ) AS processing_decision_reason
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
    SELECT player_lookup FROM nba_predictions.ml_feature_store_v2 WHERE game_date = @target_date
  ) AS old ON old.player_lookup = f.player_lookup
) S
ON T.player_lookup = S.merge_player_lookup AND T.game_date = @target_date
WHEN MATCHED AND S.gone THEN DELETE
WHEN MATCHED AND (
  T.game_id IS DISTINCT FROM S.game_id
  OR TO_JSON_STRING(T.features) IS DISTINCT FROM TO_JSON_STRING(S.features)
  OR TO_JSON_STRING(T.feature_names) IS DISTINCT FROM TO_JSON_STRING(S.feature_names)
  OR TO_JSON_STRING(T.feature_sources) IS DISTINCT FROM TO_JSON_STRING(S.feature_sources)
  OR T.feature_count IS DISTINCT FROM S.feature_count
  OR T.feature_version IS DISTINCT FROM S.feature_version
  OR T.feature_quality_score IS DISTINCT FROM S.feature_quality_score
  OR TO_JSON_STRING(T.missing_features) IS DISTINCT FROM TO_JSON_STRING(S.missing_features)
  OR T.opponent_team_abbr IS DISTINCT FROM S.opponent_team_abbr
  OR T.is_home IS DISTINCT FROM S.is_home
  OR T.days_rest IS DISTINCT FROM S.days_rest
  OR T.current_points_line IS DISTINCT FROM S.current_points_line
  OR T.expected_games_count IS DISTINCT FROM S.expected_games_count
  OR T.actual_games_count IS DISTINCT FROM S.actual_games_count
  OR T.completeness_percentage IS DISTINCT FROM S.completeness_percentage
  OR T.missing_games_count IS DISTINCT FROM S.missing_games_count
  OR T.is_production_ready IS DISTINCT FROM S.is_production_ready
  OR T.processing_decision_reason IS DISTINCT FROM S.processing_decision_reason
) THEN UPDATE SET
  game_id = S.game_id,
  features = S.features,
  feature_names = S.feature_names,
  feature_sources = S.feature_sources,
  feature_count = S.feature_count,
  feature_version = S.feature_version,
  feature_quality_score = S.feature_quality_score,
  missing_features = S.missing_features,
  opponent_team_abbr = S.opponent_team_abbr,
  is_home = S.is_home,
  days_rest = S.days_rest,
  current_points_line = S.current_points_line,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  player_lookup, game_date, game_id, features, feature_names, feature_sources, feature_count,
  feature_version, feature_quality_score, missing_features, opponent_team_abbr, is_home, days_rest,
  current_points_line, expected_games_count, actual_games_count, completeness_percentage,
  missing_games_count, is_production_ready, processing_decision_reason, loaded_at
) VALUES (
  S.player_lookup, S.game_date, S.game_id, S.features, S.feature_names, S.feature_sources, S.feature_count,
  S.feature_version, S.feature_quality_score, S.missing_features, S.opponent_team_abbr, S.is_home,
  S.days_rest, S.current_points_line, S.expected_games_count, S.actual_games_count,
  S.completeness_percentage, S.missing_games_count, S.is_production_ready, S.processing_decision_reason,
  @loaded_at
)
