"""What every raw processor shares: reading the newest payload, validating it whole, writing it once.

A processor is a :class:`RawTable` (source, table, key, parse function) run by :func:`run_raw`:

1. the newest stored payload of the source for the target date (none: skip with ``no_data``);
2. refuse it unread if it is larger than ``NBA_MAX_PAYLOAD_BYTES``; else decode and parse it
   completely into rows, checking every field on the way; any fault moves
   the payload to quarantine and raises :class:`PayloadValidationError` naming the file, the
   field path (``games[2].players[5].minutes``) and the value, before anything is written;
3. collapse duplicates (the same game in mixed id forms, verbatim repeats) to one row per key;
4. one MERGE (or one insert-if-absent for append-only snapshots) into the table.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from nba_pipeline.guards.skip_reasons import SkipReason
from nba_pipeline.guards.spec import ProcessorContext, ProcessorResult, ProcessorSkip
from nba_pipeline.processors.game_ids import GameIdError
from nba_pipeline.processors.merge import SOURCE_FILE_PATH, insert_absent, merge_rows
from nba_pipeline.processors.raw.json_node import BODY, Invalid, Node, decode, describe
from nba_pipeline.settings import get_settings
from nba_pipeline.storage import PayloadStore

#: Upper bound of any counting stat (player or team) and of a score; a team's record is under 200.
STAT_MAX = 300
#: Bound of a plus-minus (player or team), either way.
PLUS_MINUS_MAX = 200
#: Bound of American odds, either way.
ODDS_MAX = 100_000


class PayloadValidationError(ValueError):
    """A stored payload that cannot be loaded as it is; it has been moved to quarantine.

    :param uri: the payload's URI where it was read.
    :param path: the field path inside the payload, ``(body)`` when the bytes themselves are wrong.
    :param value: the offending value (``<missing>`` for an absent field).
    :param reason: what is wrong with it.
    """

    def __init__(self, uri: str, path: str, value: Any, reason: str) -> None:
        super().__init__(f"invalid payload {uri}: {path} = {describe(value)}: {reason}")
        self.uri = uri
        self.path = path
        self.value = value
        self.reason = reason
        self.quarantine_uri: str | None = None


def convert(path: str, value: Any, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, with a GameIdError reported as an Invalid at ``path``."""
    try:
        return function(*args)
    except GameIdError as err:
        raise Invalid(path, value, str(err)) from None


# --------------------------------------------------------------------------- shared field rules

_CLOCK = re.compile(r"^(\d{1,3}):([0-5]\d)$")
_WHOLE = re.compile(r"^\d{1,3}$")


def clock_minutes(node: Node, key: str, *, maximum: float, whole_allowed: bool = False) -> Any:
    """``"36:26"`` (or ``"36"`` when ``whole_allowed``) as decimal minutes; null stays None."""
    text = node.str(key, nullable=True, empty=True)
    if text is None:
        return None
    stripped = text.strip()
    match = _CLOCK.match(stripped)
    if match:
        minutes = int(match.group(1)) + int(match.group(2)) / 60
    elif whole_allowed and _WHOLE.match(stripped):
        minutes = float(stripped)
    elif stripped.startswith("-"):
        raise node.fail(key, text, "negative minutes")
    else:
        raise node.fail(key, text, "expected minutes as MM:SS" + (" or MM" if whole_allowed else ""))
    if minutes > maximum:
        raise node.fail(key, text, f"more than {maximum:g} minutes")
    return minutes


#: (payload key, column) of the counting stats the NBA.com box scores share.
NBA_STATS: tuple[tuple[str, str], ...] = (
    ("pts", "points"),
    ("fgm", "fg_makes"),
    ("fga", "fg_attempts"),
    ("fg3m", "three_pt_makes"),
    ("fg3a", "three_pt_attempts"),
    ("ftm", "ft_makes"),
    ("fta", "ft_attempts"),
    ("oreb", "offensive_rebounds"),
    ("dreb", "defensive_rebounds"),
    ("reb", "total_rebounds"),
    ("ast", "assists"),
    ("stl", "steals"),
    ("blk", "blocks"),
    ("tov", "turnovers"),
    ("pf", "personal_fouls"),
)


