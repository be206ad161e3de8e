-- Phase 3: player_game_summary for the games of @target_date that are final in the schedule.
-- One row per player per game, key (game_id, player_lookup).
--
-- Sources, in priority order:
--   box score  nbac_gamebook (rows with player_status 'active'); bdl_boxscores only for final games
--              that have no gamebook row at all (primary_source_used says which).
--   zones      nbac_play_by_play (paint / mid-range makes and attempts); NULL when the player has no row.
--   line       Odds API draftkings, then fanduel, then any other Odds API book (by key), then BettingPros
--              (draftkings, fanduel, other books by key); per Odds API book the latest snapshot taken at
--              or before tip-off, else the latest snapshot.
--   identity   universal_player_id from the player registry's resolution of the box-score row (NULL
--              when the registry holds it; the raw row's own id where the registry has not run); book
--              rows the registry holds (no person, or several, fit the name) give no line; a book row
--              it resolved under another spelling gives its line to the person it resolved to.
-- Derived ratios are rounded to 4 decimals so that a rerun reproduces them exactly.
-- A rerun with unchanged inputs changes no row: the update fires only when a column differs.
MERGE nba_analytics.player_game_summary T
USING (
  WITH
  final_games AS (
    -- @include fragments/final_games.sql
  ),
  gamebook_games AS (
    -- a game "has a gamebook" when any of its rows (active, dnp or inactive) is loaded
    SELECT DISTINCT game_id
    FROM nba_raw.nbac_gamebook_player_stats
    WHERE game_date = @target_date
  ),
  box AS (
    SELECT
      'nbac_gamebook' AS primary_source_used,
      g.game_id, g.player_lookup,
      IF(rg.source IS NULL, g.universal_player_id, rg.universal_player_id) AS universal_player_id,
      g.team_abbr, g.opponent_team_abbr, g.home_game,
      g.minutes, g.points, g.assists, g.offensive_rebounds, g.defensive_rebounds, g.steals, g.blocks,
      g.turnovers, g.fg_attempts, g.fg_makes, g.three_pt_attempts, g.three_pt_makes, g.ft_attempts,
      g.ft_makes, g.plus_minus, g.starter
    FROM nba_raw.nbac_gamebook_player_stats AS g
    JOIN final_games AS f ON f.game_id = g.game_id
    LEFT JOIN nba_analytics.player_identity_resolutions AS rg
      ON rg.source = 'nbac_gamebook' AND rg.game_date = @target_date
      AND rg.scope = g.game_id AND rg.player_lookup = g.player_lookup
    WHERE g.game_date = @target_date
      AND g.player_status = 'active'
    UNION ALL
    SELECT
      'bdl_boxscores' AS primary_source_used,
      b.game_id, b.player_lookup,
      IF(rb.source IS NULL, b.universal_player_id, rb.universal_player_id) AS universal_player_id,
      b.team_abbr, b.opponent_team_abbr, b.home_game,
      b.minutes, b.points, b.assists, b.offensive_rebounds, b.defensive_rebounds, b.steals, b.blocks,
      b.turnovers, b.fg_attempts, b.fg_makes, b.three_pt_attempts, b.three_pt_makes, b.ft_attempts,
      b.ft_makes, CAST(NULL AS INT64) AS plus_minus, CAST(NULL AS BOOL) AS starter
    FROM nba_raw.bdl_player_boxscores AS b
    JOIN final_games AS f ON f.game_id = b.game_id
    LEFT JOIN nba_analytics.player_identity_resolutions AS rb
      ON rb.source = 'bdl_boxscores' AND rb.game_date = @target_date
      AND rb.scope = b.game_id AND rb.player_lookup = b.player_lookup
    WHERE b.game_date = @target_date
      AND b.game_id NOT IN (SELECT game_id FROM gamebook_games)
  ),
  with_team AS (
    -- team totals of the same game and source, for the usage rate; minutes summed as whole seconds
    -- (what box scores carry), an exact sum that does not depend on the order of the rows
    SELECT
      box.*,
      SUM(CAST(ROUND(minutes * 60) AS INT64)) OVER (PARTITION BY game_id, team_abbr) / 60 AS team_minutes,
      SUM(fg_attempts) OVER (PARTITION BY game_id, team_abbr) AS team_fg_attempts,
      SUM(ft_attempts) OVER (PARTITION BY game_id, team_abbr) AS team_ft_attempts,
      SUM(turnovers) OVER (PARTITION BY game_id, team_abbr) AS team_turnovers
    FROM box
  ),
  zones AS (
    SELECT game_id, player_lookup,
           SUM(paint_attempts) AS paint_attempts, SUM(paint_makes) AS paint_makes,
           SUM(mid_range_attempts) AS mid_range_attempts, SUM(mid_range_makes) AS mid_range_makes
    FROM nba_raw.nbac_play_by_play
    WHERE game_date = @target_date
    GROUP BY game_id, player_lookup
  ),
  held_players AS (
    -- @include fragments/held_players.sql
  ),
  book_names AS (
    -- @include fragments/book_player_names.sql
  ),
  candidate_lines AS (
    -- source_rank: 1 draftkings, 2 fanduel, 3 another Odds API book, 4-6 BettingPros (same book order)
    SELECT
      p.game_id, COALESCE(n.player_lookup, p.player_lookup) AS player_lookup, p.points_line,
      p.bookmaker AS line_source, p.bookmaker AS book,
      CASE p.bookmaker WHEN 'draftkings' THEN 1 WHEN 'fanduel' THEN 2 ELSE 3 END AS source_rank,
      -- 0 when the snapshot was taken at or before tip-off (preferred), 1 otherwise
      CASE WHEN p.snapshot_time <= f.start_time_utc THEN 0 ELSE 1 END AS after_tipoff,
      p.snapshot_time AS seen_at
    FROM nba_raw.odds_api_player_points_props AS p
    JOIN final_games AS f ON f.game_id = p.game_id
    LEFT JOIN held_players AS h
      ON h.source = 'odds_api_player_points_props' AND h.scope = p.game_id AND h.player_lookup = p.player_lookup
    LEFT JOIN book_names AS n
      ON n.source = 'odds_api_player_points_props' AND n.scope = p.game_id AND n.raw_lookup = p.player_lookup
    WHERE p.game_date = @target_date
      AND h.player_lookup IS NULL
    UNION ALL
    SELECT
      bp.game_id, COALESCE(n.player_lookup, bp.player_lookup) AS player_lookup, bp.points_line,
      'bettingpros' AS line_source, bp.bookmaker AS book,
      CASE bp.bookmaker WHEN 'draftkings' THEN 4 WHEN 'fanduel' THEN 5 ELSE 6 END AS source_rank,
      0 AS after_tipoff,
      bp.line_updated_at AS seen_at
    FROM nba_raw.bettingpros_player_points_props AS bp
    JOIN final_games AS f ON f.game_id = bp.game_id
    LEFT JOIN held_players AS h
      ON h.source = 'bettingpros_player_props' AND h.scope = bp.game_id AND h.player_lookup = bp.player_lookup
    LEFT JOIN book_names AS n
      ON n.source = 'bettingpros_player_props' AND n.scope = bp.game_id AND n.raw_lookup = bp.player_lookup
    WHERE bp.game_date = @target_date
      AND h.player_lookup IS NULL
  ),
  ranked_lines AS (
    SELECT
      game_id, player_lookup, points_line, line_source,
      ROW_NUMBER() OVER (
        PARTITION BY game_id, player_lookup
        ORDER BY source_rank, book, after_tipoff, seen_at DESC, points_line
      ) AS pick
    FROM candidate_lines
  ),
  covered_games AS (
    -- actual side of the completeness: the final games with player box scores
    SELECT game_id FROM box
  ),
  completeness AS (
    -- @include fragments/final_games_completeness.sql
  )
  SELECT
    w.player_lookup,
    w.universal_player_id,
    w.game_id,
    CAST(@target_date AS DATE) AS game_date,
    w.team_abbr,
    w.opponent_team_abbr,
    f.season_year,
    w.home_game,
    w.points,
    w.minutes AS minutes_played,
    w.assists,
    w.offensive_rebounds,
    w.defensive_rebounds,
    w.steals,
    w.blocks,
    w.turnovers,
    w.fg_attempts,
    w.fg_makes,
    w.three_pt_attempts,
    w.three_pt_makes,
    w.ft_attempts,
    w.ft_makes,
    w.plus_minus,
    z.paint_attempts,
    z.paint_makes,
    z.mid_range_attempts,
    z.mid_range_makes,
    -- usage = 100 * (FGA + 0.44 FTA + TOV) * (team minutes / 5)
    --         / (minutes * (team FGA + 0.44 team FTA + team TOV)); NULL when minutes are 0
    ROUND(SAFE_DIVIDE(
      100 * (w.fg_attempts + 0.44 * w.ft_attempts + w.turnovers) * (w.team_minutes / 5),
      w.minutes * (w.team_fg_attempts + 0.44 * w.team_ft_attempts + w.team_turnovers)
    ), 4) AS usage_rate,
    -- ts = points / (2 * (FGA + 0.44 FTA)); NULL when FGA and FTA are 0
    ROUND(SAFE_DIVIDE(w.points, 2 * (w.fg_attempts + 0.44 * w.ft_attempts)), 4) AS ts_pct,
    -- efg = (FGM + 0.5 * 3PM) / FGA
    ROUND(SAFE_DIVIDE(w.fg_makes + 0.5 * w.three_pt_makes, w.fg_attempts), 4) AS efg_pct,
    w.starter AS starter_flag,
    CASE
      WHEN w.team_abbr = f.home_team_abbr THEN f.home_score > f.away_score
      WHEN w.team_abbr = f.away_team_abbr THEN f.away_score > f.home_score
    END AS win_flag,
    l.points_line,
    l.line_source AS points_line_source,
    CASE
      WHEN l.points_line IS NULL OR w.points IS NULL THEN NULL
      WHEN w.points >= l.points_line THEN 'OVER'
      ELSE 'UNDER'
    END AS over_under_result,
    w.points - l.points_line AS margin,
    w.primary_source_used,
    c.expected_games_count,
    c.actual_games_count,
    c.completeness_percentage,
    c.missing_games_count,
    c.is_production_ready,
    CONCAT(CAST(c.actual_games_count AS STRING), ' of ', CAST(c.expected_games_count AS STRING),
           ' final games have player box scores') AS processing_decision_reason
  FROM with_team AS w
  JOIN final_games AS f ON f.game_id = w.game_id
  LEFT JOIN zones AS z ON z.game_id = w.game_id AND z.player_lookup = w.player_lookup
  LEFT JOIN ranked_lines AS l ON l.game_id = w.game_id AND l.player_lookup = w.player_lookup AND l.pick = 1
  CROSS JOIN completeness AS c
) S
ON T.game_id = S.game_id AND T.player_lookup = S.player_lookup
WHEN MATCHED AND (
  T.universal_player_id IS DISTINCT FROM S.universal_player_id
  OR T.game_date IS DISTINCT FROM S.game_date
  OR T.team_abbr IS DISTINCT FROM S.team_abbr
  OR T.opponent_team_abbr IS DISTINCT FROM S.opponent_team_abbr
  OR T.season_year IS DISTINCT FROM S.season_year
  OR T.home_game IS DISTINCT FROM S.home_game
  OR T.points IS DISTINCT FROM S.points
  OR T.minutes_played IS DISTINCT FROM S.minutes_played
  OR T.assists IS DISTINCT FROM S.assists
  OR T.offensive_rebounds IS DISTINCT FROM S.offensive_rebounds
  OR T.defensive_rebounds IS DISTINCT FROM S.defensive_rebounds
  OR T.steals IS DISTINCT FROM S.steals
  OR T.blocks IS DISTINCT FROM S.blocks
  OR T.turnovers IS DISTINCT FROM S.turnovers
  OR T.fg_attempts IS DISTINCT FROM S.fg_attempts
  OR T.fg_makes IS DISTINCT FROM S.fg_makes
  OR T.three_pt_attempts IS DISTINCT FROM S.three_pt_attempts
  OR T.three_pt_makes IS DISTINCT FROM S.three_pt_makes
  OR T.ft_attempts IS DISTINCT FROM S.ft_attempts
  OR T.ft_makes IS DISTINCT FROM S.ft_makes
  OR T.plus_minus IS DISTINCT FROM S.plus_minus
  OR T.paint_attempts IS DISTINCT FROM S.paint_attempts
  OR T.paint_makes IS DISTINCT FROM S.paint_makes
  OR T.mid_range_attempts IS DISTINCT FROM S.mid_range_attempts
  OR T.mid_range_makes IS DISTINCT FROM S.mid_range_makes
  OR T.usage_rate IS DISTINCT FROM S.usage_rate
  OR T.ts_pct IS DISTINCT FROM S.ts_pct
  OR T.efg_pct IS DISTINCT FROM S.efg_pct
  OR T.starter_flag IS DISTINCT FROM S.starter_flag
  OR T.win_flag IS DISTINCT FROM S.win_flag
  OR T.points_line IS DISTINCT FROM S.points_line
  OR T.points_line_source IS DISTINCT FROM S.points_line_source
  OR T.over_under_result IS DISTINCT FROM S.over_under_result
  OR T.margin IS DISTINCT FROM S.margin
  OR T.primary_source_used IS DISTINCT FROM S.primary_source_used
  OR T.expected_games_count IS DISTINCT FROM S.expected_games_count
  OR T.actual_games_count IS DISTINCT FROM S.actual_games_count
  OR T.completeness_percentage IS DISTINCT FROM S.completeness_percentage
  OR T.missing_games_count IS DISTINCT FROM S.missing_games_count
  OR T.is_production_ready IS DISTINCT FROM S.is_production_ready
  OR T.processing_decision_reason IS DISTINCT FROM S.processing_decision_reason
) THEN UPDATE SET
  universal_player_id = S.universal_player_id,
  game_date = S.game_date,
  team_abbr = S.team_abbr,
  opponent_team_abbr = S.opponent_team_abbr,
  season_year = S.season_year,
  home_game = S.home_game,
  points = S.points,
  minutes_played = S.minutes_played,
  assists = S.assists,
  offensive_rebounds = S.offensive_rebounds,
  defensive_rebounds = S.defensive_rebounds,
  steals = S.steals,
  blocks = S.blocks,
  turnovers = S.turnovers,
  fg_attempts = S.fg_attempts,
  fg_makes = S.fg_makes,
  three_pt_attempts = S.three_pt_attempts,
  three_pt_makes = S.three_pt_makes,
  ft_attempts = S.ft_attempts,
  ft_makes = S.ft_makes,
  plus_minus = S.plus_minus,
  paint_attempts = S.paint_attempts,
  paint_makes = S.paint_makes,
  mid_range_attempts = S.mid_range_attempts,
  mid_range_makes = S.mid_range_makes,
  usage_rate = S.usage_rate,
  ts_pct = S.ts_pct,
  efg_pct = S.efg_pct,
  starter_flag = S.starter_flag,
  win_flag = S.win_flag,
  points_line = S.points_line,
  points_line_source = S.points_line_source,
  over_under_result = S.over_under_result,
  margin = S.margin,
  primary_source_used = S.primary_source_used,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  player_lookup, universal_player_id, game_id, game_date, team_abbr, opponent_team_abbr, season_year,
  home_game, points, minutes_played, assists, offensive_rebounds, defensive_rebounds, steals, blocks,
  turnovers, fg_attempts, fg_makes, three_pt_attempts, three_pt_makes, ft_attempts, ft_makes, plus_minus,
  paint_attempts, paint_makes, mid_range_attempts, mid_range_makes, usage_rate, ts_pct, efg_pct,
  starter_flag, win_flag, points_line, points_line_source, over_under_result, margin, primary_source_used,
  expected_games_count, actual_games_count, completeness_percentage, missing_games_count,
  is_production_ready, processing_decision_reason, loaded_at
) VALUES (
  S.player_lookup, S.universal_player_id, S.game_id, S.game_date, S.team_abbr, S.opponent_team_abbr,
  S.season_year, S.home_game, S.points, S.minutes_played, S.assists, S.offensive_rebounds,
  S.defensive_rebounds, S.steals, S.blocks, S.turnovers, S.fg_attempts, S.fg_makes, S.three_pt_attempts,
  S.three_pt_makes, S.ft_attempts, S.ft_makes, S.plus_minus, S.paint_attempts, S.paint_makes,
  S.mid_range_attempts, S.mid_range_makes, S.usage_rate, S.ts_pct, S.efg_pct, S.starter_flag, S.win_flag,
  S.points_line, S.points_line_source, S.over_under_result, S.margin, S.primary_source_used,
  S.expected_games_count, S.actual_games_count, S.completeness_percentage, S.missing_games_count,
  S.is_production_ready, S.processing_decision_reason, @loaded_at
)
