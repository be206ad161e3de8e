-- Each team's scheduled games (not postponed) in the 365 days before @target_date: one row per team and
-- game, its home and its away side (game_id, game_date, team_abbr). The widest window any transform
-- counts scheduled games over; a narrower one filters on game_date.
-- Parameters: @target_date.
SELECT game_id, game_date, home_team_abbr AS team_abbr
FROM nba_raw.nbac_schedule
WHERE game_date < @target_date
  AND game_date >= DATE_SUB(@target_date, INTERVAL 365 DAY)
  AND NOT COALESCE(is_postponed, FALSE)
UNION ALL
SELECT game_id, game_date, away_team_abbr AS team_abbr
FROM nba_raw.nbac_schedule
WHERE game_date < @target_date
  AND game_date >= DATE_SUB(@target_date, INTERVAL 365 DAY)
  AND NOT COALESCE(is_postponed, FALSE)
