"""The project's Airflow plugin: read-only operations pages under ``/nba`` and a nav link to them.

Airflow imports this module in every process that loads plugins (scheduler, DAG processor, task
runners), but only the API server mounts ``fastapi_apps``. So the FastAPI app, Jinja2 and Airflow's
API security module are imported the first time ``fastapi_apps`` is read, not when this file is.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/nba"


class _OperationsApps:
    """``fastapi_apps`` built on first read and kept (a class-level descriptor, read on the class)."""

    def __init__(self) -> None:
        self._apps: list[dict[str, Any]] | None = None

    def __get__(self, instance: object, owner: type | None = None) -> list[dict[str, Any]]:
        if self._apps is None:
            from nba_pipeline.ui.app import create_app

            self._apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "NBA pipeline operations"}]
        return self._apps


class NbaPipelinePlugin(AirflowPlugin):
    """Mounts the operations app at ``/nba`` and adds "NBA pipeline" to the Browse menu.

    The nav entry embeds the breaker page (same origin, so the Airflow UI's ``_token`` cookie
    authenticates it); the pages themselves require an Airflow user on every route.
    """

    name = "nba_pipeline"
    fastapi_apps = _OperationsApps()  # type: ignore[assignment]
    external_views = [
        {
            "name": "NBA pipeline",
            "href": f"{URL_PREFIX}/breakers",
            "destination": "nav",
            "category": "browse",
            "url_route": "nba-pipeline",
        }
    ]
