-- Phase 2 raw tables: one per raw processor, keyed on canonical game ids (YYYYMMDD_AWAY_HOME).
-- The same statements as schemas/nba_raw.*.sql; every table partitioned by its date column.

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

-- NBA.com gamebook: one row per roster player per final game (active, dnp or inactive).
CREATE TABLE IF NOT EXISTS nba_raw.nbac_gamebook_player_stats (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  nba_game_id STRING,
  game_date DATE NOT NULL,
  season_year INT64 NOT NULL,
  player_lookup STRING NOT NULL,  -- lowercase ASCII letters of "First Last"
  player_name STRING NOT NULL,
  universal_player_id STRING NOT NULL,
  nba_player_id INT64,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  home_game BOOL NOT NULL,
  player_status STRING NOT NULL,  -- active / dnp / inactive
  dnp_reason STRING,
  starter BOOL,
  position STRING,
  jersey_number STRING,
  minutes FLOAT64,  -- decimal minutes; NULL unless active
  points INT64,
  fg_makes INT64,
  fg_attempts INT64,
  three_pt_makes INT64,
  three_pt_attempts INT64,
  ft_makes INT64,
  ft_attempts INT64,
  offensive_rebounds INT64,
  defensive_rebounds INT64,
  total_rebounds INT64,
  assists INT64,
  steals INT64,
  blocks INT64,
  turnovers INT64,
  personal_fouls INT64,
  plus_minus INT64,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, player_lookup, team_abbr
OPTIONS (description = 'NBA.com gamebook player stats, one row per roster player per game (phase 2 raw)');

-- NBA.com team box score: two rows per final game, one per team.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_team_boxscore (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  home_game BOOL NOT NULL,
  minutes FLOAT64,  -- team minutes: 240 in regulation, +25 per overtime
  points INT64 NOT NULL,
  fg_makes INT64 NOT NULL,
  fg_attempts INT64 NOT NULL,
  three_pt_makes INT64 NOT NULL,
  three_pt_attempts INT64 NOT NULL,
  ft_makes INT64 NOT NULL,
  ft_attempts INT64 NOT NULL,
  offensive_rebounds INT64 NOT NULL,
  defensive_rebounds INT64 NOT NULL,
  total_rebounds INT64,
  assists INT64,
  steals INT64,
  blocks INT64,
  turnovers INT64 NOT NULL,
  personal_fouls INT64,
  plus_minus INT64,  -- team points minus opponent points
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, team_abbr
OPTIONS (description = 'NBA.com team box scores, one row per team per game (phase 2 raw)');

-- NBA.com shot-zone summary from the play-by-play: one row per player who played in a final game.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_play_by_play (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  nba_player_id INT64,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  paint_attempts INT64 NOT NULL,
  paint_makes INT64 NOT NULL,
  mid_range_attempts INT64 NOT NULL,
  mid_range_makes INT64 NOT NULL,
  three_pt_attempts INT64 NOT NULL,
  three_pt_makes INT64 NOT NULL,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, player_lookup
OPTIONS (description = 'NBA.com shot zones per player per game (phase 2 raw)');

-- NBA.com injury report: append-only, one row per publication (report_time), game and player.
CREATE TABLE IF NOT EXISTS nba_raw.nbac_injury_report (
  report_time TIMESTAMP NOT NULL,  -- when NBA.com published this report
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  game_date DATE NOT NULL,
  team_abbr STRING NOT NULL,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,  -- "First Last"
  injury_status STRING NOT NULL,  -- out / doubtful / questionable / probable
  reason STRING,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY player_lookup, report_time
OPTIONS (description = 'NBA.com injury report snapshots (phase 2 raw, append-only)');

-- balldontlie box scores: one row per player who played in a final game (fallback for the gamebook).
CREATE TABLE IF NOT EXISTS nba_raw.bdl_player_boxscores (
  game_id STRING NOT NULL,  -- canonical YYYYMMDD_AWAY_HOME
  bdl_game_id INT64,
  game_date DATE NOT NULL,
  season_year INT64 NOT NULL,
  player_lookup STRING NOT NULL,
  player_name STRING NOT NULL,
  universal_player_id STRING NOT NULL,
  bdl_player_id INT64,
  team_abbr STRING NOT NULL,
  opponent_team_abbr STRING NOT NULL,
  home_game BOOL NOT NULL,
  player_status STRING NOT NULL,  -- active: balldontlie lists only players who played
  minutes FLOAT64,  -- whole minutes
  points INT64 NOT NULL,
  fg_makes INT64 NOT NULL,
  fg_attempts INT64 NOT NULL,
  three_pt_makes INT64 NOT NULL,
  three_pt_attempts INT64 NOT NULL,
  ft_makes INT64 NOT NULL,
  ft_attempts INT64 NOT NULL,
  offensive_rebounds INT64,
  defensive_rebounds INT64,
  total_rebounds INT64,
  assists INT64,
  steals INT64,
  blocks INT64,
  turnovers INT64,
  personal_fouls INT64,
  source_file_path STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY game_date
CLUSTER BY game_id, player_lookup, team_abbr
OPTIONS (description = 'balldontlie player box scores (phase 2 raw)');

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
