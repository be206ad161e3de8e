-- Seed migration 4 (all phases): circuit breaker state, one row per processor or prediction system.
CREATE TABLE IF NOT EXISTS nba_orchestration.circuit_breaker_state (
  processor_name STRING NOT NULL,
  state STRING NOT NULL,
  failure_count INT64,
  success_count INT64,
  last_failure TIMESTAMP,
  last_success TIMESTAMP,
  opened_at TIMESTAMP,
  half_opened_at TIMESTAMP,
  updated_at TIMESTAMP NOT NULL,
  last_error_message STRING,
  last_error_type STRING,
  failure_history ARRAY<STRUCT<failed_at TIMESTAMP, error_message STRING, error_type STRING>>,
  threshold INT64,
  timeout_seconds INT64,
  half_open_max_calls INT64
)
CLUSTER BY processor_name, state
OPTIONS (labels = [('pattern', 'circuit_breaker'), ('phase', 'all')]);
