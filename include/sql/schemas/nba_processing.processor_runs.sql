-- Phase 2 (raw processors) run log: one row per attempt or skip.
CREATE TABLE IF NOT EXISTS nba_processing.processor_runs (
  run_id STRING NOT NULL,
  processor_name STRING NOT NULL,
  started_at TIMESTAMP NOT NULL,
  completed_at TIMESTAMP,
  status STRING NOT NULL,  -- success / failed / skipped
  error_message STRING,
  rows_processed INT64,
  rows_inserted INT64,
  rows_updated INT64,
  rows_failed INT64,
  load_time_seconds FLOAT64,
  transform_time_seconds FLOAT64,
  save_time_seconds FLOAT64,
  total_runtime_seconds FLOAT64,
  opts JSON,
  file_path STRING,
  skip_reason STRING,  -- migration 0001
  bytes_processed INT64,  -- migration 0016: summed over the attempt's BigQuery jobs
  bytes_billed INT64,  -- migration 0016
  slot_ms INT64,  -- migration 0016
  dag_id STRING,  -- migration 0017: the Airflow task instance that wrote the row
  dag_run_id STRING,  -- migration 0017
  task_id STRING,  -- migration 0017
  map_index INT64,  -- migration 0017
  try_number INT64,  -- migration 0017
  processed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
)
PARTITION BY DATE(started_at)
CLUSTER BY processor_name, status
OPTIONS (description = 'Phase 2 raw processor runs');
