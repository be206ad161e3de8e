"""Bad payload corpus: every kind of broken phase-1 payload is refused by name, quarantined intact, and costs no row.

Each kind (built in :mod:`tests.reliability.payload_corpus`, for 2025-01-15) is served by a local HTTP source
to the real scraper, then read by the real raw processor on a real DuckDB warehouse. A good payload of the
day before is loaded first and a clean re-fetch of the day comes after: the table must end holding exactly
the rows of those two good payloads. Refused kinds must raise an error naming the file, the field path and
the value or reason, and be moved to quarantine byte for byte with ``<name>.error.txt`` beside them; the
ones the scraper already refuses are also dropped straight into the inbox, so the processor's own check is
tested too. Absorbed kinds must load exactly the clean payload's rows.

Where: *client* = the HTTP client's content check in the scraper, *scrape* = the scraper's size limit and its
reading of the injury report's PDF, *decode* / *parse* / *collapse* = the raw processor's byte (or PDF), field
and duplicate checks.

===============================  ==========================  ===============  ======================================
kind                             source                      caught by        the refusal says
===============================  ==========================  ===============  ======================================
truncated_json                   nbac_gamebook               client, decode   truncated JSON at line 1, column N
empty_body                       nbac_team_boxscore          client, decode   empty body
html_error_page                  nbac_schedule               client, decode   an HTML page instead of JSON
latin1_text                      espn_rosters                client, decode   not UTF-8: byte 0xe9 at offset N
utf16_text                       odds_api_game_lines         client, decode   not UTF-8: UTF-16 text (BOM ff fe)
huge_body                        bdl_boxscores               scrape, decode   larger than the N-byte payload limit
deeply_nested                    nbac_gamebook               client, decode   JSON nested too deeply to parse
top_level_array                  bdl_boxscores               decode           expected a JSON object, got an array
top_level_number                 odds_api_game_lines         decode           expected a JSON object, got a number
top_level_null                   nbac_team_boxscore          decode           expected a JSON object, got null
missing_required_key             nbac_schedule               parse            games[2].gameId: required field missing
null_where_required              nbac_gamebook               parse            familyName = None: must not be null
object_for_array                 odds_api_player_points_...  parse            events[0].data.bookmakers: expected array
string_for_number                nbac_gamebook               parse            points = '29': expected an integer
negative_minutes                 nbac_gamebook               parse            minutes = '-36:47': negative minutes
points_not_from_made_shots       nbac_gamebook               parse            points does not match 2*(fieldGoals...
score_out_of_range               nbac_schedule               parse            homeTeam.score = 999: must be at most 300
integer_beyond_int64             bdl_boxscores               parse            player.id: out of range for a 64-bit int
nan_literal                      odds_api_player_points_...  decode           point = 'NaN': non-finite number ...
number_overflows_to_infinity     odds_api_game_lines         decode           point = '1e999': too large to be finite
utc_timestamp_without_z          odds_api_player_points_...  parse            data.commence_time: not a UTC timestamp
live_lines_in_an_object          odds_api_game_lines         parse            (root) = ['events']: neither ... no id
live_event_without_bookmakers    odds_api_player_points_...  parse            events[0]: not an event: no bookmakers
truncated_pdf                    nbac_injury_report          client, decode   a damaged PDF (... Unexpected EOF)
json_for_pdf                     nbac_injury_report          client, decode   not a PDF: the body starts with ...
report_without_title             nbac_injury_report          scrape, decode   page 1 has no 'Injury Report: ...' title
unknown_team_name                nbac_injury_report          parse            lines[0].team = 'Seattle SuperSonics'
future_game_date                 nbac_schedule               parse            gameDate: more than 366 days from ...
payload_of_another_date          nbac_injury_report          parse            lists no game on the payload's date
box_score_of_another_game        nbac_gamebook               parse            gameId: the box score of another game
truncated_play_by_play           nbac_play_by_play           client, decode   truncated JSON at line 1, column N
feed_missing_for_a_final_game    nbac_play_by_play           parse            games: final games ... have none
feed_of_another_game             nbac_play_by_play           parse            gameId: the feed of another game
action_of_an_unknown_person      nbac_play_by_play           parse            personId = 1627759: not a player of ...
unknown_shot_area                nbac_play_by_play           parse            area = 'Paint (Non-RA)': expected one of
player_list_of_another_season    nbac_player_list            parse            Season = '2023-24': another season
unknown_team_code                espn_rosters                parse            abbreviation = 'SEA': unknown team code
conflicting_duplicate_rows       nbac_team_boxscore          collapse         rowSet[1] repeats the key ... assists
conflicting_duplicate_key        nbac_schedule               decode           gameSequence = 99: repeats this key
offer_of_unknown_event           bettingpros_player_props    parse            event_id: not one of the payload's events
missing_page                     bettingpros_player_props    parse            _pagination.page = 3: page 2 is missing
page_of_another_endpoint         bettingpros_player_props    parse            offer_pages[1]: not a page of /v3/offers
mixed_game_id_forms              nbac_gamebook               normalised       (rows equal the clean payload's)
postponed_game_in_scoreboard     nbac_gamebook               skipped          (rows equal the clean payload's)
verbatim_duplicate_rows          nbac_injury_report          normalised       (rows equal the clean payload's)
utf8_byte_order_mark             odds_api_game_lines         normalised       (rows equal the clean payload's)
===============================  ==========================  ===============  ======================================

A box score whose body comes truncated (NBA.com's second final game of the day) fails the fetch naming
that game's URL, keeps the body in quarantine, stores and loads nothing; the next fetch loads the day once.
So does a play-by-play feed the CDN does not have (404 for the second final game), keeping the scoreboard
and the first game's feed and live box score.

A fetch of several requests that loses the API mid-way (The Odds API out of credits, 401 or 429
``OUT_OF_USAGE_CREDITS``, on the third event of the day's player props) fails naming the refusal,
keeps the two answers received in quarantine, records what it cost, loads nothing; the next fetch
loads the day once.

At the Airflow level, a refused payload fails the daily DAG's run task with its run row and breaker failure
written, and a backfilled date records the refusal in ``nba_processing.processor_runs`` while the rest of
phases 1-2 goes on; the next run of the date loads the clean payload.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nba_pipeline.guards.skip_reasons import SkipReason
from nba_pipeline.guards.spec import Phase, ProcessorContext, ProcessorResult, ProcessorSkip, ProcessorSpec
from nba_pipeline.processors.raw import PayloadValidationError
from nba_pipeline.processors.raw.common import (
    collapse,
)
from nba_pipeline.registry.processors import RAW_TABLES
from nba_pipeline.scrapers.connections import API_CONNECTIONS
from nba_pipeline.scrapers.endpoints import ENDPOINTS
from nba_pipeline.scrapers.run import QUOTA_TABLE, IncompleteFetchError, QuarantinedPayloadError, scrape
from nba_pipeline.settings import get_settings
from nba_pipeline.sources.simulation import ET
from nba_pipeline.storage import PayloadStore
from tests.local_http import Reply, ScriptedServer, serving
from tests.reliability.payload_corpus import (
    DAY_AFTER,
    DAY_BEFORE,
    GAME_DAY,
    KINDS,
    PAYLOAD_LIMIT,
    PLAYER,
    LocalSource,
    clean,
    local_source,
    serve_payload,
)

GAMEBOOK = "nbac_gamebook_player_stats"
BAD_GAMEBOOK = next(k for k in KINDS if k.name == "points_not_from_made_shots")


@dataclass
class Corpus:
    root: Path
    store: PayloadStore
    source: LocalSource
    warehouse: Any


@pytest.fixture
def corpus(migrated_warehouse: Any, settings_env: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Corpus]:
    """A fresh warehouse and payload store, HTTP mode, every API connection pointing at a local source."""
    root = tmp_path / "payloads"
    settings_env.setenv("NBA_PAYLOAD_ROOT", str(root))
    settings_env.setenv("NBA_MAX_PAYLOAD_BYTES", str(PAYLOAD_LIMIT))
    settings_env.setenv("NBA_SOURCE_MODE", "http")
    with local_source() as source:
        for conn_id in {endpoint.conn_id for endpoint in ENDPOINTS.values()}:
            connection = {
                "conn_type": "http",
                "host": "127.0.0.1",
                "schema": "http",
                "port": source.port,
                "extra": {"timeout_seconds": 5, "max_attempts": 1},
            }
            settings_env.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(connection))
        get_settings.cache_clear()
        yield Corpus(root, PayloadStore(str(root)), source, migrated_warehouse)


def run(warehouse: Any, name: str, day: dt.date) -> ProcessorResult:
    """The raw processor's entry point, as the run task calls it."""
    spec = ProcessorSpec(name, Phase.RAW, run=RAW_TABLES[name], date_offset_days=0)
    ctx = ProcessorContext(
        warehouse=warehouse,
        processor=spec,
        event_date=day,
        backfill=False,
        run_id="corpus-run",
        dag_run_id="manual__corpus",
        try_number=1,
    )
    return spec.run(ctx)


