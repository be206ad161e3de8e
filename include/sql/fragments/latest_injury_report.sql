-- The latest injury report as of @game_date: of the rows for games in [D-7, D], those of the newest
-- report_time. Columns: every nbac_injury_report column. Parameters: @game_date.
SELECT r.*
FROM nba_raw.nbac_injury_report AS r
JOIN (
  SELECT MAX(report_time) AS report_time
  FROM nba_raw.nbac_injury_report
  WHERE game_date BETWEEN DATE_SUB(@game_date, INTERVAL 7 DAY) AND @game_date
) AS l ON l.report_time = r.report_time
WHERE r.game_date BETWEEN DATE_SUB(@game_date, INTERVAL 7 DAY) AND @game_date
