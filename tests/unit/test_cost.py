"""Pricing statements by BigQuery's on-demand rules: referenced tables and columns, logical sizes,
the 10 MiB minimum per table read."""

from __future__ import annotations

import datetime as dt

from nba_pipeline.cost import MIB, PricedWarehouse, billed, referenced


def test_a_statement_names_its_tables_and_columns_not_its_ctes():
    tables, reads = referenced(
        "WITH recent AS (SELECT player_lookup, points FROM nba_analytics.player_game_summary "
        "WHERE game_date >= @d) MERGE nba_precompute.player_daily_cache T USING recent S "
        "ON T.player_lookup = S.player_lookup WHEN NOT MATCHED THEN INSERT (player_lookup) VALUES (S.player_lookup)"
    )
    assert reads and set(tables) == {"nba_analytics.player_game_summary", "nba_precompute.player_daily_cache"}
    assert {"player_lookup", "points", "game_date"} <= tables["nba_analytics.player_game_summary"]
    star, _ = referenced("SELECT * FROM nba_raw.nbac_schedule")
    assert star == {"nba_raw.nbac_schedule": None}  # every column
    count, _ = referenced("SELECT COUNT(*) AS n FROM nba_raw.nbac_schedule")
    assert count == {"nba_raw.nbac_schedule": set()}  # COUNT(*) reads no column: BigQuery bills nothing
    assert referenced("CREATE TABLE IF NOT EXISTS nba_raw.x (a INT64)")[1] is False


def test_billing_rounds_up_to_a_mib_with_ten_mib_per_table_read():
    assert billed(0) == 0
    assert billed(1) == 10 * MIB
    assert billed(10 * MIB + 1) == 11 * MIB


def test_logical_sizes_follow_bigquerys_data_size_rules(migrated_warehouse):
    priced = PricedWarehouse(migrated_warehouse)
    migrated_warehouse.insert_rows("nba_orchestration.backfill_progress", [
        {"game_date": dt.date(2025, 1, 15), "status": "complete", "dag_run_id": "abc", "processors_run": 3,
         "completed_at": dt.datetime(2025, 1, 16, tzinfo=dt.UTC)},
        {"game_date": dt.date(2025, 1, 16), "status": "failed", "dag_run_id": None, "processors_run": None,
         "completed_at": dt.datetime(2025, 1, 17, tzinfo=dt.UTC)},
    ])
    cost = priced.price("SELECT game_date, status, dag_run_id, processors_run FROM nba_orchestration.backfill_progress")
    # DATE 8 + 8; STRING 2+8 ("complete") + 2+6 ("failed"); "abc" 2+3, NULL 0; INT64 8, NULL 0
    assert cost.bytes_processed == 16 + 18 + 5 + 8
    assert cost.bytes_billed == 10 * MIB and cost.tables == ("nba_orchestration.backfill_progress",)
    assert priced.price("SELECT COUNT(*) AS n FROM nba_orchestration.backfill_progress").bytes_billed == 0


def test_on_bigquery_every_transform_statement_is_dry_run_for_its_target_date():
    from nba_pipeline.cost import dry_run_transforms
    from nba_pipeline.registry.processors import daily_processors

    class DryRuns:
        def __init__(self) -> None:
            self.calls: list[tuple[str, dict]] = []

        def dry_run(self, sql: str, params: dict) -> int:
            self.calls.append((sql, params))
            return 3 * MIB + 1

    bigquery = DryRuns()
    costs = dry_run_transforms(bigquery, dt.date(2025, 1, 15))
    transforms = {p.name: p for p in daily_processors() if p.sql}
    assert {c.processor for c in costs} == set(transforms) and len(costs) == len(bigquery.calls)
    by_name = {c.processor: c for c in costs}
    assert by_name["player_game_summary"].bytes_processed == 3 * MIB + 1
    # at least 10 MiB per table named, rounded up to a MiB
    assert by_name["player_game_summary"].bytes_billed == 10 * MIB * len(by_name["player_game_summary"].tables)
    dates = {params["target_date"] for _, params in bigquery.calls}
    assert dates == {dt.date(2025, 1, 15), dt.date(2025, 1, 14)}  # box scores: the day before
