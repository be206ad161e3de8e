"""The Airflow connections of the real APIs in HTTP mode: one per host, with how it takes its key.

NBA.com serves from three hosts (the stats API, the CDN's static files and the injury report's
PDFs), so it has three connections. :meth:`ApiConnection.definition` gives the JSON of an
``AIRFLOW_CONN_<ID>`` variable (or a secrets-backend entry); the HTTP-mode tests build their
connections with it, pointing only the host at a local stand-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = ["API_CONNECTIONS", "ApiConnection"]


@dataclass(frozen=True)
class ApiConnection:
    """One API host.

    :param conn_id: the Airflow connection id the endpoint catalog names.
    :param host: the real host.
    :param key_param: the query parameter that carries the API key, if the API takes it there.
    :param key_header: the request header that carries the API key, if the API takes it there.
    """

    conn_id: str
    host: str
    key_param: str | None = None
    key_header: str | None = None

    @property
    def needs_key(self) -> bool:
        return bool(self.key_param or self.key_header)

    def definition(
        self, api_key: str | None = None, *, host: str | None = None, port: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        """The connection as Airflow's JSON form; ``host``/``port`` replace the real host (over
        plain HTTP), ``extra`` adds client tuning (``timeout_seconds``, ``max_attempts``...).

        :raises ValueError: the API needs a key and none is given.
        """
        if self.needs_key and not api_key:
            raise ValueError(f"the connection {self.conn_id!r} needs the API key")
        conn: dict[str, Any] = {"conn_type": "http", "host": host or self.host, "schema": "http" if host else "https"}
        if port is not None:
            conn["port"] = port
        if api_key:
            conn["password"] = api_key
        keys = {"api_key_param": self.key_param, "api_key_header": self.key_header}
        extras = {name: value for name, value in keys.items() if value} | extra
        if extras:
            conn["extra"] = extras
        return conn


_CONNECTIONS = (
    ApiConnection("nba_stats", "stats.nba.com"),
    ApiConnection("nba_cdn", "cdn.nba.com"),
    ApiConnection("nba_injury_report", "ak-static.cms.nba.com"),
    ApiConnection("nba_balldontlie", "api.balldontlie.io", key_header="Authorization"),
    ApiConnection("nba_odds_api", "api.the-odds-api.com", key_param="apiKey"),
    ApiConnection("nba_bettingpros", "api.bettingpros.com", key_header="x-api-key"),
    ApiConnection("nba_espn", "site.api.espn.com"),
)

#: conn_id -> the API's connection.
API_CONNECTIONS: Mapping[str, ApiConnection] = MappingProxyType({c.conn_id: c for c in _CONNECTIONS})
