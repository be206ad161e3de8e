-- Each team's number of scheduled games (not postponed) in the 365 days before @target_date: the
-- expected side of the phase 4 completeness figures, min(10 or 15, scheduled_games).
-- Columns: team_abbr, scheduled_games. Parameters: @target_date.
SELECT team_abbr, COUNT(DISTINCT game_id) AS scheduled_games
FROM (
  -- @include fragments/team_schedule.sql
)
GROUP BY team_abbr
