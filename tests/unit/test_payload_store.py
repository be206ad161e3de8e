"""The payload store never overwrites: a second body stored under the same fetch time goes beside
the first, and the newest is the later one; the same body stored twice is one payload."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nba_pipeline.storage import PayloadStore

DAY = dt.date(2025, 1, 15)
AT = dt.datetime(2025, 1, 15, 15, 0, 0, 123456, tzinfo=dt.UTC)


def test_a_second_body_at_the_same_fetch_time_is_kept_beside_the_first(tmp_path: Path) -> None:
    store = PayloadStore(str(tmp_path))
    first = store.store("nbac_schedule", DAY, b'{"a": 1}', AT)
    second = store.store("nbac_schedule", DAY, b'{"a": 2}', AT)
    third = store.store("nbac_schedule", DAY, b'{"a": 3}', AT)
    assert Path(first).name == "20250115T150000123456Z.json"
    assert [Path(u).name for u in (second, third)] == [
        "20250115T150000123456Z_001.json",
        "20250115T150000123456Z_002.json",
    ]
    assert [store.read(u) for u in (first, second, third)] == [b'{"a": 1}', b'{"a": 2}', b'{"a": 3}']
    assert store.latest("nbac_schedule", DAY) == third, "the later store is the newest"
    assert store.store("nbac_schedule", DAY, b'{"a": 2}', AT) == second, "the same bytes are the same payload"
    assert len(list((tmp_path / "nbac_schedule" / DAY.isoformat()).iterdir())) == 3


def test_an_object_store_url_opens_through_the_connection_it_names_or_the_configured_one(settings_env) -> None:
    """``gs://conn@bucket`` names its connection; a bare ``gs://bucket`` takes NBA_STORAGE_CONN_ID,
    which defaults to the BigQuery connection; empty means the machine's default credentials."""
    from nba_pipeline.storage import object_path

    settings_env.setenv("NBA_BIGQUERY_CONN_ID", "bq_key_file")
    settings_env.delenv("NBA_STORAGE_CONN_ID", raising=False)
    assert object_path("gs://bucket/payloads").conn_id == "bq_key_file"
    assert object_path("gs://other@bucket/payloads").conn_id == "other"
    assert str(object_path("gs://bucket/payloads") / "a.json") == "gs://bq_key_file@bucket/payloads/a.json"
    assert object_path("/tmp/payloads").conn_id is None
    settings_env.setenv("NBA_STORAGE_CONN_ID", "gcs_writer")
    from nba_pipeline.settings import get_settings

    get_settings.cache_clear()
    assert object_path("gs://bucket/payloads").conn_id == "gcs_writer"
    settings_env.setenv("NBA_STORAGE_CONN_ID", "")
    get_settings.cache_clear()
    assert object_path("gs://bucket/payloads").conn_id is None
