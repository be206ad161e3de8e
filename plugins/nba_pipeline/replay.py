"""A season replayed as the scheduler would run it, with a verdict per day.

Each date of the range runs ``nba_daily_pipeline`` in daily mode (not backfill) at its scheduled
time, 10:00 America/New_York, on the package clock (:mod:`nba_pipeline.clock`), in order, on the
configured warehouse; the history the first date needs is backfilled before it, as ``make run``
does. After each run the day gets a verdict from what the calendar says should have happened:

- a day with games must end with predictions for it, unless none of its teams played in the 7 days
  before (the season's first games: nobody has the recent minutes that make a player eligible);
- no task may fail;
- a processor may skip only for a reason the calendar explains (``no_games`` or ``offseason`` for
  a date that has no games), and no calendar-guarded processor may run for a date without games.

Anything else is *unexpected*. Nothing else writes to the warehouse during a replay, so waiting for
data cannot help: dependency sensors poke every second and give up after a few.

Predictions are walk-forward: ``nba_model_training`` runs as scheduled, Mondays at 06:00, on the
game dates before that Monday (and, for a replay that builds its history, once before the first
date, as the last Monday's run would have), and each date is predicted by the newest model trained
on dates before it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pendulum

from nba_pipeline import clock
from nba_pipeline.guards.breaker import State
from nba_pipeline.guards.skip_reasons import SkipReason
from nba_pipeline.guards.spec import Phase
from nba_pipeline.registry.catalog import breaker_settings
from nba_pipeline.registry.guard_tables import breaker_store
from nba_pipeline.registry.processors import daily_processors
from nba_pipeline.registry.skip_reasons import LeagueSkipReason
from nba_pipeline.settings import LOCAL_TIMEZONE, environment
from nba_pipeline.summary import run_rows
from nba_pipeline.warehouse import STATS, Warehouse, get_warehouse
from nba_pipeline.warehouse.checksums import TableChecksum

DAILY_DAG_ID = "nba_daily_pipeline"
BACKFILL_DAG_ID = "nba_backfill"
TRAINING_DAG_ID = "nba_model_training"
SCHEDULED_AT = dt.time(10, 0)
TRAINING_AT = dt.time(6, 0)  # Mondays
HISTORY_DAYS = 30
#: the only skip reasons a calendar can explain
CALENDAR_REASONS = frozenset({str(LeagueSkipReason.NO_GAMES), str(SkipReason.OFFSEASON)})
#: a replay has nobody else writing: a dependency that is not ready will not become ready
log = logging.getLogger(__name__)
REPLAY_ENVIRONMENT = {"NBA_DEPENDENCY_POKE_SECONDS": "1", "NBA_DEPENDENCY_TIMEOUT_SECONDS": "5"}


def scheduled_time(day: dt.date, at: dt.time = SCHEDULED_AT) -> dt.datetime:
    """When the scheduler starts the daily run for ``day`` (10:00 in New York), or another run at
    ``at`` that day, as a UTC moment."""
    return pendulum.datetime(day.year, day.month, day.day, at.hour, at.minute,
                             tz=LOCAL_TIMEZONE).in_timezone("UTC")


@dataclass
class PhaseOutcome:
    run: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    failed: int = 0

    def count(self, status: str | None, skip_reason: str | None) -> None:
        """One processor's outcome: ``success``, ``failed``, or skipped with ``skip_reason``."""
        if status == "success":
            self.run += 1
        elif status == "failed":
            self.failed += 1
        else:
            self.skipped[str(skip_reason)] += 1

    def describe(self) -> str:
        if not (self.run or self.skipped or self.failed):
            return "-"
        parts = [f"run {self.run}"]
        if self.skipped:
            parts.append("skipped " + ", ".join(f"{reason} {n}" for reason, n in sorted(self.skipped.items())))
        if self.failed:
            parts.append(f"failed {self.failed}")
        return "; ".join(parts)