def scrape_context(source: str) -> ProcessorContext:
    spec = ProcessorSpec(
        f"scrape_{source}", Phase.SCRAPERS, run=scrape, sources=(source,), breaker=None
    )
    return ProcessorContext(
        warehouse=None,
        processor=spec,
        event_date=GAME_DAY,
        backfill=False,
        run_id="corpus-scrape",
        dag_run_id="manual__corpus",
        try_number=1,
    )


def local(uri: str) -> Path:
    return Path(uri.removeprefix("file://"))


def _key(name: str) -> Any:
    columns = RAW_TABLES[name].key_columns
    return lambda row: tuple(row[c] for c in columns)


def table_rows(warehouse: Any, name: str) -> list[dict[str, Any]]:
    return sorted(warehouse.query(f"SELECT * FROM {RAW_TABLES[name].table}"), key=_key(name))


def content(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without the bookkeeping columns (when and from which file they were loaded)."""
    return [{k: v for k, v in row.items() if k not in ("loaded_at", "source_file_path")} for row in rows]


def expected(name: str, *payloads: tuple[bytes, dt.date]) -> list[dict[str, Any]]:
    """The rows good payloads must leave in the table, computed by the processor's own parser."""
    spec = RAW_TABLES[name]
    rows = [p.row for body, day in payloads for p in collapse(spec.parse(spec.decode(body), day), spec.key_columns)]
    return sorted(rows, key=_key(name))


def _morning_after(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(hour), tzinfo=ET)


# --------------------------------------------------------------------------- the corpus, kind by kind


def test_the_docstring_table_lists_every_kind():
    lines = __doc__.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("====")]
    listed = [line.split()[0] for line in lines[rules[1] + 1 : rules[2]]]
    assert listed == [kind.name for kind in KINDS]
    assert len(KINDS) >= 20 and len({kind.name for kind in KINDS}) == len(KINDS)


