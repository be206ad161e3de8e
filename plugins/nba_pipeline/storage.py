"""Raw payload storage: every payload is kept untouched before anything parses it.

Layout under ``NBA_PAYLOAD_ROOT`` (a local folder by default, ``gs://bucket/prefix`` in
production, through Airflow's ``ObjectStoragePath`` and the connection :func:`object_path` picks)::

    <source>/<game_date>/<fetched_at UTC, %Y%m%dT%H%M%S%fZ>.json   (.pdf for the injury report)
    <source>/<game_date>/<same stamp>_001.json              another body fetched at the same instant
    quarantine/<source>/<game_date>/<same name>            the payload that failed validation
    quarantine/<source>/<game_date>/<same name>.error.txt  why

Nothing is ever overwritten; a rerun picks the newest payload of a source and date.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from typing import Any

from nba_pipeline.settings import get_settings

_SOURCE = re.compile(r"^[a-z][a-z0-9_]*$")
#: The payload files' suffixes, by media type.
SUFFIXES = {"application/json": ".json", "application/pdf": ".pdf"}
_PAYLOAD_SUFFIXES = tuple(SUFFIXES.values())


def object_path(uri: str) -> Any:
    """``uri`` as an ``ObjectStoragePath``: a plain path as a local file; an object-storage URL
    through the Airflow connection it names (``gs://conn_id@bucket/...``), else through
    ``NBA_STORAGE_CONN_ID``, so a key-file connection and Composer's default one both work. The
    paths it returns print with their connection, so a stored URI opens the same way again."""
    from airflow.sdk import ObjectStoragePath

    if "://" not in uri:
        return ObjectStoragePath(f"file://{uri}")
    path = ObjectStoragePath(uri)
    if path.protocol in ("file", "local") or path.conn_id is not None:
        return path
    return ObjectStoragePath(uri, conn_id=get_settings().storage_conn_id)


def _root(root: str | None) -> Any:
    return object_path(root or get_settings().payload_root)


@dataclass
class PayloadStore:
    """Store, find, read and quarantine payloads.

    :param root: the storage root; the configured ``NBA_PAYLOAD_ROOT`` when None.
    """

    root: str | None = None

    def __post_init__(self) -> None:
        self._base = _root(self.root)

    def path_for(self, source: str, game_date: dt.date, fetched_at: dt.datetime, suffix: str = ".json") -> Any:
        if not _SOURCE.match(source):
            raise ValueError(f"source name {source!r} is not lower_snake_case")
        if suffix not in SUFFIXES.values():
            raise ValueError(f"payload suffix {suffix!r} is not one of {', '.join(SUFFIXES.values())}")
        stamp = fetched_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return self._base / source / game_date.isoformat() / f"{stamp}{suffix}"

    def store(
        self, source: str, game_date: dt.date, body: bytes, fetched_at: dt.datetime, suffix: str = ".json"
    ) -> str:
        """Write the bytes as received; return the payload's URI.

        A payload already stored under the same fetch time is never replaced: the same bytes are
        the same payload (its URI is returned), other bytes go beside it as ``<stamp>_001`` (then
        ``_002``...), which sort after it, so the later store is the newest.
        """
        first = self.path_for(source, game_date, fetched_at, suffix)
        first.parent.mkdir(parents=True, exist_ok=True)
        path, number = first, 0
        while path.exists():
            if path.read_bytes() == body:
                return str(path)
            number += 1
            path = first.parent / f"{first.name[: -len(suffix)]}_{number:03d}{suffix}"
        path.write_bytes(body)
        return str(path)

    def latest(self, source: str, game_date: dt.date) -> str | None:
        """The newest stored payload of a source for a date, or None."""
        folder = self._base / source / game_date.isoformat()
        if not folder.exists():
            return None
        names = sorted(p.name for p in folder.iterdir() if p.name.endswith(_PAYLOAD_SUFFIXES))
        return str(folder / names[-1]) if names else None

    def read(self, uri: str) -> bytes:
        data: bytes = self._open(uri).read_bytes()
        return data

    def size(self, uri: str) -> int:
        """The payload's size in bytes, without reading it."""
        return int(self._open(uri).stat().st_size)

    def quarantine(self, uri: str, error: str) -> str:
        """Move a payload to quarantine with its error beside it; return the new URI."""
        source_path = self._open(uri)
        relative = str(source_path).split(str(self._base).rstrip("/") + "/", 1)[-1]
        target = self._base / "quarantine" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with source_path.open("rb") as original, target.open("wb") as kept:  # streamed: it may be huge
                shutil.copyfileobj(original, kept, 1 << 20)
        except BaseException:
            # an object store commits what was written when the file closes, even on an error:
            # a half copy must not pass for the quarantined payload (the original stays)
            target.unlink(missing_ok=True)
            raise
        (target.parent / f"{target.name}.error.txt").write_text(error + "\n")
        source_path.unlink()
        return str(target)

    def quarantined(self, source: str, game_date: dt.date) -> list[str]:
        folder = self._base / "quarantine" / source / game_date.isoformat()
        if not folder.exists():
            return []
        return sorted(str(p) for p in folder.iterdir() if p.name.endswith(_PAYLOAD_SUFFIXES))

    def _open(self, uri: str) -> Any:
        return object_path(uri)
