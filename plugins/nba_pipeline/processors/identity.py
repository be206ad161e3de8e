"""The player registry's rules: which person a source's row is about (pure, no warehouse).

Sources that carry an id of their own (NBA.com ``personId``, balldontlie ``player.id``, ESPN's
athlete id) are *listing* sources: a known id resolves at once; an unknown one is bound to the
person of the same team whose name fits and who has no id from that source yet, or else starts a
new person. Sources that carry only a name (the books, the injury report) are *naming* sources:
the name must fit exactly one person of the row's team (either team of the game when the source
names none), or the row is held — ``unresolved_player`` when no one fits, ``ambiguous_player``
when several do. A name is compared on :class:`~nba_pipeline.player_names.NameKeys`, strictest
key first, against every spelling the listing sources gave the person; a name that fits one
person at a strict key is not looked up at a looser one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nba_pipeline.player_names import KEY_TIERS, NameKeys, display_name, name_keys, player_lookup, universal_player_id

#: the listing sources' id kinds, each with its registry columns (id, then the source's spelling)
ID_KINDS: dict[str, tuple[str, str]] = {
    "nba": ("nba_person_id", "nba_player_name"),
    "bdl": ("bdl_player_id", "bdl_player_name"),
    "espn": ("espn_player_id", "espn_player_name"),
}
#: ``resolved_by`` of a name match, per :class:`NameKeys` tier
MATCHED_BY = ("exact_name", "name_without_suffix", "nickname")
BY_SOURCE_ID = "source_id"
NEW_PLAYER = "new_player"
UNRESOLVED = "unresolved_player"
AMBIGUOUS = "ambiguous_player"
_SEQUENCE = re.compile(r"^(?P<lookup>.*)_(?P<n>\d{3})$")


@dataclass
class Person:
    """One registry row (the columns of ``nba_analytics.player_registry`` but ``loaded_at``)."""

    universal_player_id: str
    player_lookup: str
    player_name: str
    first_seen_date: dt.date
    last_seen_date: dt.date
    team_abbr: str | None = None
    nba_person_id: int | None = None
    bdl_player_id: int | None = None
    espn_player_id: str | None = None
    nba_player_name: str | None = None
    bdl_player_name: str | None = None
    espn_player_name: str | None = None

    def source_id(self, kind: str) -> str | None:
        value = getattr(self, ID_KINDS[kind][0])
        return None if value is None else str(value)

    def spellings(self) -> set[str]:
        """Every name the listing sources gave him."""
        names = (self.player_name, self.nba_player_name, self.bdl_player_name, self.espn_player_name)
        return {name for name in names if name}

    def row(self) -> dict[str, Any]:
        """His columns; every value is a str, int or date, so no copy is made (``asdict`` deep-copies,
        which was a sixth of a backfilled date's time)."""
        return {name: getattr(self, name) for name in _PERSON_COLUMNS}


_PERSON_COLUMNS = tuple(field.name for field in dataclasses.fields(Person))


@dataclass(frozen=True)
class SourceRow:
    """A raw row's player as a source names him (one per source, date, scope and player_lookup).

    :param scope: the game id, or for a roster the team.
    :param teams: the teams he can be on: his team, or both teams of the game when the source says
        nothing of his team (the Odds API).
    :param id_kind: ``nba`` / ``bdl`` / ``espn`` for a listing source, None for a naming one.
    """

    source: str
    game_date: dt.date
    scope: str
    player_lookup: str
    raw_name: str
    teams: frozenset[str]
    game_id: str | None = None
    team_abbr: str | None = None
    id_kind: str | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class Resolution:
    """What a row resolved to: a person, or a hold with its reason (and the candidates if several)."""

    universal_player_id: str | None
    resolved_by: str | None = None
    skip_reason: str | None = None
    candidates: tuple[str, ...] = ()
    team_abbr: str | None = None

    @property
    def held(self) -> bool:
        return self.universal_player_id is None


class Registry:
    """The registry in memory: people indexed by source id and by name key; ``changed`` names the
    people a resolution created or updated, to be written back."""

    def __init__(self, people: Iterable[Person] = ()) -> None:
        self.people: dict[str, Person] = {}
        self.changed: set[str] = set()
        self._by_id: dict[tuple[str, str], str] = {}
        self._by_key: list[dict[str, set[str]]] = [defaultdict(set) for _ in range(KEY_TIERS)]
        self._keys: dict[str, list[NameKeys]] = {}
        #: (date, universal id) → the team a listing source placed him on that date
        self._teams_on: dict[tuple[dt.date, str], str] = {}
        for person in people:
            self._add(person)

    # ------------------------------------------------------------------ resolving

    def resolve(self, row: SourceRow) -> Resolution:
        """Resolve one row; listing rows may bind an id to a person or create one."""
        if row.id_kind is not None and row.source_id is not None:
            return self._resolve_listed(row, row.id_kind, row.source_id)
        return self._resolve_named(row)

    def _resolve_listed(self, row: SourceRow, kind: str, source_id: str) -> Resolution:
        known = self._by_id.get((kind, source_id))
        if known is not None:
            return self._seen(self.people[known], row, kind, BY_SOURCE_ID)

        def unbound_teammate(person: Person) -> bool:
            return person.source_id(kind) is None and self._team_on(person, row.game_date) in row.teams

        hits, level = self._match(name_keys(row.raw_name), unbound_teammate)
        if len(hits) > 1:
            return Resolution(None, skip_reason=AMBIGUOUS, candidates=tuple(p.universal_player_id for p in hits))
        if hits:
            person = hits[0]
            by = MATCHED_BY[level]
        else:
            person = self._new_person(row)
            by = NEW_PLAYER
        self._bind(person, kind, source_id)
        return self._seen(person, row, kind, by)

    def _resolve_named(self, row: SourceRow) -> Resolution:
        hits, level = self._match(name_keys(row.raw_name), lambda p: self._team_on(p, row.game_date) in row.teams)
        if len(hits) > 1:
            return Resolution(None, skip_reason=AMBIGUOUS, candidates=tuple(p.universal_player_id for p in hits))
        if not hits:
            return Resolution(None, skip_reason=UNRESOLVED)
        person = hits[0]
        return Resolution(
            person.universal_player_id, MATCHED_BY[level], team_abbr=self._team_on(person, row.game_date)
        )

    def _match(self, keys: NameKeys, allowed: Callable[[Person], bool]) -> tuple[list[Person], int]:
        """The people allowed whose names fit at the strictest tier where any does, and that tier."""
        for level in range(KEY_TIERS):
            ids = self._by_key[level].get(keys.tier(level), set())
            hits = [self.people[uid] for uid in sorted(ids) if allowed(self.people[uid])]
            if hits:
                return hits, level
        return [], -1

    def _team_on(self, person: Person, day: dt.date) -> str | None:
        """His team on ``day`` as a listing source had it, else the registry's latest."""
        return self._teams_on.get((day, person.universal_player_id), person.team_abbr)

    # ------------------------------------------------------------------ changing

    def _new_person(self, row: SourceRow) -> Person:
        lookup = row.player_lookup or player_lookup(row.raw_name)
        taken = [
            int(match["n"])
            for uid in self.people
            if (match := _SEQUENCE.match(uid)) is not None and match["lookup"] == lookup
        ]
        person = Person(
            universal_player_id=universal_player_id(lookup, max(taken, default=0) + 1),
            player_lookup=lookup,
            player_name=display_name(row.raw_name),
            first_seen_date=row.game_date,
            last_seen_date=row.game_date,
            team_abbr=row.team_abbr,
        )
        self._add(person)
        self.changed.add(person.universal_player_id)
        return person

    def _bind(self, person: Person, kind: str, source_id: str) -> None:
        id_column = ID_KINDS[kind][0]
        setattr(person, id_column, int(source_id) if id_column != "espn_player_id" else source_id)
        self._by_id[(kind, source_id)] = person.universal_player_id
        self.changed.add(person.universal_player_id)

    def _seen(self, person: Person, row: SourceRow, kind: str, by: str) -> Resolution:
        """Record that a listing source listed him on the row's date, in its spelling and team."""
        before = person.row()
        name = display_name(row.raw_name)
        setattr(person, ID_KINDS[kind][1], name)
        if kind == "nba":  # NBA.com's spelling is the registry's name
            person.player_name, person.player_lookup = name, row.player_lookup
        person.first_seen_date = min(person.first_seen_date, row.game_date)
        if row.game_date >= person.last_seen_date:
            person.last_seen_date = row.game_date
            person.team_abbr = row.team_abbr or person.team_abbr
        if row.team_abbr is not None:
            self._teams_on[(row.game_date, person.universal_player_id)] = row.team_abbr
        if person.row() != before:
            self.changed.add(person.universal_player_id)
            self._index(person)
        return Resolution(person.universal_player_id, by, team_abbr=row.team_abbr)

    def _add(self, person: Person) -> None:
        self.people[person.universal_player_id] = person
        for kind in ID_KINDS:
            source_id = person.source_id(kind)
            if source_id is not None:
                self._by_id[(kind, source_id)] = person.universal_player_id
        self._index(person)

    def _index(self, person: Person) -> None:
        uid = person.universal_player_id
        for keys in self._keys.get(uid, []):
            for level in range(KEY_TIERS):
                self._by_key[level][keys.tier(level)].discard(uid)
        self._keys[uid] = [name_keys(name) for name in sorted(person.spellings())]
        for keys in self._keys[uid]:
            for level in range(KEY_TIERS):
                self._by_key[level][keys.tier(level)].add(uid)