def test_the_payload_size_limit_defaults_to_64_mib(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.delenv("NBA_MAX_PAYLOAD_BYTES", raising=False)
    get_settings.cache_clear()
    assert get_settings().max_payload_bytes == 64 * 1024 * 1024


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_bad_payload_is_named_quarantined_and_costs_no_row(corpus: Corpus, kind: Any) -> None:
    name, warehouse, store = kind.processor, corpus.warehouse, corpus.store
    source = RAW_TABLES[name].source
    bad, good_before, good = kind.build(), clean(source, DAY_BEFORE), clean(source)
    want_before = expected(name, (good_before, DAY_BEFORE))
    want_day = expected(name, (good, GAME_DAY))
    assert want_before and want_day and bad != good

    # a good day, already loaded
    store.store(source, DAY_BEFORE, good_before, _morning_after(DAY_BEFORE))
    run(warehouse, name, DAY_BEFORE)
    loaded_before = table_rows(warehouse, name)
    assert content(loaded_before) == want_before

    # the bad body comes over HTTP; a clean re-fetch is queued behind it
    paths = serve_payload(corpus.source, source, GAME_DAY, *(() if kind.inbox else (bad,)), good)
    path = paths[0]
    if kind.inbox:  # no fetch stores it: it reaches the processor from the store
        bad_uri = store.store(source, GAME_DAY, bad, dt.datetime.now(dt.UTC))
    elif kind.scraper:
        with pytest.raises(QuarantinedPayloadError) as refused:
            scrape(scrape_context(source))
        message = str(refused.value)
        assert f"{source} for 2025-01-15: GET http://127.0.0.1:{corpus.source.port}{path}" in message
        assert kind.scraper in message and refused.value.quarantine_uri in message
        kept = local(refused.value.quarantine_uri)
        assert kept.parent == corpus.root / "quarantine" / source / "2025-01-15"
        assert kept.read_bytes() == bad, "the quarantined bytes are the bytes served"
        assert kind.scraper in kept.with_name(kept.name + ".error.txt").read_text()
        assert store.latest(source, GAME_DAY) is None
        with pytest.raises(ProcessorSkip) as nothing:
            run(warehouse, name, GAME_DAY)
        assert nothing.value.reason == SkipReason.NO_DATA
        # the same bytes reaching the inbox another way meet the processor's own check
        bad_uri = store.store(source, GAME_DAY, bad, dt.datetime.now(dt.UTC))
    else:
        bad_uri = scrape(scrape_context(source)).file_path
        assert local(bad_uri).read_bytes() == bad, "the scraper stores the bytes as served"

    if kind.path is None:
        absorbed = run(warehouse, name, GAME_DAY)
        assert content(table_rows(warehouse, name)) == sorted(want_before + want_day, key=_key(name))
        assert absorbed.rows_processed == absorbed.rows_inserted == len(want_day)
        assert store.quarantined(source, GAME_DAY) == []
    else:
        with pytest.raises(PayloadValidationError) as caught:
            run(warehouse, name, GAME_DAY)
        error, message = caught.value, str(caught.value)
        assert error.path == kind.path
        assert message.startswith(f"invalid payload {bad_uri}: {kind.path} = "), message
        missing = [fragment for fragment in kind.fragments if fragment not in message]
        assert not missing, f"{missing} not in {message!r}"
        assert "Traceback" not in message and len(message) < 1000
        kept = local(error.quarantine_uri)
        assert kept.parent == corpus.root / "quarantine" / source / "2025-01-15"
        assert kept.name == local(bad_uri).name and not local(bad_uri).exists()
        assert kept.read_bytes() == bad, "the quarantined bytes are the bytes stored"
        assert kept.with_name(kept.name + ".error.txt").read_text() == message + "\n"
        assert store.latest(source, GAME_DAY) is None
        assert table_rows(warehouse, name) == loaded_before, "the refused payload touched no row"

    # the source recovers: the clean re-fetch loads exactly the clean rows, once
    refetched = scrape(scrape_context(source))
    result = run(warehouse, name, GAME_DAY)
    assert result.file_path == refetched.file_path and local(result.file_path).read_bytes() == good
    final = table_rows(warehouse, name)
    assert content(final) == sorted(want_before + want_day, key=_key(name))
    assert len(final) == len(want_before) + len(want_day)
    if kind.path is None:
        assert (result.rows_inserted, result.rows_updated) == (0, 0), "the absorbed payload already held these rows"
    else:
        assert (result.rows_inserted, result.rows_updated) == (len(want_day), 0)
        assert bad_uri not in {row["source_file_path"] for row in final}
    assert not any(corpus.source.queues[p] for p in paths), "every body served was fetched"


# --------------------------------------------------------------------------- at the Airflow level


class _TaskInstance:
    """The part of a task instance the run task uses: its identity, its try number and XCom."""

    dag_id = "nba_daily_pipeline"
    map_index = -1
    try_number = 1

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, task_ids: Any = None, key: str = "return_value") -> Any:
        return None


