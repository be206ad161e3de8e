"""Alerts: a failed DAG run, a circuit breaker that just opened, a game date without predictions at
its deadline.

Callers build an :class:`AlertEvent` (or call :func:`on_dag_run_failure` / :func:`breaker_opened` /
:func:`predictions_missing`)
and hand it to the notifier :func:`get_notifier` picks: Slack when the Airflow connection named by
``NBA_SLACK_CONN_ID`` (default ``nba_slack``) exists, otherwise the log. A notifier never raises:
an alert that cannot be sent is logged instead, so alerting can never fail a task or a callback.

Slack connections: type ``slackwebhook`` (an incoming webhook; the webhook fixes the channel) or
type ``slack`` (a bot token; the channel comes from the connection's ``channel`` extra).
Provider imports happen when an alert is sent, so DAG files can import this module cheaply.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from nba_pipeline.settings import LOCAL_TIMEZONE

if TYPE_CHECKING:
    from nba_pipeline.guards.breaker import Breaker
    from nba_pipeline.warehouse.base import Warehouse

log = logging.getLogger(__name__)

DEFAULT_SLACK_CONN_ID = "nba_slack"
AlertKind = Literal["dag_run_failed", "breaker_opened", "predictions_missing"]
TITLES: dict[str, str] = {
    "dag_run_failed": "DAG run failed",
    "breaker_opened": "Circuit breaker opened",
    "predictions_missing": "No predictions by the deadline",
}


@dataclass(frozen=True, kw_only=True)
class AlertEvent:
    """Something an operator should hear about.

    :param kind: ``dag_run_failed``, ``breaker_opened`` or ``predictions_missing``.
    :param dag_id: the DAG concerned, if any.
    :param run_id: the DAG run concerned, if any.
    :param key: the breaker key for ``breaker_opened``; the game date for ``predictions_missing``.
    :param message: one line for people.
    :param details: machine-readable facts (failed task ids, failure counts, times).
    """

    kind: AlertKind
    message: str
    dag_id: str | None = None
    run_id: str | None = None
    key: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The alert as one line of chat text."""
        return f"[NBA pipeline] {TITLES[self.kind]}: {self.message}"


@runtime_checkable
class Notifier(Protocol):
    """Delivers alerts. Implementations must not raise."""

    def notify(self, event: AlertEvent) -> None: ...


class LoggingNotifier:
    """Writes each alert as one WARNING line (the default, and every notifier's fallback)."""

    def notify(self, event: AlertEvent) -> None:
        log.warning(
            "ALERT %s: %s | %s",
            event.kind,
            event.text(),
            json.dumps(
                {"dag_id": event.dag_id, "run_id": event.run_id, "key": event.key, "details": dict(event.details)},
                sort_keys=True,
                default=str,
            ),
        )


class SlackNotifier:
    """Posts alerts to Slack through the Slack provider's hooks, resolving the connection per alert.

    A missing connection, a ``slack`` connection without a ``channel`` extra, or a failed post
    sends the alert to ``fallback`` (the log) instead.

    :param conn_id: the Airflow connection (``slackwebhook`` or ``slack`` type).
    :param fallback: where an alert goes when Slack cannot take it.
    """

    def __init__(self, conn_id: str, *, fallback: Notifier | None = None) -> None:
        self.conn_id = conn_id
        self.fallback = fallback or LoggingNotifier()

    def notify(self, event: AlertEvent) -> None:
        connection = find_connection(self.conn_id)
        if connection is None:
            log.warning("Slack connection %r is not defined; logging the alert instead", self.conn_id)
            self.fallback.notify(event)
            return
        try:
            if connection.conn_type == "slackwebhook":
                from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

                SlackWebhookHook(slack_webhook_conn_id=self.conn_id).send_text(event.text())
                return
            channel = (connection.extra_dejson or {}).get("channel")
            if not channel:
                log.warning("Slack connection %r has no 'channel' extra; logging the alert instead", self.conn_id)
                self.fallback.notify(event)
                return
            from airflow.providers.slack.hooks.slack import SlackHook

            SlackHook(slack_conn_id=self.conn_id).call(
                "chat.postMessage", json={"channel": channel, "text": event.text()}
            )
        except Exception:
            log.exception("could not post the alert to Slack (connection %r); logging it instead", self.conn_id)
            self.fallback.notify(event)


