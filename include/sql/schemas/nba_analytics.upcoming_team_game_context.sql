-- Phase 3: one row per team playing on the game date.
CREATE TABLE IF NOT EXISTS nba_analytics.upcoming_team_game_context (
  team_abbr STRING NOT NULL,
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  home_game BOOL,
  days_rest INT64,
  back_to_back BOOL,
  game_spread FLOAT64,
  game_total FLOAT64,
  injured_players_count INT64,  -- out or doubtful
  injured_players ARRAY<STRING>,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY team_abbr
OPTIONS (description = 'Upcoming team game context');
