-- The Odds API player points props: append-only, one row per fetch (snapshot), game, player and book.
CREATE TABLE IF NOT EXISTS nba_raw.odds_api_player_points_props (
  snapshot_time TIMESTAMP NOT NULL,  -- the payload's timestamp: when the odds were fetched
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  event_id STRING,  -- The Odds API event id
  bookmaker STRING NOT NULL,  -- draftkings / fanduel / betmgm / williamhill_us ...
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  points_line FLOAT64 NOT NULL,
  over_price INT64,  -- American odds
  under_price INT64,
  line_updated_at TIMESTAMP,  -- when the book posted this line
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY player_lookup, bookmaker, game_id
OPTIONS (description = 'The Odds API player points props per snapshot (phase 2 raw, append-only)');
