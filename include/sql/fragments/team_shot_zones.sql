-- Shot zones per team and game of @target_date: nbac_play_by_play summed over the team's players (paint
-- and mid-range makes and attempts). A team without rows has none (NULL after a LEFT JOIN): the
-- box scores carry no zone split, so there is no other source.
-- Columns: game_id, team_abbr, paint_attempts, paint_makes, mid_range_attempts, mid_range_makes.
-- Parameters: @target_date.
SELECT game_id, team_abbr,
       SUM(paint_attempts) AS paint_attempts, SUM(paint_makes) AS paint_makes,
       SUM(mid_range_attempts) AS mid_range_attempts, SUM(mid_range_makes) AS mid_range_makes
FROM nba_raw.nbac_play_by_play
WHERE game_date = @target_date
GROUP BY game_id, team_abbr
