-- Phase 5: predictions of one game date graded against the points scored, per system.
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
