-- The games of @target_date that are final in the schedule (game_status 3, not postponed): the games the
-- phase 3 game summaries cover, and the expected side of their completeness.
-- Parameters: @target_date.
SELECT game_id, season_year, home_team_abbr, away_team_abbr, home_score, away_score, start_time_utc
FROM nba_raw.nbac_schedule
WHERE game_date = @target_date
  AND game_status = 3
  AND NOT COALESCE(is_postponed, FALSE)
