-- Phase 4: the feature store, one row per player and game date, 25 features in a fixed order.
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
