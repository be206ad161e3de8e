"""Tier 1: the UI's Graph and Grid views can draw every DAG.

Both views load ``/ui/structure/structure_data?dag_id=…`` and ``/ui/grid/structure/<dag_id>``. The API
server reads the DAG back from its serialized form and sorts the children of every task group
topologically; two children that depend on each other (a cycle between groups, although the tasks
themselves form none) raise there, and the UI gets an HTTP 500 and an empty canvas. These tests run
Airflow's own functions behind both endpoints on each DAG of dags/, serialized as the DAG processor
stores it, and show on small DAGs that the same functions raise on such a cycle.
"""

from __future__ import annotations

import pendulum
import pytest

from tests.conftest import PROJECT_ROOT
from tests.serialized_dags import stored


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    return bag


@pytest.fixture(autouse=True)
def topological_order(monkeypatch: pytest.MonkeyPatch):
    """Airflow's default grid order (``[api] grid_view_sorting_order``), whatever the environment says;
    the other order, alphabetical, would hide a cycle in nested groups."""
    from airflow.api_fastapi.core_api.services.ui.task_group import get_task_group_children_getter

    monkeypatch.setenv("AIRFLOW__API__GRID_VIEW_SORTING_ORDER", "topological")
    get_task_group_children_getter.cache_clear()
    yield
    get_task_group_children_getter.cache_clear()


def structure_data(serialized):
    """The body of ``GET /ui/structure/structure_data`` (without its asset edges, which need the DB)."""
    from airflow.api_fastapi.core_api.datamodels.ui.structure import StructureDataResponse
    from airflow.api_fastapi.core_api.services.ui.task_group import task_group_to_dict
    from airflow.utils.dag_edges import dag_edges

    group_dict = serialized.task_group.get_task_group_dict()
    nodes = [
        task_group_to_dict(child, group_dict=group_dict)
        for child in serialized.task_group.topological_sort(group_dict=group_dict)
    ]
    return StructureDataResponse(nodes=nodes, edges=dag_edges(serialized))


def grid_structure(serialized):
    """The body of ``GET /ui/grid/structure/<dag_id>`` for the latest DAG version."""
    from airflow.api_fastapi.core_api.datamodels.ui.common import GridNodeResponse
    from airflow.api_fastapi.core_api.services.ui.task_group import (
        get_task_group_children_getter,
        task_group_to_dict_grid,
    )

    group_dict = serialized.task_group.get_task_group_dict()
    children = get_task_group_children_getter()(serialized.task_group, group_dict)
    return [GridNodeResponse(**task_group_to_dict_grid(child, group_dict=group_dict)) for child in children]


def groups_that_do_not_sort(serialized) -> dict[str, str]:
    """group id ("(root)": the DAG's root group) → the error its topological sort raised."""
    failures = {}
    group_dict = serialized.task_group.get_task_group_dict()
    for group_id, group in group_dict.items():
        try:
            group.topological_sort(group_dict=group_dict)
        except ValueError as err:
            failures[group_id or "(root)"] = str(err)
    return failures


def test_the_endpoints_still_call_these_functions():
    """The two routes are still built from the functions these tests call (guards against an upgrade
    of Airflow that changes them and leaves these tests checking something the UI no longer does)."""
    from airflow.api_fastapi.core_api.routes.ui import grid, structure
    from airflow.api_fastapi.core_api.services.ui import task_group

    assert structure.task_group_to_dict is task_group.task_group_to_dict
    assert grid.task_group_to_dict_grid is task_group.task_group_to_dict_grid
    assert grid.get_task_group_children_getter is task_group.get_task_group_children_getter


def test_every_dag_is_drawn_by_the_graph_and_grid_endpoints(dagbag):
    assert len(dagbag.dags) >= 5
    for dag_id, dag in sorted(dagbag.dags.items()):
        serialized = stored(dag)
        assert groups_that_do_not_sort(serialized) == {}, f"{dag_id}: the Graph and Grid views would answer 500"
        graph = structure_data(serialized)
        grid = grid_structure(serialized)

        def ids(nodes):
            for node in nodes:
                if node.children:
                    yield from ids(node.children)
                else:
                    yield node.id

        assert set(dag.task_ids) <= set(ids(graph.nodes)), dag_id
        assert set(ids(grid)) == set(dag.task_ids), dag_id


def test_the_daily_dag_keeps_the_calendar_in_a_group_of_its_own(dagbag):
    """The fix of the cycle between ``phase_1_scrapers`` and the root-level calendar check."""
    top = [node.id for node in grid_structure(stored(dagbag.dags["nba_daily_pipeline"]))]
    assert "calendar" in top
    assert top.index("calendar") < top.index("phase_1_scrapers"), top


def _group_cycle_dags():
    """Three DAGs whose tasks form no cycle but whose task groups do, at the root and one level down."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG, TaskGroup

    start = pendulum.datetime(2025, 1, 1, tz="UTC")

    with DAG("group_and_root_task", schedule=None, start_date=start) as root_task:
        # the old daily DAG: a scraper group's loader feeds a root-level check that gates the others
        with TaskGroup("scrapers"):
            schedule = EmptyOperator(task_id="schedule")
            boxscores = EmptyOperator(task_id="boxscores")
        check = EmptyOperator(task_id="calendar_check")
        schedule >> check >> boxscores

    with DAG("two_groups", schedule=None, start_date=start) as two_groups:
        with TaskGroup("a"):
            a_first = EmptyOperator(task_id="first")
            a_second = EmptyOperator(task_id="second")
        with TaskGroup("b"):
            b_only = EmptyOperator(task_id="only")
        a_first >> b_only >> a_second

    with DAG("nested_groups", schedule=None, start_date=start) as nested:
        with TaskGroup("outer"):
            with TaskGroup("inner"):
                inner_first = EmptyOperator(task_id="first")
                inner_second = EmptyOperator(task_id="second")
            middle = EmptyOperator(task_id="middle")
        inner_first >> middle >> inner_second

    return {
        "group_and_root_task": (root_task, "(root)"),
        "two_groups": (two_groups, "(root)"),
        "nested_groups": (nested, "outer"),
    }


@pytest.mark.parametrize("name", ["group_and_root_task", "two_groups", "nested_groups"])
def test_a_cycle_between_task_groups_fails_both_endpoints(name):
    """Such a DAG parses and runs (its tasks are acyclic), yet both endpoints raise: the UI's 500."""
    dag, cyclic_group = _group_cycle_dags()[name]
    dag.check_cycle()  # the tasks themselves form no cycle
    serialized = stored(dag)
    assert list(groups_that_do_not_sort(serialized)) == [cyclic_group]
    with pytest.raises(ValueError, match="cyclic dependency"):
        structure_data(serialized)
    with pytest.raises(ValueError, match="cyclic dependency"):
        grid_structure(serialized)
