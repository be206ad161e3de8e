"""Alerts: the logging and Slack notifiers, the choice between them, and the alert builders."""

from __future__ import annotations

import datetime as dt
import json
import logging
from types import SimpleNamespace
from unittest import mock

import pytest

from nba_pipeline import alerts
from nba_pipeline.alerts import AlertEvent, LoggingNotifier, Notifier, SlackNotifier
from nba_pipeline.guards.breaker import Breaker, BreakerSettings, State, on_failure

T0 = dt.datetime(2025, 1, 15, 18, 0, tzinfo=dt.UTC)
WEBHOOK = "airflow.providers.slack.hooks.slack_webhook.SlackWebhookHook"
API_HOOK = "airflow.providers.slack.hooks.slack.SlackHook"
EVENT = AlertEvent(
    kind="dag_run_failed", dag_id="nba_daily_pipeline", run_id="manual__2025-01-15", message="it broke",
    details={"failed_task_ids": ["phase_2_raw.nbac_schedule.run"]},
)
TEXT = "[NBA pipeline] DAG run failed: it broke"


class Recorder:
    def __init__(self) -> None:
        self.events: list[AlertEvent] = []

    def notify(self, event: AlertEvent) -> None:
        self.events.append(event)


@pytest.fixture
def slack_conn(monkeypatch: pytest.MonkeyPatch):
    """Define an Airflow connection through the environment, as a deployment would."""

    def define(conn_type: str, conn_id: str = "nba_slack", **extra: str) -> None:
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{conn_id.upper()}",
            json.dumps({"conn_type": conn_type, "password": "https://hooks.example/T000/B000/XXXX", "extra": extra}),
        )

    monkeypatch.delenv("AIRFLOW_CONN_NBA_SLACK", raising=False)
    monkeypatch.delenv("NBA_SLACK_CONN_ID", raising=False)
    return define


class Captured(logging.Handler):
    """Records of the alerts logger (a handler of its own: Airflow may reconfigure the root logger mid-test)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def alerts(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.getMessage().startswith("ALERT ")]

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]


@pytest.fixture
def alert_log() -> Captured:
    logger = logging.getLogger("nba_pipeline.alerts")
    handler, level = Captured(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_logging_notifier_writes_one_warning_with_the_facts(alert_log):
    LoggingNotifier().notify(EVENT)
    [record] = alert_log.records
    assert record.levelno == logging.WARNING
    text = record.getMessage()
    assert text.startswith(f"ALERT dag_run_failed: {TEXT} | ")
    facts = json.loads(text.split(" | ", 1)[1])
    assert facts == {
        "dag_id": "nba_daily_pipeline", "run_id": "manual__2025-01-15", "key": None,
        "details": {"failed_task_ids": ["phase_2_raw.nbac_schedule.run"]},
    }


def test_both_notifiers_satisfy_the_protocol():
    assert isinstance(LoggingNotifier(), Notifier) and isinstance(SlackNotifier("nba_slack"), Notifier)


def test_get_notifier_logs_when_the_connection_is_missing(slack_conn, alert_log):
    notifier = alerts.get_notifier()
    assert isinstance(notifier, LoggingNotifier)
    alerts.send(EVENT, notifier)
    assert len(alert_log.alerts()) == 1


def test_get_notifier_picks_slack_when_the_connection_exists(slack_conn, settings_env):
    from nba_pipeline.settings import get_settings

    slack_conn("slackwebhook")
    notifier = alerts.get_notifier()
    assert isinstance(notifier, SlackNotifier) and notifier.conn_id == "nba_slack"
    settings_env.setenv("NBA_SLACK_CONN_ID", "ops_alerts")
    get_settings.cache_clear()
    assert isinstance(alerts.get_notifier(), LoggingNotifier)  # ops_alerts is not defined
    slack_conn("slackwebhook", conn_id="ops_alerts")
    assert alerts.get_notifier().conn_id == "ops_alerts"


def test_slack_webhook_connection_posts_the_text(slack_conn, alert_log):
    slack_conn("slackwebhook")
    with mock.patch(WEBHOOK) as hook:
        SlackNotifier("nba_slack").notify(EVENT)
    hook.assert_called_once_with(slack_webhook_conn_id="nba_slack")
    hook.return_value.send_text.assert_called_once_with(TEXT)
    assert alert_log.alerts() == []


def test_slack_api_connection_posts_to_its_channel(slack_conn):
    slack_conn("slack", channel="#nba-ops")
    with mock.patch(API_HOOK) as hook, mock.patch(WEBHOOK) as webhook:
        SlackNotifier("nba_slack").notify(EVENT)
    hook.assert_called_once_with(slack_conn_id="nba_slack")
    hook.return_value.call.assert_called_once_with("chat.postMessage", json={"channel": "#nba-ops", "text": TEXT})
    webhook.assert_not_called()


def test_slack_api_connection_without_a_channel_logs_instead(slack_conn, alert_log):
    slack_conn("slack")
    with mock.patch(API_HOOK) as hook:
        SlackNotifier("nba_slack").notify(EVENT)
    hook.assert_not_called()
    assert len(alert_log.alerts()) == 1


def test_missing_connection_falls_back_to_logging(slack_conn, alert_log):
    with mock.patch(WEBHOOK) as webhook, mock.patch(API_HOOK) as hook:
        SlackNotifier("nba_slack").notify(EVENT)
    webhook.assert_not_called()
    hook.assert_not_called()
    assert any("'nba_slack' is not defined" in m for m in alert_log.messages())
    assert len(alert_log.alerts()) == 1


def test_a_failed_post_falls_back_to_logging_and_never_raises(slack_conn, alert_log):
    slack_conn("slackwebhook")
    with mock.patch(WEBHOOK) as hook:
        hook.return_value.send_text.side_effect = RuntimeError("slack is down")
        SlackNotifier("nba_slack").notify(EVENT)
    assert len(alert_log.alerts()) == 1


def test_send_swallows_a_broken_notifier(alert_log):
    class Broken:
        def notify(self, event: AlertEvent) -> None:
            raise RuntimeError("boom")

    alerts.send(EVENT, Broken())
    assert any("could not be delivered" in m for m in alert_log.messages())


# --------------------------------------------------------------------------- the alerts


class FakeTaskInstance:
    """What a failure callback's context carries: the failing task, and a way to ask for task states."""

    def __init__(self, states: dict[str, dict[str, str]] | Exception, task_id: str = "phase_3.pgs.run") -> None:
        self.states = states
        self.task_id = task_id
        self.dag_id = "nba_daily_pipeline"
        self.calls: list[dict] = []

    def get_task_states(self, **kwargs) -> dict[str, dict[str, str]]:
        self.calls.append(kwargs)
        if isinstance(self.states, Exception):
            raise self.states
        return self.states


