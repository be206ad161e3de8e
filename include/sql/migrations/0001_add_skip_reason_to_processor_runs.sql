-- Seed migration 1 (phase 2): record why a raw processor run was skipped.
ALTER TABLE nba_processing.processor_runs ADD COLUMN IF NOT EXISTS skip_reason STRING;
