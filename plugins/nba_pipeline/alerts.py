"""Alerts: a failed DAG run, a circuit breaker that just opened.

Callers build an :class:`AlertEvent` (or call :func:`on_dag_run_failure` / :func:`breaker_opened`)
and hand it to the notifier :func:`get_notifier` picks: Slack when the Airflow connection named by
``NBA_SLACK_CONN_ID`` (default ``nba_slack``) exists, otherwise the log. A notifier never raises:
an alert that cannot be sent is logged instead, so alerting can never fail a task or a callback.

Slack connections: type ``slackwebhook`` (an incoming webhook; the webhook fixes the channel) or
type ``slack`` (a bot token; the channel comes from the connection's ``channel`` extra).
Provider imports happen when an alert is sent, so DAG files can import this module cheaply.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from nba_pipeline.guards.breaker import Breaker

log = logging.getLogger(__name__)

DEFAULT_SLACK_CONN_ID = "nba_slack"
AlertKind = Literal["dag_run_failed", "breaker_opened"]


@dataclass(frozen=True, kw_only=True)
class AlertEvent:
    """Something an operator should hear about.

    :param kind: ``dag_run_failed`` or ``breaker_opened``.
    :param dag_id: the DAG concerned, if any.
    :param run_id: the DAG run concerned, if any.
    :param key: the breaker key, for ``breaker_opened``.
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
        title = {"dag_run_failed": "DAG run failed", "breaker_opened": "Circuit breaker opened"}[self.kind]
        return f"[NBA pipeline] {title}: {self.message}"


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


# --------------------------------------------------------------------------- the two alerts


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
