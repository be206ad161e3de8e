-- NBA.com shot-zone summary from the play-by-play: one row per player who played in a final game.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_play_by_play (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  nba_player_id INT64,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  paint_attempts INT64 NOT NULL,
  paint_makes INT64 NOT NULL,
  mid_range_attempts INT64 NOT NULL,
  mid_range_makes INT64 NOT NULL,
  three_pt_attempts INT64 NOT NULL,
  three_pt_makes INT64 NOT NULL,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, player_lookup
OPTIONS (description = 'NBA.com shot zones per player per game (phase 2 raw)');
