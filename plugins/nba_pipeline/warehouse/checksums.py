"""Order-independent checksums of warehouse tables, to compare two runs of the same work.

A table's checksum is computed in the warehouse by one GoogleSQL query through the
:class:`~nba_pipeline.warehouse.base.Warehouse` interface, so it runs on either backend: each row
becomes the canonical JSON text of its columns (sorted by name, :data:`EXCLUDED_COLUMNS` left out),
is fingerprinted, and the fingerprints are combined by ``BIT_XOR`` and by a sum modulo a prime
(the XOR alone cancels pairs of identical rows; the row count is kept too). Row order, physical
layout and column order do not change a checksum; any value of a compared column does, down to the
last bit of a float.

Fingerprints are ``FARM_FINGERPRINT`` on BigQuery and DuckDB's ``hash`` on the embedded warehouse
(see :mod:`nba_pipeline.warehouse.translate`): checksums compare within one backend, never across.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nba_pipeline.settings import DATASETS
from nba_pipeline.warehouse.base import _IDENTIFIER, TableRef, Warehouse, WarehouseError

#: Columns that legitimately differ between two runs of the same work, with the reason. They are
#: left out of every table that has them; everything else must match.
EXCLUDED_COLUMNS: Mapping[str, str] = {
    # when: the clock at the time of the run
    "loaded_at": "when a row was inserted or last changed",
    "processed_at": "when a raw run row was written",
    "created_at": "when a run or prediction row was written",
    "started_at": "when a processor attempt began",
    "completed_at": "when a processor attempt or backfilled date ended",
    "run_date": "when a run began (a TIMESTAMP in the run tables, not the game date)",
    "applied_at": "when a migration was applied",
    "graded_at": "when a date's predictions were graded",
    "updated_at": "when a breaker row was last written",
    "last_failure": "when a breaker last recorded a failure",
    "last_success": "when a breaker last recorded a success",
    "opened_at": "when a breaker opened",
    "half_opened_at": "when a breaker went half-open",
    "failure_history": "a breaker's recent failures, each with its time",
    "upstream_data_age_hours": "age of the upstream rows measured against the clock at run time",
    "source_data_freshness_hours": "age of the source data measured against the clock at run time",
    # how long: measured durations
    "duration_seconds": "measured duration",
    "load_time_seconds": "measured duration",
    "transform_time_seconds": "measured duration",
    "save_time_seconds": "measured duration",
    "total_runtime_seconds": "measured duration",
    "feature_load_time_seconds": "measured duration",
    "historical_load_time_seconds": "measured duration",
    "data_load_seconds": "measured duration",
    "prediction_compute_seconds": "measured duration",
    "write_bigquery_seconds": "measured duration",
    # where and which run: locations and identities of the run, not results
    "source_file_path": "payload location, under each installation's own storage root",
    "file_path": "payload location, under each installation's own storage root",
    "run_id": "derived from the DAG run id, which names the run",
    "dag_run_id": "names the DAG run",
    "map_index": "which mapped task instance wrote a row: a backfill date that runs before an earlier one "
    "also processes the earlier date, and the executor decides the order",
    "opts": "the run's options, which carry the DAG run id",
    "config_hash": "hash of the run's options, which carry the DAG run id",
    "worker_id": "names the host and task instance that ran a prediction batch",
    "bytes_processed": "what BigQuery scanned for a run, which caching and table layout change",
    "bytes_billed": "what BigQuery billed for a run, which caching and table layout change",
    "slot_ms": "the slot time BigQuery spent on a run",
}

#: The modulus of the fingerprint sum: a prime below 2**31, so a sum over 2**32 rows fits INT64.
_MODULUS = 2_147_483_647


@dataclass(frozen=True)
class TableChecksum:
    """A table's row count and the two order-independent combinations of its row fingerprints."""

    table: str
    rows: int
    xor: int
    modsum: int
    columns: tuple[str, ...]

    @property
    def digest(self) -> str:
        """One string for comparing and printing: ``rows:xor:modsum`` (hexadecimal)."""
        return f"{self.rows}:{self.xor & (2**64 - 1):016x}:{self.modsum:x}"


def checksum_sql(table: str, columns: Iterable[str]) -> str:
    """The GoogleSQL of one table's checksum over ``columns`` (identifiers checked, names sorted)."""
    ref = TableRef.parse(table)
    names = sorted(set(columns))
    for name in names:
        if not _IDENTIFIER.match(name):
            raise WarehouseError(f"{table}: column name {name!r} is not a plain identifier")
    if names:
        fields = ", ".join(f"t.`{name}` AS `{name}`" for name in names)
        fingerprint = f"FARM_FINGERPRINT(TO_JSON_STRING(STRUCT({fields})))"
    else:
        fingerprint = "0"
    return (
        f"SELECT COUNT(*) AS row_count, COALESCE(BIT_XOR({fingerprint}), 0) AS xor_fingerprint, "
        f"COALESCE(SUM(MOD({fingerprint}, {_MODULUS})), 0) AS sum_fingerprint "
        f"FROM {ref.dataset}.{ref.table} AS t"
    )


def table_checksum(
    warehouse: Warehouse, table: str, *, excluded: Mapping[str, str] = EXCLUDED_COLUMNS
) -> TableChecksum:
    """The checksum of ``dataset.table`` over its live columns minus ``excluded``.

    :raises WarehouseError: when the table does not exist.
    """
    schema = warehouse.table_schema(table)
    if schema is None:
        raise WarehouseError(f"cannot checksum {table}: no such table")
    columns = tuple(sorted(c.name for c in schema if c.name not in excluded))
    [row] = warehouse.query(checksum_sql(table, columns))
    return TableChecksum(
        table=table,
        rows=int(row["row_count"]),
        xor=int(row["xor_fingerprint"]),
        modsum=int(row["sum_fingerprint"]),
        columns=columns,
    )


def warehouse_checksums(
    warehouse: Warehouse,
    *,
    datasets: Iterable[str] = DATASETS,
    excluded: Mapping[str, str] = EXCLUDED_COLUMNS,
) -> dict[str, TableChecksum]:
    """The checksum of every table of ``datasets``, by ``dataset.table``, in name order."""
    checksums = {}
    for dataset in datasets:
        for table in warehouse.list_tables(dataset):
            name = f"{dataset}.{table}"
            checksums[name] = table_checksum(warehouse, name, excluded=excluded)
    return checksums


def differing_tables(left: Mapping[str, TableChecksum], right: Mapping[str, TableChecksum]) -> dict[str, str]:
    """The tables whose checksums differ or that exist on one side only, each with both digests."""
    differing = {}
    for name in sorted(set(left) | set(right)):
        a, b = left.get(name), right.get(name)
        if a is None or b is None or a.digest != b.digest or a.columns != b.columns:
            differing[name] = f"{a.digest if a else 'missing'} != {b.digest if b else 'missing'}"
    return differing
