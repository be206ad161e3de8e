-- The player registry (issue 14, one player identity): the registry, how each raw row's player
-- resolved, and the queue of names that did not. The same statements as schemas/nba_analytics.*.sql.

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

-- How each raw row's player resolved: one row per source, date, game (or roster team) and player_lookup.
CREATE TABLE IF NOT EXISTS nba_analytics.player_identity_resolutions (
  source STRING NOT NULL,  -- the payload source: nbac_gamebook, bdl_boxscores, odds_api_player_points_props ...
  game_date DATE NOT NULL,  -- the roster date for espn_rosters
  scope STRING NOT NULL,  -- the game_id, or the team for espn_rosters
  player_lookup STRING NOT NULL,  -- the raw row's key
  raw_name STRING NOT NULL,  -- the name as the raw table holds it
  source_player_id STRING,  -- the source's own id for him, when it has one
  game_id STRING,
  team_abbr STRING,  -- the source's team, or for a book without one the resolved player's
  universal_player_id STRING,  -- NULL while the row is held
  resolved_by STRING,  -- source_id / exact_name / name_without_suffix / nickname / new_player
  skip_reason STRING,  -- unresolved_player / ambiguous_player: the row is held, joined to nobody
  candidates STRING,  -- for ambiguous_player: the universal_player_ids the name fits, comma-separated
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY source, player_lookup
OPTIONS (description = 'Player identity of every raw row that names a player; held rows carry a skip_reason (phase 3)');

-- Names that resolve to no player, or to more than one: what a person should look at.
CREATE TABLE IF NOT EXISTS nba_analytics.unresolved_player_names (
  source STRING NOT NULL,
  raw_name STRING NOT NULL,
  player_lookup STRING NOT NULL,
  skip_reason STRING NOT NULL,  -- unresolved_player / ambiguous_player, as of last_seen_date
  candidates STRING,  -- for ambiguous_player: the universal_player_ids the name fits
  first_seen_date DATE NOT NULL,  -- game dates of the held rows
  last_seen_date DATE NOT NULL,
  occurrences INT64 NOT NULL,  -- held rows (games or rosters) with this name
  loaded_at TIMESTAMP NOT NULL
)
CLUSTER BY source, raw_name
OPTIONS (description = 'Queue of player names no registry entry resolves (phase 3)');