def box_stats(
    node: Node, stats: Sequence[tuple[str, str]], *, nullable: bool = False, whole_floats: bool = False
) -> dict[str, Any]:
    """Counting stats (integers from 0 to :data:`STAT_MAX`) by column, checked for box-score arithmetic.

    Makes never exceed attempts, threes are part of field goals, rebounds add up and points are
    2 x two-pointers + 3 x threes + free throws. Checked only when every stat is present; an error
    names the payload's own keys. ``whole_floats`` accepts counts written as ``14.0``.
    """
    values = {
        column: node.int(key, nullable=nullable, minimum=0, maximum=STAT_MAX, whole_float=whole_floats)
        for key, column in stats
    }
    key = {column: payload_key for payload_key, column in stats}
    if all(v is not None for v in values.values()):
        for makes, attempts in (
            ("fg_makes", "fg_attempts"),
            ("three_pt_makes", "three_pt_attempts"),
            ("ft_makes", "ft_attempts"),
            ("three_pt_makes", "fg_makes"),
            ("three_pt_attempts", "fg_attempts"),
        ):
            if makes in values and attempts in values and values[makes] > values[attempts]:
                raise node.fail(key[makes], values[makes], f"exceeds {key[attempts]} = {values[attempts]}")
        rebounds = ("total_rebounds", "offensive_rebounds", "defensive_rebounds")
        if set(rebounds) <= values.keys():
            total, offensive, defensive = (values[column] for column in rebounds)
            if total != offensive + defensive:
                raise node.fail(
                    key["total_rebounds"],
                    total,
                    f"is not {key['offensive_rebounds']} + {key['defensive_rebounds']} = {offensive + defensive}",
                )
        if {"points", "fg_makes", "three_pt_makes", "ft_makes"} <= values.keys():
            fgm, fg3m, ftm = key["fg_makes"], key["three_pt_makes"], key["ft_makes"]
            expected = (
                2 * (values["fg_makes"] - values["three_pt_makes"]) + 3 * values["three_pt_makes"] + values["ft_makes"]
            )
            if values["points"] != expected:
                raise node.fail(
                    key["points"], values["points"], f"does not match 2*({fgm}-{fg3m}) + 3*{fg3m} + {ftm} = {expected}"
                )
    return values


def check_payload_date(node: Node, key: str, text: str, parsed: dt.date, day: dt.date) -> None:
    """A payload-level date must be the date the payload was stored for."""
    if parsed != day:
        raise node.fail(key, text, f"the payload is for {parsed}, but it was stored for {day}")


def check_game_date(node: Node, key: str, value: Any, game_date: dt.date, day: dt.date) -> None:
    """A game in a one-date payload must be on that date (ET)."""
    if game_date != day:
        raise node.fail(key, value, f"the game is on {game_date}, not on the payload's date {day}")


def iso_date(node: Node, key: str) -> dt.date:
    """A ``YYYY-MM-DD`` date (a time part after it is ignored)."""
    text = node.str(key)
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(?:$|T)", text)
    try:
        if match:
            return dt.date.fromisoformat(match.group(1))
    except ValueError:
        pass
    raise node.fail(key, text, "expected a YYYY-MM-DD date")


def us_date(node: Node, key: str) -> dt.date:
    """An NBA.com ``MM/DD/YYYY`` date."""
    text = node.str(key)
    try:
        return dt.datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        raise node.fail(key, text, "expected MM/DD/YYYY") from None


def american_odds(node: Node, key: str, *, nullable: bool = True) -> Any:
    """American odds: an integer at or beyond ±100 (and within ±:data:`ODDS_MAX`)."""
    value = node.int(key, nullable=nullable, minimum=-ODDS_MAX, maximum=ODDS_MAX)
    if value is not None and -100 < value < 100:
        raise node.fail(key, value, "American odds lie at or beyond ±100")
    return value


# --------------------------------------------------------------------------- rows and running


@dataclass(frozen=True)
class ParsedRow:
    """A row for the table and the payload path it came from (for error messages)."""

    path: str
    row: dict[str, Any]


def collapse(rows: Iterable[ParsedRow], key_columns: Sequence[str]) -> list[ParsedRow]:
    """One row per key: verbatim repeats and the same game in other id forms fold into one row;
    two rows with one key and different content are a fault."""
    kept: dict[tuple[Any, ...], ParsedRow] = {}
    for parsed in rows:
        key = tuple(parsed.row[k] for k in key_columns)
        first = kept.get(key)
        if first is None:
            kept[key] = parsed
            continue
        if first.row != parsed.row:
            column = next(c for c in parsed.row if parsed.row[c] != first.row.get(c))
            raise Invalid(
                parsed.path,
                parsed.row[column],
                f"repeats the key {dict(zip(key_columns, key, strict=True))} of {first.path} "
                f"with a different {column} ({describe(first.row.get(column))})",
            )
    return list(kept.values())


