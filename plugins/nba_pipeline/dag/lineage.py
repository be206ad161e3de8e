"""Table-level lineage of a processor's run, for Airflow's OpenLineage integration.

The run task hands the OpenLineage provider (when it is installed and a transport is configured;
otherwise nothing asks) the tables its registry entry reads and writes, named as OpenLineage names
them: BigQuery tables as ``bigquery`` / ``project.dataset.table``, tables of the embedded warehouse
under ``duckdb://<file>``. The outputs carry the attempt's row count where the processor writes a
single table, and the run carries the processor's own run id, so a lineage tool joins the event to
the run row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attr
from openlineage.client.facet_v2 import RunFacet

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

    from nba_pipeline.guards.spec import ProcessorSpec

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


def processor_lineage(processor: ProcessorSpec, run: dict[str, Any] | None) -> OperatorLineage[Any, Any]:
    """The datasets one attempt of ``processor`` read and wrote; ``run`` is its run row as JSON
    (absent for a processor without a run table)."""
    from airflow.providers.openlineage.extractors import OperatorLineage
    from openlineage.client.event_v2 import InputDataset, OutputDataset
    from openlineage.client.facet_v2 import output_statistics_output_dataset

    namespace, prefix = _namespace_and_prefix()
    rows = (run or {}).get("rows_processed")
    statistics: dict[str, Any] = {}
    if rows is not None and len(processor.writes) == 1:
        statistics["outputStatistics"] = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=int(rows)
        )
    run_facets: dict[str, Any] = {}
    if run:
        run_facets["nbaProcessorRun"] = ProcessorRunFacet(
            processor=processor.name, runId=str(run["run_id"]), targetDate=str(run["target_date"])
        )
    return OperatorLineage(
        inputs=[InputDataset(namespace=namespace, name=f"{prefix}{table}") for table in processor.reads],
        outputs=[
            OutputDataset(namespace=namespace, name=f"{prefix}{table}", outputFacets=dict(statistics))
            for table in processor.writes
        ],
        run_facets=run_facets,
    )
