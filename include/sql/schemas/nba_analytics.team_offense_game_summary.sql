-- Phase 3: one row per team per game, offense.
CREATE TABLE IF NOT EXISTS nba_analytics.team_offense_game_summary (
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  home_game BOOL,
  win_flag BOOL,
  points_scored INT64,
  fg_attempts INT64,
  fg_makes INT64,
  three_pt_attempts INT64,
  three_pt_makes INT64,
  ft_attempts INT64,
  ft_makes INT64,
  offensive_rebounds INT64,
  defensive_rebounds INT64,
  assists INT64,
  turnovers INT64,
  paint_attempts INT64,
  paint_makes INT64,
  mid_range_attempts INT64,
  mid_range_makes INT64,
  possessions FLOAT64,  -- FGA + 0.44 * FTA - OREB + TO
  offensive_rating FLOAT64,  -- points per 100 possessions
  pace FLOAT64,  -- mean possessions of the two teams
  ts_pct FLOAT64,
  efg_pct FLOAT64,
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY team_abbr
OPTIONS (description = 'Team offense game summaries');
