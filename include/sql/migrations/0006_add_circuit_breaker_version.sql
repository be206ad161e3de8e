-- Compare-and-set for breaker transitions: every write bumps `version` and is conditional on the
-- version it read, so two runs racing on one key lose no failure and admit no extra trial.
ALTER TABLE nba_orchestration.circuit_breaker_state ADD COLUMN IF NOT EXISTS version INT64;
ALTER TABLE nba_orchestration.circuit_breaker_state ADD COLUMN IF NOT EXISTS half_open_calls INT64;
