-- Phase 3: team_defense_game_summary for the games of @target_date that are final in the schedule.
-- One row per defending team per game, key (game_id, defending_team_abbr): what the opponent did
-- against it. Needs both teams' nbac_team_boxscore rows (d = defending team, o = its opponent).
--
--   points_allowed    = o.points;  opp_* shooting = o's makes and attempts
--   opp paint / mid   = nbac_play_by_play summed over the opponent's players (NULL without rows;
--                       the player box scores carry no zone split, so there is no other source)
--   turnovers_forced  = o.turnovers;  defensive_rebounds = d.defensive_rebounds
--   opp_possessions   = o.FGA + 0.44 * o.FTA - o.OREB + o.TOV
--   defensive_rating  = 100 * points_allowed / opp_possessions
--   opponent_pace     = the game's pace: (own possessions + opponent possessions) / 2
-- Derived figures are rounded to 4 decimals so that a rerun reproduces them exactly.
MERGE nba_analytics.team_defense_game_summary T
USING (
  WITH
  final_games AS (
    -- @include fragments/final_games.sql
  ),
  team_box AS (
    SELECT
      tb.game_id, tb.team_abbr, tb.opponent_team_abbr, tb.home_game, tb.points, tb.fg_attempts, tb.fg_makes,
      tb.three_pt_attempts, tb.three_pt_makes, tb.ft_attempts, tb.ft_makes, tb.defensive_rebounds,
      tb.turnovers,
      tb.fg_attempts + 0.44 * tb.ft_attempts - tb.offensive_rebounds + tb.turnovers AS possessions
    FROM nba_raw.nbac_team_boxscore AS tb
    JOIN final_games AS f ON f.game_id = tb.game_id
    WHERE tb.game_date = @target_date
  ),
  zones AS (
    -- shots by the players of team_abbr
    -- @include fragments/team_shot_zones.sql
  ),
  matchups AS (
    SELECT d.game_id, d.team_abbr AS defending_team_abbr, d.home_game, d.defensive_rebounds,
           d.possessions AS own_possessions,
           o.team_abbr AS opponent_team_abbr, o.points, o.fg_attempts, o.fg_makes, o.three_pt_attempts,
           o.three_pt_makes, o.ft_attempts, o.ft_makes, o.turnovers, o.possessions AS opp_possessions
    FROM team_box AS d
    JOIN team_box AS o ON o.game_id = d.game_id AND o.team_abbr = d.opponent_team_abbr
  ),
  covered_games AS (
    -- actual side of the completeness: the final games with both teams' box scores
    SELECT game_id FROM matchups
  ),
  completeness AS (
    -- @include fragments/final_games_completeness.sql
  )
  SELECT
    m.game_id,
    CAST(@target_date AS DATE) AS game_date,
    m.defending_team_abbr,
    m.opponent_team_abbr,
    m.points AS points_allowed,
    m.fg_attempts AS opp_fg_attempts,
    m.fg_makes AS opp_fg_makes,
    m.three_pt_attempts AS opp_three_pt_attempts,
    m.three_pt_makes AS opp_three_pt_makes,
    m.ft_attempts AS opp_ft_attempts,
    m.ft_makes AS opp_ft_makes,
    z.paint_attempts AS opp_paint_attempts,
    z.paint_makes AS opp_paint_makes,
    z.mid_range_attempts AS opp_mid_range_attempts,
    z.mid_range_makes AS opp_mid_range_makes,
    m.turnovers AS turnovers_forced,
    m.defensive_rebounds,
    ROUND(m.opp_possessions, 4) AS opp_possessions,
    ROUND(SAFE_DIVIDE(100 * m.points, m.opp_possessions), 4) AS defensive_rating,
    ROUND((m.own_possessions + m.opp_possessions) / 2, 4) AS opponent_pace,
    m.home_game,
    CASE
      WHEN m.defending_team_abbr = f.home_team_abbr THEN f.home_score > f.away_score
      WHEN m.defending_team_abbr = f.away_team_abbr THEN f.away_score > f.home_score
    END AS win_flag,
    c.expected_games_count,
    c.actual_games_count,
    c.completeness_percentage,
    c.missing_games_count,
    c.is_production_ready,
    CONCAT(CAST(c.actual_games_count AS STRING), ' of ', CAST(c.expected_games_count AS STRING),
           ' final games have both team box scores') AS processing_decision_reason
  FROM matchups AS m
  JOIN final_games AS f ON f.game_id = m.game_id
  LEFT JOIN zones AS z ON z.game_id = m.game_id AND z.team_abbr = m.opponent_team_abbr
  CROSS JOIN completeness AS c
) S
ON T.game_id = S.game_id AND T.defending_team_abbr = S.defending_team_abbr
WHEN MATCHED AND (
  T.game_date IS DISTINCT FROM S.game_date
  OR T.opponent_team_abbr IS DISTINCT FROM S.opponent_team_abbr
  OR T.points_allowed IS DISTINCT FROM S.points_allowed
  OR T.opp_fg_attempts IS DISTINCT FROM S.opp_fg_attempts
  OR T.opp_fg_makes IS DISTINCT FROM S.opp_fg_makes
  OR T.opp_three_pt_attempts IS DISTINCT FROM S.opp_three_pt_attempts
  OR T.opp_three_pt_makes IS DISTINCT FROM S.opp_three_pt_makes
  OR T.opp_ft_attempts IS DISTINCT FROM S.opp_ft_attempts
  OR T.opp_ft_makes IS DISTINCT FROM S.opp_ft_makes
  OR T.opp_paint_attempts IS DISTINCT FROM S.opp_paint_attempts
  OR T.opp_paint_makes IS DISTINCT FROM S.opp_paint_makes
  OR T.opp_mid_range_attempts IS DISTINCT FROM S.opp_mid_range_attempts
  OR T.opp_mid_range_makes IS DISTINCT FROM S.opp_mid_range_makes
  OR T.turnovers_forced IS DISTINCT FROM S.turnovers_forced
  OR T.defensive_rebounds IS DISTINCT FROM S.defensive_rebounds
  OR T.opp_possessions IS DISTINCT FROM S.opp_possessions
  OR T.defensive_rating IS DISTINCT FROM S.defensive_rating
  OR T.opponent_pace IS DISTINCT FROM S.opponent_pace
  OR T.home_game IS DISTINCT FROM S.home_game
  OR T.win_flag IS DISTINCT FROM S.win_flag
  OR T.expected_games_count IS DISTINCT FROM S.expected_games_count
  OR T.actual_games_count IS DISTINCT FROM S.actual_games_count
  OR T.completeness_percentage IS DISTINCT FROM S.completeness_percentage
  OR T.missing_games_count IS DISTINCT FROM S.missing_games_count
  OR T.is_production_ready IS DISTINCT FROM S.is_production_ready
  OR T.processing_decision_reason IS DISTINCT FROM S.processing_decision_reason
) THEN UPDATE SET
  game_date = S.game_date,
  opponent_team_abbr = S.opponent_team_abbr,
  points_allowed = S.points_allowed,
  opp_fg_attempts = S.opp_fg_attempts,
  opp_fg_makes = S.opp_fg_makes,
  opp_three_pt_attempts = S.opp_three_pt_attempts,
  opp_three_pt_makes = S.opp_three_pt_makes,
  opp_ft_attempts = S.opp_ft_attempts,
  opp_ft_makes = S.opp_ft_makes,
  opp_paint_attempts = S.opp_paint_attempts,
  opp_paint_makes = S.opp_paint_makes,
  opp_mid_range_attempts = S.opp_mid_range_attempts,
  opp_mid_range_makes = S.opp_mid_range_makes,
  turnovers_forced = S.turnovers_forced,
  defensive_rebounds = S.defensive_rebounds,
  opp_possessions = S.opp_possessions,
  defensive_rating = S.defensive_rating,
  opponent_pace = S.opponent_pace,
  home_game = S.home_game,
  win_flag = S.win_flag,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  game_id, game_date, defending_team_abbr, opponent_team_abbr, points_allowed, opp_fg_attempts, opp_fg_makes,
  opp_three_pt_attempts, opp_three_pt_makes, opp_ft_attempts, opp_ft_makes, opp_paint_attempts,
  opp_paint_makes, opp_mid_range_attempts, opp_mid_range_makes, turnovers_forced, defensive_rebounds,
  opp_possessions, defensive_rating, opponent_pace, home_game, win_flag, expected_games_count,
  actual_games_count, completeness_percentage, missing_games_count, is_production_ready,
  processing_decision_reason, loaded_at
) VALUES (
  S.game_id, S.game_date, S.defending_team_abbr, S.opponent_team_abbr, S.points_allowed, S.opp_fg_attempts,
  S.opp_fg_makes, S.opp_three_pt_attempts, S.opp_three_pt_makes, S.opp_ft_attempts, S.opp_ft_makes,
  S.opp_paint_attempts, S.opp_paint_makes, S.opp_mid_range_attempts, S.opp_mid_range_makes,
  S.turnovers_forced, S.defensive_rebounds, S.opp_possessions, S.defensive_rating, S.opponent_pace,
  S.home_game, S.win_flag, S.expected_games_count, S.actual_games_count, S.completeness_percentage,
  S.missing_games_count, S.is_production_ready, S.processing_decision_reason, @loaded_at
)
