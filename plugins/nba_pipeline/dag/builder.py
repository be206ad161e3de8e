"""Build a guarded pipeline from the registry, inside a ``with DAG(...)`` block.

Layout: ``read_breakers`` (every breaker in one query) at the top; a ``calendar`` group with the
processors that load the calendar table (and those they read from) followed by ``calendar.check``,
which decides the run's early exits; one task group per phase for everything else. Inside a phase
group: one ``dependency_snapshot_<n>`` per wave (the processors at one depth of the phase's own
graph, their dependencies measured in one query), one group per processor with its guards and its
run task, and a ``record_runs`` task that writes the phase's run rows in one batch (the calendar
group's processors included). Edges follow the data: a processor waits for the processors whose
tables it reads (its dependency check also for the rest of its wave's producers, whatever their
outcome), so a skip or a failure reaches only the processors that really depend on it.

The calendar's loaders get a group of their own because every calendar-guarded processor, in any
phase, waits for the check, and the check waits for them: inside the phase groups, the phases and
the check would depend on each other, and the Airflow UI (which sorts the task groups at every
level) could not draw the DAG.

A processor's *sources* are its own and those of every processor upstream of it: a run triggered
for some sources runs exactly the processors that read them, directly or through a table, and the
calendar's loaders, which every decision needs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from airflow.sdk import Asset, BaseOperator, TaskGroup

from nba_pipeline.dag.gates import (
    CalendarCheckOperator,
    CircuitBreakerGateOperator,
    ReadBreakersOperator,
    SmartSkipCheckOperator,
)
from nba_pipeline.dag.recording import RecordPhaseRunsOperator
from nba_pipeline.dag.run_task import RunProcessorOperator
from nba_pipeline.dag.sensors import DependencyCompletenessSensor, MeasureDependenciesOperator
from nba_pipeline.dag.tasks import CALENDAR_CHECK_TASK_ID, CALENDAR_GROUP_ID, READ_BREAKERS_TASK_ID
from nba_pipeline.guards.calendar import Calendar
from nba_pipeline.guards.spec import Phase, ProcessorSpec
from nba_pipeline.guards.tables import GuardTables
from nba_pipeline.settings import get_settings


@dataclass
class ProcessorTasks:
    first: BaseOperator
    run: BaseOperator
    tasks: list[BaseOperator] = field(default_factory=list)
    group_id: str = ""


@dataclass
class Pipeline:
    calendar_check: BaseOperator
    processors: dict[str, ProcessorTasks]
    phase_groups: dict[Phase, TaskGroup]
    record_runs: dict[Phase, BaseOperator]


def producers_of(processors: Sequence[ProcessorSpec]) -> dict[str, list[ProcessorSpec]]:
    """table (or payload) name → the processors that write it."""
    producers: dict[str, list[ProcessorSpec]] = defaultdict(list)
    for spec in processors:
        for table in spec.writes:
            producers[table].append(spec)
    return producers


def upstream_processors(spec: ProcessorSpec, producers: Mapping[str, list[ProcessorSpec]]) -> list[ProcessorSpec]:
    """The processors whose tables ``spec`` reads."""
    found = {p.name: p for table in spec.reads for p in producers.get(table, ()) if p.name != spec.name}
    return list(found.values())


def dependency_waves(
    members: Sequence[ProcessorSpec], producers: Mapping[str, list[ProcessorSpec]]
) -> dict[int, list[ProcessorSpec]]:
    """Group a phase's processors that have dependencies by their depth in the phase's own graph
    (1: fed only from earlier phases), so each wave's dependencies are measured in one snapshot."""
    in_phase = {p.name for p in members}
    depth: dict[str, int] = {}

    def depth_of(spec: ProcessorSpec, seen: tuple[str, ...] = ()) -> int:
        if spec.name in seen:
            raise ValueError(f"processors read each other's tables in a cycle: {' → '.join((*seen, spec.name))}")
        if spec.name not in depth:
            inner = [p for p in upstream_processors(spec, producers) if p.name in in_phase]
            depth[spec.name] = 1 + max((depth_of(p, (*seen, spec.name)) for p in inner), default=0)
        return depth[spec.name]

    waves: dict[int, list[ProcessorSpec]] = defaultdict(list)
    for spec in members:
        if spec.dependencies:
            waves[depth_of(spec)].append(spec)
    return dict(sorted(waves.items()))


