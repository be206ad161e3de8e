-- The Odds API game lines: the current spread, total and moneylines per game and book.
CREATE TABLE IF NOT EXISTS nba_raw.odds_api_game_lines (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  bookmaker STRING NOT NULL,
  event_id STRING,
  home_team_abbr STRING NOT NULL,
  away_team_abbr STRING NOT NULL,
  home_spread FLOAT64,  -- negative: the home team is favoured
  home_spread_price INT64,
  away_spread_price INT64,
  total_points FLOAT64,
  over_price INT64,
  under_price INT64,
  home_moneyline INT64,
  away_moneyline INT64,
  line_updated_at TIMESTAMP,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, bookmaker
OPTIONS (description = 'The Odds API spreads, totals and moneylines, current per game and book (phase 2 raw)');
