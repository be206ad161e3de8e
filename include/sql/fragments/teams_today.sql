-- The teams playing on @target_date (schedule, not postponed), one row per team and game, seen from the
-- team: game_id, team_abbr, opponent_team_abbr, home_game.
-- Parameters: @target_date.
SELECT game_id, home_team_abbr AS team_abbr, away_team_abbr AS opponent_team_abbr, TRUE AS home_game
FROM nba_raw.nbac_schedule
WHERE game_date = @target_date
  AND NOT COALESCE(is_postponed, FALSE)
UNION ALL
SELECT game_id, away_team_abbr AS team_abbr, home_team_abbr AS opponent_team_abbr, FALSE AS home_game
FROM nba_raw.nbac_schedule
WHERE game_date = @target_date
  AND NOT COALESCE(is_postponed, FALSE)
