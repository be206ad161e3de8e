"""Table-level lineage of the pipeline's tasks, for Airflow's OpenLineage integration.

The run task hands the OpenLineage provider (when it is installed and a transport is configured;
otherwise nothing asks) the tables its registry entry reads and writes, named as OpenLineage names
them: BigQuery tables as ``bigquery`` / ``project.dataset.table``, tables of the embedded warehouse
under ``duckdb://<file>``; a source's payloads (the registry's ``payload:<source>``, written by its
scraper and read by its raw processor, so phases 1 and 2 join in one graph) as the folder of the
payload store, ``file`` / ``<absolute path>`` or ``gs://<bucket>`` / ``<prefix>/<source>``. The
outputs carry the attempt's row count where the processor writes a single table, and the run carries
the processor's own run id, so a lineage tool joins the event to the run row. Phase 5's batches and
grading report theirs the same way (the tables their SQL names), so the five phases are one graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attr
from openlineage.client.facet_v2 import RunFacet

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

    from nba_pipeline.guards.spec import ProcessorSpec

@attr.define
class PredictionBatchFacet(RunFacet):
    """A phase 5 batch: its game date, index and worker id (``worker_id`` of its worker run rows)."""

    gameDate: str  # noqa: N815 - OpenLineage facets are camelCase
    batchIndex: int  # noqa: N815
    workerId: str  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return "urn:nba-pipeline:facet:PredictionBatchFacet:1-0-0"


@attr.define
class ProcessorRunFacet(RunFacet):
    """The processor, its run id (``run_id`` of the phase's run table) and the date it worked on."""

    processor: str
    runId: str  # noqa: N815 - OpenLineage facets are camelCase
    targetDate: str  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return "urn:nba-pipeline:facet:ProcessorRunFacet:1-0-0"


def _namespace_and_prefix() -> tuple[str, str]:
    from nba_pipeline.settings import get_settings

    settings = get_settings()
    if settings.warehouse_backend == "bigquery":
        from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

        project = BigQueryHook(gcp_conn_id=settings.bigquery_conn_id).project_id
        return "bigquery", f"{project}."
    return f"duckdb://{settings.duckdb_path.resolve()}", ""


PAYLOADS = "payload:"


def _payload_dataset(source: str) -> tuple[str, str]:
    """The namespace and name of ``source``'s folder in the payload store (OpenLineage's naming for
    local files and GCS objects; a ``gs://conn@bucket`` root's connection is not part of it)."""
    from pathlib import Path

    from nba_pipeline.settings import get_settings

    root = get_settings().payload_root
    if root.startswith("gs://"):
        bucket, _, prefix = root.removeprefix("gs://").partition("/")
        return f"gs://{bucket.rpartition('@')[2]}", "/".join(part for part in (prefix.strip("/"), source) if part)
    return "file", str(Path(root).resolve() / source)


def _datasets(names: tuple[str, ...], namespace: str, prefix: str) -> list[tuple[str, str]]:
    return [
        _payload_dataset(name.removeprefix(PAYLOADS)) if name.startswith(PAYLOADS) else (namespace, f"{prefix}{name}")
        for name in names
    ]


def tables_lineage(
    reads: tuple[str, ...],
    writes: tuple[str, ...],
    *,
    rows_written: Mapping[str, int] | None = None,
    run_facets: Mapping[str, RunFacet] | None = None,
) -> OperatorLineage[Any, Any]:
    """The datasets a task read and wrote (``dataset.table`` names, or ``payload:<source>``), each
    output with the rows written to it where ``rows_written`` knows them."""
    from airflow.providers.openlineage.extractors import OperatorLineage
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.facet_v2 import output_statistics_output_dataset

    namespace, prefix = _namespace_and_prefix()
    counts = rows_written or {}

    def statistics(table: str) -> dict[str, Any]:
        if counts.get(table) is None:
            return {}
        return {"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=int(counts[table]))}

    return OperatorLineage(
        inputs=[InputDataset(namespace=space, name=name) for space, name in _datasets(reads, namespace, prefix)],
        outputs=[
            OutputDataset(namespace=space, name=name, outputFacets=statistics(table))
            for table, (space, name) in zip(writes, _datasets(writes, namespace, prefix), strict=True)
        ],
        run_facets=dict(run_facets or {}),
    )


def processor_lineage(processor: ProcessorSpec, run: dict[str, Any] | None) -> OperatorLineage[Any, Any]:
    """The datasets one attempt of ``processor`` read and wrote; ``run`` is its run row as JSON
    (absent for a processor without a run table)."""
    rows = (run or {}).get("rows_processed")
    written = {processor.writes[0]: int(rows)} if rows is not None and len(processor.writes) == 1 else {}
    facets: dict[str, RunFacet] = {}
    if run:
        facets["nbaProcessorRun"] = ProcessorRunFacet(
            processor=processor.name, runId=str(run["run_id"]), targetDate=str(run["target_date"])
        )
    return tables_lineage(processor.reads, processor.writes, rows_written=written, run_facets=facets)
