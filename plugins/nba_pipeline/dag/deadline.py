"""The predictions deadline check."""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowSkipException

from nba_pipeline.dag.options import RunDated

SKIP_KEY = "skip_reason"


def _skip(context: Any, reason: str, detail: str) -> None:
    context["ti"].xcom_push(key=SKIP_KEY, value={"reason": reason, "detail": detail})
    raise AirflowSkipException(f"{reason}: {detail}")


class PredictionsDeadlineOperator(RunDated):
    """At the deadline (12:00 America/New_York on the run's game date), alert once when the calendar
    has games that day and the warehouse has no predictions for it.

    Skips, alerting nothing and saying why in the ``skip_reason`` XCom, before the deadline on the
    package clock (``not_due``: a run triggered early) and on dates without games (``no_games``,
    ``offseason``). Returns the check (``PredictionsCheck.as_dict``).
    """

    ui_color = "#fff2cc"

    def execute(self, context: Any) -> dict[str, Any]:
        from nba_pipeline import clock
        from nba_pipeline.alerts import check_predictions, predictions_deadline, predictions_missing
        from nba_pipeline.warehouse import activity, get_warehouse

        game_date = self.options_for(context).game_date
        now, deadline = clock.now(), predictions_deadline(game_date)
        if now < deadline:
            _skip(context, "not_due", f"{game_date}'s predictions are due at {deadline.isoformat()}")
        with activity("alerts"), get_warehouse() as warehouse:
            check = check_predictions(warehouse, game_date, checked_at=now)
        if check.no_games_reason:
            _skip(context, check.no_games_reason, check.calendar)
        if check.missing:
            predictions_missing(check, dag_id=self.dag_id, run_id=context["run_id"])
        else:
            self.log.info("%s: %d predictions for %d players by the deadline", game_date, check.predictions,
                          check.players)
        return check.as_dict()
