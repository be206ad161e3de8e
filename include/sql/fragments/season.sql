-- The season of @target_date, one row (season_year): the season_year of the date's games in the
-- schedule; when the schedule has none, from the date: a date from August on belongs to the season
-- starting that year, else to the one starting the year before.
-- Parameters: @target_date.
SELECT COALESCE(
  MAX(season_year),
  IF(EXTRACT(MONTH FROM @target_date) >= 8, EXTRACT(YEAR FROM @target_date), EXTRACT(YEAR FROM @target_date) - 1)
) AS season_year
FROM nba_raw.nbac_schedule
WHERE game_date = @target_date
