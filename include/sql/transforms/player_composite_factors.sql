-- Phase 4: player_composite_factors (PCF) for the analysis date @target_date.
-- One row per player in upcoming_player_game_context (UPGC) for the date, key (player_lookup, analysis_date).
-- Reads this date's player_shot_zone_analysis (PSZA) and team_defense_zone_analysis (TDZA) rows, so it
-- runs after both. The formulas are mirrored in plugins/nba_pipeline/features.py.
--
-- fatigue_score (0-100), from 50:
--   UPGC days_rest is the number of days since the player's previous game, so days_rest = 1 means he
--   played yesterday (a back-to-back, "0 days of rest"); the days of rest are days_rest - 1:
--     days_rest >= 4 (3+ days off) +30;  days_rest = 3 (2 days off) +15;  days_rest = 2 (1 day off) 0;
--     days_rest = 1 (back-to-back) -20;  days_rest NULL (no previous game) 0, or -20 when UPGC's
--     back_to_back flag is set
--   minutes in the last 7 days (UPGC): > 245 -20; > 210 -10; < 140 +10; NULL 0
--   back-to-back penalty: another -15 when the player played yesterday (days_rest = 1; when days_rest
--     is NULL, UPGC's back_to_back flag decides)
--   clamped to 0..100 (a back-to-back after a heavy week, 50 - 20 - 20 - 15 = -5, gives 0)
-- shot_zone_mismatch_score (-10..+10): the player's primary scoring zone (PSZA) against the opponent's
--   zone defense (TDZA), scaled by the player's point share s in that zone (0-1) and the opponent's
--   gap g to the league in that zone (percentage points):
--     primary zone = opponent's weakest zone    +min(10, 2 * s * |g|)
--     primary zone = opponent's strongest zone  -min(10, 2 * s * |g|)
--     any other zone, or free throws             0
--   NULL when the player has no primary zone or the opponent has no zone defense figures.
-- pace_score (-3..+3) = clamp((expected pace - league pace) / 3, -3, 3), where
--   expected pace = (team pace + opponent pace) / 2, each the mean pace of the team's last 10 games
--   (team_offense_game_summary), and league pace = the mean pace over every team's last 10 games.
--   NULL when either team has no games.
-- usage_spike_score (-3..+3) = clamp((usage last 5 - usage last 20) / 2, -3, 3), usage = mean
--   usage_rate (percent) of the player's last 5 / 20 games (player_game_summary). NULL without games.
-- total_composite_adjustment = (fatigue - 50) / 5 + mismatch + pace + usage (a NULL part counts as 0).
-- Completeness: expected = min(10, the player's team's non-postponed scheduled games in the past 365
-- days before the date); actual = the player's games in his 10-game window; ready at >= 90 %.
-- Figures are rounded to 4 decimals; the update fires only when a column differs. Rows of the date
-- for players no longer in UPGC are deleted.
MERGE nba_precompute.player_composite_factors T
USING (
  WITH
  players AS (
    -- @include fragments/upcoming_players.sql
  ),
  scheduled AS (
    -- @include fragments/scheduled_games.sql
  ),
  -- ------------------------------------------------------------------ usage (player history)
  player_games AS (
    -- @include fragments/player_history.sql
  ),
  usage AS (
    SELECT player_lookup,
           COUNTIF(rn <= 10) AS games_last_10,
           -- means of exact integer sums (usage_rate_e4: see the fragment)
           SAFE_DIVIDE(SUM(IF(rn <= 5, usage_rate_e4, NULL)),
                       10000 * COUNT(IF(rn <= 5, usage_rate_e4, NULL))) AS usage_last_5,
           SAFE_DIVIDE(SUM(IF(rn <= 20, usage_rate_e4, NULL)),
                       10000 * COUNT(IF(rn <= 20, usage_rate_e4, NULL))) AS usage_last_20
    FROM player_games
    GROUP BY player_lookup
  ),
  -- ------------------------------------------------------------------ pace (team history)
  team_games AS (
    -- @include fragments/team_offense_history.sql
  ),
  -- means of exact integer sums (pace_e4: see the fragment), not AVG(pace): the league mean sums
  -- about 300 floats in parallel, and its last bits, then a half-way pace_score, varied between runs
  team_pace AS (
    SELECT team_abbr, SAFE_DIVIDE(SUM(pace_e4), 10000 * COUNT(pace_e4)) AS pace_last_10
    FROM team_games
    WHERE rn <= 10
    GROUP BY team_abbr
  ),
  league_pace AS (
    SELECT SAFE_DIVIDE(SUM(pace_e4), 10000 * COUNT(pace_e4)) AS pace FROM team_games WHERE rn <= 10
  ),
  -- ------------------------------------------------------------------ the four factors
  inputs AS (
    SELECT
      p.player_lookup, p.game_id, p.team_abbr, p.opponent_team_abbr, p.days_rest, p.back_to_back,
      p.minutes_in_last_7_days,
      COALESCE(u.games_last_10, 0) AS games_last_10,
      u.usage_last_5,
      u.usage_last_20,
      z.primary_scoring_zone,
      CASE z.primary_scoring_zone
        WHEN 'paint' THEN z.pct_paint
        WHEN 'mid_range' THEN z.pct_mid_range
        WHEN 'three' THEN z.pct_three
        WHEN 'free_throw' THEN z.pct_free_throw
      END AS zone_share,
      CASE z.primary_scoring_zone
        WHEN 'paint' THEN d.paint_pct_vs_league
        WHEN 'mid_range' THEN d.mid_range_pct_vs_league
        WHEN 'three' THEN d.three_pt_pct_vs_league
      END AS zone_gap,
      d.weakest_zone AS opponent_weakest_zone,
      d.strongest_zone AS opponent_strongest_zone,
      (tp.pace_last_10 + op.pace_last_10) / 2 AS expected_pace,
      l.pace AS league_pace,
      -- played yesterday: days_rest = 1; the team flag only when days_rest is unknown
      COALESCE(p.days_rest <= 1, p.back_to_back, FALSE) AS played_yesterday,
      LEAST(10, COALESCE(c.scheduled_games, 0)) AS expected_games_count
    FROM players AS p
    LEFT JOIN usage AS u ON u.player_lookup = p.player_lookup
    LEFT JOIN nba_precompute.player_shot_zone_analysis AS z
      ON z.player_lookup = p.player_lookup AND z.analysis_date = @target_date
    LEFT JOIN nba_precompute.team_defense_zone_analysis AS d
      ON d.team_abbr = p.opponent_team_abbr AND d.analysis_date = @target_date
    LEFT JOIN team_pace AS tp ON tp.team_abbr = p.team_abbr
    LEFT JOIN team_pace AS op ON op.team_abbr = p.opponent_team_abbr
    LEFT JOIN scheduled AS c ON c.team_abbr = p.team_abbr
    CROSS JOIN league_pace AS l
  ),
  factors AS (
    SELECT
      i.*,
      CAST(GREATEST(0, LEAST(100,
        50
        -- rest
        + CASE
            WHEN played_yesterday THEN -20
            WHEN days_rest >= 4 THEN 30
            WHEN days_rest = 3 THEN 15
            ELSE 0
          END
        -- minutes over the last 7 days
        + CASE
            WHEN minutes_in_last_7_days > 245 THEN -20
            WHEN minutes_in_last_7_days > 210 THEN -10
            WHEN minutes_in_last_7_days < 140 THEN 10
            ELSE 0
          END
        -- back-to-back penalty on top of the rest tier
        + IF(played_yesterday, -15, 0)
      )) AS FLOAT64) AS fatigue_score,
      ROUND(CASE
        WHEN primary_scoring_zone IS NULL OR opponent_weakest_zone IS NULL THEN NULL
        WHEN primary_scoring_zone = 'free_throw' THEN 0.0
        WHEN primary_scoring_zone = opponent_weakest_zone THEN LEAST(10, 2 * zone_share * ABS(zone_gap))
        WHEN primary_scoring_zone = opponent_strongest_zone THEN -LEAST(10, 2 * zone_share * ABS(zone_gap))
        ELSE 0.0
      END, 4) AS shot_zone_mismatch_score,
      ROUND(GREATEST(-3, LEAST(3, (expected_pace - league_pace) / 3)), 4) AS pace_score,
      ROUND(GREATEST(-3, LEAST(3, (usage_last_5 - usage_last_20) / 2)), 4) AS usage_spike_score
    FROM inputs AS i
  ),
  figures AS (
    SELECT
      f.*,
      ROUND((fatigue_score - 50) / 5
            + COALESCE(shot_zone_mismatch_score, 0)
            + COALESCE(pace_score, 0)
            + COALESCE(usage_spike_score, 0), 4) AS total_composite_adjustment,
      CASE
        WHEN games_last_10 = 0 THEN 0.0
        WHEN expected_games_count = 0 THEN 100.0
        ELSE ROUND(100 * LEAST(games_last_10, expected_games_count) / expected_games_count, 2)
      END AS completeness_percentage
    FROM factors AS f
  ),
  fresh AS (
    SELECT
      player_lookup,
      game_id,
      CAST(@target_date AS DATE) AS analysis_date,
      team_abbr,
      opponent_team_abbr,
      fatigue_score,
      shot_zone_mismatch_score,
      pace_score,
      usage_spike_score,
      total_composite_adjustment,
      expected_games_count,
      games_last_10 AS actual_games_count,
      completeness_percentage,
      GREATEST(0, expected_games_count - games_last_10) AS missing_games_count,
      completeness_percentage >= 90 AS is_production_ready,
      CONCAT(
        CASE
          WHEN games_last_10 = 0 THEN 'no_history: no games before the date'
          ELSE CONCAT(
            IF(completeness_percentage >= 90, 'complete: ', 'incomplete_history: '),
            CAST(games_last_10 AS STRING), ' of ', CAST(expected_games_count AS STRING),
            ' expected games in the 10-game window')
        END,
        -- factors left neutral for want of input
        IF(shot_zone_mismatch_score IS NULL, '; no zone matchup', ''),
        IF(pace_score IS NULL, '; no pace', ''),
        IF(usage_spike_score IS NULL, '; no usage history', '')
      ) AS processing_decision_reason
    FROM figures
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
    SELECT player_lookup FROM nba_precompute.player_composite_factors WHERE analysis_date = @target_date
  ) AS old ON old.player_lookup = f.player_lookup
) S
ON T.player_lookup = S.merge_player_lookup AND T.analysis_date = @target_date
WHEN MATCHED AND S.gone THEN DELETE
WHEN MATCHED AND (
  T.game_id IS DISTINCT FROM S.game_id
  OR T.team_abbr IS DISTINCT FROM S.team_abbr
  OR T.opponent_team_abbr IS DISTINCT FROM S.opponent_team_abbr
  OR T.fatigue_score IS DISTINCT FROM S.fatigue_score
  OR T.shot_zone_mismatch_score IS DISTINCT FROM S.shot_zone_mismatch_score
  OR T.pace_score IS DISTINCT FROM S.pace_score
  OR T.usage_spike_score IS DISTINCT FROM S.usage_spike_score
  OR T.total_composite_adjustment IS DISTINCT FROM S.total_composite_adjustment
  OR T.expected_games_count IS DISTINCT FROM S.expected_games_count
  OR T.actual_games_count IS DISTINCT FROM S.actual_games_count
  OR T.completeness_percentage IS DISTINCT FROM S.completeness_percentage
  OR T.missing_games_count IS DISTINCT FROM S.missing_games_count
  OR T.is_production_ready IS DISTINCT FROM S.is_production_ready
  OR T.processing_decision_reason IS DISTINCT FROM S.processing_decision_reason
) THEN UPDATE SET
  game_id = S.game_id,
  team_abbr = S.team_abbr,
  opponent_team_abbr = S.opponent_team_abbr,
  fatigue_score = S.fatigue_score,
  shot_zone_mismatch_score = S.shot_zone_mismatch_score,
  pace_score = S.pace_score,
  usage_spike_score = S.usage_spike_score,
  total_composite_adjustment = S.total_composite_adjustment,
  expected_games_count = S.expected_games_count,
  actual_games_count = S.actual_games_count,
  completeness_percentage = S.completeness_percentage,
  missing_games_count = S.missing_games_count,
  is_production_ready = S.is_production_ready,
  processing_decision_reason = S.processing_decision_reason,
  loaded_at = @loaded_at
WHEN NOT MATCHED THEN INSERT (
  player_lookup, game_id, analysis_date, team_abbr, opponent_team_abbr, fatigue_score,
  shot_zone_mismatch_score, pace_score, usage_spike_score, total_composite_adjustment,
  expected_games_count, actual_games_count, completeness_percentage, missing_games_count,
  is_production_ready, processing_decision_reason, loaded_at
) VALUES (
  S.player_lookup, S.game_id, S.analysis_date, S.team_abbr, S.opponent_team_abbr, S.fatigue_score,
  S.shot_zone_mismatch_score, S.pace_score, S.usage_spike_score, S.total_composite_adjustment,
  S.expected_games_count, S.actual_games_count, S.completeness_percentage, S.missing_games_count,
  S.is_production_ready, S.processing_decision_reason, @loaded_at
)
