-- The defensive history window of every team: its games strictly before @target_date in
-- team_defense_game_summary, within the past 365 days and across seasons, newest first (rn = 1 is
-- the latest). defensive_rating_e4 and opponent_pace_e4 are the figures in exact ten-thousandths
-- (stored rounded to 4 decimals), for means over exact integer sums (see team_offense_history.sql).
-- Columns: every team_defense_game_summary column, defensive_rating_e4, opponent_pace_e4, and rn.
-- Parameters: @target_date.
SELECT
  d.*,
  CAST(ROUND(d.defensive_rating * 10000) AS INT64) AS defensive_rating_e4,
  CAST(ROUND(d.opponent_pace * 10000) AS INT64) AS opponent_pace_e4,
  ROW_NUMBER() OVER (PARTITION BY d.defending_team_abbr ORDER BY d.game_date DESC, d.game_id DESC) AS rn
FROM nba_analytics.team_defense_game_summary AS d
WHERE d.game_date < @target_date
  AND d.game_date >= DATE_SUB(@target_date, INTERVAL 365 DAY)
