-- BettingPros points props: the current and opening line per game, player and book (Odds API fallback).
CREATE TABLE IF NOT EXISTS nba_raw.bettingpros_player_points_props (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  bookmaker STRING NOT NULL,  -- the Odds API's keys: draftkings / fanduel / betmgm / williamhill_us
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  team_abbr STRING NOT NULL,
  bettingpros_event_id INT64,
  points_line FLOAT64 NOT NULL,
  opening_line FLOAT64,
  over_odds INT64,
  under_odds INT64,
  line_updated_at TIMESTAMP,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY player_lookup, bookmaker, game_id
OPTIONS (description = 'BettingPros player points props, current per game, player and book (phase 2 raw)');
