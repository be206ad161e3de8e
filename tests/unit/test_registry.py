"""The registry: every processor declared once, every table read has a producer, entry points exist."""

from __future__ import annotations

import pytest

from nba_pipeline.dag.builder import producers_of
from nba_pipeline.guards.spec import Phase
from nba_pipeline.processors.player_registry import PLAYER_SOURCE_TABLES, resolve_player_identities
from nba_pipeline.processors.raw import RawTable
from nba_pipeline.processors.transform import run_sql_transform
from nba_pipeline.registry.catalog import breaker_settings
from nba_pipeline.registry.processors import CALENDAR, backfill_processors, daily_processors
from nba_pipeline.schema.declared import declared_tables
from nba_pipeline.scrapers.run import scrape
from nba_pipeline.settings import SQL_ROOT

PROCESSORS = daily_processors()


def test_names_are_unique():
    names = [p.name for p in PROCESSORS]
    assert len(names) == len(set(names))


def test_every_table_read_has_a_producer():
    """The original had processors reading tables nobody wrote; here that fails the build."""
    producers = producers_of(PROCESSORS)
    orphans = {(p.name, table) for p in PROCESSORS for table in p.reads if table not in producers}
    assert orphans == set()


def test_every_dependency_table_is_declared_and_produced():
    producers = producers_of(PROCESSORS)
    tables = declared_tables()
    for spec in PROCESSORS:
        for dependency in spec.dependencies:
            for source in dependency.tables:
                assert source.table in tables, (spec.name, source.table)
                assert source.table in producers, (spec.name, source.table)
                columns = {c.name for c in tables[source.table].columns}
                assert {source.date_column, source.loaded_at_column} <= columns, (spec.name, source)


def test_written_tables_are_declared():
    tables = declared_tables()
    for spec in PROCESSORS:
        for table in spec.writes:
            assert table.startswith("payload:") or table in tables, (spec.name, table)


def test_guarded_processors_have_breakers_from_the_catalog():
    keys = breaker_settings()
    for spec in PROCESSORS:
        if spec.phase is Phase.SCRAPERS:
            assert spec.breaker is None, "scrapers rely on Airflow retries"
        else:
            assert spec.breaker == keys[spec.name]


def test_only_the_schedule_chain_escapes_the_calendar():
    unguarded = {p.name for p in PROCESSORS if not p.calendar_guarded}
    assert unguarded == {"scrape_nbac_schedule", "nbac_schedule"}
    assert all(CALENDAR.table not in p.writes for p in PROCESSORS if p.calendar_guarded)


@pytest.mark.parametrize("spec", [p for p in PROCESSORS], ids=lambda p: p.name)
def test_each_entry_runs_what_its_kind_runs(spec):
    """Scrapers fetch, a raw entry runs the parse rules of the table it writes, a transform its SQL file;
    the player registry (phase 3) runs its resolution rules."""
    if spec.phase is Phase.SCRAPERS:
        assert spec.run is scrape
    elif spec.phase is Phase.RAW:
        assert isinstance(spec.run, RawTable) and spec.writes == (spec.run.table,)
        assert spec.sources == (spec.run.source,)
    elif spec.name == "player_registry":
        assert spec.run is resolve_player_identities and spec.reads == PLAYER_SOURCE_TABLES
    else:
        assert spec.run is run_sql_transform and spec.sql is not None and (SQL_ROOT / spec.sql).is_file()


def test_backfill_runs_phases_in_order_and_phase_4_in_documented_order():
    order = backfill_processors()
    assert [p.name for p in order[:2]] == ["scrape_nbac_schedule", "nbac_schedule"], "the calendar comes first"
    phases = [p.phase.value for p in order[2:]]
    assert phases == sorted(phases)
    assert [p.name for p in order if p.phase is Phase.PRECOMPUTE] == [  # DOMAIN §2
        "team_defense_zone_analysis",
        "player_shot_zone_analysis",
        "player_composite_factors",
        "player_daily_cache",
        "ml_feature_store",
    ]


def test_dependency_waves_follow_the_depth_of_each_phase():
    """Phase 3 reads phase 2, and the two transforms that name players also the player registry's
    resolutions (the registry itself has no dependency check); phase 4 feeds itself in three steps."""
    from nba_pipeline.dag.builder import dependency_waves

    producers = producers_of(PROCESSORS)
    waves = {}
    for phase in (Phase.ANALYTICS, Phase.PRECOMPUTE):
        members = [p for p in PROCESSORS if p.phase == phase]
        found = dependency_waves(members, producers)
        waves[phase] = {depth: sorted(p.name for p in specs) for depth, specs in found.items()}
    assert waves[Phase.ANALYTICS] == {
        1: ["team_defense_game_summary", "team_offense_game_summary", "upcoming_team_game_context"],
        2: ["player_game_summary", "upcoming_player_game_context"],
    }
    assert waves[Phase.PRECOMPUTE] == {
        1: ["player_shot_zone_analysis", "team_defense_zone_analysis"],
        2: ["player_composite_factors", "player_daily_cache"],
        3: ["ml_feature_store"],
    }


def test_dependency_waves_refuse_a_cycle():
    from dataclasses import replace

    from nba_pipeline.dag.builder import dependency_waves

    first, second = [p for p in PROCESSORS if p.phase == Phase.PRECOMPUTE and p.dependencies][:2]
    looped = [
        replace(first, reads=(*first.reads, *second.writes)),
        replace(second, reads=(*second.reads, *first.writes)),
    ]
    with pytest.raises(ValueError, match="cycle"):
        dependency_waves(looped, producers_of(looped))


def test_the_registry_is_the_only_list_of_processors():
    """No collection written in the package or the DAG files names two processors, except the
    registry's own entries: every other list (breaker keys, phase lists, raw tables) derives from it.
    The simulated sources are left out: they list their endpoints, some named as the processors
    that read them."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    names = {p.name for p in PROCESSORS}
    registry = root / "plugins" / "nba_pipeline" / "registry" / "processors.py"
    found = []
    for path in sorted([*(root / "plugins").rglob("*.py"), *(root / "dags").glob("*.py")]):
        if path == registry or "sources" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
            if not isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) or items is None:
                continue
            named = [i.value for i in items if isinstance(i, ast.Constant) and i.value in names]
            if len(named) >= 2:
                found.append(f"{path.relative_to(root)}:{node.lineno} {named}")
    assert found == []
