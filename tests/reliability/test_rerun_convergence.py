"""A rerun of a date converges to the clean run of that date, whatever ran before it.

Each scenario copies the season (the history before the game day), runs the game day in a degraded
way, then runs it again as it should be: every data table must then have the checksum of the
session's clean run of the same day (``warehouse_checksums``: load and run times, run ids and
durations left out). Rows the degraded run wrote that the clean one does not produce must be gone,
rows it did not write must be there.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.airflow_runs import run_dag, task_states
from tests.reliability import state
from tests.reliability.conftest import GAME_DAY, copy_folder

pytestmark = pytest.mark.integration
BREAKER = "player_composite_factors"


def _open_breaker(use_folder, folder) -> Callable[[], None]:
    from nba_pipeline.breakers import BreakerAction, apply_action
    from nba_pipeline.warehouse import get_warehouse

    use_folder(folder)
    with get_warehouse() as warehouse:
        apply_action(warehouse, BreakerAction.OPEN, BREAKER, reason="degraded run")

    def clean() -> None:
        with get_warehouse() as warehouse:
            apply_action(warehouse, BreakerAction.RESET, BREAKER)

    return clean


def _imperfections(use_folder, folder) -> Callable[[], None]:
    use_folder(folder, NBA_SIMULATION_IMPERFECTIONS="player_missing_from_book,duplicate_rows,late_boxscores")
    return lambda: use_folder(folder)


SCENARIOS = {"breaker_open": _open_breaker, "imperfections": _imperfections}


def _checksums(folder, use_folder) -> dict:
    from nba_pipeline.warehouse import get_warehouse
    from nba_pipeline.warehouse.checksums import warehouse_checksums

    use_folder(folder)
    with get_warehouse() as warehouse:
        return warehouse_checksums(warehouse)


@pytest.mark.parametrize("scenario", [*SCENARIOS, "skipped"])
def test_a_clean_rerun_after_a_degraded_run_equals_the_clean_run(
    scenario, season, clean_run, daily_dag, use_folder, tmp_path
):
    from nba_pipeline.warehouse.checksums import differing_tables

    folder = copy_folder(season, tmp_path / "season")
    conf = {"game_date": GAME_DAY.isoformat()}
    if scenario == "skipped":  # a run for one source: every other processor skips with irrelevant_source
        use_folder(folder)
        degraded = run_dag(daily_dag, GAME_DAY, {**conf, "sources": ["odds_api_game_lines"]})
        make_clean: Callable[[], None] = lambda: None  # noqa: E731
    else:
        make_clean = SCENARIOS[scenario](use_folder, folder)
        degraded = run_dag(daily_dag, GAME_DAY, conf)
    assert "skipped" in task_states(degraded).values(), "the degraded run left something out"
    clean = _checksums(clean_run.folder, use_folder)
    data = sorted(set(clean) - set(state.LEDGERS))
    assert len(data) >= 24 and clean["nba_predictions.player_prop_predictions"].rows > 300
    before = _checksums(folder, use_folder)
    assert differing_tables({t: clean[t] for t in data}, {t: before[t] for t in data}), "a rerun has work to do"

    make_clean()
    rerun = run_dag(daily_dag, GAME_DAY, conf)
    states = task_states(rerun)
    assert rerun.state == "success" and "failed" not in states.values(), states
    after = _checksums(folder, use_folder)
    assert differing_tables({t: clean[t] for t in data}, {t: after[t] for t in data}) == {}
