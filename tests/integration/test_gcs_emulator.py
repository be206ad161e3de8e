"""Payloads and models on Google Cloud Storage, through the Airflow connection, against a GCS emulator.

The emulator (PyPI ``gcp-storage-emulator``) serves the GCS JSON API on a free local port, in memory,
inside the test process. The package reaches it as production reaches GCS: ``NBA_PAYLOAD_ROOT`` and
``NBA_MODEL_ROOT`` are ``gs://`` URLs and ``NBA_STORAGE_CONN_ID`` names a Google connection (here
from an ``AIRFLOW_CONN_*`` variable) whose extra points the provider's file system at the emulator
(``gcs.endpoint``) with anonymous credentials. Without that connection gcsfs would use the machine's
default credentials and the real endpoint, which this machine cannot reach: every operation that
succeeds here went through the connection. What lands in the bucket is read back with
``google-cloud-storage``'s own client, not the package's.

Where the emulator differs from GCS: it does not serve the gRPC storage-layout API that gcsfs's
default file system asks first (to detect hierarchical-namespace buckets; against the emulator each
bucket costs a 60 s timeout before gcsfs falls back), so the tests use gcsfs's plain
``GCSFileSystem``, patched where the provider imports it.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.integration

BUCKET = "nba-data"
CONN_ID = "nba_gcs_emulator"
PROJECT = "nba-emulator"
FETCHED = dt.datetime(2025, 1, 15, 15, 0, 1, 250_000, tzinfo=dt.UTC)
DAY = dt.date(2025, 1, 15)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    from gcp_storage_emulator.server import create_server

    port = _free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def gcs(emulator: str, settings_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The package configured for GCS through ``CONN_ID``; gcsfs's plain file system (see above)."""
    import gcsfs
    import gcsfs.core

    extra = {"project": PROJECT, "is_anonymous": True, "gcs.endpoint": emulator}
    settings_env.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps({"conn_type": "google_cloud_platform",
                                                                       "extra": extra}))
    settings_env.setenv("NBA_STORAGE_CONN_ID", CONN_ID)
    settings_env.setattr(gcsfs, "GCSFileSystem", gcsfs.core.GCSFileSystem)
    gcsfs.core.GCSFileSystem.clear_instance_cache()
    return settings_env


