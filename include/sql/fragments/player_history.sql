-- The history window of each player of the CTE `players` (player_lookup): his games strictly before
-- @target_date in player_game_summary, within the past 365 days and across seasons, newest first
-- (rn = 1 is the latest). A row with minutes_played = 0 is not a game played. season_year, when the
-- row has none, comes from the game date as in fragments/season.sql. For means over exact integer
-- sums (see team_offense_history.sql): seconds_played (box-score minutes are whole seconds) and
-- usage_rate_e4 (usage_rate in ten-thousandths, as stored).
-- Parameters: @target_date. Reads: players.
SELECT
  g.player_lookup, g.game_id, g.game_date, g.points, g.minutes_played,
  CAST(ROUND(g.minutes_played * 60) AS INT64) AS seconds_played, g.usage_rate,
  CAST(ROUND(g.usage_rate * 10000) AS INT64) AS usage_rate_e4, g.fg_attempts,
  g.three_pt_attempts, g.three_pt_makes, g.ft_makes, g.paint_attempts, g.paint_makes, g.mid_range_attempts,
  g.mid_range_makes,
  COALESCE(g.season_year,
           IF(EXTRACT(MONTH FROM g.game_date) >= 8, EXTRACT(YEAR FROM g.game_date),
              EXTRACT(YEAR FROM g.game_date) - 1)) AS season_year,
  ROW_NUMBER() OVER (PARTITION BY g.player_lookup ORDER BY g.game_date DESC, g.game_id DESC) AS rn
FROM nba_analytics.player_game_summary AS g
JOIN players AS p ON p.player_lookup = g.player_lookup
WHERE g.game_date < @target_date
  AND g.game_date >= DATE_SUB(@target_date, INTERVAL 365 DAY)
  AND (g.minutes_played IS NULL OR g.minutes_played > 0)
