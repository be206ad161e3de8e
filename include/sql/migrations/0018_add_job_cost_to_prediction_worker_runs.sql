-- What the warehouse billed for a player's phase 5 work. A batch's BigQuery jobs (its breaker
-- read, features, history and predictions MERGE) serve all its players at once, so their summed
-- bytes processed, bytes billed and slot milliseconds are split evenly over the batch's player
-- rows, the remainder to the first rows: a batch's rows add up to its jobs' figures. NULL on the
-- embedded warehouse, which bills nothing.
ALTER TABLE nba_predictions.prediction_worker_runs ADD COLUMN IF NOT EXISTS bytes_processed INT64;
ALTER TABLE nba_predictions.prediction_worker_runs ADD COLUMN IF NOT EXISTS bytes_billed INT64;
ALTER TABLE nba_predictions.prediction_worker_runs ADD COLUMN IF NOT EXISTS slot_ms INT64;
