"""Who gets a prediction on a game date, and how the slate is cut into batches.

Eligible: in ``nba_analytics.upcoming_player_game_context`` for the date, not OUT or DOUBTFUL, and
averaging at least 15 minutes over the last 7 days, or over the last 14 when the player had no game
in those 7 (a break: after the All-Star week or before the playoffs nobody has played for six days,
and a 7-day rule alone would leave the first slate after it almost empty). The line is the book line the analytics layer
chose (DraftKings, then FanDuel, then any book, then BettingPros); without one it is estimated from
``points_avg_last_10`` as the nearest value ending in .5 (the form book lines take) and flagged.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from nba_pipeline.warehouse.base import Warehouse

UPGC_TABLE = "nba_analytics.upcoming_player_game_context"
MIN_AVG_MINUTES = 15.0
EXCLUDED_STATUSES = ("out", "doubtful")
ESTIMATED_SOURCE = "estimated"
DEFAULT_BATCH_SIZE = 45

_ELIGIBLE_SQL = f"""
SELECT
  player_lookup, universal_player_id, game_id, game_date, team_abbr, opponent_team_abbr,
  COALESCE(home_game, FALSE) AS is_home, player_status, avg_minutes_per_game_last_7,
  current_points_line, line_source, points_avg_last_10
FROM (
  SELECT u.*, ROW_NUMBER() OVER (PARTITION BY u.player_lookup ORDER BY u.game_id) AS pick
  FROM {UPGC_TABLE} AS u
  WHERE u.game_date = @game_date
)
WHERE pick = 1
  AND LOWER(COALESCE(player_status, 'available')) NOT IN UNNEST(@excluded_statuses)
  AND COALESCE(avg_minutes_per_game_last_7,
               SAFE_DIVIDE(minutes_in_last_14_days, NULLIF(games_in_last_14_days, 0))) >= @min_minutes
ORDER BY game_id, player_lookup
"""


#: Each player of the date's context in exactly one group: why he is, or is not, on the slate.
_GROUPS_SQL = f"""
SELECT
  CASE
    WHEN LOWER(COALESCE(player_status, 'available')) IN UNNEST(@excluded_statuses) THEN 'out or doubtful'
    WHEN COALESCE(games_in_last_14_days, 0) = 0 AND avg_minutes_per_game_last_7 IS NULL
      THEN 'no game in the last 14 days'
    WHEN COALESCE(avg_minutes_per_game_last_7,
                  SAFE_DIVIDE(minutes_in_last_14_days, NULLIF(games_in_last_14_days, 0))) < @min_minutes
      THEN 'under the minutes threshold'
    WHEN current_points_line IS NULL THEN 'eligible, line estimated'
    ELSE 'eligible, book line'
  END AS grp,
  COUNT(DISTINCT player_lookup) AS players
