"""``nba-pipeline``: the warehouse's schema and state from a terminal.

    nba-pipeline info             backend, warehouse location, Airflow home
    nba-pipeline migrate          apply pending migrations (idempotent)
    nba-pipeline verify-schema    compare the live warehouse with the declared schemas; exit 1 on drift
    nba-pipeline breakers list|reset NAME|open NAME [--reason TEXT]|repair NAME|delete NAME
    nba-pipeline summary --date YYYY-MM-DD [--since ISO]   what a pipeline run did
    nba-pipeline replay --from YYYY-MM-DD --to YYYY-MM-DD    the daily DAG day by day, with verdicts
    nba-pipeline evaluate --from YYYY-MM-DD --to YYYY-MM-DD [--json]   prediction quality against the truth
    nba-pipeline report [--from YYYY-MM-DD --to YYYY-MM-DD] [--out FILE]   the same week by week, as HTML
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from nba_pipeline.settings import get_settings


def _info(_: argparse.Namespace) -> int:
    from nba_pipeline.warehouse import get_warehouse

    settings = get_settings()
    warehouse = get_warehouse(settings)
    print(f"backend:      {settings.warehouse_backend}")
    print(f"warehouse:    {warehouse.location()}")
    print(f"payloads:     {settings.payload_root}")
    print(f"airflow home: {os.environ.get('AIRFLOW_HOME', '~/airflow (Airflow default)')}")
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from nba_pipeline.schema.migrations import apply_migrations
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        report = apply_migrations(warehouse)
    for migration_id in report.applied:
        print(f"applied  {migration_id}  ({report.durations[migration_id] * 1000:.0f} ms)")
    print(f"{len(report.applied)} applied, {len(report.already_applied)} already applied")
    return 0


def _verify(_: argparse.Namespace) -> int:
    from nba_pipeline.registry.guard_tables import UNIQUE_KEYS
    from nba_pipeline.schema.layout import layout_drifts
    from nba_pipeline.schema.verify import verify_schema
    from nba_pipeline.warehouse import get_warehouse

    with get_warehouse() as warehouse:
        reports = verify_schema(warehouse, unique_keys=UNIQUE_KEYS)
    drifted = 0
    for report in reports:
        status = "OK   " if not report.drifts else "DRIFT"
        marker = ", skip_reason present" if "skip_reason" in report.live_columns else ""
        print(f"{status} {report.table} ({report.columns} columns{marker})")
        for drift in report.drifts:
            print(f"      - {drift}")
        drifted += bool(report.drifts)
    print(f"{len(reports) - drifted} of {len(reports)} tables match their declared schema")
    layout = layout_drifts()
    for drift in layout:
        print(f"DRIFT {drift}")
    print(f"{'no' if not layout else len(layout)} partitioning or clustering drift between schema files and migrations")
    return 1 if drifted or layout else 0


def _breakers(args: argparse.Namespace) -> int:
    from nba_pipeline.breakers import BreakerAction, apply_action, describe, describe_invalid, list_breakers
    from nba_pipeline.warehouse import get_warehouse

    action = BreakerAction(args.action)
    with get_warehouse() as warehouse:
        if action is BreakerAction.LIST:  # the invalid rows too, by name, after the usable breakers
            scanned = list_breakers(warehouse)
            lines = [describe(b) for b in scanned.breakers.values()]
            lines += [describe_invalid(e) for _, e in sorted(scanned.invalid.items())]
        else:
            lines = [describe(b) for b in apply_action(warehouse, action, args.name, reason=args.reason)]
            if action is BreakerAction.DELETE:
                lines = [f"{args.name}: every stored row deleted"]
    for line in lines:
        print(line)
    return 0


def _summary(args: argparse.Namespace) -> int:
    import datetime as dt

    from nba_pipeline.summary import summarise_run
    from nba_pipeline.warehouse import get_warehouse

    since = dt.datetime.fromisoformat(args.since) if args.since else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    with get_warehouse() as warehouse:
        print(summarise_run(warehouse, dt.date.fromisoformat(args.date), since))
    return 0


def _replay(args: argparse.Namespace) -> int:
    import datetime as dt
    from pathlib import Path

    from nba_pipeline.replay import COLUMNS, DayVerdict, combined_digest, replay, summary_lines, write_outputs
    from nba_pipeline.warehouse import get_warehouse
    from nba_pipeline.warehouse.checksums import warehouse_checksums

    def report(verdict: DayVerdict) -> None:
        row = verdict.row()
        print("  ".join(f"{column}: {row[column]}" for column in COLUMNS), flush=True)

    verdicts = replay(
        dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end), history_days=args.history_days,
        report=report,
    )
    with get_warehouse() as warehouse:
        checksums = warehouse_checksums(warehouse)
    csv_path, md_path = write_outputs(verdicts, Path(args.out or get_settings().data_dir / "replay"), checksums)
    print("\n".join(["", *summary_lines(verdicts), f"warehouse checksum {combined_digest(checksums)}",
                      f"verdicts: {md_path} and {csv_path}"]))
    return 1 if any(v.unexpected for v in verdicts) else 0


def _evaluate(args: argparse.Namespace) -> int:
    import datetime as dt
    import json

    from nba_pipeline.evaluation import evaluate, render_json, render_table, simulated_truth
    from nba_pipeline.warehouse import get_warehouse

    settings = get_settings()
    start, end = dt.date.fromisoformat(args.start), dt.date.fromisoformat(args.end)
    label = f"expected points of the simulated league (seed {settings.simulation_seed})"
    with get_warehouse(settings) as warehouse:
        evaluation = evaluate(warehouse, start, end, simulated_truth(settings), label)
    if evaluation.empty:
        message = (f"nothing graded from {start} to {end}: no prediction there of a player who then played "
                   "(a date's predictions are graded by the next date's daily run)")
        print(json.dumps({"start": str(start), "end": str(end), "player_games": 0, "message": message})
              if args.json else message)
        return 0
    print(render_json(evaluation) if args.json else render_table(evaluation))
    return 0


def _report(args: argparse.Namespace) -> int:
    import datetime as dt
    from pathlib import Path

    from nba_pipeline.evaluation import simulated_truth
    from nba_pipeline.evaluation.season_report import build_report, render_html
    from nba_pipeline.predictions.coordinator import eligible_players
    from nba_pipeline.warehouse import get_warehouse

    settings = get_settings()
    label = f"expected points of the simulated league (seed {settings.simulation_seed})"
    with get_warehouse(settings) as warehouse:
        graded = warehouse.query("SELECT MIN(game_date) AS first, MAX(game_date) AS last "
                                 "FROM nba_predictions.prediction_grades WHERE graded > 0")[0]
        if graded["first"] is None and not (args.start and args.end):
            print("nothing graded in the warehouse yet: run the daily pipeline or make replay first")
            return 0
        start = dt.date.fromisoformat(args.start) if args.start else graded["first"]
        end = dt.date.fromisoformat(args.end) if args.end else graded["last"]
        report = build_report(warehouse, start, end, simulated_truth(settings), label,
                              lambda day: len(eligible_players(warehouse, day)))
    out = Path(args.out or settings.data_dir / "report" / f"report-{start}-{end}.html")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report))
    print(f"{start}..{end}: {len(report.whole.graded_dates)} graded dates, {report.whole.player_games} "
          f"player-games, {len(report.weeks)} weeks; report: {out}")
    return 0


def _cost(args: argparse.Namespace) -> int:
    import datetime as dt
    import json

    from nba_pipeline.cost import price_date, render

    report = price_date(dt.date.fromisoformat(args.date))
    print(json.dumps(report, indent=2, default=str) if args.json else render(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nba-pipeline", description=__doc__.splitlines()[0].strip("`: "))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="backend, warehouse location, Airflow home").set_defaults(handler=_info)
    commands.add_parser("migrate", help="apply pending schema migrations").set_defaults(handler=_migrate)
    commands.add_parser("verify-schema", help="report schema drift; exit 1 on drift").set_defaults(handler=_verify)
    breakers = commands.add_parser("breakers", help="list, reset, open, repair or delete circuit breakers")
    breakers.add_argument("action", choices=["list", "reset", "open", "repair", "delete"])
    breakers.add_argument("name", nargs="?", help="breaker (processor or prediction system)")
    breakers.add_argument("--reason", default="opened from the command line")
    breakers.set_defaults(handler=_breakers)
    summary = commands.add_parser("summary", help="what a pipeline run did, per phase")
    summary.add_argument("--date", required=True, help="the run's game date, YYYY-MM-DD")
    summary.add_argument("--since", help="only run rows written at or after this UTC time (ISO)")
    summary.set_defaults(handler=_summary)
    replay = commands.add_parser("replay", help="run the daily DAG for every date of a range, as scheduled")
    replay.add_argument("--from", dest="start", required=True, help="first game date, YYYY-MM-DD")
    replay.add_argument("--to", dest="end", required=True, help="last game date, YYYY-MM-DD")
    replay.add_argument("--history-days", type=int, default=30, help="days backfilled before the first date")
    replay.add_argument("--out", help="folder for the verdict table (default: <data dir>/replay)")
    replay.set_defaults(handler=_replay)
    cost = commands.add_parser("cost", help="what a date's phases 1-4 would bill on BigQuery on-demand, per processor")
    cost.add_argument("--date", required=True, help="the game date, YYYY-MM-DD")
    cost.add_argument("--json", action="store_true", help="print the report as JSON")
    cost.set_defaults(handler=_cost)
    evaluation = commands.add_parser("evaluate", help="prediction quality per system against the baseline and truth")
    evaluation.add_argument("--from", dest="start", required=True, help="first game date, YYYY-MM-DD")
    evaluation.add_argument("--to", dest="end", required=True, help="last game date, YYYY-MM-DD")
    evaluation.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    evaluation.set_defaults(handler=_evaluate)
    report = commands.add_parser("report", help="the evaluation week by week as a self-contained HTML report")
    report.add_argument("--from", dest="start", help="first game date (default: the first graded one)")
    report.add_argument("--to", dest="end", help="last game date (default: the last graded one)")
    report.add_argument("--out", help="the HTML file (default: <data dir>/report/report-FROM-TO.html)")
    report.set_defaults(handler=_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:  # the reader stopped reading (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:  # one readable line for people; the traceback helps nobody here
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
