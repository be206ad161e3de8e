-- Phase 5: one row per prediction system, player and game date (prediction_id is derived from the three).
CREATE TABLE IF NOT EXISTS nba_predictions.player_prop_predictions (
  prediction_id STRING NOT NULL,  -- deterministic from (system_id, player_lookup, game_date)
  system_id STRING NOT NULL,  -- moving_average / zone_matchup / similarity_balanced_v1 / xgboost_v1 / ensemble_v1
  player_lookup STRING NOT NULL,
  game_date DATE NOT NULL,
  game_id STRING,
  predicted_points FLOAT64,
  confidence_score FLOAT64,  -- 0-100
  recommendation STRING,  -- OVER / UNDER / PASS
  current_points_line FLOAT64,
  line_margin FLOAT64,  -- predicted_points - current_points_line
  line_source STRING,  -- draftkings / fanduel / <book> / bettingpros / estimated
  line_estimated BOOL,  -- no book line: points_avg_last_10 rounded to the nearest x.5
  feature_quality_score FLOAT64,  -- 0-100, from the feature store
  model_version STRING,  -- xgboost_v1 only
  created_at TIMESTAMP NOT NULL  -- set when the row is inserted or its content changes
)
PARTITION BY game_date
CLUSTER BY system_id, player_lookup
OPTIONS (description = 'Player points predictions per system');
