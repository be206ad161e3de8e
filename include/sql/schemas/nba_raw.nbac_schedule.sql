-- NBA.com schedule: one row per game, kept current (status, scores, postponement) by MERGE on game_id.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_schedule (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  nba_game_id STRING NOT NULL,  -- NBA.com 10-character id, e.g. 0022400607
  game_date DATE NOT NULL,  -- America/New_York
  season_year INT64 NOT NULL,  -- first year of the season: 2024 for 2024-25
  season_type STRING NOT NULL,  -- Regular Season / Playoffs / ...
  game_status INT64 NOT NULL,  -- 1 scheduled, 2 live, 3 final
  game_status_text STRING,
  is_postponed BOOL NOT NULL,
  home_team_abbr STRING NOT NULL,
  away_team_abbr STRING NOT NULL,
  home_score INT64,  -- NULL until tip-off
  away_score INT64,
  start_time_utc TIMESTAMP,
  game_label STRING,  -- playoffs: East First Round ... NBA Finals; NULL in the regular season
  game_sub_label STRING,  -- playoffs: Game 3
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL  -- set when the row is inserted or its content changes
)
PARTITION BY game_date
CLUSTER BY game_id, home_team_abbr, away_team_abbr
OPTIONS (description = 'NBA.com schedule, one row per game (phase 2 raw)');
