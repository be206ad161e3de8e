-- Phase 4: adjustment factors for each player playing on the analysis date.
CREATE TABLE IF NOT EXISTS nba_precompute.player_composite_factors (
  player_lookup STRING NOT NULL,
  game_id STRING,
  analysis_date DATE NOT NULL,
  team_abbr STRING,
  opponent_team_abbr STRING,
  fatigue_score FLOAT64,  -- 0-100, 50 neutral
  shot_zone_mismatch_score FLOAT64,  -- -10..+10
  pace_score FLOAT64,  -- -3..+3, (expected pace - league pace) / 3
  usage_spike_score FLOAT64,  -- -3..+3
  total_composite_adjustment FLOAT64,  -- (fatigue - 50) / 5 + the other three
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
OPTIONS (description = 'Player composite factors');