@dataclass
class DayVerdict:
    """What one daily run did, and what about it the calendar does not explain."""

    game_date: dt.date
    games: int
    phases: dict[int, PhaseOutcome]
    players_predicted: int
    predictions: int
    breakers_not_closed: list[str]
    wall_seconds: float
    run_state: str
    unexpected: list[str] = field(default_factory=list)
    #: writes (mutating statements and streaming inserts) per table during the run; on BigQuery each is a job
    writes: dict[str, int] = field(default_factory=dict)
    #: the xgboost_v1 model versions that predicted the date ("-": none served)
    models: list[str] = field(default_factory=list)

    def busiest_table(self) -> tuple[str, int]:
        """The table written most often during the run, and how often."""
        if not self.writes:
            return "-", 0
        table = max(sorted(self.writes), key=lambda t: self.writes[t])
        return table, self.writes[table]

    @property
    def verdict(self) -> str:
        return "ok" if not self.unexpected else "UNEXPECTED: " + "; ".join(self.unexpected)

    def row(self) -> dict[str, Any]:
        return {
            "date": self.game_date.isoformat(),
            "games": self.games,
            **{f"phase {p}": self.phases.get(p, PhaseOutcome()).describe() for p in range(1, 5)},
            "players predicted": self.players_predicted,
            "breakers not closed": ", ".join(self.breakers_not_closed) or "-",
            "wall s": f"{self.wall_seconds:.1f}",
            "most writes to one table": "{1} ({0})".format(*self.busiest_table()),
            "xgboost model": ", ".join(self.models) or "-",
            "verdict": self.verdict,
        }


def games_on(warehouse: Warehouse, days: Sequence[dt.date]) -> dict[dt.date, int]:
    """Games scheduled (not postponed) per date, from the loaded schedule."""
    rows = warehouse.query(
        "SELECT game_date, COUNT(*) AS n FROM nba_raw.nbac_schedule "
        "WHERE game_date IN UNNEST(@days) AND NOT COALESCE(is_postponed, FALSE) GROUP BY game_date",
        {"days": list(days)},
    )
    found = {row["game_date"]: int(row["n"]) for row in rows}
    return {day: found.get(day, 0) for day in days}


def teams_with_recent_games(warehouse: Warehouse, game_date: dt.date, days: int = 7) -> int:
    """How many of the date's teams played in the ``days`` before it (their players can be eligible)."""
    return int(warehouse.query(
        """
        WITH today AS (
          SELECT home_team_abbr AS team FROM nba_raw.nbac_schedule WHERE game_date = @d
          UNION DISTINCT
          SELECT away_team_abbr FROM nba_raw.nbac_schedule WHERE game_date = @d
        ), recent AS (
          SELECT home_team_abbr AS team FROM nba_raw.nbac_schedule
          WHERE game_date BETWEEN @start AND @end AND game_status = 3
          UNION DISTINCT
          SELECT away_team_abbr FROM nba_raw.nbac_schedule
          WHERE game_date BETWEEN @start AND @end AND game_status = 3
        )
        SELECT COUNT(*) AS n FROM today JOIN recent USING (team)
        """,
        {"d": game_date, "start": game_date - dt.timedelta(days=days), "end": game_date - dt.timedelta(days=1)},
    )[0]["n"])


def _final_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each processor's final row: a retried processor has failed rows before its final one."""
    final: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["processor_name"] not in final or row["status"] != "failed":
            final[row["processor_name"]] = row
    return final


def judge_day(
    warehouse: Warehouse,
    game_date: dt.date,
    task_states: dict[str, str | None],
    run_state: str,
    since: dt.datetime,
    wall_seconds: float,
    until: dt.datetime | None = None,
) -> DayVerdict:
    """The verdict of one daily run, from its task states, its run rows and the warehouse."""
    specs = {p.name: p for p in daily_processors()}
    offsets = sorted({p.date_offset_days for p in specs.values()})
    games = games_on(warehouse, [game_date + dt.timedelta(days=o) for o in offsets])
    phases: dict[int, PhaseOutcome] = {p.value: PhaseOutcome() for p in Phase if p.value < 5}
    unexpected: list[str] = []

    def check(name: str, status: str, reason: str | None) -> None:
        spec = specs[name]
        target = spec.target_date(game_date)
        if status == "skipped" and (reason not in CALENDAR_REASONS or games[target]):
            unexpected.append(f"{name} skipped ({reason}) for {target} with {games[target]} games")
        if status == "success" and spec.calendar_guarded and not games[target]:
            unexpected.append(f"{name} ran for {target}, a date without games")

    for spec in specs.values():  # phase 1 writes no run rows: its task states say what it did
        if spec.phase is Phase.SCRAPERS:
            state = next((s for t, s in task_states.items() if t.endswith(f".{spec.name}.run")), None)
            if state == "success":
                check(spec.name, "success", None)
            quiet = spec.calendar_guarded and not games[spec.target_date(game_date)]
            phases[1].count(state, "calendar" if quiet else str(state))
    for phase, rows in run_rows(warehouse, since, until).items():
        for name, row in sorted(_final_rows(rows).items()):
            phases[phase].count(row["status"], row["skip_reason"])
            check(name, row["status"], row["skip_reason"])

    failed = sorted(t for t, s in task_states.items() if s == "failed")
    if failed:
        unexpected.append(f"failed tasks: {', '.join(failed)}")
    if run_state != "success":
        unexpected.append(f"the DAG run ended {run_state}")
    predicted = warehouse.query(
        "SELECT COUNT(DISTINCT player_lookup) AS players, COUNT(*) AS n, "
        "ARRAY_AGG(DISTINCT model_version IGNORE NULLS) AS models "
        "FROM nba_predictions.player_prop_predictions WHERE game_date = @d",
        {"d": game_date},
    )[0]
    if games[game_date] and not predicted["n"] and teams_with_recent_games(warehouse, game_date):
        unexpected.append(f"{games[game_date]} games and no predictions")
    scanned = breaker_store(warehouse).scan(breaker_settings())
    breakers = scanned.breakers
    unexpected += [str(error) for _, error in sorted(scanned.invalid.items())]
    return DayVerdict(
        game_date=game_date,
        games=games[game_date],
        phases=phases,
        players_predicted=int(predicted["players"]),
        models=sorted(predicted["models"] or []),
        predictions=int(predicted["n"]),
        breakers_not_closed=sorted(k for k, b in breakers.items() if b.state is not State.CLOSED),
        wall_seconds=wall_seconds,
        run_state=run_state,
        unexpected=unexpected,
    )


