-- ESPN team rosters: one row per roster date, team and player.
CREATE TABLE IF NOT EXISTS nba_raw.espn_team_rosters (
  roster_date DATE NOT NULL,
  season_year INT64 NOT NULL,  -- first year of the season: 2024 for 2024-25
  team_abbr STRING NOT NULL,
  espn_team_id STRING,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  espn_player_id STRING,
  position STRING,  -- PG / SG / SF / PF / C
  jersey STRING,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY roster_date
CLUSTER BY team_abbr, player_lookup
OPTIONS (description = 'ESPN team rosters per date (phase 2 raw)');
