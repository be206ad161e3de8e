-- Baseline: the run tables as they stood before the seed's migrations (see schemas/baseline/).
-- Creates them only where missing, so a warehouse that already has them is left as it is.

CREATE TABLE IF NOT EXISTS nba_processing.processor_runs (
  run_id STRING NOT NULL,
  processor_name STRING NOT NULL,
  started_at TIMESTAMP NOT NULL,
  completed_at TIMESTAMP,
  status STRING NOT NULL,
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
  processed_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
)
PARTITION BY DATE(started_at)
CLUSTER BY processor_name, status
OPTIONS (description = 'Phase 2 raw processor runs');

CREATE TABLE IF NOT EXISTS nba_processing.analytics_processor_runs (
  processor_name STRING NOT NULL,
  run_id STRING NOT NULL,
  run_date TIMESTAMP NOT NULL,
  success BOOL,
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
  source_files_count INT64,
  source_data_freshness_hours FLOAT64,
  processor_version STRING,
  config_hash STRING,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()
)
PARTITION BY DATE(run_date)
CLUSTER BY processor_name, success, run_date
OPTIONS (description = 'Phase 3 analytics processor runs');
