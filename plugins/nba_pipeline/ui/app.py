"""Read-only operations pages: circuit breakers, one game date, its skips, run rows (their content
comes from :mod:`nba_pipeline.ui.reports`).

Each page has an HTML view and a JSON twin (``/breakers``, ``/day``, ``/skips``, ``/runs``, each also
as ``.json``). Run rows link to the DAG run and task instance in Airflow's UI that wrote them. The
app is mounted by the Airflow API server under ``/nba`` (see ``plugins/nba_pipeline_plugin.py``); a
mounted app gets no authentication from Airflow, so every route here depends on Airflow's own API
security: ``requires_access_view(AccessView.WEBSITE)``, which resolves the caller with ``get_user``
(the JWT of the ``Authorization: Bearer`` header or of the ``_token`` cookie the Airflow UI sets) and
then asks the auth manager whether that user may see the website. An anonymous request is refused
before the warehouse is touched.

The warehouse is opened per request through :func:`get_warehouse` and closed afterwards. HTML is
rendered by Jinja2 with autoescaping, so stored error messages cannot inject markup.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import requires_access_view
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import BeforeValidator
from starlette.exceptions import HTTPException as StarletteHTTPException

from nba_pipeline import clock
from nba_pipeline.settings import LOCAL_TIMEZONE, get_settings
from nba_pipeline.ui.reports import (
    RECENT_RUNS_PER_PHASE,
    RunFilter,
    breakers_report,
    day_report,
    local_today,
    runs_report,
    skips_report,
)
from nba_pipeline.warehouse import Warehouse, WarehouseError, get_warehouse

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
LINKS_SCRIPT = Path(__file__).resolve().parent / "static" / "airflow-links.js"
#: a page waits at most this long for another process's DuckDB lock (tasks wait longer)
UI_LOCK_WAIT_SECONDS = 10.0
#: reading a page needs the same permission as seeing the Airflow UI at all
authorize = requires_access_view(AccessView.WEBSITE)

_HTML_HEADERS = {
    # one script of this app's own (static/airflow-links.js); inline CSS only; framed by the Airflow UI
    # (same origin) only
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


# --------------------------------------------------------------------------- rendering


def display_timezone() -> str:
    """The time zone Airflow shows times in (``[core] default_timezone``; ``utc`` unless set), so the
    pages inside Airflow's frame agree with the rest of its UI. Game dates stay New York dates."""
    from airflow.configuration import conf

    name = conf.get("core", "default_timezone", fallback="utc")
    if name.lower() == "system":  # as Airflow reads it: the machine's own zone
        from pendulum.tz import get_local_timezone

        name = get_local_timezone().name
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):  # an offset or a name this machine does not know
        return "UTC"
    return "UTC" if name.lower() == "utc" else name


def airflow_base_path() -> str:
    """The path Airflow's UI is served under (``[api] base_url``'s path, e.g. ``/airflow``; else none),
    so links into it work behind a proxy with a path prefix."""
    from urllib.parse import urlparse

    from airflow.configuration import conf

    return urlparse(conf.get("api", "base_url", fallback="") or "").path.rstrip("/")


def format_time(value: dt.datetime | dt.date | None) -> str:
    """A timestamp in :func:`display_timezone` (naive values are UTC, as the warehouse stores them)."""
    if value is None:
        return "–"
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(ZoneInfo(display_timezone())).strftime("%Y-%m-%d %H:%M:%S %Z")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,  # every value is escaped, whatever the template's extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_time
    return env


_TEMPLATES = _environment()


_PAGES = (("breakers_page", "Circuit breakers"), ("day_page", "Game date"), ("skips_page", "Skips"),
          ("runs_page", "Runs"))
#: the DAG whose trigger form resets or forces open a breaker (``action`` and ``breaker`` Params)
BREAKER_ADMIN_DAG = "nba_breaker_admin"


def render(request: Request, page: str, template: str, **values: Any) -> HTMLResponse:
    """An HTML page with the navigation between the three pages (links keep the mount prefix)."""
    nav = [{"label": label, "href": request.url_for(name).path, "active": name == page} for name, label in _PAGES]
    body = _TEMPLATES.get_template(template).render(
        nav=nav, generated_at=clock.now(), timezone=display_timezone(), game_timezone=LOCAL_TIMEZONE,
        airflow=airflow_base_path(), links_script=request.url_for("links_script").path, **values
    )
    return HTMLResponse(body, headers=_HTML_HEADERS)


# --------------------------------------------------------------------------- the app


def open_warehouse() -> Iterator[Warehouse]:
    """The configured warehouse for one request, closed afterwards (a page waits briefly for a lock)."""
    settings = get_settings()
    wait = min(settings.duckdb_lock_wait_seconds, UI_LOCK_WAIT_SECONDS)
    warehouse = get_warehouse(dataclasses.replace(settings, duckdb_lock_wait_seconds=wait))
    try:
        yield warehouse
    finally:
        warehouse.close()


