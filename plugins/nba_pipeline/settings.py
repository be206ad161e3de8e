"""Configuration, read once from the environment, with defaults that make the local run work.

Everything else in the package asks this module; nothing else reads environment variables.
The backend is chosen here (``NBA_WAREHOUSE_BACKEND``), never by ``if`` in DAGs or processors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent.parent
#: GoogleSQL files; ``NBA_SQL_ROOT`` overrides it where ``include/`` is not beside ``plugins/``
#: (Cloud Composer syncs only dags/, plugins/ and data/: e.g. ``/home/airflow/gcs/data/sql``)
SQL_ROOT = Path(os.environ.get("NBA_SQL_ROOT", PROJECT_ROOT / "include" / "sql"))
SCHEMAS_DIR = SQL_ROOT / "schemas"
MIGRATIONS_DIR = SQL_ROOT / "migrations"

#: The datasets of the warehouse. DuckDB maps each to a schema of the same name.
DATASETS: tuple[str, ...] = (
    "nba_raw",
    "nba_processing",
    "nba_analytics",
    "nba_precompute",
    "nba_predictions",
    "nba_orchestration",
)

LOCAL_TIMEZONE = "America/New_York"

#: seconds added to the wall clock by the package clock (``nba_pipeline.clock``); set by a replay
CLOCK_OFFSET_VARIABLE = "NBA_CLOCK_OFFSET_SECONDS"


#: The most bytes one BigQuery query job may bill (``maximumBytesBilled``): 10 GiB. Sized from the
#: simulated league: one game date adds about 1.6 MB over all tables (BigQuery logical bytes,
#: estimated from the embedded warehouse after one backfilled date), so a season of about 170 game
#: dates holds about 0.3 GB. No legitimate statement reads more than every table once, so 10 GiB
#: is about 30 seasons' headroom (more seasons kept, wider real payloads), while a runaway query
#: (an unpartitioned scan of years of history, an accidental cross join) fails before it bills more
#: than about 6 US cents at the on-demand rate of 6.25 USD per TiB.
DEFAULT_BIGQUERY_MAXIMUM_BYTES_BILLED = 10 * 1024**3

#: How long one BigQuery job may run before BigQuery cancels it (``jobTimeoutMs``), in seconds: 10
#: minutes. A date's transform or DML runs in seconds; the bound stops a stuck job well inside the
#: tasks' 30-minute ``execution_timeout``, so the task fails with BigQuery's reason, not Airflow's.
DEFAULT_BIGQUERY_JOB_TIMEOUT_SECONDS = 600.0


def clock_offset_seconds() -> float:
    """The package clock's offset from the wall clock. Read on every call, not cached: a replay
    moves the clock from one run to the next within one process."""
    value = os.environ.get(CLOCK_OFFSET_VARIABLE, "").strip()
    if not value:
        return 0.0
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{CLOCK_OFFSET_VARIABLE}={value!r} is not a number of seconds") from None


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment.

    :param warehouse_backend: ``duckdb`` (embedded, default) or ``bigquery``.
    :param duckdb_path: the DuckDB file of the embedded warehouse.
    :param duckdb_lock_wait_seconds: how long a task waits for another process's write lock on the file.
    :param bigquery_conn_id: the Airflow connection that holds the Google credentials, project and location.
    :param bigquery_location: overrides the connection's location when set.
    :param bigquery_maximum_bytes_billed: the most bytes one query job may bill; BigQuery fails a
        job that would bill more, before it runs (``NBA_BIGQUERY_MAXIMUM_BYTES_BILLED``, default
        :data:`DEFAULT_BIGQUERY_MAXIMUM_BYTES_BILLED`; empty: no limit).
    :param bigquery_job_timeout_seconds: how long one BigQuery job may run before BigQuery cancels
        it (``NBA_BIGQUERY_JOB_TIMEOUT_SECONDS``, default :data:`DEFAULT_BIGQUERY_JOB_TIMEOUT_SECONDS`).
    :param payload_root: where raw payloads are stored (a local path or a ``gs://`` URL).
    :param storage_conn_id: the Airflow connection an object-storage root (``gs://bucket/...``) is
        opened with unless the URL names one itself (``gs://conn_id@bucket/...``):
        ``NBA_STORAGE_CONN_ID``, default the BigQuery connection; empty: the machine's default
        credentials.
    :param breaker_fail_open: if the breaker store cannot be read, run the processor (True) or skip it.
    :param state_write_pool: the Airflow pool that bounds concurrent breaker and run-log writes.
    :param dependency_poke_seconds: how often a dependency sensor re-checks its upstreams.
    :param dependency_timeout_seconds: how long it waits before skipping with a reason.
    :param dependency_threshold_pct: the completeness every critical dependency must reach.
    :param slack_conn_id: the Airflow connection alerts go to when it exists (else the log).
    :param source_mode: where the scrapers fetch from: ``simulated`` (the seeded simulated league,
        default) or ``http`` (the real APIs, through Airflow connections).
    :param simulation_seed: the seed of the simulated league.
    :param simulation_imperfections: faults the simulated league injects (``docs/payloads.md`` §3),
        from a comma-separated list; empty by default.
    :param model_root: where trained models are versioned (a local path or a ``gs://`` URL);
        ``NBA_MODEL_ROOT``, default ``<data dir>/models``.
    :param prediction_batch_size: players per phase 5 batch (``NBA_PREDICTION_BATCH_SIZE``, default 45).
    :param prediction_parallel_batches: the most phase 5 batches of one run that run at once
        (``NBA_PREDICTION_PARALLEL_BATCHES``, default 8). Each batch MERGEs into the predictions and
        worker-run tables; BigQuery runs two mutating DML statements per table at a time and fails
        any beyond 20 queued, so the bound keeps a large slate inside that, with room for a rerun.
    :param max_payload_bytes: the largest payload a scraper keeps or a raw processor reads; larger
        ones are quarantined (``NBA_MAX_PAYLOAD_BYTES``, default 64 MiB).
    :param data_dir: the local data folder (``NBA_DATA_DIR``, default ``.local``): the embedded
        warehouse, payloads, models and reports live under it unless configured elsewhere.
    :param run_log_outbox: a local folder where run rows wait while the warehouse cannot take
        them (``NBA_RUN_LOG_OUTBOX``, default ``<data dir>/run_log_outbox``).
    :param odds_daily_quota: the most credits of The Odds API's quota the scrapers may use in one
        day (America/New_York, package clock) over all their runs (``NBA_ODDS_DAILY_QUOTA``);
        unset or empty: no daily budget.
    """

    warehouse_backend: str
    duckdb_path: Path
    duckdb_lock_wait_seconds: float
    bigquery_conn_id: str
    bigquery_location: str | None
    payload_root: str
    breaker_fail_open: bool
    state_write_pool: str
    dependency_poke_seconds: float
    dependency_timeout_seconds: float
    dependency_threshold_pct: float
    slack_conn_id: str
    source_mode: str = "simulated"
    simulation_seed: int = 2024
    simulation_imperfections: frozenset[str] = frozenset()
    model_root: str = str(PROJECT_ROOT / ".local" / "models")
    prediction_batch_size: int = 45
    prediction_parallel_batches: int = 8
    max_payload_bytes: int = 64 * 1024 * 1024
    run_log_outbox: Path = PROJECT_ROOT / ".local" / "run_log_outbox"
    data_dir: Path = PROJECT_ROOT / ".local"
    odds_daily_quota: int | None = None
    storage_conn_id: str | None = None
    bigquery_maximum_bytes_billed: int | None = DEFAULT_BIGQUERY_MAXIMUM_BYTES_BILLED
    bigquery_job_timeout_seconds: float = DEFAULT_BIGQUERY_JOB_TIMEOUT_SECONDS


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _optional_int(name: str, text: str) -> int | None:
    """A whole number of ``name`` (None when empty), refusing what is not one or is negative."""
    value = text.strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None
    if number < 0:
        raise ValueError(f"{name}={value!r} must not be negative")
    return number