def _breaker(warehouse: Any, name: str) -> dict[str, Any]:
    (row,) = warehouse.query(
        "SELECT state, failure_count, last_error_type, last_error_message "
        "FROM nba_orchestration.circuit_breaker_state WHERE processor_name = @p",
        {"p": name},
    )
    return row


def test_the_daily_run_task_fails_with_its_run_row_and_the_team_box_score_goes_on(corpus: Corpus) -> None:
    """The daily DAG's run task (RunProcessorOperator) for the 16th reads the 15th's box scores."""
    from nba_pipeline.dag.run_task import RunProcessorOperator
    from nba_pipeline.registry.guard_tables import GUARD_TABLES
    from nba_pipeline.registry.processors import RAW

    specs = {spec.name: spec for spec in RAW}
    warehouse, store = corpus.warehouse, corpus.store
    bad_uri = store.store("nbac_gamebook", GAME_DAY, BAD_GAMEBOOK.build(), _morning_after(GAME_DAY))
    store.store("nbac_team_boxscore", GAME_DAY, clean("nbac_team_boxscore"), _morning_after(GAME_DAY))
    context = {
        "params": {"game_date": DAY_AFTER.isoformat()},
        "logical_date": _morning_after(GAME_DAY, 12),
        "run_id": "manual__bad_payload_corpus",
        "ti": _TaskInstance(f"raw.{GAMEBOOK}.run"),
    }

    gamebook = RunProcessorOperator(
        task_id=f"raw.{GAMEBOOK}.run", processor=specs[GAMEBOOK], tables=GUARD_TABLES, game_date=DAY_AFTER.isoformat()
    )
    with pytest.raises(PayloadValidationError) as caught:
        gamebook.execute(context)
    (row,) = warehouse.query("SELECT * FROM nba_processing.processor_runs WHERE processor_name = @p", {"p": GAMEBOOK})
    assert row["status"] == "failed" and row["error_message"] == str(caught.value)
    assert bad_uri in row["error_message"] and f"{PLAYER}.statistics.points" in row["error_message"]
    assert "does not match 2*(fieldGoalsMade-threePointersMade) + 3*threePointersMade" in row["error_message"]
    opts = json.loads(row["opts"])
    assert (opts["game_date"], opts["target_date"]) == ("2025-01-16", "2025-01-15")  # the run's, its box scores'
    assert (row["dag_run_id"], row["task_id"], row["try_number"]) == (
        "manual__bad_payload_corpus", f"raw.{GAMEBOOK}.run", 1)
    breaker = _breaker(warehouse, GAMEBOOK)
    assert (breaker["state"], breaker["failure_count"], breaker["last_error_type"]) == (
        "CLOSED",
        1,
        "PayloadValidationError",
    )
    assert breaker["last_error_message"].startswith(f"invalid payload {bad_uri}")
    assert table_rows(warehouse, GAMEBOOK) == []

    team = RunProcessorOperator(
        task_id="raw.nbac_team_boxscore.run",
        processor=specs["nbac_team_boxscore"],
        tables=GUARD_TABLES,
        game_date=DAY_AFTER.isoformat(),
    )
    record = team.execute({**context, "ti": _TaskInstance("raw.nbac_team_boxscore.run")})
    want = expected("nbac_team_boxscore", (clean("nbac_team_boxscore"), GAME_DAY))
    assert record["status"] == "success" and record["rows_inserted"] == len(want) == 20
    assert content(table_rows(warehouse, "nbac_team_boxscore")) == want


