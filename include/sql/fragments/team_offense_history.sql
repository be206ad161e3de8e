-- The history window of every team: its games strictly before @game_date in
-- team_offense_game_summary, within the past 365 days and across seasons, newest first (rn = 1 is
-- the latest).
-- Columns: team_abbr, game_id, game_date, pace, offensive_rating, win_flag, rn. Parameters: @game_date.
SELECT
  team_abbr, game_id, game_date, pace, offensive_rating, win_flag,
  ROW_NUMBER() OVER (PARTITION BY team_abbr ORDER BY game_date DESC, game_id DESC) AS rn
FROM nba_analytics.team_offense_game_summary
WHERE game_date < @game_date
  AND game_date >= DATE_SUB(@game_date, INTERVAL 365 DAY)
