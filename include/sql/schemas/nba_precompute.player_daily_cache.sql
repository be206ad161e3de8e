-- Phase 4: per player playing on the analysis date, the rolling numbers the predictions reuse.
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