FROM {UPGC_TABLE}
WHERE game_date = @game_date
GROUP BY grp
ORDER BY grp
"""


def slate_groups(warehouse: Warehouse, game_date: dt.date) -> dict[str, int]:
    """How many of the date's expected players fall in each group (out or doubtful, no recent game,
    under the minutes threshold, eligible with a book or an estimated line): what a run says when it
    predicts fewer players than the teams have, or none (the season's first days)."""
    rows = warehouse.query(
        _GROUPS_SQL,
        {"game_date": game_date, "excluded_statuses": list(EXCLUDED_STATUSES), "min_minutes": MIN_AVG_MINUTES},
    )
    return {row["grp"]: int(row["players"]) for row in rows}


def describe_groups(groups: Mapping[str, int]) -> str:
    """``12 eligible, book line; 3 out or doubtful`` (``no player in the date's context``)."""
    return "; ".join(f"{n} {group}" for group, n in groups.items()) or "no player in the date's context"


@dataclass(frozen=True)
class EligiblePlayer:
    """One player to predict, with the line to predict against.

    ``line`` is None only when there is neither a book line nor a points average to estimate one
    from; the worker then skips the player with ``no_data``.
    """

    player_lookup: str
    game_id: str
    game_date: dt.date
    team_abbr: str
    opponent_team_abbr: str
    is_home: bool
    line: float | None
    line_source: str | None
    line_estimated: bool
    universal_player_id: str | None = None
    player_status: str | None = None
    avg_minutes_last_7: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["game_date"] = self.game_date.isoformat()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EligiblePlayer:
        values = dict(data)
        values["game_date"] = dt.date.fromisoformat(str(values["game_date"]))
        return cls(**values)


def estimate_line(points_avg_last_10: float | None) -> float | None:
    """The nearest value ending in .5 (17.3 → 17.5, 18.1 → 18.5, 17.0 → 17.5); None without an average."""
    if points_avg_last_10 is None:
        return None
    return math.floor(float(points_avg_last_10)) + 0.5


def choose_line(
    current_points_line: float | None, line_source: str | None, points_avg_last_10: float | None
) -> tuple[float | None, str | None, bool]:
    """(line, source, estimated): the book line when there is one, else the estimate."""
    if current_points_line is not None:
        return float(current_points_line), line_source or "unknown", False
    estimate = estimate_line(points_avg_last_10)
    if estimate is None:
        return None, None, False
    return estimate, ESTIMATED_SOURCE, True


def eligible_players(warehouse: Warehouse, game_date: dt.date) -> list[EligiblePlayer]:
    """The date's eligible players, ordered by game and player (one query)."""
    rows = warehouse.query(
        _ELIGIBLE_SQL,
        {"game_date": game_date, "excluded_statuses": list(EXCLUDED_STATUSES), "min_minutes": MIN_AVG_MINUTES},
    )
    players = []
    for row in rows:
        line, source, estimated = choose_line(row["current_points_line"], row["line_source"], row["points_avg_last_10"])
        players.append(
            EligiblePlayer(
                player_lookup=row["player_lookup"],
                game_id=row["game_id"],
                game_date=row["game_date"],
                team_abbr=row["team_abbr"],
                opponent_team_abbr=row["opponent_team_abbr"],
                is_home=bool(row["is_home"]),
                line=line,
                line_source=source,
                line_estimated=estimated,
                universal_player_id=row["universal_player_id"],
                player_status=row["player_status"],
                avg_minutes_last_7=row["avg_minutes_per_game_last_7"],
            )
        )
    return players


def drop_ineligible(warehouse: Warehouse, game_date: dt.date, players: Sequence[EligiblePlayer]) -> int:
    """Delete the date's predictions (and worker run rows) of players an earlier run of the date
    predicted but who are not eligible now: a rerun converges to the slate it predicts. Returns the
    predictions deleted. Not called for an empty slate, which says more about missing inputs than
    about the players."""
    from nba_pipeline.predictions.worker.writes import PREDICTIONS_TABLE, RUNS_TABLE
    from nba_pipeline.warehouse.base import QueryParam

    params = {"d": game_date, "players": QueryParam(sorted({p.player_lookup for p in players}), "ARRAY<STRING>")}
    where = "WHERE game_date = @d AND player_lookup NOT IN UNNEST(@players)"
    deleted = warehouse.execute(f"DELETE FROM {PREDICTIONS_TABLE} {where}", params)
    warehouse.execute(f"DELETE FROM {RUNS_TABLE} {where}", params)
    return deleted


def make_batches(
    players: Sequence[EligiblePlayer],
    batch_size: int = DEFAULT_BATCH_SIZE,
    ensemble_weights: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Cut the slate into ``ceil(n / batch_size)`` batches whose sizes differ by at most one.

    Each batch is a JSON-serialisable dict (``game_date``, ``batch_index``, ``batch_count``,
    ``players``, and the slate's learned ``ensemble_weights``), ready for XCom and ``.expand()``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if not players:
        return []
    dates = {p.game_date for p in players}
    if len(dates) != 1:
        raise ValueError(f"a slate has one game date, got {sorted(dates)}")
    count = math.ceil(len(players) / batch_size)
    base, extra = divmod(len(players), count)
    batches, start = [], 0
    for index in range(count):
        size = base + (1 if index < extra else 0)
        members = players[start : start + size]
        start += size
        batches.append(
            {
                "game_date": players[0].game_date.isoformat(),
                "batch_index": index,
                "batch_count": count,
                "players": [p.to_json() for p in members],
                "ensemble_weights": dict(ensemble_weights or {}),
            }
        )
    return batches


def batch_label(batch: Mapping[str, Any]) -> str:
    """How a batch is named in the UI: ``batch 3: 45 players``."""
    return f"batch {batch['batch_index']}: {len(batch['players'])} players"
