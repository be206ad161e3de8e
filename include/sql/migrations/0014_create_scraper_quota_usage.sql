-- API quota used per scraper attempt: what each billed fetch cost (The Odds API's x-requests-last,
-- summed over its requests) and what was left, read back for the daily budget (NBA_ODDS_DAILY_QUOTA).
CREATE TABLE IF NOT EXISTS nba_processing.scraper_quota_usage (
  run_id STRING NOT NULL,  -- the scraper attempt's run id
  source STRING NOT NULL,
  conn_id STRING NOT NULL,  -- the API account billed (its Airflow connection)
  target_date DATE NOT NULL,  -- the date scraped
  usage_date DATE NOT NULL,  -- the America/New_York day of the fetch: the daily budget's day
  fetched_at TIMESTAMP NOT NULL,
  status STRING NOT NULL,  -- success / stopped (budget reached or a request failed mid-fetch)
  requests INT64,  -- billed requests answered
  quota_used INT64 NOT NULL,  -- sum of the answers' x-requests-last
  quota_remaining INT64,  -- the last answer's x-requests-remaining
  error_message STRING,
  recorded_at TIMESTAMP NOT NULL
)
PARTITION BY usage_date
CLUSTER BY conn_id, source
OPTIONS (description = 'API quota used by each scraper attempt that was billed (phase 1)');
