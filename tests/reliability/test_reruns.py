"""Reruns: the same game day run three times by the daily DAG leaves every data table as it was.

The first run is the session's clean run; two more runs of the same day follow on a copy of it.
Every table except the run logs and the breaker rows must keep its row count and its checksum over
*all* columns, load timestamps included: a MERGE that rewrote unchanged rows would move
``loaded_at`` / ``created_at`` and show up here even though the data looked the same. The run logs
must grow by exactly one row per processor and run, the per-player worker log not at all.
"""

from __future__ import annotations

import pytest

from nba_pipeline.registry.catalog import ANALYTICS_PROCESSORS, PRECOMPUTE_PROCESSORS, RAW_PROCESSORS
from tests.airflow_runs import run_dag, task_states
from tests.reliability import state
from tests.reliability.conftest import GAME_DAY, copy_folder, warehouse_path

pytestmark = pytest.mark.integration

PER_RUN = {
    "nba_processing.processor_runs": RAW_PROCESSORS,
    "nba_processing.analytics_processor_runs": ANALYTICS_PROCESSORS,
    "nba_processing.precompute_processor_runs": PRECOMPUTE_PROCESSORS,
}
SUCCESS = {"nba_processing.processor_runs": "status = 'success'"}


def test_three_runs_of_one_day_change_no_data_table(clean_run, daily_dag, use_folder, tmp_path):
    from nba_pipeline.guards.run_log import make_run_id

    folder = copy_folder(clean_run.folder, tmp_path / "season")
    path = warehouse_path(folder)
    use_folder(folder)
    first = clean_run.strict
    data_tables = sorted(t for t in first if t not in state.LEDGERS)
    assert len(data_tables) >= 24 and sum(first[t].rows for t in data_tables) > 5000, "the day filled the tables"
    breakers_first = state.breakers(path)

    for number in (2, 3):
        dag_run = run_dag(daily_dag, GAME_DAY, {"game_date": GAME_DAY.isoformat()})
        states = task_states(dag_run)
        assert dag_run.state == "success" and "failed" not in states.values(), (number, states)

        content = state.fingerprints(path, data_tables, strict=False)
        moved = state.changed({t: clean_run.content[t] for t in data_tables}, content)
        assert not moved, f"run {number} changed the data of {sorted(moved)}"
        after = state.fingerprints(path)
        rewritten = state.changed({t: first[t] for t in data_tables}, {t: after[t] for t in data_tables})
        assert not rewritten, f"run {number} rewrote unchanged rows (load timestamps moved) in {sorted(rewritten)}"

        for table, processors in PER_RUN.items():
            assert after[table].rows - first[table].rows == len(processors) * (number - 1), table
            ids = [make_run_id(dag_run.run_id, name, "try1") for name in processors]
            success = SUCCESS.get(table, "success")
            found = state.query(path, f"SELECT run_id FROM {table} WHERE {success} AND run_id IN "
                                      f"(SELECT UNNEST(?::VARCHAR[]))", [ids])
            assert len(found) == len(processors), f"{table}: run {number} has a success row per processor"
        workers = "nba_predictions.prediction_worker_runs"
        assert after[workers].rows == first[workers].rows > 100, "one worker row per player and date, replaced"

    breakers = state.breakers(path)
    for name in (*RAW_PROCESSORS, *ANALYTICS_PROCESSORS, *PRECOMPUTE_PROCESSORS):
        assert (breakers[name]["state"], breakers[name]["failure_count"]) == ("CLOSED", 0), name
        assert breakers[name]["success_count"] - breakers_first[name]["success_count"] == 2, name