@pytest.fixture
def bucket(emulator: str) -> Any:
    """The bucket as google-cloud-storage's client sees it."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(project=PROJECT, credentials=AnonymousCredentials(),
                            client_options=ClientOptions(api_endpoint=emulator))
    return client.bucket(BUCKET)


def _objects(bucket: Any, prefix: str) -> dict[str, bytes]:
    return {blob.name: blob.download_as_bytes() for blob in bucket.client.list_blobs(bucket, prefix=prefix)}


def test_payloads_are_stored_found_and_quarantined_in_the_bucket(gcs, bucket, request):
    from nba_pipeline.storage import PayloadStore

    prefix = f"payloads-{request.node.name[-12:]}"
    store = PayloadStore(root=f"gs://{BUCKET}/{prefix}")
    first = store.store("nbac_schedule", DAY, b'{"a":1}', FETCHED)
    assert first == f"gs://{CONN_ID}@{BUCKET}/{prefix}/nbac_schedule/2025-01-15/20250115T150001250000Z.json"
    assert store.store("nbac_schedule", DAY, b'{"a":1}', FETCHED) == first, "the same bytes are the same payload"
    second = store.store("nbac_schedule", DAY, b'{"a":2}', FETCHED)
    assert second.endswith("20250115T150001250000Z_001.json"), "other bytes never overwrite"
    pdf = store.store("nbac_injury_report", DAY, b"%PDF-1.7 ...", FETCHED, suffix=".pdf")

    # re-read by a new store, as the raw processor's task does in another process
    again = PayloadStore(root=f"gs://{BUCKET}/{prefix}")
    assert again.latest("nbac_schedule", DAY) == second
    assert (again.read(first), again.read(second), again.size(pdf)) == (b'{"a":1}', b'{"a":2}', 12)
    assert again.latest("nbac_schedule", DAY + dt.timedelta(days=1)) is None

    kept = again.quarantine(second, "nbac_schedule: games[0].gameId: expected a string")
    assert again.quarantined("nbac_schedule", DAY) == [kept]
    assert again.latest("nbac_schedule", DAY) == first
    assert _objects(bucket, prefix) == {
        f"{prefix}/nbac_schedule/2025-01-15/20250115T150001250000Z.json": b'{"a":1}',
        f"{prefix}/nbac_injury_report/2025-01-15/20250115T150001250000Z.pdf": b"%PDF-1.7 ...",
        f"{prefix}/quarantine/nbac_schedule/2025-01-15/20250115T150001250000Z_001.json": b'{"a":2}',
        f"{prefix}/quarantine/nbac_schedule/2025-01-15/20250115T150001250000Z_001.json.error.txt":
            b"nbac_schedule: games[0].gameId: expected a string\n",
    }


def test_a_quarantine_copy_cut_short_leaves_no_half_object(gcs, bucket, request, monkeypatch):
    """A write to GCS is committed when its file closes, even when an error closes it: a copy that
    fails half way must not stay in quarantine as if it were the payload, and the payload stays."""
    import shutil

    from nba_pipeline.storage import PayloadStore

    prefix = f"payloads-{request.node.name[-12:]}"
    store = PayloadStore(root=f"gs://{BUCKET}/{prefix}")
    uri = store.store("bdl_boxscores", DAY, b"x" * 4096, FETCHED)

    def half_then_fail(source: Any, target: Any, length: int = 0) -> None:
        target.write(source.read(1000))
        raise OSError("connection reset by peer")

    copy = shutil.copyfileobj
    monkeypatch.setattr("nba_pipeline.storage.shutil.copyfileobj", half_then_fail)
    with pytest.raises(OSError, match="connection reset"):
        store.quarantine(uri, "why")
    assert _objects(bucket, f"{prefix}/quarantine") == {}
    assert store.quarantined("bdl_boxscores", DAY) == []
    assert store.latest("bdl_boxscores", DAY) == uri and store.read(uri) == b"x" * 4096

    monkeypatch.setattr("nba_pipeline.storage.shutil.copyfileobj", copy)
    kept = store.quarantine(uri, "why")
    assert store.quarantined("bdl_boxscores", DAY) == [kept], "a second try completes"
    name = kept.removeprefix(f"gs://{CONN_ID}@{BUCKET}/")
    assert _objects(bucket, f"{prefix}/quarantine/") == {name: b"x" * 4096, f"{name}.error.txt": b"why\n"}


def test_models_are_versioned_in_the_bucket_and_an_unfinished_version_is_passed_over(gcs, bucket, request):
    import xgboost

    from nba_pipeline.features import FEATURE_NAMES
    from nba_pipeline.predictions.model import TrainingResult, list_versions, load_best_model, save_model

    rng = np.random.default_rng(7)
    x = rng.normal(size=(200, len(FEATURE_NAMES)))
    model = xgboost.XGBRegressor(n_estimators=5, max_depth=2).fit(x, x[:, 0] * 3 + 10)
    metrics = {"beats_baseline": True, "feature_names": list(FEATURE_NAMES), "model_mae": 1.0}
    prefix = f"models-{request.node.name[-12:]}"
    root = f"gs://{BUCKET}/{prefix}"
    t0 = dt.datetime(2025, 1, 20, 11, 0, tzinfo=dt.UTC)

    version = save_model(TrainingResult(model, metrics), root, now=t0)
    assert save_model(TrainingResult(model, metrics), root, now=t0) == "20250120T110001Z", "a taken second moves on"
    # a later training that died after its model file: no metrics.json, never served
    bucket.blob(f"{prefix}/xgboost_v1/20250120T120000Z/model.json").upload_from_string(b"{}")

    assert list_versions(root) == ["20250120T120000Z", "20250120T110001Z", version]
    loaded = load_best_model(root)
    assert loaded.version == "20250120T110001Z"
    assert np.allclose(loaded.predict(x[:20]), model.predict(x[:20]), atol=1e-4)
    stored = json.loads(bucket.blob(f"{prefix}/xgboost_v1/{version}/metrics.json").download_as_bytes())
    assert stored == {**metrics, "version": version}
