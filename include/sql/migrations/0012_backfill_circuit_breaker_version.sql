-- Rows written before migration 0006 have no `version` (NULL). The compare-and-set treats version 0
-- as "no row yet", so such a row could never be updated: its breaker stopped counting failures.
-- Give every such row version 1 (and no trial in progress) so it takes part in compare-and-set.
UPDATE nba_orchestration.circuit_breaker_state
SET version = 1, half_open_calls = COALESCE(half_open_calls, 0)
WHERE version IS NULL;
