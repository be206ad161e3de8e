-- The book rows of games in [D-7, D] that the player registry resolved to a person whose
-- player_lookup differs from the row's own (a nickname, a dropped suffix, a spelling): a transform
-- joins such a row's line by the person's player_lookup, the one his box scores and context carry,
-- not by the book's spelling.
-- Columns: source (the payload source), scope (the game_id), raw_lookup (the book row's
-- player_lookup), player_lookup (the registry's).
-- Parameters: @target_date.
SELECT r.source, r.scope, r.player_lookup AS raw_lookup, g.player_lookup
FROM nba_analytics.player_identity_resolutions AS r
JOIN nba_analytics.player_registry AS g ON g.universal_player_id = r.universal_player_id
WHERE r.game_date BETWEEN DATE_SUB(@target_date, INTERVAL 7 DAY) AND @target_date
  AND r.source IN ('odds_api_player_points_props', 'bettingpros_player_props')
  AND g.player_lookup <> r.player_lookup