@dataclass(frozen=True)
class RawTable:
    """One raw processor: which payloads it reads, how it parses them, where and how it writes.

    It is the ``run`` of its registry entry: calling it with a context loads the payload.

    :param source: the payload store's source name.
    :param table: ``nba_raw.<table>``.
    :param key_columns: the canonical key (MERGE condition or dedup key).
    :param parse: ``(payload, target date) -> rows``; raises :class:`Invalid` on any fault.
    :param append_only: insert rows whose key is absent, never update (snapshot tables).
    :param partition_column: the table's DATE partition column, fixed by the key.
    :param decode: the stored bytes as a document for ``parse`` (JSON by default; the injury
        report reads its PDF); raises :class:`Invalid` on bytes it cannot read.
    :param never_lowered: columns whose facts only move forward (see
        :func:`~nba_pipeline.processors.merge.merge_rows`): a rerun of an old date loads older
        news, which must not replace what a later payload said.
    """

    source: str
    table: str
    key_columns: tuple[str, ...]
    parse: Callable[[Node, dt.date], list[ParsedRow]]
    append_only: bool = False
    partition_column: str = "game_date"
    decode: Callable[[bytes], Node] = decode
    never_lowered: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The processor's name: the table's name in ``nba_raw``."""
        return self.table.partition(".")[2]

    def __call__(self, ctx: ProcessorContext) -> ProcessorResult:
        """Run as a processor (a registry entry's ``run``)."""
        return run_raw(ctx, self)


def run_raw(ctx: ProcessorContext, spec: RawTable) -> ProcessorResult:
    """Load the newest payload of ``spec.source`` for the target date into ``spec.table``."""
    day = ctx.target_date
    started = time.monotonic()
    store = PayloadStore()
    uri = store.latest(spec.source, day)
    if uri is None:
        raise ProcessorSkip(SkipReason.NO_DATA, f"no {spec.source} payload stored for {day} yet")
    limit = get_settings().max_payload_bytes
    try:
        size = store.size(uri)
        if size > limit:
            raise Invalid(BODY, f"{size} bytes", f"larger than the {limit}-byte payload limit (NBA_MAX_PAYLOAD_BYTES)")
        body = store.read(uri)
        loaded = time.monotonic()
        parsed = spec.parse(spec.decode(body), day)
        unique = collapse(parsed, spec.key_columns)
    except Invalid as fault:
        error = PayloadValidationError(uri, fault.path, fault.value, fault.reason)
        error.quarantine_uri = store.quarantine(uri, str(error))
        raise error from None
    rows = [{**p.row, SOURCE_FILE_PATH: uri} for p in unique]
    transformed = time.monotonic()
    partitions = spec.partition_column
    if spec.append_only:
        counts = insert_absent(ctx.warehouse, spec.table, rows, spec.key_columns, partition_column=partitions)
    else:
        counts = merge_rows(
            ctx.warehouse, spec.table, rows, spec.key_columns, partition_column=partitions,
            never_lowered=spec.never_lowered,
        )
    saved = time.monotonic()
    dates = sorted({r[spec.partition_column] for r in rows})
    return ProcessorResult(
        rows_processed=len(rows),
        rows_inserted=counts.inserted,
        rows_updated=counts.updated,
        rows_failed=0,
        load_seconds=round(loaded - started, 6),
        transform_seconds=round(transformed - loaded, 6),
        save_seconds=round(saved - transformed, 6),
        file_path=uri,
        source_files=1,
        date_range=(day, day),
        details={
            "table": spec.table,
            "rows_unchanged": counts.unchanged,
            "rows_stale": counts.stale,
            "duplicates_collapsed": len(parsed) - len(unique),
            "dates_in_payload": [d.isoformat() for d in dates],
        },
    )


def result_set_rows(doc: Node, name: str, required: Sequence[str]) -> Iterator[Node]:
    """The rows of stats.nba.com's result set ``name`` as nodes keyed by its headers.

    stats.nba.com answers ``{"resultSets": [{"name", "headers", "rowSet"}]}`` with positional
    rows; each row must have one value per header, and the headers must include ``required``.
    """
    result_sets = doc.items("resultSets")
    found = next((rs for rs in result_sets if isinstance(rs.value, dict) and rs.value.get("name") == name), None)
    if found is None:
        names = [rs.value.get("name") for rs in result_sets if isinstance(rs.value, dict)]
        raise doc.fail("resultSets", names, f"no {name} result set")
    headers = [header.value for header in found.items("headers")]
    for column in required:
        if column not in headers:
            raise found.fail("headers", headers, f"lacks the {column} column")
    for raw in found.items("rowSet"):
        if not isinstance(raw.value, list) or len(raw.value) != len(headers):
            raise Invalid(raw.path, raw.value, f"expected a list of {len(headers)} values in headers order")
        yield Node(dict(zip(headers, raw.value, strict=True)), raw.path)