def test_a_backfilled_date_records_the_refusal_and_phases_one_and_two_go_on(corpus: Corpus, settings_env) -> None:
    """Scrapers (simulated league) and raw processors of the 16th through the backfill runner, twice."""
    from nba_pipeline.backfill import run_date
    from nba_pipeline.registry.processors import CALENDAR, backfill_processors

    settings_env.setenv("NBA_SOURCE_MODE", "simulated")
    get_settings.cache_clear()
    warehouse, store = corpus.warehouse, corpus.store
    processors = [spec for spec in backfill_processors() if spec.phase.value <= 2]
    raw_names = {spec.name for spec in processors if spec.phase.value == 2}
    bad = BAD_GAMEBOOK.build()
    # fetched an hour after the scheduled scrape: the newest gamebook payload of the 15th
    bad_uri = store.store("nbac_gamebook", GAME_DAY, bad, _morning_after(GAME_DAY, 11))

    first = run_date(warehouse, processors, CALENDAR, DAY_AFTER, dag_run_id="backfill__corpus_1")
    assert first.outcome.pop(GAMEBOOK) == "failed"
    assert set(first.outcome.values()) == {"success"} and len(first.outcome) == len(processors) - 1
    runs = {
        r["processor_name"]: r
        for r in warehouse.query("SELECT processor_name, status, error_message FROM nba_processing.processor_runs")
    }
    assert set(runs) == raw_names
    failed = runs.pop(GAMEBOOK)
    assert failed["status"] == "failed"
    assert failed["error_message"].startswith(f"invalid payload {bad_uri}: {PLAYER}.statistics.points = ")
    assert "does not match 2*(fieldGoalsMade-threePointersMade) + 3*threePointersMade" in failed["error_message"]
    assert {r["status"] for r in runs.values()} == {"success"}
    assert _breaker(warehouse, GAMEBOOK)["last_error_type"] == "PayloadValidationError"
    assert table_rows(warehouse, GAMEBOOK) == []
    assert all(table_rows(warehouse, name) for name in raw_names - {GAMEBOOK}), "the rest of the phase loaded"
    (kept,) = store.quarantined("nbac_gamebook", GAME_DAY)
    assert local(kept).read_bytes() == bad

    # the scheduled (clean) payload stayed in the inbox: the next run of the date loads it, and only it
    others = {name: table_rows(warehouse, name) for name in raw_names - {GAMEBOOK}}
    second = run_date(warehouse, processors, CALENDAR, DAY_AFTER, dag_run_id="backfill__corpus_2")
    assert set(second.outcome.values()) == {"success"}
    assert content(table_rows(warehouse, GAMEBOOK)) == expected(GAMEBOOK, (clean("nbac_gamebook"), GAME_DAY))
    assert {name: table_rows(warehouse, name) for name in others} == others, "a rerun changes no other table"