def _context(ti: object | None = None) -> dict:
    context = {
        "dag": SimpleNamespace(dag_id="nba_daily_pipeline"),
        "run_id": "scheduled__2025-01-15",
        "reason": "task_failure",
    }
    if ti is not None:
        context["ti"] = ti
    return context


def test_the_failure_callback_builds_the_event_with_the_failed_task_ids(monkeypatch):
    ti = FakeTaskInstance(
        {"scheduled__2025-01-15": {"phase_3.pgs.run": "failed", "phase_2.odds.run": "failed",
                                   "phase_2.sched.run": "success", "phase_4.cache.run": "upstream_failed"}}
    )
    recorder = Recorder()
    monkeypatch.setattr(alerts, "get_notifier", lambda: recorder)
    alerts.on_dag_run_failure(_context(ti))
    assert ti.calls == [{"dag_id": "nba_daily_pipeline", "run_ids": ["scheduled__2025-01-15"]}]
    assert recorder.events == [
        AlertEvent(
            kind="dag_run_failed", dag_id="nba_daily_pipeline", run_id="scheduled__2025-01-15",
            message="nba_daily_pipeline run scheduled__2025-01-15 failed (task_failure); "
                    "failed tasks: phase_2.odds.run, phase_3.pgs.run",
            details={"failed_task_ids": ["phase_2.odds.run", "phase_3.pgs.run"], "reason": "task_failure"},
        )
    ]


def test_without_task_states_the_event_names_the_failing_task():
    event = alerts.dag_run_failed_event(_context(FakeTaskInstance(RuntimeError("no supervisor"))))
    assert event.details["failed_task_ids"] == ["phase_3.pgs.run"]
    # a minimal context (no task instance, no supervisor to ask): still an alert
    event = alerts.dag_run_failed_event(_context())
    assert event.details["failed_task_ids"] == [] and event.message.endswith("failed tasks: unknown")


def test_the_failure_callback_never_raises(monkeypatch, alert_log):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    recorder = Recorder()
    monkeypatch.setattr(alerts, "get_notifier", lambda: recorder)
    with monkeypatch.context() as patched:
        patched.setattr(alerts, "dag_run_failed_event", broken)
        alerts.on_dag_run_failure(_context())  # the event cannot be built: logged, not raised
    assert recorder.events == []
    monkeypatch.setattr(alerts, "get_notifier", broken)
    alerts.on_dag_run_failure(_context(FakeTaskInstance({})))  # no notifier at all: logged, not raised
    assert [r.levelno for r in alert_log.records if r.levelno >= logging.WARNING] == [logging.ERROR] * 2


def _opened_breaker() -> Breaker:
    breaker = Breaker("nbac_schedule", BreakerSettings(threshold=3, timeout_seconds=1800))
    for minute in range(3):
        breaker = on_failure(breaker, T0 + dt.timedelta(minutes=minute), "HTTPError", "503 Service Unavailable")
    assert breaker.state is State.OPEN
    return breaker


