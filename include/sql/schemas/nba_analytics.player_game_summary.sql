-- Phase 3: one row per player per game (gamebook first, balldontlie for games the gamebook lacks).
CREATE TABLE IF NOT EXISTS nba_analytics.player_game_summary (
  player_lookup STRING NOT NULL,
  universal_player_id STRING,
  game_id STRING NOT NULL,
  game_date DATE NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  season_year INT64,
  home_game BOOL,
  points INT64,
  minutes_played FLOAT64,
  assists INT64,
  offensive_rebounds INT64,
  defensive_rebounds INT64,
  steals INT64,
  blocks INT64,
  turnovers INT64,
  fg_attempts INT64,
  fg_makes INT64,
  three_pt_attempts INT64,
  three_pt_makes INT64,
  ft_attempts INT64,
  ft_makes INT64,
  plus_minus INT64,
  paint_attempts INT64,
  paint_makes INT64,
  mid_range_attempts INT64,
  mid_range_makes INT64,
  usage_rate FLOAT64,
  ts_pct FLOAT64,  -- pts / (2 * (FGA + 0.44 * FTA))
  efg_pct FLOAT64,  -- (FGM + 0.5 * 3PM) / FGA
  starter_flag BOOL,
  win_flag BOOL,
  points_line FLOAT64,  -- DraftKings, then FanDuel, then any book
  points_line_source STRING,
  over_under_result STRING,  -- OVER if points >= line, else UNDER; NULL without a line
  margin FLOAT64,  -- points - line
  primary_source_used STRING,  -- nbac_gamebook / bdl_boxscores
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY player_lookup, team_abbr
OPTIONS (description = 'Player game summaries');
