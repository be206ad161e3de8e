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