def slack_conn_id() -> str:
    """The Slack connection id: ``NBA_SLACK_CONN_ID``, default ``nba_slack``."""
    from nba_pipeline.settings import get_settings

    return get_settings().slack_conn_id


def find_connection(conn_id: str) -> Any | None:
    """The Airflow connection, or None when it is not defined (or cannot be looked up)."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as err:  # AirflowNotFoundException when missing; anything else: treat as missing
        log.debug("connection %r unavailable: %s", conn_id, err)
        return None


def get_notifier() -> Notifier:
    """The one place that chooses: Slack when its connection exists, the log otherwise."""
    conn_id = slack_conn_id()
    if find_connection(conn_id) is not None:
        return SlackNotifier(conn_id)
    return LoggingNotifier()


def send(event: AlertEvent, notifier: Notifier | None = None) -> None:
    """Deliver one alert; never raises."""
    try:
        (notifier or get_notifier()).notify(event)
    except Exception:
        log.exception("alert %s could not be delivered: %s", event.kind, event.message)


# --------------------------------------------------------------------------- the alerts


def dag_run_failed_event(context: Mapping[str, Any]) -> AlertEvent:
    """The ``dag_run_failed`` event for a DAG failure callback's context."""
    dag = context.get("dag")
    dag_run = context.get("dag_run")
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", None)
    run_id = context.get("run_id") or getattr(dag_run, "run_id", None)
    reason = context.get("reason")
    failed = _failed_task_ids(dag_id, run_id, ti)
    message = f"{dag_id} run {run_id} failed"
    if reason:
        message += f" ({reason})"
    message += "; failed tasks: " + (", ".join(failed) if failed else "unknown")
    return AlertEvent(
        kind="dag_run_failed",
        dag_id=dag_id,
        run_id=run_id,
        message=message,
        details={"failed_task_ids": failed, "reason": reason},
    )


def on_dag_run_failure(context: Mapping[str, Any]) -> None:
    """DAG ``on_failure_callback``: send ``dag_run_failed`` with the run's failed task ids."""
    try:
        event = dag_run_failed_event(context)
    except Exception:
        log.exception("could not build the dag_run_failed alert")
        return
    send(event)


def breaker_opened_event(
    key: str, breaker: Breaker, *, dag_id: str | None = None, run_id: str | None = None
) -> AlertEvent:
    """The ``breaker_opened`` event for a breaker that has just gone OPEN."""
    retry_at = breaker.retry_at()
    error = (
        f"{breaker.last_error_type}: {breaker.last_error_message}" if breaker.last_error_type else "no error recorded"
    )
    message = f"{key} is OPEN after {breaker.failure_count} consecutive failures (last: {error}); " + (
        f"next trial after {retry_at.isoformat(timespec='seconds')}" if retry_at else "no trial scheduled"
    )
    return AlertEvent(
        kind="breaker_opened",
        dag_id=dag_id,
        run_id=run_id,
        key=key,
        message=message,
        details={
            "state": str(breaker.state),
            "failure_count": breaker.failure_count,
            "threshold": breaker.settings.threshold,
            "timeout_seconds": breaker.settings.timeout_seconds,
            "opened_at": breaker.opened_at.isoformat() if breaker.opened_at else None,
            "retry_at": retry_at.isoformat() if retry_at else None,
            "last_error_type": breaker.last_error_type,
            "last_error_message": breaker.last_error_message,
        },
    )


def breaker_opened(key: str, breaker: Breaker, *, dag_id: str | None = None, run_id: str | None = None) -> None:
    """Announce that ``key`` just opened. Call once per opening: on the CLOSED/HALF_OPEN → OPEN write."""
    try:
        event = breaker_opened_event(key, breaker, dag_id=dag_id, run_id=run_id)
    except Exception:
        log.exception("could not build the breaker_opened alert for %s", key)
        return
    send(event)


#: a game date's predictions are due by this local time (America/New_York) on that date
PREDICTIONS_DUE = dt.time(12, 0)


def predictions_deadline(game_date: dt.date) -> dt.datetime:
    """When ``game_date``'s predictions are due: 12:00 America/New_York that day."""
    return dt.datetime.combine(game_date, PREDICTIONS_DUE, tzinfo=ZoneInfo(LOCAL_TIMEZONE))


