-- Phase 4: player_daily_cache (PDC) for the analysis date @target_date.
-- One row per player in upcoming_player_game_context (UPGC) for the date, key (player_lookup, analysis_date);
-- a player without history gets a row with NULL figures.
--
-- Player history: the player's games strictly before the date in player_game_summary (within the past
-- 365 days; rows with minutes_played = 0 are not games played), newest first.
--   points_avg_last_5 / _10  = mean points of the last 5 / 10 games
--   points_std_last_10       = sample standard deviation of the points of the last 10 games (NULL < 2 games)
--   minutes_avg_last_10      = mean minutes_played, last 10 games
--   usage_rate_last_10       = mean usage_rate, last 10 games
--   points_avg_season, games_played_season: the games of the date's season (season_year of the
--     date's games in the schedule; from the date when the schedule lacks it: a date from August on
--     belongs to the season starting that year, else to the one starting the year before; the same
--     rule for a history row without season_year)
-- Team history (the player's team in UPGC): the team's last 10 games in team_offense_game_summary:
--   team_pace_last_10 = mean pace, team_off_rating_last_10 = mean offensive_rating.
-- Completeness: expected = min(10, the team's non-postponed scheduled games in the past 365 days
-- before the date); actual = the player's games in his 10-game window; ready at >= 90 %.
-- Figures are rounded to 4 decimals; the update fires only when a column differs. Rows of the date
-- for players no longer in UPGC are deleted.
MERGE nba_precompute.player_daily_cache T
USING (
  WITH
  players AS (
    -- @include fragments/upcoming_players.sql
  ),
  season AS (
    -- @include fragments/season.sql
  ),
  scheduled AS (
    -- @include fragments/scheduled_games.sql
  ),
  player_games AS (
    -- @include fragments/player_history.sql
  ),
  player_figures AS (
    SELECT
      g.player_lookup,
      COUNTIF(g.rn <= 10) AS games_last_10,
      AVG(IF(g.rn <= 5, g.points, NULL)) AS points_avg_last_5,
      AVG(IF(g.rn <= 10, g.points, NULL)) AS points_avg_last_10,
      STDDEV_SAMP(IF(g.rn <= 10, g.points, NULL)) AS points_std_last_10,
      -- means of FLOAT64 figures over exact integer sums (seconds, ten-thousandths: see the fragment)
      SAFE_DIVIDE(SUM(IF(g.rn <= 10, g.seconds_played, NULL)),
                  60 * COUNT(IF(g.rn <= 10, g.seconds_played, NULL))) AS minutes_avg_last_10,
      SAFE_DIVIDE(SUM(IF(g.rn <= 10, g.usage_rate_e4, NULL)),
                  10000 * COUNT(IF(g.rn <= 10, g.usage_rate_e4, NULL))) AS usage_rate_last_10,
      AVG(IF(g.season_year = s.season_year, g.points, NULL)) AS points_avg_season,
      COUNTIF(g.season_year = s.season_year) AS games_played_season
    FROM player_games AS g
    CROSS JOIN season AS s
    GROUP BY g.player_lookup
  ),
  team_games AS (
    -- @include fragments/team_offense_history.sql
  ),
  team_figures AS (
    -- means over exact integer sums (ten-thousandths: see the fragment)
    SELECT team_abbr,
           SAFE_DIVIDE(SUM(pace_e4), 10000 * COUNT(pace_e4)) AS team_pace_last_10,
           SAFE_DIVIDE(SUM(offensive_rating_e4), 10000 * COUNT(offensive_rating_e4)) AS team_off_rating_last_10
    FROM team_games
    WHERE rn <= 10
    GROUP BY team_abbr
  ),
  figures AS (
    SELECT
      p.player_lookup,
      p.team_abbr,
      ROUND(f.points_avg_last_5, 4) AS points_avg_last_5,
      ROUND(f.points_avg_last_10, 4) AS points_avg_last_10,
      ROUND(f.points_avg_season, 4) AS points_avg_season,
      ROUND(f.points_std_last_10, 4) AS points_std_last_10,
      ROUND(f.minutes_avg_last_10, 4) AS minutes_avg_last_10,
      ROUND(f.usage_rate_last_10, 4) AS usage_rate_last_10,
      COALESCE(f.games_played_season, 0) AS games_played_season,
      ROUND(t.team_pace_last_10, 4) AS team_pace_last_10,
      ROUND(t.team_off_rating_last_10, 4) AS team_off_rating_last_10,
      LEAST(10, COALESCE(c.scheduled_games, 0)) AS expected_games_count,
      COALESCE(f.games_last_10, 0) AS actual_games_count
    FROM players AS p
    LEFT JOIN player_figures AS f ON f.player_lookup = p.player_lookup
    LEFT JOIN team_figures AS t ON t.team_abbr = p.team_abbr
    LEFT JOIN scheduled AS c ON c.team_abbr = p.team_abbr
  ),
  completeness AS (
    SELECT
      x.*,
      CASE
        WHEN actual_games_count = 0 THEN 0.0
        WHEN expected_games_count = 0 THEN 100.0
        ELSE ROUND(100 * LEAST(actual_games_count, expected_games_count) / expected_games_count, 2)
      END AS completeness_percentage
    FROM figures AS x
  ),
  fresh AS (
    SELECT
      player_lookup,
      CAST(@target_date AS DATE) AS analysis_date,
      team_abbr,
      points_avg_last_5,
      points_avg_last_10,
      points_avg_season,
      points_std_last_10,
      minutes_avg_last_10,
      usage_rate_last_10,
      games_played_season,
      team_pace_last_10,
      team_off_rating_last_10,
      expected_games_count,
      actual_games_count,
      completeness_percentage,
      GREATEST(0, expected_games_count - actual_games_count) AS missing_games_count,
      completeness_percentage >= 90 AS is_production_ready,
      CASE
        WHEN actual_games_count = 0 THEN 'no_history: no games before the date'
        ELSE CONCAT(
          IF(completeness_percentage >= 90, 'complete: ', 'incomplete_history: '),
          CAST(actual_games_count AS STRING), ' of ', CAST(expected_games_count AS STRING),
          ' expected games in the 10-game window')
      END AS processing_decision_reason
    FROM completeness
  )
  -- The fresh rows, and the keys of the table's rows of the date that are no longer among them
  -- (gone: deleted below). Not WHEN NOT MATCHED BY SOURCE, which DuckDB runs as a full outer join
  -- with the whole table (a cost that grows with every date loaded): this reads the date's rows only.
  SELECT
    f.*,
    COALESCE(f.player_lookup, old.player_lookup) AS merge_player_lookup,
    f.player_lookup IS NULL AS gone
  FROM fresh AS f
  FULL JOIN (
    SELECT player_lookup FROM nba_precompute.player_daily_cache WHERE analysis_date = @target_date
  ) AS old ON old.player_lookup = f.player_lookup
) S
ON T.player_lookup = S.merge_player_lookup AND T.analysis_date = @target_date
WHEN MATCHED AND S.gone THEN DELETE
WHEN MATCHED AND (
  T.team_abbr IS DISTINCT FROM S.team_abbr
  OR T.points_avg_last_5 IS DISTINCT FROM S.points_avg_last_5
  OR T.points_avg_last_10 IS DISTINCT FROM S.points_avg_last_10
  OR T.points_avg_season IS DISTINCT FROM S.points_avg_season
  OR T.points_std_last_10 IS DISTINCT FROM S.points_std_last_10
  OR T.minutes_avg_last_10 IS DISTINCT FROM S.minutes_avg_last_10
  OR T.usage_rate_last_10 IS DISTINCT FROM S.usage_rate_last_10
  OR T.games_played_season IS DISTINCT FROM S.games_played_season
  OR T.team_pace_last_10 IS DISTINCT FROM S.team_pace_last_10
  OR T.team_off_rating_last_10 IS DISTINCT FROM S.team_off_rating_last_10
  OR T.expected_games_count IS DISTINCT FROM S.expected_games_count
  OR T.actual_games_count IS DISTINCT FROM S.actual_games_count
  OR T.completeness_percentage IS DISTINCT FROM S.completeness_percentage
  OR T.missing_games_count IS DISTINCT FROM S.missing_games_count
  OR T.is_production_ready IS DISTINCT FROM S.is_production_ready
  OR T.processing_decision_reason IS DISTINCT FROM S.processing_decision_reason
) THEN UPDATE SET
  team_abbr = S.team_abbr,
  points_avg_last_5 = S.points_avg_last_5,
  points_avg_last_10 = S.points_avg_last_10,
  points_avg_season = S.points_avg_season,
  points_std_last_10 = S.points_std_last_10,
  minutes_avg_last_10 = S.minutes_avg_last_10,
  usage_rate_last_10 = S.usage_rate_last_10,
  games_played_season = S.games_played_season,
  team_pace_last_10 = S.team_pace_last_10,
  team_off_rating_last_10 = S.team_off_rating_last_10,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  player_lookup, analysis_date, team_abbr, points_avg_last_5, points_avg_last_10, points_avg_season,
  points_std_last_10, minutes_avg_last_10, usage_rate_last_10, games_played_season, team_pace_last_10,
  team_off_rating_last_10, expected_games_count, actual_games_count, completeness_percentage,
  missing_games_count, is_production_ready, processing_decision_reason, loaded_at
) VALUES (
  S.player_lookup, S.analysis_date, S.team_abbr, S.points_avg_last_5, S.points_avg_last_10,
  S.points_avg_season, S.points_std_last_10, S.minutes_avg_last_10, S.usage_rate_last_10,
  S.games_played_season, S.team_pace_last_10, S.team_off_rating_last_10, S.expected_games_count,
  S.actual_games_count, S.completeness_percentage, S.missing_games_count, S.is_production_ready,
  S.processing_decision_reason, @loaded_at
)
