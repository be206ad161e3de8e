-- NBA.com team box score: two rows per final game, one per team.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_team_boxscore (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  home_game BOOL NOT NULL,
  minutes FLOAT64,  -- team minutes: 240 in regulation, +25 per overtime
  points INT64 NOT NULL,
  fg_makes INT64 NOT NULL,
  fg_attempts INT64 NOT NULL,
  three_pt_makes INT64 NOT NULL,
  three_pt_attempts INT64 NOT NULL,
  ft_makes INT64 NOT NULL,
  ft_attempts INT64 NOT NULL,
  offensive_rebounds INT64 NOT NULL,
  defensive_rebounds INT64 NOT NULL,
  total_rebounds INT64,
  assists INT64,
  steals INT64,
  blocks INT64,
  turnovers INT64 NOT NULL,
  personal_fouls INT64,
  plus_minus INT64,  -- team points minus opponent points
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, team_abbr
OPTIONS (description = 'NBA.com team box scores, one row per team per game (phase 2 raw)');
