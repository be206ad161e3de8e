-- The Airflow task instance that wrote each run row (NULL for rows written outside Airflow), so
-- the operations pages link a row to its DAG run and task log. try_number is NULL where the
-- writer cannot know it: a skip recorded by the phase's record_runs task names the guard that skipped.
-- Phase 5's per-player rows name the mapped predict task of their batch.
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS dag_id STRING;
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS dag_run_id STRING;
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS task_id STRING;
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS map_index INT64;
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS try_number INT64;
ALTER TABLE nba_processing.analytics_processor_runs ADD COLUMN IF NOT EXISTS dag_id STRING;
ALTER TABLE nba_processing.analytics_processor_runs ADD COLUMN IF NOT EXISTS dag_run_id STRING;
ALTER TABLE nba_processing.analytics_processor_runs ADD COLUMN IF NOT EXISTS task_id STRING;
ALTER TABLE nba_processing.analytics_processor_runs ADD COLUMN IF NOT EXISTS map_index INT64;
ALTER TABLE nba_processing.analytics_processor_runs ADD COLUMN IF NOT EXISTS try_number INT64;
ALTER TABLE nba_processing.precompute_processor_runs ADD COLUMN IF NOT EXISTS dag_id STRING;
ALTER TABLE nba_processing.precompute_processor_runs ADD COLUMN IF NOT EXISTS dag_run_id STRING;
ALTER TABLE nba_processing.precompute_processor_runs ADD COLUMN IF NOT EXISTS task_id STRING;
ALTER TABLE nba_processing.precompute_processor_runs ADD COLUMN IF NOT EXISTS map_index INT64;
ALTER TABLE nba_processing.precompute_processor_runs ADD COLUMN IF NOT EXISTS try_number INT64;
ALTER TABLE nba_predictions.prediction_worker_runs ADD COLUMN IF NOT EXISTS dag_id STRING;
ALTER TABLE nba_predictions.prediction_worker_runs ADD COLUMN IF NOT EXISTS dag_run_id STRING;
ALTER TABLE nba_predictions.prediction_worker_runs ADD COLUMN IF NOT EXISTS task_id STRING;
ALTER TABLE nba_predictions.prediction_worker_runs ADD COLUMN IF NOT EXISTS map_index INT64;
ALTER TABLE nba_predictions.prediction_worker_runs ADD COLUMN IF NOT EXISTS try_number INT64;
