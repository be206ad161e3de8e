-- What the warehouse billed for a processor attempt: the sum over its BigQuery jobs of bytes
-- processed, bytes billed and slot milliseconds (NULL on the embedded warehouse, which bills nothing).
-- The analytics and precompute run tables already have bytes_processed and slot_ms.
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS bytes_processed INT64;
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS bytes_billed INT64;
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS slot_ms INT64;
ALTER TABLE nba_processing.analytics_processor_runs ADD COLUMN IF NOT EXISTS bytes_billed INT64;
ALTER TABLE nba_processing.precompute_processor_runs ADD COLUMN IF NOT EXISTS bytes_billed INT64;
