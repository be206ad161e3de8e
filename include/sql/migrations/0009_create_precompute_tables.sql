-- Phase 4 precompute tables and the feature store.

CREATE TABLE IF NOT EXISTS nba_precompute.team_defense_zone_analysis (
  team_abbr STRING NOT NULL,
  analysis_date DATE NOT NULL,
  games_in_window INT64,
  paint_pct_allowed FLOAT64,
  mid_range_pct_allowed FLOAT64,
  three_pt_pct_allowed FLOAT64,
  paint_pct_vs_league FLOAT64,  -- allowed minus league average, percentage points
  mid_range_pct_vs_league FLOAT64,
  three_pt_pct_vs_league FLOAT64,
  defensive_rating FLOAT64,
  opponent_pace FLOAT64,
  strongest_zone STRING,  -- the zone where it allows least relative to the league
  weakest_zone STRING,
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY analysis_date
CLUSTER BY team_abbr
OPTIONS (description = 'Team defense by shot zone, last 15 games');

CREATE TABLE IF NOT EXISTS nba_precompute.player_shot_zone_analysis (
  player_lookup STRING NOT NULL,
  analysis_date DATE NOT NULL,
  games_last_10 INT64,
  games_last_20 INT64,
  pct_paint FLOAT64,  -- share of points by zone, last 10 games
  pct_mid_range FLOAT64,
  pct_three FLOAT64,
  pct_free_throw FLOAT64,
  paint_fg_pct_last_10 FLOAT64,
  mid_range_fg_pct_last_10 FLOAT64,
  three_pt_fg_pct_last_10 FLOAT64,
  paint_rate_last_20 FLOAT64,  -- share of field-goal attempts by zone, last 20 games
  mid_range_rate_last_20 FLOAT64,
  three_pt_rate_last_20 FLOAT64,
  primary_scoring_zone STRING,  -- paint / mid_range / three / free_throw
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY analysis_date
CLUSTER BY player_lookup
OPTIONS (description = 'Player shot zones, last 10 and 20 games');

CREATE TABLE IF NOT EXISTS nba_precompute.player_composite_factors (
  player_lookup STRING NOT NULL,
  game_id STRING,
  analysis_date DATE NOT NULL,
  team_abbr STRING,
  opponent_team_abbr STRING,
  fatigue_score FLOAT64,  -- 0-100, 50 neutral
  shot_zone_mismatch_score FLOAT64,  -- -10..+10
  pace_score FLOAT64,  -- -3..+3, (expected pace - league pace) / 3
  usage_spike_score FLOAT64,  -- -3..+3
  total_composite_adjustment FLOAT64,  -- (fatigue - 50) / 5 + the other three
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY analysis_date
CLUSTER BY player_lookup
OPTIONS (description = 'Player composite factors');

CREATE TABLE IF NOT EXISTS nba_precompute.player_daily_cache (
  player_lookup STRING NOT NULL,
  analysis_date DATE NOT NULL,
  team_abbr STRING,
  points_avg_last_5 FLOAT64,
  points_avg_last_10 FLOAT64,
  points_avg_season FLOAT64,
  points_std_last_10 FLOAT64,
  minutes_avg_last_10 FLOAT64,
  usage_rate_last_10 FLOAT64,
  games_played_season INT64,
  team_pace_last_10 FLOAT64,
  team_off_rating_last_10 FLOAT64,
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY analysis_date
CLUSTER BY player_lookup
OPTIONS (description = 'Player daily cache');

CREATE TABLE IF NOT EXISTS nba_predictions.ml_feature_store_v2 (
  player_lookup STRING NOT NULL,
  game_date DATE NOT NULL,
  game_id STRING,
  features ARRAY<FLOAT64>,
  feature_names ARRAY<STRING>,
  feature_sources ARRAY<STRING>,  -- per feature: phase4 / phase3 / default
  feature_count INT64,
  feature_version STRING,  -- v1_baseline_25
  feature_quality_score FLOAT64,  -- mean of per-feature source weights (100 / 75 / 40)
  missing_features ARRAY<STRING>,
  opponent_team_abbr STRING,
  is_home BOOL,
  days_rest INT64,
  current_points_line FLOAT64,
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY player_lookup
OPTIONS (description = 'ML feature store v2');
