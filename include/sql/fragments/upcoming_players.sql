-- The players of upcoming_player_game_context (UPGC) for @target_date, one row each: his UPGC row of
-- the first game by game_id. The population of the phase 4 player tables.
-- Columns: every UPGC column, and pick (always 1). Parameters: @target_date.
SELECT *
FROM (
  SELECT u.*, ROW_NUMBER() OVER (PARTITION BY u.player_lookup ORDER BY u.game_id) AS pick
  FROM nba_analytics.upcoming_player_game_context AS u
  WHERE u.game_date = @target_date
)
WHERE pick = 1
