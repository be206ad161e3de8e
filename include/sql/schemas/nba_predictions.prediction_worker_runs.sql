-- Phase 5 worker log: one row per player per prediction request.
CREATE TABLE IF NOT EXISTS nba_predictions.prediction_worker_runs (
  request_id STRING NOT NULL,
  worker_id STRING,
  run_date TIMESTAMP NOT NULL,
  player_lookup STRING NOT NULL,
  universal_player_id STRING,
  game_date DATE NOT NULL,
  game_id STRING,
  line_values_requested ARRAY<FLOAT64>,
  success BOOL NOT NULL,  -- at least one system succeeded
  duration_seconds FLOAT64,
  predictions_generated INT64,
  systems_attempted ARRAY<STRING>,
  systems_succeeded ARRAY<STRING>,
  systems_failed ARRAY<STRING>,
  system_errors JSON,
  feature_quality_score FLOAT64,  -- 0-100
  missing_features ARRAY<STRING>,
  feature_load_time_seconds FLOAT64,
  historical_games_count INT64,
  historical_load_time_seconds FLOAT64,
  error_message STRING,
  error_system STRING,
  error_type STRING,
  data_load_seconds FLOAT64,
  prediction_compute_seconds FLOAT64,
  write_bigquery_seconds FLOAT64,
  circuit_breaker_triggered BOOL DEFAULT FALSE,
  circuits_opened ARRAY<STRING>,
  skip_reason STRING,
  worker_version STRING,
  dag_id STRING,  -- migration 0017: the Airflow task instance (the batch's mapped predict task)
  dag_run_id STRING,  -- migration 0017
  task_id STRING,  -- migration 0017
  map_index INT64,  -- migration 0017
  try_number INT64,  -- migration 0017
  bytes_processed INT64,  -- migration 0018: the batch's BigQuery jobs, split evenly over its players
  bytes_billed INT64,  -- migration 0018
  slot_ms INT64,  -- migration 0018
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
)
PARTITION BY DATE(run_date)
CLUSTER BY player_lookup, success, game_date
OPTIONS (description = 'Phase 5 prediction worker runs');
