-- The latest injury report as of @target_date: of the rows for games in [D-7, D], those of the newest
-- report_time. Columns: every nbac_injury_report column. Parameters: @target_date.
SELECT r.*
FROM nba_raw.nbac_injury_report AS r
JOIN (
  SELECT MAX(report_time) AS report_time
  FROM nba_raw.nbac_injury_report
  WHERE game_date BETWEEN DATE_SUB(@target_date, INTERVAL 7 DAY) AND @target_date
) AS l ON l.report_time = r.report_time
WHERE r.game_date BETWEEN DATE_SUB(@target_date, INTERVAL 7 DAY) AND @target_date
