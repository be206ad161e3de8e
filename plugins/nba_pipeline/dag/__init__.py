"""The Airflow-facing layer: every operator, sensor and task-building function, and the builder
that turns the registry into a guarded DAG. DAG files in ``dags/`` import from here; nothing
else in the package imports Airflow's task API or this layer.

- ``builder``: the guarded pipeline (calendar group, one group per phase, per-processor guards).
- ``gates``: calendar check, smart skip, breaker snapshot and breaker gate.
- ``sensors``: the dependency snapshot of a wave and each processor's completeness sensor.
- ``run_task``: a processor's run and the accounting of its attempt.
- ``recording``: the phase's ``record_runs`` batch.
- ``run_outcome``: fails a run with a failed task or an unprocessed selected source.
- ``phase5``: coordinate, predict in mapped batches, record, grade.
- ``backfill``, ``training``, ``schema``, ``breaker_admin``, ``deadline``: the other DAGs' tasks.
- ``options``, ``defaults``, ``tasks``: a run's Params, DAG defaults, shared task ids and XCom keys.
"""
