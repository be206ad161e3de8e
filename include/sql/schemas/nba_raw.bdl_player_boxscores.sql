-- balldontlie box scores: one row per player who played in a final game (fallback for the gamebook).
CREATE TABLE IF NOT EXISTS nba_raw.bdl_player_boxscores (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  bdl_game_id INT64,
  game_date DATE NOT NULL,
  season_year INT64 NOT NULL,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  universal_player_id STRING NOT NULL,
  bdl_player_id INT64,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  home_game BOOL NOT NULL,
  player_status STRING NOT NULL,  -- active: balldontlie lists only players who played
  minutes FLOAT64,  -- whole minutes
  points INT64 NOT NULL,
  fg_makes INT64 NOT NULL,
  fg_attempts INT64 NOT NULL,
  three_pt_makes INT64 NOT NULL,
  three_pt_attempts INT64 NOT NULL,
  ft_makes INT64 NOT NULL,
  ft_attempts INT64 NOT NULL,
  offensive_rebounds INT64,
  defensive_rebounds INT64,
  total_rebounds INT64,
  assists INT64,
  steals INT64,
  blocks INT64,
  turnovers INT64,
  personal_fouls INT64,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, player_lookup, team_abbr
OPTIONS (description = 'balldontlie player box scores (phase 2 raw)');
