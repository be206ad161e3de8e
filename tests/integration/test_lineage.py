"""Table-level lineage through Airflow's OpenLineage integration.

The toy guarded pipeline (``tests/dags/guard_scenario.py``, the same builder and run task as the
daily DAG) runs under ``airflow dags test`` in a child process with the OpenLineage provider's
file transport configured, as a data team would configure theirs; the test reads the events the
provider wrote. Without a transport the provider stays disabled and the run task is never asked.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT
from tests.integration.test_guard_scenarios import toy_warehouse  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration

GAME_DAY = dt.date(2025, 1, 15)


@pytest.fixture
def events(airflow_db, toy_warehouse, tmp_path):  # noqa: F811
    """The OpenLineage events of one toy game day, by task id and event type."""
    from nba_pipeline.settings import get_settings

    path = tmp_path / "lineage.json"
    env = {
        **os.environ, "PYTHONPATH": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "tests" / "dags"),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "file", "log_file_path": str(path), "append": True}),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "nba_test",
    }
    run = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", "guard_scenario", GAME_DAY.isoformat(),
         "-c", json.dumps({"game_date": GAME_DAY.isoformat()})],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=600,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    found: dict[tuple[str, str], dict] = {}
    for line in path.read_text().splitlines():
        event = json.loads(line)
        job = event["job"]["name"]  # "<dag_id>.<task_id>" for a task
        found[(job.removeprefix("guard_scenario."), event["eventType"])] = event
    return {"events": found, "namespace": f"duckdb://{get_settings().duckdb_path.resolve()}"}


def _completion(found: dict, name: str) -> dict:
    matches = [e for (task_id, kind), e in found.items() if kind == "COMPLETE" and task_id.endswith(f".{name}.run")]
    assert len(matches) == 1, (name, sorted(found))
    return matches[0]


def test_each_processor_run_reports_the_tables_it_reads_and_writes_and_the_rows_it_wrote(events):
    """Inputs and outputs as the registry entry declares them, named in the warehouse's namespace;
    the run's processor run id and target date; the output's row count equal to the rows in the
    table for the date."""
    from nba_pipeline.warehouse import get_warehouse
    from tests.dags.guard_scenario import PROCESSORS

    found, namespace = events["events"], events["namespace"]
    with get_warehouse() as warehouse:
        for spec in PROCESSORS:
            event = _completion(found, spec.name)
            assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [(namespace, t) for t in spec.reads]
            assert [(d["namespace"], d["name"]) for d in event["outputs"]] == [(namespace, t) for t in spec.writes]
            facet = event["run"]["facets"]["nbaProcessorRun"]
            assert facet["processor"] == spec.name and facet["targetDate"] == GAME_DAY.isoformat()
            assert spec.name in facet["runId"]
            (table,) = spec.writes
            written = warehouse.query(f"SELECT COUNT(*) AS n FROM {table} WHERE event_date = @d", {"d": GAME_DAY})
            statistics = event["outputs"][0]["outputFacets"]["outputStatistics"]
            assert statistics["rowCount"] == written[0]["n"] > 0, spec.name


@pytest.mark.parametrize(
    ("root", "namespace", "name"),
    [("{tmp}/payloads", "file", "{tmp}/payloads/nbac_schedule"),
     ("gs://nba_storage@nba-payloads/raw", "gs://nba-payloads", "raw/nbac_schedule"),
     ("gs://nba-payloads", "gs://nba-payloads", "nbac_schedule")],
)
def test_a_scraper_writes_and_its_raw_processor_reads_the_same_payload_dataset(
    settings_env, tmp_path, root, namespace, name
):
    """Phase 1 and phase 2 meet in one dataset: the source's folder in the payload store, named as
    OpenLineage names local files and GCS objects (a root's connection id is not part of the name)."""
    from nba_pipeline.dag.lineage import processor_lineage
    from nba_pipeline.registry.processors import daily_processors

    settings_env.setenv("NBA_PAYLOAD_ROOT", root.format(tmp=tmp_path))
    specs = {spec.name: spec for spec in daily_processors()}
    scraped = processor_lineage(specs["scrape_nbac_schedule"], None)
    loaded = processor_lineage(specs["nbac_schedule"], None)
    expected = [(namespace, name.format(tmp=tmp_path.resolve()))]
    assert [(d.namespace, d.name) for d in scraped.outputs] == expected
    assert [(d.namespace, d.name) for d in loaded.inputs] == expected
    assert scraped.inputs == []
    assert [d.name for d in loaded.outputs] == ["nba_raw.nbac_schedule"]


def test_phase_5_declares_exactly_the_tables_its_sql_reads():
    """The lineage of a prediction batch and of grading names the tables their statements read."""
    from nba_pipeline.cost import referenced
    from nba_pipeline.predictions import grading
    from nba_pipeline.predictions.worker import inputs

    def tables(*statements: str) -> set[str]:
        return {table for sql in statements for table in referenced(sql)[0]}

    assert tables(inputs._FEATURES_SQL, inputs._HISTORY_SQL) == set(inputs.TABLES_READ)
    assert tables(grading._GRADE_SQL) - {grading.GRADES_TABLE} == set(grading.GRADING_READS)
