"""# NBA predictions deadline

Runs every day at **12:00 America/New_York**, when the day's predictions are due. If the calendar
(the loaded schedule) has games on the day and `nba_predictions.player_prop_predictions` has no row
for it, one alert names the date (Slack or the log, like every alert). Nothing happens on dates
without games. It checks the data, not the daily run: a daily run that succeeded without writing
predictions, one still running, or one that never started all alert.

Not an Airflow `DeadlineAlert` on `nba_daily_pipeline`: a run's deadline is deleted when the run
succeeds in time, predictions or not, and none exists for a run the scheduler never created; and on
Airflow 3.3.2 `dag.test()` (so `airflow dags test` and `make run`) fails to finish a successful
run of a DAG with a deadline.

**Params**: `game_date` (default: the run's date in ET), to check another date by hand.
"""

from __future__ import annotations

from airflow.sdk import DAG
from airflow.timetables.trigger import CronTriggerTimetable

from nba_pipeline.alerts import PREDICTIONS_DUE, on_dag_run_failure
from nba_pipeline.dag.deadline import PredictionsDeadlineOperator
from nba_pipeline.dag.defaults import START_DATE, TIMEZONE, default_args, param

with DAG(
    dag_id="nba_predictions_deadline",
    description="12:00 ET: alert once when a date with games has no predictions",
    doc_md=__doc__,
    schedule=CronTriggerTimetable(f"{PREDICTIONS_DUE.minute} {PREDICTIONS_DUE.hour} * * *", timezone=TIMEZONE),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    on_failure_callback=on_dag_run_failure,
    tags=["nba", "alerts"],
    default_args=default_args(),
    params={
        "game_date": param(
            None, type=["null", "string"], format="date", description="YYYY-MM-DD; default: today in ET"
        ),
    },
):
    PredictionsDeadlineOperator(task_id="check_predictions")
