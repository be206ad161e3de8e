-- The defensive history window of every team: its games strictly before @game_date in
-- team_defense_game_summary, within the past 365 days and across seasons, newest first (rn = 1 is
-- the latest).
-- Columns: every team_defense_game_summary column, and rn. Parameters: @game_date.
SELECT
  d.*,
  ROW_NUMBER() OVER (PARTITION BY d.defending_team_abbr ORDER BY d.game_date DESC, d.game_id DESC) AS rn
FROM nba_analytics.team_defense_game_summary AS d
WHERE d.game_date < @game_date
  AND d.game_date >= DATE_SUB(@game_date, INTERVAL 365 DAY)
