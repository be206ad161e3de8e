-- NBA.com gamebook: one row per roster player per final game (active, dnp or inactive).
CREATE TABLE IF NOT EXISTS nba_raw.nbac_gamebook_player_stats (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  nba_game_id STRING,
  game_date DATE NOT NULL,
  season_year INT64 NOT NULL,
  player_lookup STRING NOT NULL,  -- lowercase ASCII letters of "First Last"
  player_name STRING NOT NULL,
  universal_player_id STRING NOT NULL,
  nba_player_id INT64,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  home_game BOOL NOT NULL,
  player_status STRING NOT NULL,  -- active / dnp / inactive
  dnp_reason STRING,
  starter BOOL,
  position STRING,
  jersey_number STRING,
  minutes FLOAT64,  -- decimal minutes; NULL unless active
  points INT64,
  fg_makes INT64,
  fg_attempts INT64,
  three_pt_makes INT64,
  three_pt_attempts INT64,
  ft_makes INT64,
  ft_attempts INT64,
  offensive_rebounds INT64,
  defensive_rebounds INT64,
  total_rebounds INT64,
  assists INT64,
  steals INT64,
  blocks INT64,
  turnovers INT64,
  personal_fouls INT64,
  plus_minus INT64,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, player_lookup, team_abbr
OPTIONS (description = 'NBA.com gamebook player stats, one row per roster player per game (phase 2 raw)');
