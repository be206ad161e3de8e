"""A BigQuery table's design beyond its columns (partitioning, clustering, options, defaults), read
from ``tables.get`` and written the way the schema files declare it, so the two compare."""

from __future__ import annotations

from typing import Any

from nba_pipeline.warehouse.base import TableDesign, option_text


def _partition_by(table: Any) -> str | None:
    """A table's partitioning as the GoogleSQL ``PARTITION BY`` expression that creates it."""
    time_partitioning, ranged = table.time_partitioning, table.range_partitioning
    if time_partitioning is not None:
        column = time_partitioning.field
        if column is None:
            return "_PARTITIONDATE"  # ingestion time
        if time_partitioning.type_ != "DAY":
            return f"TIMESTAMP_TRUNC({column}, {time_partitioning.type_})"
        types = {field.name: field.field_type for field in table.schema}
        return column if types.get(column) == "DATE" else f"DATE({column})"
    if ranged is not None:
        bounds = ranged.range_
        return f"RANGE_BUCKET({ranged.field}, GENERATE_ARRAY({bounds.start}, {bounds.end}, {bounds.interval}))"
    return None


def table_design(table: Any) -> TableDesign:
    """What ``tables.get`` says of a table beyond its columns, in the form the schema files declare."""
    options: dict[str, str] = {}
    if table.description:
        options["description"] = option_text(table.description)
    expiration = table.time_partitioning.expiration_ms if table.time_partitioning is not None else None
    if expiration:
        options["partition_expiration_days"] = option_text(int(expiration) / 86_400_000)
    if table.labels:
        options["labels"] = option_text(dict(table.labels))
    defaults = {f.name: f.default_value_expression for f in table.schema if f.default_value_expression}
    return TableDesign(_partition_by(table), tuple(table.clustering_fields or ()), tuple(sorted(options.items())),
                       tuple(sorted(defaults.items())))
