"""Phase 1: fetch each source's payload for a date and store it untouched.

- :mod:`~nba_pipeline.scrapers.endpoints`: the declarative endpoint catalog (connection, path,
  query, results-or-upcoming, fetch moment) of every source.
- :mod:`~nba_pipeline.scrapers.sources`: the payload source behind one interface, the simulated
  league (default) or the real APIs over HTTP, chosen by ``NBA_SOURCE_MODE``.
- :mod:`~nba_pipeline.scrapers.run`: ``scrape``, the ``run`` of every scraper processor.
"""
