"""The layers hold: guard mechanics and the warehouse import nothing of the domain above them,
only DAG files import the Airflow-facing layer, and guards/ has no word of basketball.

Read from the source (every ``import`` statement, also those inside functions), so a lazy import
cannot hide an edge.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "plugins" / "nba_pipeline"
DOMAIN = ("registry", "processors", "predictions", "sources", "scrapers", "alerts", "dag")
#: words of the domain that guards/ may not use (imports of the package itself aside)
BASKETBALL = re.compile(r"game|player|team|points|nba_|basketball|league|box ?score", re.IGNORECASE)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT / "plugins").with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, with its line (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _modules_under(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("layer", ["guards", "warehouse"])
def test_guards_and_warehouse_import_nothing_of_the_domain(layer):
    forbidden = tuple(f"nba_pipeline.{name}" for name in DOMAIN)
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules_under(PACKAGE / layer)
        for line, name in _imports(path)
        if ".".join(name.split(".")[:2]) in forbidden
    ]
    assert offending == []


def test_only_dag_files_import_the_dag_layer():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _modules_under(PACKAGE)
        if not path.is_relative_to(PACKAGE / "dag")
        for line, name in _imports(path)
        if name == "nba_pipeline.dag" or name.startswith("nba_pipeline.dag.")
    ]
    assert offending == []


TOY_PIPELINE = ("guard_scenario.py", "run_row_paths.py", "toy_dag.py", "toy_processors.py", "toy_state.py")


def test_the_toy_pipelines_need_nothing_of_the_domain():
    """The toy pipelines of tests/dags declare their processors, calendar and guard state tables
    themselves and import only guards/, the warehouse and the DAG layer's builder (their runs are in
    tests/integration/test_guard_scenarios.py and test_run_row_paths.py)."""
    allowed = ("nba_pipeline.guards", "nba_pipeline.warehouse", "nba_pipeline.dag")
    offending = [
        f"{name}:{line} imports {module}"
        for name in TOY_PIPELINE
        for line, module in _imports(ROOT / "tests" / "dags" / name)
        if module.startswith("nba_pipeline") and not module.startswith(allowed)
    ]
    assert offending == []


#: what may know the simulation's truth (its expected points): only the evaluation
TRUTH_READERS = ("nba_pipeline.evaluation", "nba_pipeline.sources.simulation")


def _truth_leaks(path: Path) -> list[str]:
    """Imports of the evaluation or the simulation, and uses of ``expected_points``, in ``path``."""
    leaks = [
        f"{path.name}:{line} imports {name}"
        for line, name in _imports(path)
        if any(name == module or name.startswith(f"{module}.") for module in TRUTH_READERS)
    ]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name == "expected_points":
            leaks.append(f"{path.name}:{node.lineno} reads expected_points")
    return leaks


def test_the_truth_is_never_a_feature_or_a_target(tmp_path):
    """Features, predictions and processors neither import the evaluation nor read the simulated
    league's expected points: the truth only judges predictions, it never makes them."""
    modules = [PACKAGE / "features.py", *_modules_under(PACKAGE / "predictions"),
               *_modules_under(PACKAGE / "processors")]
    assert [leak for path in modules for leak in _truth_leaks(path)] == []
    sample = tmp_path / "leak.py"
    sample.write_text("def f(league, day):\n    from nba_pipeline.evaluation import evaluate\n"
                      "    return league.expected_points('x', day)\n")
    assert _truth_leaks(sample) == ["leak.py:2 imports nba_pipeline.evaluation",
                                    "leak.py:2 imports nba_pipeline.evaluation.evaluate",
                                    "leak.py:3 reads expected_points"]


def test_guards_speak_no_basketball():
    """Outside import lines: the guards are configured by the pipeline, never written for it."""
    offending = []
    for path in _modules_under(PACKAGE / "guards"):
        import_lines = {line for line, _ in _imports(path)}
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if number not in import_lines and BASKETBALL.search(text):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {text.strip()}")
    assert offending == []


def test_the_checks_see_a_violation(tmp_path):
    """The import reader finds lazy and relative imports, and the word check matches."""
    sample = PACKAGE / "guards" / "calendar.py"
    names = {name for _, name in _imports(sample)}
    assert "nba_pipeline.guards.skip_reasons" in names and "nba_pipeline.warehouse.base.TableRef" in names
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def f():\n    from nba_pipeline.registry.processors import CALENDAR\n")
    assert (2, "nba_pipeline.registry.processors") in _imports(lazy)
    assert BASKETBALL.search("SELECT player_lookup FROM nba_raw.x") and not BASKETBALL.search("events")


def test_no_module_is_a_giant():
    """A module does one thing: none of the package or the DAG files is much over 400 lines."""
    limit = 420
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text().splitlines())
        for path in [*_modules_under(PACKAGE), *sorted((ROOT / "dags").glob("*.py"))]
    }
    assert {name: n for name, n in sizes.items() if n > limit} == {}