def calendar_loaders(
    processors: Sequence[ProcessorSpec], calendar: Calendar, producers: Mapping[str, list[ProcessorSpec]]
) -> list[ProcessorSpec]:
    """The processors that write the calendar table and those they read from, in registry order.
    None of them may be calendar-guarded: the calendar is decided from what they load."""
    needed: dict[str, ProcessorSpec] = {}
    pending = list(producers.get(calendar.table, ()))
    while pending:
        spec = pending.pop()
        if spec.name in needed:
            continue
        if spec.calendar_guarded:
            raise ValueError(f"{spec.name} loads the calendar {calendar.table}, so it cannot be calendar-guarded")
        needed[spec.name] = spec
        pending.extend(upstream_processors(spec, producers))
    return [p for p in processors if p.name in needed]


def effective_sources(
    processors: Sequence[ProcessorSpec], producers: Mapping[str, list[ProcessorSpec]]
) -> dict[str, frozenset[str]]:
    """name → the sources a processor reads itself or through the processors upstream of it."""
    found: dict[str, frozenset[str]] = {}

    def sources_of(spec: ProcessorSpec) -> frozenset[str]:
        if spec.name not in found:
            found[spec.name] = frozenset(spec.sources)  # a cycle is reported by dependency_waves
            upstream = (sources_of(p) for p in upstream_processors(spec, producers))
            found[spec.name] = frozenset(spec.sources).union(*upstream)
        return found[spec.name]

    for spec in processors:
        sources_of(spec)
    return found


def known_sources(processors: Sequence[ProcessorSpec]) -> list[str]:
    """Every source some processor reads, sorted."""
    return sorted({s for p in processors for s in p.sources})


def build_pipeline(
    processors: Sequence[ProcessorSpec],
    calendar: Calendar,
    tables: GuardTables,
    assets: Mapping[str, Asset] | None = None,
) -> Pipeline:
    """Create the tasks and edges for ``processors`` in the current DAG context.

    :param tables: where the guards keep breaker state and each phase's run rows.
    :param assets: table → asset; a run task writing such a table updates the asset on success.
    """
    names = [p.name for p in processors]
    if len(set(names)) != len(names):
        raise ValueError(f"processor names repeat: {sorted(n for n in names if names.count(n) > 1)}")
    return _Builder(processors, calendar, tables, assets or {}).build()


