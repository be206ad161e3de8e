"""Processors: the code registry entries run (callables taking a ProcessorContext).

- :mod:`nba_pipeline.processors.transform`: ``run_sql_transform``, the run of every SQL transform.

- :mod:`nba_pipeline.processors.raw`: phase 2, stored payloads → ``nba_raw.*`` tables.
- :mod:`nba_pipeline.processors.merge`: idempotent writes (MERGE on canonical keys, insert-if-absent).
- :mod:`nba_pipeline.processors.game_ids`: canonical game ids, team codes, player keys, timestamps.
"""