@cache
def get_settings() -> Settings:
    """The process's settings (cached: the environment is read once)."""
    env = os.environ
    data_dir = Path(env.get("NBA_DATA_DIR", PROJECT_ROOT / ".local"))
    return Settings(
        warehouse_backend=env.get("NBA_WAREHOUSE_BACKEND", "duckdb").strip().lower(),
        duckdb_path=Path(env.get("NBA_DUCKDB_PATH", data_dir / "warehouse.duckdb")),
        duckdb_lock_wait_seconds=float(env.get("NBA_DUCKDB_LOCK_WAIT_SECONDS", "120")),
        bigquery_conn_id=env.get("NBA_BIGQUERY_CONN_ID", "google_cloud_default"),
        bigquery_location=env.get("NBA_BIGQUERY_LOCATION") or None,
        bigquery_maximum_bytes_billed=_optional_int(
            "NBA_BIGQUERY_MAXIMUM_BYTES_BILLED",
            env.get("NBA_BIGQUERY_MAXIMUM_BYTES_BILLED", str(DEFAULT_BIGQUERY_MAXIMUM_BYTES_BILLED)),
        ),
        bigquery_job_timeout_seconds=float(
            env.get("NBA_BIGQUERY_JOB_TIMEOUT_SECONDS", str(DEFAULT_BIGQUERY_JOB_TIMEOUT_SECONDS))
        ),
        payload_root=env.get("NBA_PAYLOAD_ROOT", str(data_dir / "payloads")),
        storage_conn_id=env.get("NBA_STORAGE_CONN_ID", env.get("NBA_BIGQUERY_CONN_ID", "google_cloud_default")).strip()
        or None,
        breaker_fail_open=_flag(env.get("NBA_BREAKER_FAIL_OPEN", "true")),
        state_write_pool=env.get("NBA_STATE_WRITE_POOL", "nba_state_writes"),
        dependency_poke_seconds=float(env.get("NBA_DEPENDENCY_POKE_SECONDS", "300")),
        dependency_timeout_seconds=float(env.get("NBA_DEPENDENCY_TIMEOUT_SECONDS", "3600")),
        dependency_threshold_pct=float(env.get("NBA_DEPENDENCY_THRESHOLD_PCT", "90")),
        slack_conn_id=env.get("NBA_SLACK_CONN_ID", "").strip() or "nba_slack",
        source_mode=env.get("NBA_SOURCE_MODE", "simulated").strip().lower(),
        simulation_seed=int(env.get("NBA_SIMULATION_SEED", "2024")),
        simulation_imperfections=frozenset(
            name.strip() for name in env.get("NBA_SIMULATION_IMPERFECTIONS", "").split(",") if name.strip()
        ),
        model_root=env.get("NBA_MODEL_ROOT", str(data_dir / "models")),
        prediction_batch_size=int(env.get("NBA_PREDICTION_BATCH_SIZE", "45")),
        prediction_parallel_batches=int(env.get("NBA_PREDICTION_PARALLEL_BATCHES", "8")),
        max_payload_bytes=int(env.get("NBA_MAX_PAYLOAD_BYTES", str(64 * 1024 * 1024))),
        run_log_outbox=Path(env.get("NBA_RUN_LOG_OUTBOX", data_dir / "run_log_outbox")),
        data_dir=data_dir,
        odds_daily_quota=_optional_int("NBA_ODDS_DAILY_QUOTA", env.get("NBA_ODDS_DAILY_QUOTA", "")),
    )


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``NBA_*`` variables for a while, the cached settings re-read on entry and on exit; the
    variables are restored (or removed) afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()
