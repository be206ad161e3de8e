"""An :class:`HttpSourceClient` built from an Airflow connection (host, key and tuning extras).

Imports the Airflow SDK only when called, so the client itself stays free of Airflow.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nba_pipeline.sources.fetch_results import SourceConfigError
from nba_pipeline.sources.http_client import HttpSourceClient

_EXTRA_FLOATS = ("timeout_seconds", "backoff_base_seconds", "backoff_cap_seconds")
_EXTRA_INTS = ("max_attempts",)
_EXTRA_STRINGS = ("api_key_param", "api_key_header", "user_agent")


def client_from_connection(conn_id: str, **overrides: Any) -> HttpSourceClient:
    """Build a client from an Airflow connection; ``overrides`` win over it.

    The base URL is ``schema://host:port`` (``schema`` defaults to https; a
    host that already has a scheme is used as given). The key is the
    connection password, else extra ``api_key``. Extras may set
    ``timeout_seconds``, ``max_attempts``, ``backoff_base_seconds``,
    ``backoff_cap_seconds``, ``api_key_param``, ``api_key_header`` and
    ``user_agent``. Outside a task the SDK reads environment variables
    (``AIRFLOW_CONN_<ID>``) and any configured external secrets backend,
    not the metadata database.

    :raises SourceConfigError: the connection is not defined or has no host,
        or an extra has the wrong type.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException as exc:
        raise SourceConfigError(
            f"Airflow connection {conn_id!r} is not defined; define it in a secrets backend, "
            f"the metadata database, or the env var AIRFLOW_CONN_{conn_id.upper()}"
        ) from exc

    extra = conn.extra_dejson or {}
    kwargs: dict[str, Any] = {"base_url": _base_url_from_connection(conn_id, conn)}
    api_key = conn.password or extra.get("api_key")
    if api_key:
        kwargs["api_key"] = str(api_key)
    try:
        for name in _EXTRA_FLOATS:
            if extra.get(name) not in (None, ""):
                kwargs[name] = float(extra[name])
        for name in _EXTRA_INTS:
            if extra.get(name) not in (None, ""):
                kwargs[name] = int(extra[name])
    except (TypeError, ValueError) as exc:
        raise SourceConfigError(f"Airflow connection {conn_id!r} has a malformed extra: {exc}") from None
    for name in _EXTRA_STRINGS:
        if extra.get(name):
            kwargs[name] = str(extra[name])
    kwargs.update(overrides)
    return HttpSourceClient(**kwargs)


def _base_url_from_connection(conn_id: str, conn: Any) -> str:
    host = (conn.host or "").strip()
    if not host:
        raise SourceConfigError(f"Airflow connection {conn_id!r} has no host")
    if "://" in host:
        parts = urlsplit(host)
        scheme, netloc, path = parts.scheme, parts.netloc, parts.path
    else:
        scheme = (conn.schema or "https").strip()
        netloc, _, rest = host.partition("/")
        path = f"/{rest}" if rest else ""
    if conn.port and ":" not in netloc:
        netloc = f"{netloc}:{conn.port}"
    return urlunsplit((scheme, netloc, path.rstrip("/"), "", ""))
