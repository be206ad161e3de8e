-- Phase 3: one row per player expected to play on the game date.
CREATE TABLE IF NOT EXISTS nba_analytics.upcoming_player_game_context (
  player_lookup STRING NOT NULL,
  universal_player_id STRING,
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  has_prop_line BOOL,
  current_points_line FLOAT64,
  opening_points_line FLOAT64,
  line_source STRING,  -- draftkings / fanduel / another book / bettingpros / NULL
  game_spread FLOAT64,  -- from the player's team's side
  game_total FLOAT64,
  home_game BOOL,
  back_to_back BOOL,
  days_rest INT64,
  games_in_last_7_days INT64,
  games_in_last_14_days INT64,
  minutes_in_last_7_days FLOAT64,
  minutes_in_last_14_days FLOAT64,
  avg_minutes_per_game_last_7 FLOAT64,
  points_avg_last_5 FLOAT64,
  points_avg_last_10 FLOAT64,
  player_status STRING,  -- available / probable / questionable / doubtful / out
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
OPTIONS (description = 'Upcoming player game context');
