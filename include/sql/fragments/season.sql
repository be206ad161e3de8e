-- The season of @game_date, one row (season_year): the season_year of the date's games in the
-- schedule; when the schedule has none, from the date: a date from August on belongs to the season
-- starting that year, else to the one starting the year before.
-- Parameters: @game_date.
SELECT COALESCE(
  MAX(season_year),
  IF(EXTRACT(MONTH FROM @game_date) >= 8, EXTRACT(YEAR FROM @game_date), EXTRACT(YEAR FROM @game_date) - 1)
) AS season_year
FROM nba_raw.nbac_schedule
WHERE game_date = @game_date
