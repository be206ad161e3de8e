"""A JSON payload read as a tree of typed nodes: every accessor knows its path in the document
(``games[2].players[5].minutes``) and raises :class:`Invalid` there, naming the value and why."""

from __future__ import annotations

import builtins
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

BODY = "(body)"  # the path of a fault in the payload as a whole
_MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Invalid(Exception):  # noqa: N818 - internal signal, turned into PayloadValidationError
    """A fault found while parsing: where, what value, why."""

    def __init__(self, path: str, value: Any, reason: str) -> None:
        super().__init__(f"{path} = {describe(value)}: {reason}")
        self.path = path
        self.value = value
        self.reason = reason


def describe(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Node:
    """A JSON value and its path in the payload; typed accessors raise :class:`Invalid` there."""

    value: Any
    path: str = ""

    def at(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str | int, value: Any, reason: str) -> Invalid:
        return Invalid(self.at(key), value, reason)

    def _get(self, key: str) -> Any:
        if not isinstance(self.value, dict):
            raise Invalid(self.path or "(root)", self.value, "expected a JSON object")
        return self.value.get(key, _MISSING)

    def _present(self, key: str, nullable: bool) -> Any:
        value = self._get(key)
        if value is _MISSING and not nullable:
            raise self.fail(key, value, "required field is missing")
        if value is None and not nullable:
            raise self.fail(key, value, "must not be null")
        return None if value is _MISSING else value

    def child(self, key: str, *, nullable: bool = False) -> Node | None:
        value = self._present(key, nullable)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, value, "expected a JSON object")
        return Node(value, self.at(key))

    def obj(self, key: str) -> Node:
        value = self._present(key, False)
        if not isinstance(value, dict):
            raise self.fail(key, value, "expected a JSON object")
        return Node(value, self.at(key))

    def items(self, key: str) -> list[Node]:
        value = self._present(key, False)
        if not isinstance(value, list):
            raise self.fail(key, value, "expected a JSON array")
        base = self.at(key)
        return [Node(item, f"{base}[{index}]") for index, item in enumerate(value)]

    def str(self, key: str, *, nullable: bool = False, empty: bool = False) -> Any:
        value = self._present(key, nullable)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(key, value, "expected a string")
        if not empty and not value.strip():
            raise self.fail(key, value, "must not be empty")
        return value

    def int(
        self,
        key: builtins.str,
        *,
        nullable: builtins.bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
        whole_float: builtins.bool = False,
    ) -> Any:
        """An integer; with ``whole_float``, also a float without a fraction (``14.0``, as NBA.com's
        game logs write some counts)."""
        value = self._present(key, nullable)
        if value is None:
            return None
        if whole_float and isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, value, "expected an integer")
        if not INT64_MIN <= value <= INT64_MAX:
            raise self.fail(key, value, "out of range for a 64-bit integer")
        if minimum is not None and value < minimum:
            raise self.fail(key, value, f"must be at least {minimum}" + (" (negative)" if minimum == 0 else ""))
        if maximum is not None and value > maximum:
            raise self.fail(key, value, f"must be at most {maximum}")
        return value

    def num(
        self,
        key: builtins.str,
        *,
        nullable: builtins.bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> Any:
        value = self._present(key, nullable)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, value, "expected a number")
        if not math.isfinite(value):
            raise self.fail(key, value, "not a finite number")
        if minimum is not None and value < minimum:
            raise self.fail(key, value, f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise self.fail(key, value, f"must be at most {maximum}")
        return float(value)

    def bool(self, key: builtins.str, *, nullable: builtins.bool = False) -> Any:
        value = self._present(key, nullable)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(key, value, "expected true or false")
        return value

    def one_of(self, key: builtins.str, allowed: Iterable[Any], *, nullable: builtins.bool = False) -> Any:
        value = self._present(key, nullable)
        choices = tuple(allowed)
        if value is not None and not any(value == c and type(value) is type(c) for c in choices):
            raise self.fail(key, value, f"expected one of {', '.join(map(repr, choices))}")
        return value


def decode(body: bytes, *, array: bool = False) -> Node:
    """The payload's JSON object (or, with ``array``, a JSON array too: a live answer served bare).

    A leading UTF-8 byte order mark is allowed (the stored bytes keep it). Faults: an empty body,
    bytes that are not UTF-8 (UTF-16 / UTF-32, Latin-1), an HTML page, broken or truncated JSON,
    ``NaN`` / ``Infinity`` or a number too large for a float, one object giving a key two different
    values, nesting too deep to parse, and a document that is not an object.
    """
    if not body.strip():
        raise Invalid(BODY, body[:40], "empty body")
    for bom, encoding in _WIDE_BOMS:
        if body.startswith(bom):
            raise Invalid(BODY, body[:16], f"not UTF-8: {encoding} text (byte order mark {bom.hex(' ')})")
    if b"\x00" in body[:4]:
        raise Invalid(BODY, body[:16], "not UTF-8: NUL bytes at the start (UTF-16 or UTF-32 text without a BOM?)")
    lead = body.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if lead.startswith(b"<"):  # before decoding: error pages are often not UTF-8
        excerpt = lead[:80].decode("utf-8", errors="replace")
        raise Invalid(BODY, excerpt, "an HTML page instead of JSON (the source served an error page)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Invalid(
            BODY,
            body[max(0, err.start - 16) : err.start + 8],
            f"not UTF-8: byte 0x{body[err.start]:02x} at offset {err.start} (Latin-1 / Windows-1252 text?)",
        ) from None
    text = text.removeprefix("\ufeff")
    stripped = text.lstrip(" \t\r\n")
    markers: list[_Marker] = []
    try:
        document = json.loads(
            text,
            parse_constant=lambda name: _mark(markers, name, "a non-finite number (NaN / Infinity) is not valid JSON"),
            parse_float=lambda literal: _finite_float(markers, literal),
            object_pairs_hook=lambda pairs: _object(markers, pairs),
        )
    except json.JSONDecodeError as err:
        cut_off = err.pos >= len(text.rstrip()) or err.msg.startswith("Unterminated string")
        kind = "truncated" if cut_off else "invalid"
        where = f"line {err.lineno}, column {err.colno}"
        excerpt = text[max(0, err.pos - 40) : err.pos + 10]
        raise Invalid(BODY, excerpt, f"{kind} JSON at {where}: {err.msg}") from None
    except RecursionError:
        raise Invalid(BODY, stripped[:40], "JSON nested too deeply to parse") from None
    if markers:
        path, marker = _first_marker(document)
        raise Invalid(path, marker.value, marker.reason)
    if not isinstance(document, dict) and not (array and isinstance(document, list)):
        kind = _JSON_TYPES.get(type(document), type(document).__name__)
        also = " (or a JSON array)" if array else ""
        raise Invalid("(root)", stripped[:40], f"expected a JSON object, got {kind}{also}")
    return Node(document)


_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_JSON_TYPES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


@dataclass(frozen=True)
class _Marker:
    """Stands in the parsed document for a value that must not load; found again by its path."""

    value: Any
    reason: str


def _mark(markers: list[_Marker], value: Any, reason: str) -> _Marker:
    marker = _Marker(value, reason)
    markers.append(marker)
    return marker


def _finite_float(markers: list[_Marker], literal: str) -> Any:
    value = float(literal)
    return value if math.isfinite(value) else _mark(markers, literal, "a number too large to be finite")


def _object(markers: list[_Marker], pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object; a key given twice with different values is a fault (json would keep the last one)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result and result[key] != value:
            value = _mark(
                markers, result[key], f"the object repeats this key with a different value ({describe(value)})"
            )
        result[key] = value
    return result


def _first_marker(document: Any) -> tuple[str, _Marker]:
    """The path of the first marker in document order (iterative: the document may be deep)."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, _Marker):
            return path or "(root)", value
        node = Node(None, path)
        if isinstance(value, dict):
            stack.extend((node.at(k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((node.at(i), v) for i, v in reversed(list(enumerate(value))))
    raise AssertionError("a marker was recorded but is not in the document")
