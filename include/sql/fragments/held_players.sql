-- The raw rows whose player the registry holds (player_registry: no person, or more than one, fits the
-- name) for games in [D-7, D]: a transform leaves them out, so a held row is joined to nobody.
-- Columns: source (the payload source), scope (the game_id), player_lookup (the raw row's key).
-- Parameters: @target_date.
SELECT source, scope, player_lookup
FROM nba_analytics.player_identity_resolutions
WHERE game_date BETWEEN DATE_SUB(@target_date, INTERVAL 7 DAY) AND @target_date
  AND skip_reason IS NOT NULL
