-- Ledger of applied migrations: what ran, the checksum of the file that ran, when and how long.
CREATE TABLE IF NOT EXISTS nba_orchestration.schema_migrations (
  id STRING NOT NULL,
  checksum STRING NOT NULL,
  applied_at TIMESTAMP NOT NULL,
  duration_seconds FLOAT64
)
OPTIONS (description = 'Applied schema migrations');
