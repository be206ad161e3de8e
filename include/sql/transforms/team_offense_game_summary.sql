-- Phase 3: team_offense_game_summary for the games of @target_date that are final in the schedule.
-- One row per team per game, key (game_id, team_abbr).
--
-- Sources: nbac_team_boxscore (totals); nbac_play_by_play summed over the team's players (paint and
-- mid-range makes and attempts, NULL when the team has no play-by-play rows); nbac_schedule (final
-- games, win flag from the final scores, else from the two box-score rows).
--   possessions      = FGA + 0.44 * FTA - OREB + TOV
--   offensive_rating = 100 * points / possessions
--   pace             = (own possessions + opponent possessions) / 2   (NULL without the opponent's row)
--   ts_pct           = points / (2 * (FGA + 0.44 * FTA))
--   efg_pct          = (FGM + 0.5 * 3PM) / FGA
-- Derived figures are rounded to 4 decimals so that a rerun reproduces them exactly.
MERGE nba_analytics.team_offense_game_summary T
USING (
  WITH
  final_games AS (
    -- @include fragments/final_games.sql
  ),
  team_box AS (
    SELECT
      tb.game_id, tb.team_abbr, tb.opponent_team_abbr, tb.home_game, tb.points, tb.fg_attempts, tb.fg_makes,
      tb.three_pt_attempts, tb.three_pt_makes, tb.ft_attempts, tb.ft_makes, tb.offensive_rebounds,
      tb.defensive_rebounds, tb.assists, tb.turnovers,
      tb.fg_attempts + 0.44 * tb.ft_attempts - tb.offensive_rebounds + tb.turnovers AS possessions
    FROM nba_raw.nbac_team_boxscore AS tb
    JOIN final_games AS f ON f.game_id = tb.game_id
    WHERE tb.game_date = @target_date
  ),
  zones AS (
    -- @include fragments/team_shot_zones.sql
  ),
  covered_games AS (
    -- actual side of the completeness: the final games with a team box score
    SELECT game_id FROM team_box
  ),
  completeness AS (
    -- @include fragments/final_games_completeness.sql
  )
  SELECT
    t.game_id,
    CAST(@target_date AS DATE) AS game_date,
    t.team_abbr,
    t.opponent_team_abbr,
    t.home_game,
    COALESCE(
      CASE
        WHEN t.team_abbr = f.home_team_abbr THEN f.home_score > f.away_score
        WHEN t.team_abbr = f.away_team_abbr THEN f.away_score > f.home_score
      END,
      t.points > o.points
    ) AS win_flag,
    t.points AS points_scored,
    t.fg_attempts,
    t.fg_makes,
    t.three_pt_attempts,
    t.three_pt_makes,
    t.ft_attempts,
    t.ft_makes,
    t.offensive_rebounds,
    t.defensive_rebounds,
    t.assists,
    t.turnovers,
    z.paint_attempts,
    z.paint_makes,
    z.mid_range_attempts,
    z.mid_range_makes,
    ROUND(t.possessions, 4) AS possessions,
    ROUND(SAFE_DIVIDE(100 * t.points, t.possessions), 4) AS offensive_rating,
    ROUND((t.possessions + o.possessions) / 2, 4) AS pace,
    ROUND(SAFE_DIVIDE(t.points, 2 * (t.fg_attempts + 0.44 * t.ft_attempts)), 4) AS ts_pct,
    ROUND(SAFE_DIVIDE(t.fg_makes + 0.5 * t.three_pt_makes, t.fg_attempts), 4) AS efg_pct,
    c.expected_games_count,
    c.actual_games_count,
    c.completeness_percentage,
    c.missing_games_count,
    c.is_production_ready,
    CONCAT(CAST(c.actual_games_count AS STRING), ' of ', CAST(c.expected_games_count AS STRING),
           ' final games have team box scores') AS processing_decision_reason
  FROM team_box AS t
  JOIN final_games AS f ON f.game_id = t.game_id
  LEFT JOIN team_box AS o ON o.game_id = t.game_id AND o.team_abbr = t.opponent_team_abbr
  LEFT JOIN zones AS z ON z.game_id = t.game_id AND z.team_abbr = t.team_abbr
  CROSS JOIN completeness AS c
) S
ON T.game_id = S.game_id AND T.team_abbr = S.team_abbr
WHEN MATCHED AND (
  T.game_date IS DISTINCT FROM S.game_date
  OR T.opponent_team_abbr IS DISTINCT FROM S.opponent_team_abbr
  OR T.home_game IS DISTINCT FROM S.home_game
  OR T.win_flag IS DISTINCT FROM S.win_flag
  OR T.points_scored IS DISTINCT FROM S.points_scored
  OR T.fg_attempts IS DISTINCT FROM S.fg_attempts
  OR T.fg_makes IS DISTINCT FROM S.fg_makes
  OR T.three_pt_attempts IS DISTINCT FROM S.three_pt_attempts
  OR T.three_pt_makes IS DISTINCT FROM S.three_pt_makes
  OR T.ft_attempts IS DISTINCT FROM S.ft_attempts
  OR T.ft_makes IS DISTINCT FROM S.ft_makes
  OR T.offensive_rebounds IS DISTINCT FROM S.offensive_rebounds
  OR T.defensive_rebounds IS DISTINCT FROM S.defensive_rebounds
  OR T.assists IS DISTINCT FROM S.assists
  OR T.turnovers IS DISTINCT FROM S.turnovers
  OR T.paint_attempts IS DISTINCT FROM S.paint_attempts
  OR T.paint_makes IS DISTINCT FROM S.paint_makes
  OR T.mid_range_attempts IS DISTINCT FROM S.mid_range_attempts
  OR T.mid_range_makes IS DISTINCT FROM S.mid_range_makes
  OR T.possessions IS DISTINCT FROM S.possessions
  OR T.offensive_rating IS DISTINCT FROM S.offensive_rating
  OR T.pace IS DISTINCT FROM S.pace
  OR T.ts_pct IS DISTINCT FROM S.ts_pct
  OR T.efg_pct IS DISTINCT FROM S.efg_pct
  OR T.expected_games_count IS DISTINCT FROM S.expected_games_count
  OR T.actual_games_count IS DISTINCT FROM S.actual_games_count
  OR T.completeness_percentage IS DISTINCT FROM S.completeness_percentage
  OR T.missing_games_count IS DISTINCT FROM S.missing_games_count
  OR T.is_production_ready IS DISTINCT FROM S.is_production_ready
  OR T.processing_decision_reason IS DISTINCT FROM S.processing_decision_reason
) THEN UPDATE SET
  game_date = S.game_date,
  opponent_team_abbr = S.opponent_team_abbr,
  home_game = S.home_game,
  win_flag = S.win_flag,
  points_scored = S.points_scored,
  fg_attempts = S.fg_attempts,
  fg_makes = S.fg_makes,
  three_pt_attempts = S.three_pt_attempts,
  three_pt_makes = S.three_pt_makes,
  ft_attempts = S.ft_attempts,
  ft_makes = S.ft_makes,
  offensive_rebounds = S.offensive_rebounds,
  defensive_rebounds = S.defensive_rebounds,
  assists = S.assists,
  turnovers = S.turnovers,
  paint_attempts = S.paint_attempts,
  paint_makes = S.paint_makes,
  mid_range_attempts = S.mid_range_attempts,
  mid_range_makes = S.mid_range_makes,
  possessions = S.possessions,
  offensive_rating = S.offensive_rating,
  pace = S.pace,
  ts_pct = S.ts_pct,
  efg_pct = S.efg_pct,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  game_id, game_date, team_abbr, opponent_team_abbr, home_game, win_flag, points_scored, fg_attempts,
  fg_makes, three_pt_attempts, three_pt_makes, ft_attempts, ft_makes, offensive_rebounds, defensive_rebounds,
  assists, turnovers, paint_attempts, paint_makes, mid_range_attempts, mid_range_makes, possessions,
  offensive_rating, pace, ts_pct, efg_pct, expected_games_count, actual_games_count, completeness_percentage,
  missing_games_count, is_production_ready, processing_decision_reason, loaded_at
) VALUES (
  S.game_id, S.game_date, S.team_abbr, S.opponent_team_abbr, S.home_game, S.win_flag, S.points_scored,
  S.fg_attempts, S.fg_makes, S.three_pt_attempts, S.three_pt_makes, S.ft_attempts, S.ft_makes,
  S.offensive_rebounds, S.defensive_rebounds, S.assists, S.turnovers, S.paint_attempts, S.paint_makes,
  S.mid_range_attempts, S.mid_range_makes, S.possessions, S.offensive_rating, S.pace, S.ts_pct, S.efg_pct,
  S.expected_games_count, S.actual_games_count, S.completeness_percentage, S.missing_games_count,
  S.is_production_ready, S.processing_decision_reason, @loaded_at
)
