-- Phase 3: upcoming_player_game_context for the games of @target_date (schedule, not postponed).
-- One row per player expected to play, key (game_id, player_lookup).
--
-- Who is expected to play: a player of a team playing on the date, not OUT in the latest injury report.
--   team membership  the team of the player's most recent box-score row (gamebook, balldontlie for the
--                    games the gamebook lacks) within the last 60 days; for players without one, the
--                    ESPN roster of the team's latest roster_date <= @target_date.
--   player_status    from the latest injury report (the newest report_time among rows for games in
--                    [D-7, D]): out / doubtful / questionable / probable, else 'available'. OUT players
--                    are left out; doubtful and questionable stay (phase 5 filters them).
-- Lines (today's props):
--   current_points_line  Odds API draftkings, then fanduel, then any other book (by key), each at its
--                        latest snapshot; then BettingPros (draftkings, fanduel, others by key).
--   opening_points_line  the earliest snapshot of the same Odds API book; BettingPros' opening_line.
--   game_spread / total  odds_api_game_lines, draftkings first, else the first book by key that has
--                        the figure; the spread is seen from the player's team (home: home_spread,
--                        away: -home_spread).
-- History (read from the raw box scores, since player_game_summary may not be filled for the same run;
-- a player's games are those with minutes > 0, within the past 365 days):
--   days_rest        days since the player's previous game (NULL if none in the last 60 days)
--   back_to_back     the player's team played yesterday (schedule)
--   games / minutes  games with minutes > 0 and their minutes in [D-7, D-1] and [D-14, D-1]
--   avg_minutes_per_game_last_7 = minutes_in_last_7_days / games_in_last_7_days (NULL without games)
--   points_avg_last_5 / _10     mean points of the player's last 5 / 10 games before D
-- Completeness: expected = games of the player's team in [D-14, D-1] (schedule); actual = those games
-- for which the player has a box-score row; production-ready at >= 90 % (100 % when nothing expected).
-- Held rows: injury report and book rows whose player the registry holds (fragments/held_players.sql)
-- are left out, so a name that fits no one, or several people, marks no one injured and prices no one.
-- A book row the registry resolved under another spelling (fragments/book_player_names.sql) prices the
-- person it resolved to.
-- Rows of @target_date that are no longer expected (player now OUT, game postponed) are deleted.
MERGE nba_analytics.upcoming_player_game_context T
USING (
  WITH
  teams_today AS (
    -- @include fragments/teams_today.sql
  ),

  -- ------------------------------------------------------------------ box-score history
  gamebook_history AS (
    SELECT game_id, game_date, player_lookup, universal_player_id, team_abbr, player_status, minutes, points
    FROM nba_raw.nbac_gamebook_player_stats
    WHERE game_date BETWEEN DATE_SUB(@target_date, INTERVAL 365 DAY) AND DATE_SUB(@target_date, INTERVAL 1 DAY)
  ),
  box_history AS (
    -- every gamebook row (active, dnp, inactive); balldontlie rows for games the gamebook lacks
    SELECT game_id, game_date, player_lookup, universal_player_id, team_abbr,
           player_status = 'active' AND COALESCE(minutes, 0) > 0 AS played,
           minutes, points, 1 AS source_rank
    FROM gamebook_history
    UNION ALL
    SELECT game_id, game_date, player_lookup, universal_player_id, team_abbr,
           COALESCE(minutes, 0) > 0 AS played,
           minutes, points, 2 AS source_rank
    FROM nba_raw.bdl_player_boxscores
    WHERE game_date BETWEEN DATE_SUB(@target_date, INTERVAL 365 DAY) AND DATE_SUB(@target_date, INTERVAL 1 DAY)
      AND game_id NOT IN (SELECT game_id FROM gamebook_history)
  ),
  latest_box AS (
    -- (game_id, player_lookup) is unique within a source: the order is total
    SELECT player_lookup, team_abbr, universal_player_id, game_date,
           ROW_NUMBER() OVER (PARTITION BY player_lookup
                              ORDER BY game_date DESC, source_rank, team_abbr, game_id) AS pick
    FROM box_history
  ),

  -- ------------------------------------------------------------------ who is expected to play
  box_members AS (
    SELECT player_lookup, team_abbr
    FROM latest_box
    WHERE pick = 1
      AND game_date >= DATE_SUB(@target_date, INTERVAL 60 DAY)
  ),
  roster_dates AS (
    SELECT team_abbr, MAX(roster_date) AS roster_date
    FROM nba_raw.espn_team_rosters
    WHERE roster_date BETWEEN DATE_SUB(@target_date, INTERVAL 365 DAY) AND @target_date
    GROUP BY team_abbr
  ),
  roster_members AS (
    SELECT r.player_lookup, r.team_abbr,
           ROW_NUMBER() OVER (PARTITION BY r.player_lookup ORDER BY r.roster_date DESC, r.team_abbr) AS pick
    FROM nba_raw.espn_team_rosters AS r
    JOIN roster_dates AS d ON d.team_abbr = r.team_abbr AND d.roster_date = r.roster_date
    WHERE r.roster_date BETWEEN DATE_SUB(@target_date, INTERVAL 365 DAY) AND @target_date
  ),
  members AS (
    SELECT player_lookup, team_abbr FROM box_members
    UNION ALL
    SELECT player_lookup, team_abbr
    FROM roster_members
    WHERE pick = 1
      AND player_lookup NOT IN (SELECT player_lookup FROM box_members)
  ),
  latest_report AS (
    -- @include fragments/latest_injury_report.sql
  ),
  held_players AS (
    -- @include fragments/held_players.sql
  ),
  injuries AS (
    SELECT r.player_lookup, LOWER(r.injury_status) AS injury_status,
           ROW_NUMBER() OVER (
             PARTITION BY r.player_lookup
             ORDER BY r.game_date DESC,
                      CASE LOWER(r.injury_status)
                        WHEN 'out' THEN 1 WHEN 'doubtful' THEN 2 WHEN 'questionable' THEN 3 ELSE 4
                      END,
                      r.game_id  -- one report: (game_id, player_lookup) is unique, the order total
           ) AS pick
    FROM latest_report AS r
    LEFT JOIN held_players AS h
      ON h.source = 'nbac_injury_report' AND h.scope = r.game_id AND h.player_lookup = r.player_lookup
    WHERE h.player_lookup IS NULL
  ),
  candidates AS (
    SELECT m.player_lookup, t.game_id, t.team_abbr, t.opponent_team_abbr, t.home_game,
           CASE
             WHEN i.injury_status IN ('out', 'doubtful', 'questionable', 'probable') THEN i.injury_status
             ELSE 'available'
           END AS player_status
    FROM members AS m
    JOIN teams_today AS t ON t.team_abbr = m.team_abbr
    LEFT JOIN injuries AS i ON i.player_lookup = m.player_lookup AND i.pick = 1
  ),

  -- ------------------------------------------------------------------ lines
  book_names AS (
    -- @include fragments/book_player_names.sql
  ),
  odds_rows AS (
    SELECT p.game_id, COALESCE(n.player_lookup, p.player_lookup) AS player_lookup, p.bookmaker, p.points_line,
           p.snapshot_time
    FROM nba_raw.odds_api_player_points_props AS p
    LEFT JOIN book_names AS n
      ON n.source = 'odds_api_player_points_props' AND n.scope = p.game_id AND n.raw_lookup = p.player_lookup
    WHERE p.game_date = @target_date
      AND NOT EXISTS (
        SELECT 1 FROM held_players AS h
        WHERE h.source = 'odds_api_player_points_props' AND h.scope = p.game_id AND h.player_lookup = p.player_lookup
      )
  ),
  odds_snapshots AS (
    SELECT game_id, player_lookup, bookmaker, points_line,
           ROW_NUMBER() OVER (PARTITION BY game_id, player_lookup, bookmaker
                              ORDER BY snapshot_time DESC, points_line) AS newest,
           ROW_NUMBER() OVER (PARTITION BY game_id, player_lookup, bookmaker
                              ORDER BY snapshot_time, points_line) AS oldest
    FROM odds_rows
  ),
  candidate_lines AS (
    -- source_rank: 1 draftkings, 2 fanduel, 3 another Odds API book, 4-6 BettingPros (same book order)
    SELECT game_id, player_lookup, bookmaker AS book, bookmaker AS line_source,
           CASE bookmaker WHEN 'draftkings' THEN 1 WHEN 'fanduel' THEN 2 ELSE 3 END AS source_rank,
           MAX(IF(newest = 1, points_line, NULL)) AS current_points_line,
           MAX(IF(oldest = 1, points_line, NULL)) AS opening_points_line
    FROM odds_snapshots
    GROUP BY game_id, player_lookup, bookmaker
    UNION ALL
    SELECT bp.game_id, COALESCE(n.player_lookup, bp.player_lookup) AS player_lookup, bp.bookmaker AS book,
           'bettingpros' AS line_source,
           CASE bp.bookmaker WHEN 'draftkings' THEN 4 WHEN 'fanduel' THEN 5 ELSE 6 END AS source_rank,
           bp.points_line AS current_points_line,
           bp.opening_line AS opening_points_line
    FROM nba_raw.bettingpros_player_points_props AS bp
    LEFT JOIN book_names AS n
      ON n.source = 'bettingpros_player_props' AND n.scope = bp.game_id AND n.raw_lookup = bp.player_lookup
    WHERE bp.game_date = @target_date
      AND NOT EXISTS (
        SELECT 1 FROM held_players AS h
        WHERE h.source = 'bettingpros_player_props' AND h.scope = bp.game_id AND h.player_lookup = bp.player_lookup
      )
  ),
  ranked_lines AS (
    SELECT game_id, player_lookup, line_source, current_points_line, opening_points_line,
           ROW_NUMBER() OVER (PARTITION BY game_id, player_lookup
                              ORDER BY source_rank, book, current_points_line) AS pick
    FROM candidate_lines
  ),
  game_lines AS (
    -- @include fragments/game_lines.sql
  ),

  -- ------------------------------------------------------------------ rest and recent form
  team_schedule AS (
    -- @include fragments/team_schedule.sql
  ),
  team_recent AS (
    SELECT team_abbr,
           LOGICAL_OR(game_date = DATE_SUB(@target_date, INTERVAL 1 DAY)) AS played_yesterday
    FROM team_schedule
    GROUP BY team_abbr
  ),
  player_games_present AS (
    SELECT DISTINCT player_lookup, game_id FROM box_history
  ),
  player_completeness AS (
    -- the team's scheduled games of the last 14 days, and those the player has a box-score row for
    SELECT c.player_lookup,
           COUNT(*) AS expected_games_count,
           COUNT(p.game_id) AS actual_games_count
    FROM candidates AS c
    JOIN team_schedule AS s
      ON s.team_abbr = c.team_abbr AND s.game_date >= DATE_SUB(@target_date, INTERVAL 14 DAY)
    LEFT JOIN player_games_present AS p ON p.player_lookup = c.player_lookup AND p.game_id = s.game_id
    GROUP BY c.player_lookup
  ),
  played AS (
    SELECT player_lookup, game_date, minutes, points,
           ROW_NUMBER() OVER (PARTITION BY player_lookup ORDER BY game_date DESC, game_id) AS recency
    FROM box_history
    WHERE played
  ),
  player_recent AS (
    SELECT player_lookup,
           MAX(IF(game_date >= DATE_SUB(@target_date, INTERVAL 60 DAY), game_date, NULL)) AS last_game_date,
           COUNTIF(game_date >= DATE_SUB(@target_date, INTERVAL 7 DAY)) AS games_in_last_7_days,
           COUNTIF(game_date >= DATE_SUB(@target_date, INTERVAL 14 DAY)) AS games_in_last_14_days,
           -- minutes summed as whole seconds (what box scores carry): an exact, order-independent sum
           SUM(IF(game_date >= DATE_SUB(@target_date, INTERVAL 7 DAY), CAST(ROUND(minutes * 60) AS INT64), 0))
             / 60 AS minutes_in_last_7_days,
           SUM(IF(game_date >= DATE_SUB(@target_date, INTERVAL 14 DAY), CAST(ROUND(minutes * 60) AS INT64), 0))
             / 60 AS minutes_in_last_14_days,
           AVG(IF(recency <= 5, points, NULL)) AS points_avg_last_5,
           AVG(IF(recency <= 10, points, NULL)) AS points_avg_last_10
    FROM played
    GROUP BY player_lookup
  ),
  figures AS (
    SELECT
      c.player_lookup,
      lb.universal_player_id,
      c.game_id,
      CAST(@target_date AS DATE) AS game_date,
      c.team_abbr,
      c.opponent_team_abbr,
      l.current_points_line IS NOT NULL AS has_prop_line,
      l.current_points_line,
      l.opening_points_line,
      l.line_source,
      IF(c.home_game, g.home_spread, -g.home_spread) AS game_spread,
      g.game_total,
      c.home_game,
      COALESCE(tr.played_yesterday, FALSE) AS back_to_back,
      DATE_DIFF(@target_date, pr.last_game_date, DAY) AS days_rest,
      COALESCE(pr.games_in_last_7_days, 0) AS games_in_last_7_days,
      COALESCE(pr.games_in_last_14_days, 0) AS games_in_last_14_days,
      ROUND(COALESCE(pr.minutes_in_last_7_days, 0), 4) AS minutes_in_last_7_days,
      ROUND(COALESCE(pr.minutes_in_last_14_days, 0), 4) AS minutes_in_last_14_days,
      ROUND(SAFE_DIVIDE(pr.minutes_in_last_7_days, pr.games_in_last_7_days), 4) AS avg_minutes_per_game_last_7,
      ROUND(pr.points_avg_last_5, 4) AS points_avg_last_5,
      ROUND(pr.points_avg_last_10, 4) AS points_avg_last_10,
      c.player_status,
      COALESCE(pc.expected_games_count, 0) AS expected_games_count,
      COALESCE(pc.actual_games_count, 0) AS actual_games_count
    FROM candidates AS c
    LEFT JOIN latest_box AS lb ON lb.player_lookup = c.player_lookup AND lb.pick = 1
    LEFT JOIN ranked_lines AS l ON l.game_id = c.game_id AND l.player_lookup = c.player_lookup AND l.pick = 1
    LEFT JOIN game_lines AS g ON g.game_id = c.game_id
    LEFT JOIN team_recent AS tr ON tr.team_abbr = c.team_abbr
    LEFT JOIN player_recent AS pr ON pr.player_lookup = c.player_lookup
    LEFT JOIN player_completeness AS pc ON pc.player_lookup = c.player_lookup
    WHERE c.player_status != 'out'
  ),
  fresh AS (
    SELECT
      figures.*,
      IF(expected_games_count = 0, 100.0,
         ROUND(100 * actual_games_count / expected_games_count, 2)) AS completeness_percentage,
      expected_games_count - actual_games_count AS missing_games_count,
      -- SAFE_DIVIDE: GoogleSQL does not promise to skip the right side of OR, and x / 0 raises
      expected_games_count = 0 OR SAFE_DIVIDE(100 * actual_games_count, expected_games_count) >= 90
        AS is_production_ready,
      CONCAT(CAST(actual_games_count AS STRING), ' of ', CAST(expected_games_count AS STRING),
             ' team games in the last 14 days have a box-score row for the player') AS processing_decision_reason
    FROM figures
  )
  -- The fresh rows, and the keys of the table's rows of the date that are no longer among them
  -- (gone: deleted below). Not WHEN NOT MATCHED BY SOURCE, which DuckDB runs as a full outer join
  -- with the whole table (a cost that grows with every date loaded): this reads the date's rows only.
  SELECT
    f.*,
    COALESCE(f.game_id, old.game_id) AS merge_game_id,
    COALESCE(f.player_lookup, old.player_lookup) AS merge_player_lookup,
    f.game_id IS NULL AS gone
  FROM fresh AS f
  FULL JOIN (
    SELECT game_id, player_lookup FROM nba_analytics.upcoming_player_game_context WHERE game_date = @target_date
  ) AS old ON old.game_id = f.game_id AND old.player_lookup = f.player_lookup
) S
-- no date here: the key is (game_id, player_lookup), and a row the game had under another date is updated
ON T.game_id = S.merge_game_id AND T.player_lookup = S.merge_player_lookup
WHEN MATCHED AND S.gone THEN DELETE
WHEN MATCHED AND (
  T.universal_player_id IS DISTINCT FROM S.universal_player_id
  OR T.game_date IS DISTINCT FROM S.game_date
  OR T.team_abbr IS DISTINCT FROM S.team_abbr
  OR T.opponent_team_abbr IS DISTINCT FROM S.opponent_team_abbr
  OR T.has_prop_line IS DISTINCT FROM S.has_prop_line
  OR T.current_points_line IS DISTINCT FROM S.current_points_line
  OR T.opening_points_line IS DISTINCT FROM S.opening_points_line
  OR T.line_source IS DISTINCT FROM S.line_source
  OR T.game_spread IS DISTINCT FROM S.game_spread
  OR T.game_total IS DISTINCT FROM S.game_total
  OR T.home_game IS DISTINCT FROM S.home_game
  OR T.back_to_back IS DISTINCT FROM S.back_to_back
  OR T.days_rest IS DISTINCT FROM S.days_rest
  OR T.games_in_last_7_days IS DISTINCT FROM S.games_in_last_7_days
  OR T.games_in_last_14_days IS DISTINCT FROM S.games_in_last_14_days
  OR T.minutes_in_last_7_days IS DISTINCT FROM S.minutes_in_last_7_days
  OR T.minutes_in_last_14_days IS DISTINCT FROM S.minutes_in_last_14_days
  OR T.avg_minutes_per_game_last_7 IS DISTINCT FROM S.avg_minutes_per_game_last_7
  OR T.points_avg_last_5 IS DISTINCT FROM S.points_avg_last_5
  OR T.points_avg_last_10 IS DISTINCT FROM S.points_avg_last_10
  OR T.player_status IS DISTINCT FROM S.player_status
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
  has_prop_line = S.has_prop_line,
  current_points_line = S.current_points_line,
  opening_points_line = S.opening_points_line,
  line_source = S.line_source,
  game_spread = S.game_spread,
  game_total = S.game_total,
  home_game = S.home_game,
  back_to_back = S.back_to_back,
  days_rest = S.days_rest,
  games_in_last_7_days = S.games_in_last_7_days,
  games_in_last_14_days = S.games_in_last_14_days,
  minutes_in_last_7_days = S.minutes_in_last_7_days,
  minutes_in_last_14_days = S.minutes_in_last_14_days,
  avg_minutes_per_game_last_7 = S.avg_minutes_per_game_last_7,
  points_avg_last_5 = S.points_avg_last_5,
  points_avg_last_10 = S.points_avg_last_10,
  player_status = S.player_status,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  player_lookup, universal_player_id, game_id, game_date, team_abbr, opponent_team_abbr, has_prop_line,
  current_points_line, opening_points_line, line_source, game_spread, game_total, home_game, back_to_back,
  days_rest, games_in_last_7_days, games_in_last_14_days, minutes_in_last_7_days, minutes_in_last_14_days,
  avg_minutes_per_game_last_7, points_avg_last_5, points_avg_last_10, player_status, expected_games_count,
  actual_games_count, completeness_percentage, missing_games_count, is_production_ready,
  processing_decision_reason, loaded_at
) VALUES (
  S.player_lookup, S.universal_player_id, S.game_id, S.game_date, S.team_abbr, S.opponent_team_abbr,
  S.has_prop_line, S.current_points_line, S.opening_points_line, S.line_source, S.game_spread, S.game_total,
  S.home_game, S.back_to_back, S.days_rest, S.games_in_last_7_days, S.games_in_last_14_days,
  S.minutes_in_last_7_days, S.minutes_in_last_14_days, S.avg_minutes_per_game_last_7, S.points_avg_last_5,
  S.points_avg_last_10, S.player_status, S.expected_games_count, S.actual_games_count,
  S.completeness_percentage, S.missing_games_count, S.is_production_ready, S.processing_decision_reason,
  @loaded_at
)