# --------------------------------------------------------------------------- a quota exhausted mid-fetch

_OUT_OF_CREDITS = json.dumps(
    {
        "message": "Usage quota has been reached. See usage plans at https://the-odds-api.com",
        "error_code": "OUT_OF_USAGE_CREDITS",
        "details_url": "https://the-odds-api.com/liveapi/guides/v4/api-error-codes.html#out_of_usage_credits",
    }
).encode()


def _billed(cost: int, used: int) -> dict[str, str]:
    return {"x-requests-last": str(cost), "x-requests-used": str(used), "x-requests-remaining": str(500 - used)}


@pytest.mark.parametrize("status", [401, 429])
def test_quota_exhausted_on_the_third_event_keeps_what_came_and_loads_the_day_once(
    corpus: Corpus, settings_env: pytest.MonkeyPatch, status: int
) -> None:
    source, name = "odds_api_player_points_props", "odds_api_player_points_props"
    endpoint, good = ENDPOINTS[source], clean(source)
    answers = json.loads(good)["events"]
    events = [{k: v for k, v in a["data"].items() if k != "bookmakers"} for a in answers]
    index = json.dumps({"timestamp": answers[0]["timestamp"], "data": events}).encode()
    ctx = dataclasses.replace(scrape_context(source), warehouse=corpus.warehouse)
    with serving(ScriptedServer()) as api:
        api.script(ENDPOINTS["odds_api_events"].request(GAME_DAY)[0], Reply(200, index, _billed(1, 480)))
        for n, answer in enumerate(answers):
            ok = Reply(200, json.dumps(answer).encode(), _billed(10, 490))
            refused = Reply(status, _OUT_OF_CREDITS, _billed(0, 500))
            api.script(endpoint.request(GAME_DAY, item=answer["data"]["id"])[0], *((refused, ok) if n == 2 else (ok,)))
        connection = API_CONNECTIONS["nba_odds_api"].definition(
            "odds-key", host="127.0.0.1", port=api.port, timeout_seconds=5, max_attempts=1
        )  # the production connection, at the local API; a 429 is not retried here
        settings_env.setenv("AIRFLOW_CONN_NBA_ODDS_API", json.dumps(connection))
        get_settings.cache_clear()

        with pytest.raises(IncompleteFetchError) as stopped:
            scrape(ctx)
        message = str(stopped.value)
        for fragment in (f"status {status}", "OUT_OF_USAGE_CREDITS", f"after 2 of the {len(answers)} items"):
            assert fragment in message, (fragment, message)
        assert "odds-key" not in message
        kept = local(stopped.value.kept_uri)
        assert kept.parent == corpus.root / "quarantine" / source / "2025-01-15"
        assert json.loads(kept.read_bytes())["events"] == answers[:2], "the two answers received, as received"
        assert "OUT_OF_USAGE_CREDITS" in kept.with_name(kept.name + ".error.txt").read_text()
        assert corpus.store.latest(source, GAME_DAY) is None
        with pytest.raises(ProcessorSkip) as nothing:
            run(corpus.warehouse, name, GAME_DAY)
        assert nothing.value.reason == SkipReason.NO_DATA

        # credits again: the next fetch gets every event, and the day is loaded once
        fetched = scrape(ctx)
        assert local(fetched.file_path).read_bytes() == good, "the answers stored together, byte for byte"
        assert (fetched.details["requests"], fetched.details["quota_used"]) == (1 + len(answers), 1 + 10 * len(answers))
        loaded = run(corpus.warehouse, name, GAME_DAY)
        again = run(corpus.warehouse, name, GAME_DAY)
    want = expected(name, (good, GAME_DAY))
    assert content(table_rows(corpus.warehouse, name)) == want and loaded.rows_inserted == len(want)
    assert (again.rows_inserted, again.rows_updated) == (0, 0)
    ledger = corpus.warehouse.query(f"SELECT status, requests, quota_used FROM {QUOTA_TABLE} ORDER BY recorded_at")
    assert [(r["status"], r["requests"], r["quota_used"]) for r in ledger] == [
        ("stopped", 4, 1 + 10 + 10 + 0),
        ("success", 1 + len(answers), 1 + 10 * len(answers)),
    ]


