-- Phase 3: upcoming_team_game_context for the games of @target_date (schedule, not postponed).
-- One row per team playing, key (game_id, team_abbr).
--
--   opponent / home_game  from the schedule
--   days_rest             days since the team's previous scheduled (not postponed) game; NULL if none
--                         within the last 30 days
--   back_to_back          days_rest = 1 (the team played yesterday)
--   game_spread / total   odds_api_game_lines, draftkings first, else the first book by key that has the
--                         figure; the spread is seen from the team (home: home_spread, away: -home_spread)
--   injured_players       sorted player_lookups of the team that are OUT or DOUBTFUL in the latest injury
--                         report (the newest report_time among rows for games in [D-7, D]); empty if none
-- Rows of @target_date for games no longer on the schedule (postponed) are deleted.
MERGE nba_analytics.upcoming_team_game_context T
USING (
  WITH
  teams_today AS (
    -- @include fragments/teams_today.sql
  ),
  team_schedule AS (
    -- @include fragments/team_schedule.sql
  ),
  previous_games AS (
    -- each team's most recent game of the last 30 days
    SELECT team_abbr, MAX(game_date) AS last_game_date
    FROM team_schedule
    WHERE game_date >= DATE_SUB(@target_date, INTERVAL 30 DAY)
    GROUP BY team_abbr
  ),
  game_lines AS (
    -- @include fragments/game_lines.sql
  ),
  latest_report AS (
    -- @include fragments/latest_injury_report.sql
  ),
  injured AS (
    SELECT DISTINCT r.team_abbr, r.player_lookup
    FROM latest_report AS r
    WHERE LOWER(r.injury_status) IN ('out', 'doubtful')
  ),
  injured_by_team AS (
    SELECT team_abbr,
           COUNT(*) AS injured_players_count,
           ARRAY_AGG(player_lookup ORDER BY player_lookup) AS injured_players
    FROM injured
    GROUP BY team_abbr
  ),
  fresh AS (
    SELECT
      t.team_abbr,
      t.game_id,
      CAST(@target_date AS DATE) AS game_date,
      t.opponent_team_abbr,
      t.home_game,
      DATE_DIFF(@target_date, p.last_game_date, DAY) AS days_rest,
      COALESCE(DATE_DIFF(@target_date, p.last_game_date, DAY) = 1, FALSE) AS back_to_back,
      IF(t.home_game, g.home_spread, -g.home_spread) AS game_spread,
      g.game_total,
      COALESCE(i.injured_players_count, 0) AS injured_players_count,
      COALESCE(i.injured_players, ARRAY<STRING>[]) AS injured_players
    FROM teams_today AS t
    LEFT JOIN previous_games AS p ON p.team_abbr = t.team_abbr
    LEFT JOIN game_lines AS g ON g.game_id = t.game_id
    LEFT JOIN injured_by_team AS i ON i.team_abbr = t.team_abbr
  )
  -- The fresh rows, and the keys of the table's rows of the date that are no longer among them
  -- (gone: deleted below). Not WHEN NOT MATCHED BY SOURCE, which DuckDB runs as a full outer join
  -- with the whole table (a cost that grows with every date loaded): this reads the date's rows only.
  SELECT
    f.*,
    COALESCE(f.game_id, old.game_id) AS merge_game_id,
    COALESCE(f.team_abbr, old.team_abbr) AS merge_team_abbr,
    f.game_id IS NULL AS gone
  FROM fresh AS f
  FULL JOIN (
    SELECT game_id, team_abbr FROM nba_analytics.upcoming_team_game_context WHERE game_date = @target_date
  ) AS old ON old.game_id = f.game_id AND old.team_abbr = f.team_abbr
) S
-- no date here: the key is (game_id, team_abbr), and a row the game had under another date is updated
ON T.game_id = S.merge_game_id AND T.team_abbr = S.merge_team_abbr
WHEN MATCHED AND S.gone THEN DELETE
WHEN MATCHED AND (
  T.game_date IS DISTINCT FROM S.game_date
  OR T.opponent_team_abbr IS DISTINCT FROM S.opponent_team_abbr
  OR T.home_game IS DISTINCT FROM S.home_game
  OR T.days_rest IS DISTINCT FROM S.days_rest
  OR T.back_to_back IS DISTINCT FROM S.back_to_back
  OR T.game_spread IS DISTINCT FROM S.game_spread
  OR T.game_total IS DISTINCT FROM S.game_total
  OR T.injured_players_count IS DISTINCT FROM S.injured_players_count
  -- arrays cannot be compared in GoogleSQL: compare their text (player_lookups hold no commas)
  OR ARRAY_TO_STRING(T.injured_players, ',') IS DISTINCT FROM ARRAY_TO_STRING(S.injured_players, ',')
) THEN UPDATE SET
  game_date = S.game_date,
  opponent_team_abbr = S.opponent_team_abbr,
  home_game = S.home_game,
  days_rest = S.days_rest,
  back_to_back = S.back_to_back,
  game_spread = S.game_spread,
  game_total = S.game_total,
  injured_players_count = S.injured_players_count,
  injured_players = S.injured_players,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  team_abbr, game_id, game_date, opponent_team_abbr, home_game, days_rest, back_to_back, game_spread,
  game_total, injured_players_count, injured_players, loaded_at
) VALUES (
  S.team_abbr, S.game_id, S.game_date, S.opponent_team_abbr, S.home_game, S.days_rest, S.back_to_back,
  S.game_spread, S.game_total, S.injured_players_count, S.injured_players, @loaded_at
)
