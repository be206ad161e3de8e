"""Grafana provisioning and dashboards, checked without Grafana or BigQuery.

Every SQL query of every panel is checked against the declared schemas (include/sql/schemas): the
Grafana macros and template variables are replaced by literals the way the BigQuery data source
expands them, the query is parsed as GoogleSQL with sqlglot, and its tables and columns are
resolved against ``declared_tables()``. The checker itself is tested on queries that must fail.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import yaml
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from tests.conftest import PROJECT_ROOT
from tests.integrity.test_compose import load_compose, volume_mounts

GRAFANA = PROJECT_ROOT / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PLUGIN_ID = "grafana-bigquery-datasource"

# The run and breaker tables the dashboards exist to show.
MONITORED_TABLES = {
    "nba_processing.processor_runs",
    "nba_processing.analytics_processor_runs",
    "nba_processing.precompute_processor_runs",
    "nba_predictions.prediction_worker_runs",
    "nba_orchestration.circuit_breaker_state",
}

# What the data source does with a macro (sqlds defaults plus the BigQuery plugin's own), for a
# fixed time range. Its macro parser stops at the first ")" and splits on ",", so arguments must be
# plain column names.
_FROM, _TO = "2025-01-01T00:00:00Z", "2025-01-31T00:00:00Z"
_MACROS = {
    "timeFilter": (1, lambda col: f"{col} >= '{_FROM}' AND {col} <= '{_TO}'"),
    "timeGroup": (2, lambda col, _interval: f"TIMESTAMP_MILLIS(DIV(UNIX_MILLIS({col}), 86400000) * 86400000)"),
}
_MACRO = re.compile(r"\$__(\w+)(?:\(([^)]*)\))?")
_TEMPLATE_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_PLAIN_ARGUMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*|'?\d+[smhdwMy]'?")


@cache
def _declared() -> dict[str, Any]:
    from nba_pipeline.schema.declared import declared_tables

    return declared_tables()


@cache
def _schema() -> MappingSchema:
    mapping: dict[str, dict[str, dict[str, str]]] = {}
    for key, table in _declared().items():
        dataset, name = key.split(".")
        mapping.setdefault(dataset, {})[name] = {column.name: column.type for column in table.columns}
    return MappingSchema(mapping, dialect="bigquery")


def expand(sql: str, variables: dict[str, str]) -> tuple[str, list[str]]:
    """The query as BigQuery would receive it, and the macros/variables that could not be expanded."""
    problems: list[str] = []

    def macro(match: re.Match[str]) -> str:
        name, raw = match.group(1), match.group(2)
        if name not in _MACROS:
            problems.append(f"unknown macro $__{name}")
            return "NULL"
        arity, render = _MACROS[name]
        args = [a.strip() for a in raw.split(",")] if raw is not None else []
        if len(args) != arity or not all(_PLAIN_ARGUMENT.fullmatch(a) for a in args):
            problems.append(f"$__{name}({raw}): needs {arity} plain argument(s)")
            return "NULL"
        return render(*args)

    def variable(match: re.Match[str], in_literal: bool) -> str:
        name = next(g for g in match.groups() if g)
        if name in variables:
            return variables[name]
        if not in_literal:  # Grafana leaves unknown names as they are: in a literal they are data
            problems.append(f"unknown template variable ${name}")
        return match.group(0)

    sql = _MACRO.sub(macro, sql)
    pieces = re.split(r"('(?:[^'\\]|\\.)*')", sql)  # odd pieces are string literals
    sql = "".join(_TEMPLATE_VARIABLE.sub(lambda m, lit=bool(i % 2): variable(m, lit), p) for i, p in enumerate(pieces))
    return sql, problems


def check_query(sql: str, variables: dict[str, str] | None = None) -> list[str]:
    """Problems of one panel query: unknown macros or variables, SQL that does not parse as
    GoogleSQL, tables not declared in include/sql/schemas, columns those tables do not have."""
    expanded, problems = expand(sql, variables or {})
    if problems:
        return problems
    try:
        statements = [s for s in sqlglot.parse(expanded, read="bigquery") if s is not None]
    except ParseError as err:
        return [f"does not parse as GoogleSQL: {err}"]
    if len(statements) != 1:
        return [f"expected one statement, found {len(statements)}"]
    tree = statements[0]
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not table.db and table.name in ctes:
            continue
        key = f"{table.db}.{table.name}"
        if not table.db:
            problems.append(f"table {table.name} is not qualified with its dataset")
        elif key not in _declared():
            problems.append(f"table {key} is not declared in include/sql/schemas")
    if problems:
        return problems
    try:
        qualify(tree, schema=_schema(), dialect="bigquery", validate_qualify_columns=True)
    except OptimizeError as err:
        problems.append(f"unresolved column: {err}")
    return problems


def referenced_tables(sql: str, variables: dict[str, str] | None = None) -> set[str]:
    tree = sqlglot.parse_one(expand(sql, variables or {})[0], read="bigquery")
    return {f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db}


# --- Dashboards --------------------------------------------------------------------------------


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard.get("panels", []):
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # collapsed rows keep their panels inside
    return panels


def _variables(dashboard: dict[str, Any]) -> dict[str, str]:
    """Template variables with a literal standing in for their value."""
    return {v["name"]: "template_value" for v in dashboard.get("templating", {}).get("list", [])}


def _queries() -> list[tuple[str, str, str, dict[str, str]]]:
    queries = []
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        for panel in _panels(dashboard):
            for target in panel.get("targets", []):
                if "rawSql" in target:
                    queries.append((path.name, panel["title"], target["rawSql"], _variables(dashboard)))
    return queries


def test_every_dashboard_parses_and_uses_the_bigquery_data_source():
    assert DASHBOARDS, "no dashboard JSON under grafana/dashboards"
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["title"], path.name
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == PLUGIN_ID
        panels = _panels(dashboard)
        assert panels, path.name
        ids = [p["id"] for p in panels]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in panels:
            sources = [panel["datasource"], *(t["datasource"] for t in panel["targets"])]
            assert all(s == {"type": PLUGIN_ID, "uid": "${datasource}"} for s in sources), panel["title"]
            assert all(t.get("rawSql", "").strip() for t in panel["targets"]), panel["title"]


@pytest.mark.parametrize(
    ("sql", "variables"),
    [pytest.param(sql, variables, id=f"{name}:{panel}") for name, panel, sql, variables in _queries()],
)
def test_every_panel_query_uses_only_declared_tables_and_columns(sql, variables):
    assert check_query(sql, variables) == []


def test_the_dashboards_cover_the_run_and_breaker_tables():
    seen = set().union(*(referenced_tables(sql, variables) for *_, sql, variables in _queries()))
    assert MONITORED_TABLES <= seen


def test_the_dashboards_show_what_they_promise():
    titles = {panel: sql for _, panel, sql, _ in _queries()}
    assert "state != 'CLOSED'" in titles["Open breakers"]
    assert "skip_reason" in titles["Skips by reason"]
    coverage = titles["Prediction coverage per game date"]
    assert "game_date" in coverage and "success" in coverage and "skip_reason" in coverage
    success = titles["Success rate per phase"]
    assert all(
        table in referenced_tables(success, {})
        for table in MONITORED_TABLES - {"nba_orchestration.circuit_breaker_state"}
    )


# --- The checker, on queries it must reject ---------------------------------------------------

GOOD = "SELECT processor_name, state FROM nba_orchestration.circuit_breaker_state WHERE $__timeFilter(updated_at)"


def test_the_checker_accepts_a_valid_query():
    assert check_query(GOOD) == []
    assert check_query("SELECT b.state FROM `some-project.nba_orchestration.circuit_breaker_state` AS b") == []


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("SELECT processor_name, no_such_column FROM nba_orchestration.circuit_breaker_state", "no_such_column"),
        ("SELECT game_date FROM nba_processing.processor_runs", "game_date"),  # a column of another table
        ("SELECT b.nope FROM nba_orchestration.circuit_breaker_state AS b", "nope"),
        ("WITH r AS (SELECT run_date AS t FROM nba_processing.analytics_processor_runs) SELECT bogus FROM r", "bogus"),
        ("WITH r AS (SELECT skipreason FROM nba_processing.precompute_processor_runs) SELECT 1 FROM r", "skipreason"),
        ("SELECT COUNT(*) FROM nba_processing.no_such_table", "nba_processing.no_such_table"),
        ("SELECT COUNT(*) FROM processor_runs", "not qualified"),
        ("SELECT 1 FROM nba_processing.processor_runs WHERE $__timeFilter(TIMESTAMP(started_at))", "plain argument"),
        ("SELECT 1 FROM nba_processing.processor_runs WHERE $__unknownMacro(started_at)", "unknown macro"),
        ("SELECT '$5' FROM nba_processing.processor_runs WHERE processor_name = $processor", "$processor"),
        ("SELECT FROM WHERE", "parse"),
    ],
)
def test_the_checker_rejects(sql, problem):
    problems = check_query(sql)
    assert problems and any(problem in p for p in problems), problems


def test_the_checker_catches_a_broken_column_in_a_real_panel():
    _, _, sql, variables = next(q for q in _queries() if q[1] == "Open breakers")
    assert check_query(sql, variables) == []
    assert check_query(sql.replace("last_error_type", "last_error_kind"), variables)


# --- Provisioning --------------------------------------------------------------------------------


def _provisioning(kind: str) -> list[dict[str, Any]]:
    files = sorted((GRAFANA / "provisioning" / kind).glob("*.yaml"))
    assert files, f"no provisioning file under grafana/provisioning/{kind}"
    return [yaml.safe_load(path.read_text()) for path in files]


def test_the_data_source_is_bigquery_with_credentials_from_the_environment():
    compose = load_compose()
    grafana = compose["services"]["grafana"]
    (config,) = _provisioning("datasources")
    assert config["apiVersion"] == 1
    (source,) = config["datasources"]
    assert source["type"] == PLUGIN_ID
    assert PLUGIN_ID in grafana["environment"]["GF_INSTALL_PLUGINS"].split(",")
    data = source["jsonData"]
    assert data["authenticationType"] == "jwt"
    # Project and account come from variables the compose file passes to Grafana; no inline secret.
    for field in ("defaultProject", "clientEmail", "processingLocation"):
        variable = re.fullmatch(r"\$\{(\w+)\}", data[field])
        assert variable and variable.group(1) in grafana["environment"], field
    assert "secureJsonData" not in source
    assert data["privateKeyPath"] in volume_mounts(grafana)
    for dashboard in DASHBOARDS:
        current = next(v for v in json.loads(dashboard.read_text())["templating"]["list"] if v["name"] == "datasource")
        assert current["current"]["value"] == source["uid"]


def test_the_dashboard_provider_points_at_the_mounted_dashboards_folder():
    grafana = load_compose()["services"]["grafana"]
    mounts = volume_mounts(grafana)
    assert mounts["/etc/grafana/provisioning"] == "./grafana/provisioning"
    (config,) = _provisioning("dashboards")
    assert config["apiVersion"] == 1
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    folder = provider["options"]["path"]
    assert (PROJECT_ROOT / mounts[folder]).resolve() == (GRAFANA / "dashboards").resolve()
    assert list(Path(PROJECT_ROOT / mounts[folder]).glob("*.json")) == DASHBOARDS
