-- The player registry: one row per person, every source's id for him and his universal_player_id.
CREATE TABLE IF NOT EXISTS nba_analytics.player_registry (
  universal_player_id STRING NOT NULL,  -- player_lookup of the name he was first seen by, then _001 (_002 for a second person of that name)
  player_lookup STRING NOT NULL,  -- of player_name
  player_name STRING NOT NULL,  -- NBA.com's "First Last" once NBA.com has listed him, else the first id source's
  nba_person_id INT64,  -- NBA.com personId
  bdl_player_id INT64,  -- balldontlie player.id
  espn_player_id STRING,  -- ESPN athlete id
  nba_player_name STRING,  -- each id source's spelling of his name, matched against the books and the injury report
  bdl_player_name STRING,
  espn_player_name STRING,
  team_abbr STRING,  -- the team an id source placed him on at last_seen_date
  first_seen_date DATE NOT NULL,  -- the first game or roster date an id source listed him on
  last_seen_date DATE NOT NULL,
  loaded_at TIMESTAMP NOT NULL
)
CLUSTER BY universal_player_id, player_lookup
OPTIONS (description = 'One identity per player across NBA.com, balldontlie, ESPN, the books and the injury report (phase 3)');
