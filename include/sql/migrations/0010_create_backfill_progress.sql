-- Backfill progress per date (resumable backfills).
CREATE TABLE IF NOT EXISTS nba_orchestration.backfill_progress (
  game_date DATE NOT NULL,
  status STRING NOT NULL,  -- complete / failed
  dag_run_id STRING,
  processors_run INT64,
  processors_skipped INT64,
  processors_failed INT64,
  outcome JSON,  -- processor -> success / skipped:<reason> / failed
  completed_at TIMESTAMP NOT NULL
)
CLUSTER BY game_date
OPTIONS (description = 'Backfill progress per date');
