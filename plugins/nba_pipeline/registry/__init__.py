"""The pipeline's declarations: its processors, calendar, breakers, state tables and skip reasons.

Importing any part of it registers the pipeline's skip reasons, so a run row with one of them is
valid wherever the registry is in use.
"""

from nba_pipeline.registry import skip_reasons as _skip_reasons  # noqa: F401 - registers them
