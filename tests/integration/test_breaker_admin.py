"""Breaker administration through the DAG (as the UI triggers it) and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.airflow_runs import load_dag, run_dag
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.integration


def _state(warehouse, key):
    rows = warehouse.query(
        "SELECT state, threshold FROM nba_orchestration.circuit_breaker_state WHERE processor_name = @k", {"k": key}
    )
    return rows[0] if rows else None


def test_admin_dag_opens_configures_and_resets(airflow_db, migrated_warehouse):
    migrated_warehouse.close()
    dag = load_dag(PROJECT_ROOT / "dags", "nba_breaker_admin")
    import datetime as dt

    day = dt.date(2025, 1, 15)
    assert (
        run_dag(dag, day, {"action": "open", "breaker": "xgboost_v1", "reason": "model file missing"}).state
        == "success"
    )
    assert _state(migrated_warehouse, "xgboost_v1") == {"state": "OPEN", "threshold": 3}
    assert run_dag(dag, day, {"action": "configure", "breaker": "xgboost_v1", "threshold": 7}).state == "success"
    assert _state(migrated_warehouse, "xgboost_v1") == {"state": "OPEN", "threshold": 7}
    assert run_dag(dag, day, {"action": "reset", "breaker": "xgboost_v1"}).state == "success"
    assert _state(migrated_warehouse, "xgboost_v1") == {"state": "CLOSED", "threshold": 7}


def test_admin_params_only_accept_registry_names(airflow_db):
    import copy

    from airflow.sdk.definitions.param import ParamValidationError

    params = copy.deepcopy(load_dag(PROJECT_ROOT / "dags", "nba_breaker_admin").params)
    params["breaker"] = "xgboost_v1"
    params["action"] = "reset"
    with pytest.raises(ParamValidationError):
        params["breaker"] = "not_a_processor"
    with pytest.raises(ParamValidationError):
        params["action"] = "explode"


def test_cli_breakers(migrated_warehouse, tmp_path):
    migrated_warehouse.close()
    env = {**os.environ, "NBA_DUCKDB_PATH": str(migrated_warehouse.path)}

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "nba_pipeline.cli", "breakers", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    opened = cli("open", "nbac_team_boxscore", "--reason", "source down")
    assert opened.returncode == 0 and "nbac_team_boxscore" in opened.stdout and "OPEN" in opened.stdout
    listed = cli("list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 27
    assert any(line.startswith("nbac_team_boxscore") and "OPEN" in line for line in listed.stdout.splitlines())
    bad = cli("reset", "no_such_processor")
    assert bad.returncode == 2 and "unknown breaker 'no_such_processor'" in bad.stderr
    assert cli("reset", "nbac_team_boxscore").returncode == 0
    assert _state(migrated_warehouse, "nbac_team_boxscore")["state"] == "CLOSED"
