-- The history window of every team: its games strictly before @target_date in
-- team_offense_game_summary, within the past 365 days and across seasons, newest first (rn = 1 is
-- the latest). pace_e4 and offensive_rating_e4 are the figures in exact ten-thousandths (they are
-- stored rounded to 4 decimals): a mean is taken as SUM(x_e4) / (10000 * COUNT(x_e4)), an exact
-- integer sum, because a FLOAT64 sum depends on the order the rows are added in, which varies
-- between runs (threads), and a ROUND at a half-way value then goes either way.
-- Columns: team_abbr, game_id, game_date, pace, pace_e4, offensive_rating, offensive_rating_e4,
-- win_flag, rn. Parameters: @target_date.
SELECT
  team_abbr, game_id, game_date, pace, CAST(ROUND(pace * 10000) AS INT64) AS pace_e4, offensive_rating,
  CAST(ROUND(offensive_rating * 10000) AS INT64) AS offensive_rating_e4, win_flag,
  ROW_NUMBER() OVER (PARTITION BY team_abbr ORDER BY game_date DESC, game_id DESC) AS rn
FROM nba_analytics.team_offense_game_summary
WHERE game_date < @target_date
  AND game_date >= DATE_SUB(@target_date, INTERVAL 365 DAY)
