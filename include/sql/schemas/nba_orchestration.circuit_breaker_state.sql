-- Circuit breaker state: one row per key (a processor, or a phase 5 prediction system), kept current.
-- `version` and `half_open_calls` (migration 0006) make transitions a compare-and-set.
CREATE TABLE IF NOT EXISTS nba_orchestration.circuit_breaker_state (
  processor_name STRING NOT NULL,
  state STRING NOT NULL,  -- CLOSED / OPEN / HALF_OPEN
  failure_count INT64,  -- consecutive failures
  success_count INT64,
  last_failure TIMESTAMP,
  last_success TIMESTAMP,
  opened_at TIMESTAMP,
  half_opened_at TIMESTAMP,
  updated_at TIMESTAMP NOT NULL,
  last_error_message STRING,
  last_error_type STRING,
  failure_history ARRAY<STRUCT<failed_at TIMESTAMP, error_message STRING, error_type STRING>>,  -- last 10
  threshold INT64,
  timeout_seconds INT64,
  half_open_max_calls INT64,
  version INT64,  -- migration 0006: bumped by every write
  half_open_calls INT64  -- migration 0006: trials admitted since the breaker went HALF_OPEN
)
CLUSTER BY processor_name, state
OPTIONS (labels = [('pattern', 'circuit_breaker'), ('phase', 'all')]);