def test_a_truncated_box_score_fails_the_fetch_by_its_game_and_the_next_fetch_loads_the_day_once(
    corpus: Corpus,
) -> None:
    source, name = "nbac_gamebook", GAMEBOOK
    endpoint, good = ENDPOINTS[source], clean(source)
    document = json.loads(good)
    boxes = [json.dumps(box, separators=(",", ":")).encode() for box in document["games"]]
    second = document["games"][1]["boxScoreTraditional"]["gameId"]
    index_path, box_path = endpoint.index_request(GAME_DAY)[0], endpoint.request(GAME_DAY, item=second)[0]
    corpus.source.serve(index_path, json.dumps(document["scoreboard"]).encode())
    corpus.source.serve(box_path, boxes[0], boxes[1][: len(boxes[1]) // 2])

    with pytest.raises(QuarantinedPayloadError) as refused:
        scrape(scrape_context(source))
    message = str(refused.value)
    assert f"{box_path}?" in message and f"GameID={second}" in message and "invalid JSON" in message, message
    kept = local(refused.value.quarantine_uri)
    assert kept.parent == corpus.root / "quarantine" / source / "2025-01-15"
    assert kept.read_bytes() == boxes[1][: len(boxes[1]) // 2], "the truncated body, as served"
    _nothing_stored_then_the_whole_day_loads_once(corpus, source, name, good)


def test_a_feed_the_cdn_does_not_have_fails_the_fetch_by_its_url_and_the_next_fetch_loads_the_day_once(
    corpus: Corpus,
) -> None:
    source, name = "nbac_play_by_play", "nbac_play_by_play"
    endpoint, good = ENDPOINTS[source], clean(source)
    document = json.loads(good)
    feed, box = document["games"][0], document["boxscores"][0]
    (_, feed_path, _), (_, box_path, _) = endpoint.item_requests(GAME_DAY, feed["game"]["gameId"])
    second = document["games"][1]["game"]["gameId"]
    missing = endpoint.item_requests(GAME_DAY, second)[0][1]
    corpus.source.serve(endpoint.index_request(GAME_DAY)[0], json.dumps(document["scoreboard"]).encode())
    corpus.source.serve(feed_path, json.dumps(feed).encode())
    corpus.source.serve(box_path, json.dumps(box).encode())  # then nothing for the second game: 404

    with pytest.raises(IncompleteFetchError) as stopped:
        scrape(scrape_context(source))
    message = str(stopped.value)
    assert f"http://127.0.0.1:{corpus.source.port}{missing}" in message and "after 1 of the" in message, message
    kept = local(stopped.value.kept_uri)
    assert kept.parent == corpus.root / "quarantine" / source / "2025-01-15"
    assert json.loads(kept.read_bytes()) == {"scoreboard": document["scoreboard"], "games": [feed], "boxscores": [box]}
    _nothing_stored_then_the_whole_day_loads_once(corpus, source, name, good)


def _nothing_stored_then_the_whole_day_loads_once(corpus: Corpus, source: str, name: str, good: bytes) -> None:
    """After a refused fetch nothing is stored and the raw processor skips with ``no_data``; the next
    fetch of the whole day stores every answer together, and the day loads once (a rerun adds nothing)."""
    assert corpus.store.latest(source, GAME_DAY) is None
    with pytest.raises(ProcessorSkip) as nothing:
        run(corpus.warehouse, name, GAME_DAY)
    assert nothing.value.reason == SkipReason.NO_DATA

    serve_payload(corpus.source, source, GAME_DAY, good)
    fetched = scrape(scrape_context(source))
    assert local(fetched.file_path).read_bytes() == good, "every answer of the day, stored together"
    loaded = run(corpus.warehouse, name, GAME_DAY)
    again = run(corpus.warehouse, name, GAME_DAY)
    want = expected(name, (good, GAME_DAY))
    assert content(table_rows(corpus.warehouse, name)) == want and loaded.rows_inserted == len(want)
    assert (again.rows_inserted, again.rows_updated) == (0, 0)
