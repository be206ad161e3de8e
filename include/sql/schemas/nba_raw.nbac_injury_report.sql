-- NBA.com injury report: append-only, one row per publication (report_time), game and player.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_injury_report (
  report_time TIMESTAMP NOT NULL,  -- when NBA.com published this report
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  team_abbr STRING NOT NULL,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,  -- "First Last"
  injury_status STRING NOT NULL,  -- out / doubtful / questionable / probable
  reason STRING,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY player_lookup, report_time
OPTIONS (description = 'NBA.com injury report snapshots (phase 2 raw, append-only)');
