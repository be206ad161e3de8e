-- NBA.com's player list: the season's players as NBA.com lists them, read first by the player
-- registry. The same statement as schemas/nba_raw.nbac_player_list.sql.

-- NBA.com player list (playerindex): one row per list date and listed player of the season.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_player_list (
  list_date DATE NOT NULL,  -- the date the list was fetched for
  season_year INT64 NOT NULL,  -- first year of the season: 2024 for 2024-25
  nba_player_id INT64 NOT NULL,  -- NBA.com personId
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,  -- "First Last"
  team_abbr STRING,  -- NULL for a listed player without a team
  nba_team_id INT64,
  jersey STRING,
  position STRING,  -- NBA.com's letters: G, F, C, G-F, F-C
  on_roster BOOL,  -- ROSTER_STATUS 1
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY list_date
CLUSTER BY nba_player_id
OPTIONS (description = 'NBA.com player list per date (phase 2 raw)');
