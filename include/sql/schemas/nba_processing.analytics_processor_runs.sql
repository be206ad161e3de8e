-- Phase 3 (analytics processors) run log: one row per attempt or skip.
CREATE TABLE IF NOT EXISTS nba_processing.analytics_processor_runs (
  processor_name STRING NOT NULL,
  run_id STRING NOT NULL,
  run_date TIMESTAMP NOT NULL,
  success BOOL,  -- NULLABLE: a skipped run has no success value
  duration_seconds FLOAT64,
  date_range_start DATE,
  date_range_end DATE,
  records_processed INT64,
  records_inserted INT64,
  records_updated INT64,
  records_skipped INT64,
  errors_json STRING,
  warning_count INT64,
  bytes_processed INT64,
  slot_ms INT64,
  bytes_billed INT64,  -- migration 0016
  source_files_count INT64,
  source_data_freshness_hours FLOAT64,
  processor_version STRING,
  config_hash STRING,
  skip_reason STRING,  -- migration 0002
  dag_id STRING,  -- migration 0017: the Airflow task instance that wrote the row
  dag_run_id STRING,  -- migration 0017
  task_id STRING,  -- migration 0017
  map_index INT64,  -- migration 0017
  try_number INT64,  -- migration 0017
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
)
PARTITION BY DATE(run_date)
CLUSTER BY processor_name, success, run_date
OPTIONS (description = 'Phase 3 analytics processor runs');
