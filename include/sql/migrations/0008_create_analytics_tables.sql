-- Phase 3 analytics tables.

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
