-- Seed migration 2 (phase 3): record why an analytics processor run was skipped.
ALTER TABLE nba_processing.analytics_processor_runs ADD COLUMN IF NOT EXISTS skip_reason STRING;