@dataclass(frozen=True)
class PredictionsCheck:
    """One game date's predictions as the warehouse has them at the deadline.

    :param games: games on the date by the calendar; None when the calendar has never been loaded.
    :param no_games_reason: ``no_games`` or ``offseason`` when the calendar has no games that day.
    :param calendar: the calendar's verdict in words.
    :param predictions: prediction rows for the date (all systems); ``players``: distinct players.
    """

    game_date: dt.date
    deadline: dt.datetime
    checked_at: dt.datetime
    games: int | None
    no_games_reason: str | None
    calendar: str
    predictions: int = 0
    players: int = 0

    @property
    def missing(self) -> bool:
        """Games (or an unknown calendar) and not one prediction."""
        return self.no_games_reason is None and self.predictions == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "game_date": self.game_date.isoformat(),
            "deadline": self.deadline.isoformat(),
            "checked_at": self.checked_at.isoformat(),
            "games": self.games,
            "no_games_reason": self.no_games_reason,
            "calendar": self.calendar,
            "predictions": self.predictions,
            "players": self.players,
            "missing": self.missing,
        }


def check_predictions(warehouse: Warehouse, game_date: dt.date, *, checked_at: dt.datetime) -> PredictionsCheck:
    """Ask the calendar whether ``game_date`` has games and, if it has (or the calendar is empty),
    count its predictions. Two round trips at most."""
    from nba_pipeline.guards.calendar import EmptyCalendarError
    from nba_pipeline.registry.processors import CALENDAR

    deadline = predictions_deadline(game_date)
    try:  # the deadline is about games, never about a date's age: no historical exit
        verdict = CALENDAR.decide(warehouse, game_date, reference_date=game_date, backfill=True)
    except EmptyCalendarError as error:
        games, reason, calendar = None, None, str(error)
    else:
        reason = str(verdict.reason) if verdict.reason else None
        games, calendar = verdict.events_on_date, verdict.detail
    if reason is not None:
        return PredictionsCheck(game_date, deadline, checked_at, games, reason, calendar)
    row = warehouse.query(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT player_lookup) AS players "
        "FROM nba_predictions.player_prop_predictions WHERE game_date = @d",
        {"d": game_date},
    )[0]
    return PredictionsCheck(game_date, deadline, checked_at, games, None, calendar, int(row["n"]), int(row["players"]))


def predictions_missing_event(
    check: PredictionsCheck, *, dag_id: str | None = None, run_id: str | None = None
) -> AlertEvent:
    """The ``predictions_missing`` event for a game date with games and no predictions at its deadline."""
    games = "the calendar is empty" if check.games is None else f"{check.games} games on the calendar"
    local = check.checked_at.astimezone(check.deadline.tzinfo)
    message = (
        f"game date {check.game_date} has no predictions at its deadline "
        f"{check.deadline.strftime('%H:%M %Z')} ({games}; checked {local.isoformat(timespec='seconds')})"
    )
    return AlertEvent(
        kind="predictions_missing",
        dag_id=dag_id,
        run_id=run_id,
        key=check.game_date.isoformat(),
        message=message,
        details=check.as_dict(),
    )


def predictions_missing(check: PredictionsCheck, *, dag_id: str | None = None, run_id: str | None = None) -> None:
    """Announce a game date without predictions at its deadline. Call once per date and check."""
    try:
        event = predictions_missing_event(check, dag_id=dag_id, run_id=run_id)
    except Exception:
        log.exception("could not build the predictions_missing alert for %s", check.game_date)
        return
    send(event)


def _failed_task_ids(dag_id: str | None, run_id: str | None, ti: Any) -> list[str]:
    """Failed task ids of the run, asked of Airflow through the Task SDK; the failing task if that fails."""
    if dag_id and run_id:
        try:
            getter = getattr(ti, "get_task_states", None)
            if getter is None:
                from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

                getter = RuntimeTaskInstance.get_task_states
            states: Mapping[str, Mapping[str, Any]] = getter(dag_id=dag_id, run_ids=[run_id]) or {}
            failed = sorted(task for task, state in (states.get(run_id) or {}).items() if str(state) == "failed")
            if failed:
                return failed
        except Exception as err:  # no supervisor (e.g. an in-process test run): fall back below
            log.debug("task states of %s/%s unavailable: %s", dag_id, run_id, err)
    task_id = getattr(ti, "task_id", None)
    return [task_id] if task_id else []
