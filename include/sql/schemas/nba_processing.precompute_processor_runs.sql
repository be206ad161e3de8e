-- Phase 4 (precompute processors) run log, with the dependency figures of the completeness sensor.
CREATE TABLE IF NOT EXISTS nba_processing.precompute_processor_runs (
  processor_name STRING NOT NULL,
  run_id STRING NOT NULL,
  run_date TIMESTAMP NOT NULL,
  success BOOL,
  duration_seconds FLOAT64,
  analysis_date DATE,
  records_processed INT64,
  records_inserted INT64,
  records_updated INT64,
  records_skipped INT64,
  dependency_check_passed BOOL,
  data_completeness_pct FLOAT64,  -- 0-100
  upstream_data_age_hours FLOAT64,
  errors_json STRING,
  warning_count INT64,
  bytes_processed INT64,
  slot_ms INT64,
  bytes_billed INT64,  -- migration 0016
  processor_version STRING,
  config_hash STRING,
  skip_reason STRING,
  dag_id STRING,  -- migration 0017: the Airflow task instance that wrote the row
  dag_run_id STRING,  -- migration 0017
  task_id STRING,  -- migration 0017
  map_index INT64,  -- migration 0017
  try_number INT64,  -- migration 0017
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
)
PARTITION BY DATE(run_date)
CLUSTER BY processor_name, success, run_date
OPTIONS (description = 'Phase 4 precompute processor runs', partition_expiration_days = 365);