def test_breaker_opened_sends_one_event(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(alerts, "get_notifier", lambda: recorder)
    alerts.breaker_opened("nbac_schedule", _opened_breaker(), dag_id="nba_daily_pipeline", run_id="r1")
    [event] = recorder.events
    assert (event.kind, event.key, event.dag_id, event.run_id) == (
        "breaker_opened", "nbac_schedule", "nba_daily_pipeline", "r1",
    )
    assert event.text() == (
        "[NBA pipeline] Circuit breaker opened: nbac_schedule is OPEN after 3 consecutive failures "
        "(last: HTTPError: 503 Service Unavailable); next trial after 2025-01-15T18:32:00+00:00"
    )
    assert event.details == {
        "state": "OPEN", "failure_count": 3, "threshold": 3, "timeout_seconds": 1800,
        "opened_at": "2025-01-15T18:02:00+00:00", "retry_at": "2025-01-15T18:32:00+00:00",
        "last_error_type": "HTTPError", "last_error_message": "503 Service Unavailable",
    }


def test_breaker_opened_reaches_slack_with_the_exact_text(slack_conn):
    slack_conn("slackwebhook")
    with mock.patch(WEBHOOK) as hook:
        alerts.breaker_opened("nbac_schedule", _opened_breaker())
    hook.assert_called_once_with(slack_webhook_conn_id="nba_slack")
    hook.return_value.send_text.assert_called_once_with(
        "[NBA pipeline] Circuit breaker opened: nbac_schedule is OPEN after 3 consecutive failures "
        "(last: HTTPError: 503 Service Unavailable); next trial after 2025-01-15T18:32:00+00:00"
    )


# --------------------------------------------------------------------------- the predictions deadline


def _check(games: int | None = 9, reason: str | None = None, predictions: int = 0) -> alerts.PredictionsCheck:
    day = dt.date(2025, 1, 16)
    return alerts.PredictionsCheck(
        game_date=day, deadline=alerts.predictions_deadline(day),
        checked_at=dt.datetime(2025, 1, 16, 17, 0, 5, tzinfo=dt.UTC), games=games, no_games_reason=reason,
        calendar="9 events on 2025-01-16", predictions=predictions, players=predictions // 5,
    )


def test_predictions_are_due_at_noon_in_new_york_in_winter_and_summer():
    assert alerts.predictions_deadline(dt.date(2025, 1, 15)).astimezone(dt.UTC) == dt.datetime(
        2025, 1, 15, 17, 0, tzinfo=dt.UTC)
    assert alerts.predictions_deadline(dt.date(2025, 4, 15)).astimezone(dt.UTC) == dt.datetime(
        2025, 4, 15, 16, 0, tzinfo=dt.UTC)


def test_predictions_are_missing_only_on_a_date_with_games_and_none_written():
    assert _check().missing
    assert _check(games=None).missing, "an empty calendar cannot vouch for a day without games"
    assert not _check(predictions=2250).missing
    assert not _check(games=0, reason="no_games").missing
    assert not _check(games=0, reason="offseason").missing


def test_predictions_missing_sends_one_event_naming_the_date(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(alerts, "get_notifier", lambda: recorder)
    alerts.predictions_missing(_check(), dag_id="nba_predictions_deadline", run_id="scheduled__2025-01-16")
    [event] = recorder.events
    assert (event.kind, event.key, event.dag_id, event.run_id) == (
        "predictions_missing", "2025-01-16", "nba_predictions_deadline", "scheduled__2025-01-16",
    )
    assert event.text() == (
        "[NBA pipeline] No predictions by the deadline: game date 2025-01-16 has no predictions at its "
        "deadline 12:00 EST (9 games on the calendar; checked 2025-01-16T12:00:05-05:00)"
    )
    assert event.details["deadline"] == "2025-01-16T12:00:00-05:00" and event.details["missing"] is True


def test_the_deadline_task_skips_before_noon_on_the_package_clock(monkeypatch):
    """Triggered by hand at 11:59 ET: not due yet, so no warehouse read and no alert."""
    from airflow.sdk.exceptions import AirflowSkipException

    from nba_pipeline import clock
    from nba_pipeline.dag.deadline import PredictionsDeadlineOperator

    def no_warehouse():
        raise AssertionError("the warehouse was read before the deadline")

    monkeypatch.setattr("nba_pipeline.warehouse.get_warehouse", no_warehouse)
    recorder = Recorder()
    monkeypatch.setattr(alerts, "get_notifier", lambda: recorder)
    pushed: dict = {}
    ti = SimpleNamespace(xcom_push=lambda key, value: pushed.update({key: value}))
    context = {"params": {"game_date": "2025-01-16"}, "logical_date": None, "run_id": "manual__1", "ti": ti}
    with clock.shifted_to(dt.datetime(2025, 1, 16, 16, 59, tzinfo=dt.UTC)), pytest.raises(AirflowSkipException):
        PredictionsDeadlineOperator(task_id="check_predictions", game_date="2025-01-16").execute(context)
    assert pushed["skip_reason"]["reason"] == "not_due" and recorder.events == []
