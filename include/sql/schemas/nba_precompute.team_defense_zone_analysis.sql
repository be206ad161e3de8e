-- Phase 4: per team, its last 15 games before the analysis date: shooting allowed per zone vs the league.
CREATE TABLE IF NOT EXISTS nba_precompute.team_defense_zone_analysis (
  team_abbr STRING NOT NULL,
  analysis_date DATE NOT NULL,
  games_in_window INT64,
  paint_pct_allowed FLOAT64,
  mid_range_pct_allowed FLOAT64,
  three_pt_pct_allowed FLOAT64,
  paint_pct_vs_league FLOAT64,  -- allowed minus league average, percentage points
  mid_range_pct_vs_league FLOAT64,
  three_pt_pct_vs_league FLOAT64,
  defensive_rating FLOAT64,
  opponent_pace FLOAT64,
  strongest_zone STRING,  -- the zone where it allows least relative to the league
  weakest_zone STRING,
  expected_games_count INT64,
  actual_games_count INT64,
  completeness_percentage FLOAT64,
  missing_games_count INT64,
  is_production_ready BOOL,
  processing_decision_reason STRING,
  loaded_at TIMESTAMP NOT NULL
)
PARTITION BY analysis_date
CLUSTER BY team_abbr
OPTIONS (description = 'Team defense by shot zone, last 15 games');