WarehouseDep = Annotated[Warehouse, Depends(open_warehouse)]
#: an empty field of a submitted form (``?day=&phase=``) means "no filter", as a browser sends it
EmptyIsNone = BeforeValidator(lambda value: None if value == "" else value)
DayQuery = Annotated[dt.date | None, EmptyIsNone, Query(description="game date; default today in America/New_York")]


def _run_filter(
    day: Annotated[dt.date | None, EmptyIsNone, Query(description="game date")] = None,
    phase: Annotated[str | None, Query(pattern="^[2-5]?$", description="phase 2-5")] = None,
    processor: Annotated[str | None, Query(max_length=100, description="processor, or player in phase 5")] = None,
    outcome: Annotated[str | None, Query(pattern="^(success|failed|skipped)?$")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = RECENT_RUNS_PER_PHASE,
) -> RunFilter:
    return RunFilter(day, int(phase) if phase else None, processor or None, outcome or None, page, per_page)


RunFilterQuery = Annotated[RunFilter, Depends(_run_filter)]


def _warehouse_unavailable(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"warehouse unavailable: {exc}", status_code=503, headers=_HTML_HEADERS)


async def _login_first(request: Request, exc: Exception) -> Response:
    """An anonymous visit to a page goes to Airflow's login, which sends the user back (``next``);
    the JSON twins, for scripts, answer 401 as the REST API does."""
    from fastapi.exception_handlers import http_exception_handler

    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 401 and not request.url.path.endswith(".json"):
        from airflow.api_fastapi.app import get_auth_manager

        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(get_auth_manager().get_url_login(next_url=back), status_code=303)
    return await http_exception_handler(request, exc)


def create_app() -> FastAPI:
    """The operations app. Every route depends on :data:`authorize` (Airflow's API security)."""
    app = FastAPI(
        title="NBA pipeline operations",
        docs_url=None,  # no unauthenticated documentation routes
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(authorize)],
    )
    app.add_exception_handler(WarehouseError, _warehouse_unavailable)
    app.add_exception_handler(StarletteHTTPException, _login_first)

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> RedirectResponse:
        return RedirectResponse(request.url_for("breakers_page").path, status_code=307)

    @app.get("/static/airflow-links.js", include_in_schema=False, name="links_script")
    def links_script() -> Response:
        return Response(LINKS_SCRIPT.read_text(), media_type="text/javascript",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    @app.get("/breakers", response_class=HTMLResponse, name="breakers_page")
    def breakers_page(request: Request, warehouse: WarehouseDep) -> HTMLResponse:
        return render(request, "breakers_page", "breakers.html", report=breakers_report(warehouse),
                      admin_dag=BREAKER_ADMIN_DAG)

    @app.get("/breakers.json", name="breakers_json")
    def breakers_json(warehouse: WarehouseDep) -> dict[str, Any]:
        return breakers_report(warehouse)

    @app.get("/day", response_class=HTMLResponse, name="day_page")
    def day_page(request: Request, warehouse: WarehouseDep, day: DayQuery = None) -> HTMLResponse:
        report = day_report(warehouse, day or local_today(), airflow_base_path())
        return render(request, "day_page", "day.html", report=report, runs=request.url_for("runs_page").path)

    @app.get("/day.json", name="day_json")
    def day_json(warehouse: WarehouseDep, day: DayQuery = None) -> dict[str, Any]:
        return day_report(warehouse, day or local_today(), airflow_base_path())

    @app.get("/skips", response_class=HTMLResponse, name="skips_page")
    def skips_page(request: Request, warehouse: WarehouseDep, day: DayQuery = None) -> HTMLResponse:
        return render(request, "skips_page", "skips.html", report=skips_report(warehouse, day or local_today()))

    @app.get("/skips.json", name="skips_json")
    def skips_json(warehouse: WarehouseDep, day: DayQuery = None) -> dict[str, Any]:
        return skips_report(warehouse, day or local_today())

    @app.get("/runs", response_class=HTMLResponse, name="runs_page")
    def runs_page(request: Request, warehouse: WarehouseDep, show: RunFilterQuery) -> HTMLResponse:
        report = runs_report(warehouse, show, airflow_base_path())
        return render(request, "runs_page", "runs.html", report=report, show=show,
                      here=request.url_for("runs_page").path)

    @app.get("/runs.json", name="runs_json")
    def runs_json(warehouse: WarehouseDep, show: RunFilterQuery) -> dict[str, Any]:
        return runs_report(warehouse, show, airflow_base_path())

    return app
