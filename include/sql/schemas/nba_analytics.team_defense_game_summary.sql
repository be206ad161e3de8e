-- Phase 3: one row per team per game, defense (what the opponent did against it).
CREATE TABLE IF NOT EXISTS nba_analytics.team_defense_game_summary (
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  defending_team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  points_allowed INT64,
  opp_fg_attempts INT64,
  opp_fg_makes INT64,
  opp_three_pt_attempts INT64,
  opp_three_pt_makes INT64,
  opp_ft_attempts INT64,
  opp_ft_makes INT64,
  opp_paint_attempts INT64,
  opp_paint_makes INT64,
  opp_mid_range_attempts INT64,
  opp_mid_range_makes INT64,
  turnovers_forced INT64,
  defensive_rebounds INT64,
  opp_possessions FLOAT64,
  defensive_rating FLOAT64,  -- points allowed per 100 opponent possessions
  opponent_pace FLOAT64,
  home_game BOOL,
  win_flag BOOL,
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY defending_team_abbr
OPTIONS (description = 'Team defense game summaries');