def _load_dags(dag_ids: Sequence[str]) -> dict[str, Any]:
    """The DAGs, parsed from the DAG folder and serialized into the metadata DB (``dag.test()`` needs it)."""
    from airflow.configuration import conf
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    bag = DagBag(dag_folder=conf.get("core", "dags_folder"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    DagBundlesManager().sync_bundles_to_db()  # type: ignore[no-untyped-call]
    sync_bag_to_db(bag, "dags-folder", None)
    return {dag_id: bag.get_dag(dag_id) for dag_id in dag_ids}


class _DropWaitingNotices(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No tasks to run")


def replay(
    start: dt.date,
    end: dt.date,
    *,
    history_days: int = HISTORY_DAYS,
    report: Callable[[DayVerdict], None] | None = None,
) -> list[DayVerdict]:
    """Backfill ``history_days`` before ``start``, then run the daily DAG for every date to ``end``
    (with the dependency sensors' patience of :data:`REPLAY_ENVIRONMENT`, restored afterwards)."""
    if end < start:
        raise ValueError(f"the replay ends ({end}) before it starts ({start})")
    # dag.test() warns "No tasks to run" at every sensor reschedule, listing every waiting task. A
    # filter, not a level: each dag.test() reconfigures logging, which resets the levels of
    # Airflow's loggers but keeps their filters.
    chatty = logging.getLogger("airflow.sdk.definitions.dag")
    quiet = _DropWaitingNotices()
    chatty.addFilter(quiet)
    try:
        with environment(REPLAY_ENVIRONMENT):
            return _replay(start, end, history_days, report)
    finally:
        chatty.removeFilter(quiet)


def _replay(
    start: dt.date, end: dt.date, history_days: int, report: Callable[[DayVerdict], None] | None
) -> list[DayVerdict]:
    from nba_pipeline.schema.migrations import apply_migrations

    with get_warehouse() as warehouse:
        apply_migrations(warehouse)
    dags = _load_dags([DAILY_DAG_ID, BACKFILL_DAG_ID, TRAINING_DAG_ID])
    if history_days:
        first, last = start - dt.timedelta(days=history_days), start - dt.timedelta(days=1)
        moment = scheduled_time(start) - dt.timedelta(hours=1)
        with clock.shifted_to(moment):
            backfill = dags[BACKFILL_DAG_ID].test(
                logical_date=pendulum.instance(moment),
                run_conf={"start_date": first.isoformat(), "end_date": last.isoformat()},
            )
        if backfill.state != "success":
            raise RuntimeError(f"the history backfill {first}..{last} ended {backfill.state}")
    verdicts = []
    day = start
    if history_days and start.weekday():  # a new replay: the model the last Monday's run stored
        _train(dags[TRAINING_DAG_ID], start - dt.timedelta(days=start.weekday()))
    while day <= end:
        if not day.weekday():
            _train(dags[TRAINING_DAG_ID], day)
        moment = scheduled_time(day)
        with clock.shifted_to(moment):
            since = clock.now()
            started = time.perf_counter()
            before = dict(STATS.mutations)
            dag_run = dags[DAILY_DAG_ID].test(logical_date=pendulum.instance(moment))
            wall = time.perf_counter() - started
            writes: Counter[str] = Counter()
            for (activity, table), count in STATS.mutations.items():  # dag.test() runs the tasks here
                writes[table] += count - before.get((activity, table), 0)
            states = {ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": ti.state
                      for ti in dag_run.get_task_instances()}
            until = clock.now()  # rows of runs at the real time, in the same warehouse, are later
            with get_warehouse() as warehouse:
                verdict = judge_day(warehouse, day, states, str(dag_run.state), since, wall, until)
            verdict.writes = {table: n for table, n in sorted(writes.items()) if n}
        verdicts.append(verdict)
        if report:
            report(verdict)
        day += dt.timedelta(days=1)
    return verdicts


def _train(dag: Any, monday: dt.date) -> None:
    """The weekly training run of ``monday`` at its scheduled time, on the game dates before it (a
    window too short to train on fails it, and the week goes on with the model it had)."""
    moment = scheduled_time(monday, TRAINING_AT)
    with clock.shifted_to(moment):
        run = dag.test(logical_date=pendulum.instance(moment),
                       run_conf={"start_date": None, "end_date": (monday - dt.timedelta(days=1)).isoformat()})
    log.info("training run of %s: %s", monday, run.state)


COLUMNS = ("date", "games", "phase 1", "phase 2", "phase 3", "phase 4", "players predicted",
           "breakers not closed", "wall s", "most writes to one table", "xgboost model", "verdict")


def as_csv(verdicts: Sequence[DayVerdict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for verdict in verdicts:
        writer.writerow(verdict.row())
    return buffer.getvalue()


def as_markdown(verdicts: Sequence[DayVerdict]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(v.row()[c]) for c in COLUMNS) + " |" for v in verdicts]
    return "\n".join(lines)


def summary_lines(verdicts: Sequence[DayVerdict]) -> list[str]:
    game_days = [v for v in verdicts if v.games]
    unexpected = [v for v in verdicts if v.unexpected]
    wall = sum(v.wall_seconds for v in verdicts)
    busiest = max(verdicts, key=lambda v: v.busiest_table()[1])
    table, most = busiest.busiest_table()
    return [
        f"{len(verdicts)} dates ({verdicts[0].game_date}..{verdicts[-1].game_date}), {len(game_days)} with games, "
        f"{sum(v.games for v in verdicts)} games, {sum(v.predictions for v in verdicts)} predictions",
        f"wall time {wall:.0f} s ({wall / max(1, len(verdicts)):.1f} s per date)",
        f"unexpected verdicts: {len(unexpected)}"
        + (" (" + ", ".join(v.game_date.isoformat() for v in unexpected[:20]) + ")" if unexpected else ""),
        f"most writes to one table in one daily run: {most} ({table}, {busiest.game_date}); "
        f"all tables, largest day: {max(sum(v.writes.values()) for v in verdicts)}",
    ]


def combined_digest(checksums: Mapping[str, TableChecksum]) -> str:
    """One digest of every table's checksum: equal for two replays that wrote the same data."""
    text = "".join(f"{name} {checksums[name].digest}\n" for name in sorted(checksums))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def write_outputs(
    verdicts: Sequence[DayVerdict], directory: Path, checksums: Mapping[str, TableChecksum] | None = None
) -> tuple[Path, Path]:
    """The verdict table as CSV and Markdown (with the summary), the writes per table and date as
    ``…-writes.csv`` (for BigQuery's per-table quotas), and with ``checksums`` a ``…-checksums.txt``
    of every table's checksum, to compare two replays of the same range."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"replay-{verdicts[0].game_date}-{verdicts[-1].game_date}"
    csv_path, md_path = directory / f"{stem}.csv", directory / f"{stem}.md"
    csv_path.write_text(as_csv(verdicts))
    summary = summary_lines(verdicts)
    if checksums is not None:
        lines = [f"{name}\t{checksums[name].digest}" for name in sorted(checksums)]
        (directory / f"{stem}-checksums.txt").write_text("\n".join(lines) + "\n")
        summary.append(f"warehouse checksum {combined_digest(checksums)} ({len(checksums)} tables, "
                       f"load and run times left out; per table: {stem}-checksums.txt)")
    md_path.write_text("\n".join([as_markdown(verdicts), "", *summary, ""]))
    writes = ["date,table,writes"] + [f"{v.game_date},{table},{n}" for v in verdicts for table, n in v.writes.items()]
    (directory / f"{stem}-writes.csv").write_text("\n".join(writes) + "\n")
    return csv_path, md_path
