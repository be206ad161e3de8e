"""Breaker administration from the Airflow UI."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator


class ManageBreakerOperator(BaseOperator):
    """List, reset (close), force open, re-configure, repair or delete a circuit breaker, as the DAG
    run's Params say (``list`` also names the keys whose stored rows are invalid).

    The Params' JSON schema restricts names to the registry's keys; this re-checks them, so a run
    started through the API with a bad name fails with the list of valid ones.
    """

    ui_color = "#f4cccc"

    def execute(self, context: Any) -> list[str]:
        from nba_pipeline.breakers import BreakerAction, apply_action, describe, describe_invalid, list_breakers
        from nba_pipeline.warehouse import get_warehouse

        params = context["params"]
        action = BreakerAction(params["action"])
        with get_warehouse() as warehouse:
            breakers = apply_action(
                warehouse,
                action,
                params.get("breaker"),
                reason=params.get("reason") or "opened from the Airflow UI",
                threshold=params.get("threshold"),
                timeout_seconds=params.get("timeout_seconds"),
                half_open_max_calls=params.get("half_open_max_calls"),
            )
            invalid = list_breakers(warehouse).invalid if action is BreakerAction.LIST else {}
        lines = [describe(b) for b in breakers] + [describe_invalid(e) for _, e in sorted(invalid.items())]
        if action is BreakerAction.DELETE:
            lines = [f"{params.get('breaker')}: every stored row deleted"]
        for line in lines:
            self.log.info(line)
        return lines
