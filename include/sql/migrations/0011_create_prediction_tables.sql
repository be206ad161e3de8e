-- Phase 5 outputs: predictions per system and their grades.

-- One row per prediction system, player and game date.
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

-- Predictions of one game date graded against the points scored, per system.
CREATE TABLE IF NOT EXISTS nba_predictions.prediction_grades (
  game_date DATE NOT NULL,
  system_id STRING NOT NULL,
  predictions INT64,  -- predictions made for the date
  graded INT64,  -- of which the player has an actual result (played minutes)
  calls INT64,  -- graded OVER / UNDER recommendations (PASS excluded)
  hits INT64,  -- OVER and points > line, or UNDER and points < line (a push is not a hit)
  hit_rate FLOAT64,  -- hits / calls, NULL without calls
  mean_absolute_error FLOAT64,  -- mean |predicted_points - points| over graded predictions
  graded_at TIMESTAMP NOT NULL  -- set when the row is inserted or its figures change
)
PARTITION BY game_date
CLUSTER BY system_id
OPTIONS (description = 'Prediction grades per game date and system');