class _Builder:
    """The state of one :func:`build_pipeline` call: what is built so far and what it needs."""

    def __init__(
        self,
        processors: Sequence[ProcessorSpec],
        calendar: Calendar,
        tables: GuardTables,
        assets: Mapping[str, Asset],
    ) -> None:
        self.processors, self.calendar, self.tables, self.assets = processors, calendar, tables, assets
        self.producers = producers_of(processors)
        self.sources = effective_sources(processors, self.producers)
        self.all_sources = known_sources(processors)
        self.loaders = {p.name for p in calendar_loaders(processors, calendar, self.producers)}
        guarded = [p for p in processors if p.breaker is not None]
        self.read_breakers = (
            ReadBreakersOperator(task_id=READ_BREAKERS_TASK_ID, processors=guarded, tables=tables) if guarded else None
        )
        self.built: dict[str, ProcessorTasks] = {}
        self.snapshots: list[MeasureDependenciesOperator] = []

    def build(self) -> Pipeline:
        calendar_check = self.calendar_group()
        groups: dict[Phase, TaskGroup] = {}
        record_runs: dict[Phase, BaseOperator] = {}
        for phase in sorted({p.phase for p in self.processors}):
            groups[phase], record = self.phase_group(phase)
            if record is not None:
                record_runs[phase] = record
        self.wire(calendar_check)
        return Pipeline(calendar_check, self.built, groups, record_runs)

    def calendar_group(self) -> BaseOperator:
        """The calendar's loaders and the check that decides on what they loaded."""
        tooltip = f"Load the calendar ({self.calendar.table}) and decide on it"
        with TaskGroup(group_id=CALENDAR_GROUP_ID, tooltip=tooltip):
            for spec in (p for p in self.processors if p.name in self.loaders):
                if spec.dependencies:
                    raise ValueError(f"{spec.name} loads the calendar and cannot wait for dependencies")
                self.processor_group(spec)
            offsets = sorted({p.date_offset_days for p in self.processors if p.calendar_guarded}) or [0]
            return CalendarCheckOperator(task_id=CALENDAR_CHECK_TASK_ID, calendar=self.calendar, offsets=offsets)

    def phase_group(self, phase: Phase) -> tuple[TaskGroup, BaseOperator | None]:
        """A phase's snapshots, its processors (the calendar's loaders aside) and its ``record_runs``."""
        members = [p for p in self.processors if p.phase == phase]
        record = None
        with TaskGroup(group_id=phase.group_id, tooltip=f"Phase {phase.value}: {phase.name.lower()}") as group:
            waves = dependency_waves([p for p in members if p.name not in self.loaders], self.producers)
            snapshots = [
                MeasureDependenciesOperator(task_id=f"dependency_snapshot_{wave}", processors=specs)
                for wave, specs in waves.items()
            ]
            self.snapshots.extend(snapshots)
            for spec in members:
                if spec.name not in self.loaders:
                    self.processor_group(spec, snapshots)
            if self.tables.run_table(phase) is not None:
                record = RecordPhaseRunsOperator(
                    task_id="record_runs",
                    processors=members,
                    run_task_ids={p.name: self.built[p.name].run.task_id for p in members},
                    snapshot_task_id=READ_BREAKERS_TASK_ID if self.read_breakers is not None else None,
                    tables=self.tables,
                    pool=get_settings().state_write_pool,
                )
                for spec in members:  # only run tasks: a guard's skip must not reach record_runs
                    self.built[spec.name].run >> record
        return group, record

    def processor_group(self, spec: ProcessorSpec, snapshots: Sequence[MeasureDependenciesOperator] = ()) -> None:
        """One processor's guards and run task, chained in their group."""
        with TaskGroup(group_id=spec.name, tooltip=spec.description or spec.name) as group:
            chain = self.guards(spec, snapshots)
            outlets = [self.assets[t] for t in spec.writes if t in self.assets]
            sensor_id = chain[-1].task_id if chain and isinstance(chain[-1], DependencyCompletenessSensor) else None
            run = RunProcessorOperator(
                task_id="run", processor=spec, tables=self.tables, dependency_task_id=sensor_id, outlets=outlets
            )
            chain.append(run)
            for upstream, downstream in zip(chain, chain[1:], strict=False):
                upstream >> downstream
        self.built[spec.name] = ProcessorTasks(first=chain[0], run=run, tasks=chain, group_id=str(group.group_id))

    def guards(self, spec: ProcessorSpec, snapshots: Sequence[MeasureDependenciesOperator]) -> list[BaseOperator]:
        """The guards ``spec`` needs, in order: smart skip, breaker gate, dependency sensor."""
        chain: list[BaseOperator] = []
        if spec.calendar_guarded or (self.sources[spec.name] and spec.name not in self.loaders):
            chain.append(
                SmartSkipCheckOperator(
                    task_id="smart_skip", processor=spec, sources=sorted(self.sources[spec.name]),
                    known_sources=self.all_sources,
                )
            )
        if spec.breaker is not None and self.read_breakers is not None:
            gate = CircuitBreakerGateOperator(
                task_id="breaker_gate", processor=spec, snapshot_task_id=READ_BREAKERS_TASK_ID, tables=self.tables
            )
            self.read_breakers >> gate
            chain.append(gate)
        if spec.dependencies:
            snapshot = next(op for op in snapshots if spec in op.processors)
            sensor = DependencyCompletenessSensor(
                task_id="dependencies", processor=spec, snapshot_task_id=snapshot.task_id
            )
            snapshot >> sensor
            chain.append(sensor)
        return chain

    def wire(self, calendar_check: BaseOperator) -> None:
        """Edges that follow the data: the check before the guarded, producers before readers."""
        for spec in self.processors:
            first = self.built[spec.name].first
            if spec.calendar_guarded:
                calendar_check >> first
            for producer in upstream_processors(spec, self.producers):
                self.built[producer.name].run >> first
        for snapshot in self.snapshots:
            for spec in snapshot.processors:
                for producer in upstream_processors(spec, self.producers):
                    self.built[producer.name].run >> snapshot
        for producer in self.producers.get(self.calendar.table, ()):
            self.built[producer.name].run >> calendar_check
