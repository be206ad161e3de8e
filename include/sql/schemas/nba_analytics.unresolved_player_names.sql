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
