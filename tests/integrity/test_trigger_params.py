"""Tier 1: the trigger form offers the allowed names and a wrong one gets a message a person can read.

The API server validates a trigger's ``conf`` against the stored DAG's Params
(``SerializedDAG.create_dagrun`` → ``params.deep_merge(conf).validate()``) and answers 400 with the
error's text, which the trigger form shows. The Airflow 3.3 form draws a list Param with
``examples`` as a multi-select of those examples, a Param with an ``enum`` as a dropdown of every enum
value (``null`` included), and a string Param with ``examples`` as a text field suggesting them.
"""

from __future__ import annotations

import pytest

from tests.conftest import PROJECT_ROOT
from tests.serialized_dags import stored

NAME_LISTS = ("force_processors", "ignore_breakers", "sources")


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    return {dag_id: stored(dag) for dag_id, dag in bag.dags.items()}


def _validate(dag, conf):
    """What the trigger endpoint does with ``conf`` before it creates the run."""
    return dag.params.deep_merge(conf).validate()


def _schema(dag, key):
    return dag.params.get_param(key).schema


def _allowed(key: str) -> list[str]:
    """The names the registry allows for ``key``."""
    from nba_pipeline.dag.builder import known_sources
    from nba_pipeline.registry.catalog import breaker_settings
    from nba_pipeline.registry.processors import daily_processors

    if key == "force_processors":
        return [p.name for p in daily_processors()]
    if key == "sources":
        return known_sources(daily_processors())
    return list(breaker_settings())


@pytest.mark.parametrize(
    ("dag_id", "key", "bad"),
    [
        ("nba_daily_pipeline", "force_processors", ["player_game_summary", "player_game"]),
        ("nba_daily_pipeline", "ignore_breakers", ["xgboost"]),
        ("nba_daily_pipeline", "sources", ["nba_com"]),
        ("nba_breaker_admin", "breaker", "xgboost"),
    ],
)
def test_a_name_not_allowed_is_refused_with_the_allowed_ones(dags, dag_id, key, bad):
    from airflow.exceptions import ParamValidationError

    wrong = bad[-1] if isinstance(bad, list) else bad
    with pytest.raises(ParamValidationError) as raised:
        _validate(dags[dag_id], {key: bad})
    first_line = str(raised.value).splitlines()[0]
    assert first_line.startswith(f"Invalid input for param {key}: {wrong!r} is not one of ["), first_line
    assert all(repr(name) in first_line for name in _allowed(key)), first_line


def test_the_defaults_and_a_cleared_selection_are_accepted(dags):
    """The form sends ``null`` for a cleared multi-select or an empty text field."""
    daily, admin = dags["nba_daily_pipeline"], dags["nba_breaker_admin"]
    assert {k: v for k, v in _validate(daily, {}).items() if k in NAME_LISTS} == dict.fromkeys(NAME_LISTS, [])
    assert _validate(daily, dict.fromkeys(NAME_LISTS))["force_processors"] is None
    chosen = {key: _schema(daily, key)["examples"][:2] for key in NAME_LISTS}
    assert {k: v for k, v in _validate(daily, chosen).items() if k in NAME_LISTS} == chosen
    assert _validate(admin, {})["breaker"] is None
    assert _validate(admin, {"action": "reset", "breaker": "xgboost_v1"})["breaker"] == "xgboost_v1"


def test_name_lists_are_multi_selects_of_the_registry(dags):
    """Not required (``null`` in the type, default ``[]``); the options are the names items.enum allows."""
    daily = dags["nba_daily_pipeline"]
    for key in NAME_LISTS:
        schema = _schema(daily, key)
        assert schema["type"] == ["array", "null"] and daily.params[key] == [], key
        assert schema["examples"] == schema["items"]["enum"] == _allowed(key), key
        assert "enum" not in schema and "pattern" not in schema["items"], key


def test_the_breaker_field_suggests_names_and_offers_no_null(dags):
    schema = _schema(dags["nba_breaker_admin"], "breaker")
    assert "enum" not in schema, "the form would draw a dropdown offering null"
    assert schema["examples"] == schema["then"]["enum"] == _allowed("breaker")


def test_no_dropdown_of_any_dag_offers_null(dags):
    for dag_id, dag in dags.items():
        for key, param in dag.params.items():
            assert None not in param.schema.get("enum", ()), f"{dag_id}.{key}"
            assert None not in param.schema.get("examples", ()), f"{dag_id}.{key}"


def test_every_param_is_checked_as_draft_07_and_still_refuses_what_it_should(dags):
    """Airflow validates every Param of every task each time it serializes a DAG: the schemas say
    they are draft-07, whose meta-schema is checked several times faster than the default 2020-12."""
    import jsonschema

    from nba_pipeline.dag.defaults import SCHEMA_DIALECT

    params = [(dag_id, key, dag.params.get_param(key)) for dag_id, dag in dags.items() for key in dag.params]
    assert len(params) >= 15
    for dag_id, key, param in params:
        assert param.schema["$schema"] == SCHEMA_DIALECT, (dag_id, key)
        assert jsonschema.validators.validator_for(param.schema) is jsonschema.Draft7Validator
    with pytest.raises(ValueError, match="'yes' is not of type 'boolean'"):
        _validate(dags["nba_daily_pipeline"], {"backfill": "yes"})
    with pytest.raises(ValueError, match="'2025-13-45' is not a 'date'"):
        _validate(dags["nba_daily_pipeline"], {"game_date": "2025-13-45"})
    with pytest.raises(ValueError, match="0 is less than the minimum of 1"):
        _validate(dags["nba_breaker_admin"], {"threshold": 0})
