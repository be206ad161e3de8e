-- The spread and total of each game of @target_date from odds_api_game_lines: per figure, draftkings'
-- line, else that of the first book by key that has the figure.
-- Columns: game_id, home_spread, game_total. Parameters: @target_date.
SELECT game_id,
       MAX(IF(spread_pick = 1, home_spread, NULL)) AS home_spread,
       MAX(IF(total_pick = 1, total_points, NULL)) AS game_total
FROM (
  SELECT game_id, home_spread, total_points,
         ROW_NUMBER() OVER (PARTITION BY game_id
                            ORDER BY IF(home_spread IS NULL, 1, 0), IF(bookmaker = 'draftkings', 0, 1), bookmaker)
           AS spread_pick,
         ROW_NUMBER() OVER (PARTITION BY game_id
                            ORDER BY IF(total_points IS NULL, 1, 0), IF(bookmaker = 'draftkings', 0, 1), bookmaker)
           AS total_pick
  FROM nba_raw.odds_api_game_lines
  WHERE game_date = @target_date
)
GROUP BY game_id
