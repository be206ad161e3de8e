-- Phase 4: per player, last 10 and 20 games before the analysis date: share and efficiency per zone.
CREATE TABLE IF NOT EXISTS nba_precompute.player_shot_zone_analysis (
  player_lookup STRING NOT NULL,
  analysis_date DATE NOT NULL,
  games_last_10 INT64,
  games_last_20 INT64,
  pct_paint FLOAT64,  -- share of points by zone, last 10 games
  pct_mid_range FLOAT64,
  pct_three FLOAT64,
  pct_free_throw FLOAT64,
  paint_fg_pct_last_10 FLOAT64,
  mid_range_fg_pct_last_10 FLOAT64,
  three_pt_fg_pct_last_10 FLOAT64,
  paint_rate_last_20 FLOAT64,  -- share of field-goal attempts by zone, last 20 games
  mid_range_rate_last_20 FLOAT64,
  three_pt_rate_last_20 FLOAT64,
  primary_scoring_zone STRING,  -- paint / mid_range / three / free_throw
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY analysis_date
CLUSTER BY player_lookup
OPTIONS (description = 'Player shot zones, last 10 and 20 games');
