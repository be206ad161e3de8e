"""Player names and the registry's rules: the spellings the sources use, and what may not resolve.

The normalisation (``nba_pipeline.player_names``) is the package's only one: the raw processors,
the simulated league and the registry all call it. The registry's rules
(``nba_pipeline.processors.identity``) are checked here on hand-made rows; the registry built from
the simulated league's payloads is in ``tests/integration/test_player_registry.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from nba_pipeline import player_names
from nba_pipeline.player_names import display_name, name_keys, player_lookup, universal_player_id
from nba_pipeline.processors import game_ids
from nba_pipeline.processors.identity import AMBIGUOUS, NEW_PLAYER, UNRESOLVED, Person, Registry, SourceRow
from nba_pipeline.registry.skip_reasons import LeagueSkipReason
from nba_pipeline.sources import simulation

DAY = dt.date(2025, 1, 15)


@pytest.mark.parametrize(
    ("name", "lookup"),
    [
        ("De'Andre Fenwick", "deandrefenwick"),  # apostrophe
        ("Javon Reed-Holloway", "javonreedholloway"),  # hyphen
        ("Mateo Petrović", "mateopetrovic"),  # diacritic
        ("Nikola Jokić", "nikolajokic"),
        ("Dāvis Bertāns", "davisbertans"),
        ("Kristaps Porziņģis", "kristapsporzingis"),
        ("Bogdan Bogdanović", "bogdanbogdanovic"),
        ("Jonas Valančiūnas", "jonasvalanciunas"),
        ("Alperen Şengün", "alperensengun"),
        ("Nikola Đurišić", "nikoladurisic"),  # Đ has no decomposition: spelled out
        ("Ömer Yurtseven", "omeryurtseven"),
        ("Lindqvist Øvergård", "lindqvistovergard"),
        ("O'Dell Jr., Wendell", "wendellodelljr"),  # the injury report's "Last, First", suffix on the last name
        ("Easley II, Jordan", "jordaneasleyii"),
        ("Wendell O'Dell Jr.", "wendellodelljr"),
        ("  P.J.  Washington ", "pjwashington"),  # dots and spaces
        ("PJ Washington", "pjwashington"),
    ],
)
def test_player_lookup_spellings(name: str, lookup: str) -> None:
    assert player_lookup(name) == lookup


def test_one_normalisation_everywhere() -> None:
    """The raw processors' and the simulation's player keys are the same function, not copies."""
    assert game_ids.player_lookup is player_names.player_lookup
    assert game_ids.display_name is player_names.display_name
    assert simulation.player_lookup_from_name is player_names.player_lookup
    assert universal_player_id("wendellodelljr") == "wendellodelljr_001"
    assert universal_player_id("wendellodelljr", 2) == "wendellodelljr_002"


def test_display_name_swaps_the_injury_reports_order() -> None:
    assert display_name("O'Dell Jr., Wendell") == "Wendell O'Dell Jr."
    assert display_name(" Mateo Sandoval ") == "Mateo Sandoval"


@pytest.mark.parametrize(
    ("name", "exact", "base", "formal"),
    [
        ("Wendell O'Dell Jr.", "wendellodelljr", "wendellodell", "wendellodell"),
        ("O'Dell Jr., Wendell", "wendellodelljr", "wendellodell", "wendellodell"),
        ("Gary Trent Jr.", "garytrentjr", "garytrent", "garytrent"),
        ("Trent Jr., Gary", "garytrentjr", "garytrent", "garytrent"),
        ("Jaime Jaquez Jr", "jaimejaquezjr", "jaimejaquez", "jaimejaquez"),
        ("Kelly Oubre Sr.", "kellyoubresr", "kellyoubre", "kellyoubre"),
        ("Marvin Bagley III", "marvinbagleyiii", "marvinbagley", "marvinbagley"),
        ("Bagley III, Marvin", "marvinbagleyiii", "marvinbagley", "marvinbagley"),
        ("Nic Claxton", "nicclaxton", "nicclaxton", "nicolasclaxton"),
        ("Cam Johnson", "camjohnson", "camjohnson", "cameronjohnson"),
        ("Cameron Johnson", "cameronjohnson", "cameronjohnson", "cameronjohnson"),
        ("Mo Bamba", "mobamba", "mobamba", "mohamedbamba"),
        ("Jordan V", "jordanv", "jordanv", "jordanv"),  # a two-word name keeps its last word
    ],
)
def test_name_keys(name: str, exact: str, base: str, formal: str) -> None:
    keys = name_keys(name)
    assert (keys.exact, keys.base, keys.formal) == (exact, base, formal)
    assert keys.exact == player_lookup(name)


# --------------------------------------------------------------------------- the registry's rules


def _person(uid: str, name: str, team: str, *, nba: int | None = None, espn: str | None = None) -> Person:
    return Person(
        universal_player_id=uid,
        player_lookup=player_lookup(name),
        player_name=name,
        first_seen_date=DAY,
        last_seen_date=DAY,
        team_abbr=team,
        nba_person_id=nba,
        nba_player_name=name if nba else None,
        espn_player_id=espn,
    )


def _named(name: str, *teams: str, source: str = "bettingpros_player_props") -> SourceRow:
    return SourceRow(source, DAY, f"20250115_{teams[0]}_XXX", player_lookup(name), name, frozenset(teams))


def _listed(name: str, team: str, kind: str, source_id: str, day: dt.date = DAY) -> SourceRow:
    return SourceRow(
        "nbac_gamebook" if kind == "nba" else f"{kind}_source",
        day,
        "20250115_BOS_NYK",
        player_lookup(name),
        name,
        frozenset({team}),
        game_id="20250115_BOS_NYK",
        team_abbr=team,
        id_kind=kind,
        source_id=source_id,
    )


@pytest.fixture
def registry() -> Registry:
    return Registry(
        [
            _person("wendellodelljr_001", "Wendell O'Dell Jr.", "BOS", nba=9000001),
            _person("nicolasclaxton_001", "Nicolas Claxton", "BKN", nba=9000002),
            _person("mateopetrovic_001", "Mateo Petrović", "NYK", nba=9000003),
            _person("jordaneasley_001", "Jordan Easley", "IND", nba=9000004),
            _person("jordaneasleyii_001", "Jordan Easley II", "IND", nba=9000005),
        ]
    )


@pytest.mark.parametrize(
    ("name", "teams", "uid", "by"),
    [
        ("O'Dell Jr., Wendell", ("BOS",), "wendellodelljr_001", "exact_name"),  # injury report order
        ("Wendell O'Dell", ("BOS",), "wendellodelljr_001", "name_without_suffix"),  # a book drops the suffix
        ("Nic Claxton", ("BKN",), "nicolasclaxton_001", "nickname"),
        ("Mateo Petrovic", ("NYK",), "mateopetrovic_001", "exact_name"),  # without the diacritic
        ("Mateo Petrovic", ("BOS", "NYK"), "mateopetrovic_001", "exact_name"),  # an Odds API event: either team
        ("Jordan Easley", ("IND",), "jordaneasley_001", "exact_name"),  # the exact name wins over the suffix-less one
        ("Jordan Easley II", ("IND",), "jordaneasleyii_001", "exact_name"),
    ],
)
def test_a_name_resolves_to_one_person(registry: Registry, name: str, teams: tuple[str, ...], uid: str, by: str):
    resolution = registry.resolve(_named(name, *teams))
    assert (resolution.universal_player_id, resolution.resolved_by, resolution.skip_reason) == (uid, by, None)
    assert registry.changed == set(), "a naming source changes no registry row"


def test_a_name_that_fits_no_one_is_held(registry: Registry) -> None:
    for name, teams in [
        ("Zeke Nobody", ("BOS",)),
        ("Mateo Petrovic", ("BOS",)),  # a person of that name exists, but on another team
        ("Claxton, Nicolas", ("NYK", "BOS")),
    ]:
        resolution = registry.resolve(_named(name, *teams))
        assert resolution.held and resolution.skip_reason == UNRESOLVED == LeagueSkipReason.UNRESOLVED_PLAYER


def test_a_name_that_fits_two_people_does_not_resolve_silently(registry: Registry) -> None:
    """ "Jordan Easley Jr." is neither Jordan Easley nor Jordan Easley II exactly; without the suffix it
    fits both: held, naming both."""
    resolution = registry.resolve(_named("Jordan Easley Jr.", "IND"))
    assert resolution.held and resolution.skip_reason == AMBIGUOUS == LeagueSkipReason.AMBIGUOUS_PLAYER
    assert resolution.candidates == ("jordaneasley_001", "jordaneasleyii_001")


def test_two_people_with_one_normalised_name_are_ambiguous() -> None:
    """Two people whose names give the same player_lookup (here: only a diacritic apart)."""
    registry = Registry(
        [
            _person("mateopetrovic_001", "Mateo Petrović", "NYK", nba=9000003),
            _person("mateopetrovic_002", "Mateo Petrovic", "NYK", nba=9000006),
        ]
    )
    resolution = registry.resolve(_named("Mateo Petrovic", "NYK"))
    assert resolution.held and resolution.candidates == ("mateopetrovic_001", "mateopetrovic_002")
    assert registry.resolve(_named("Mateo Petrovic", "BOS")).skip_reason == UNRESOLVED


def test_a_listing_source_binds_its_id_by_name_and_team_then_by_id(registry: Registry) -> None:
    first = registry.resolve(_listed("Nic Claxton", "BKN", "espn", "4278067"))
    assert (first.universal_player_id, first.resolved_by) == ("nicolasclaxton_001", "nickname")
    person = registry.people["nicolasclaxton_001"]
    assert person.espn_player_id == "4278067" and person.espn_player_name == "Nic Claxton"
    assert registry.changed == {"nicolasclaxton_001"}
    again = registry.resolve(_listed("N. Claxton", "BKN", "espn", "4278067", DAY + dt.timedelta(days=1)))
    assert (again.universal_player_id, again.resolved_by) == ("nicolasclaxton_001", "source_id")
    assert person.last_seen_date == DAY + dt.timedelta(days=1)
    assert person.player_name == "Nicolas Claxton", "NBA.com's spelling stays the registry's name"


def test_a_listing_source_starts_a_new_person_rather_than_bind_across_teams(registry: Registry) -> None:
    """A person of that name on another team is not bound: the second person of a name gets _002."""
    resolution = registry.resolve(_listed("Mateo Petrovic", "BOS", "nba", "9000100"))
    assert (resolution.universal_player_id, resolution.resolved_by) == ("mateopetrovic_002", NEW_PLAYER)
    assert registry.people["mateopetrovic_002"].nba_person_id == 9000100
    assert registry.people["mateopetrovic_001"].nba_person_id == 9000003
    # from now on the name is ambiguous on neither team: each team has its own Mateo Petrovic
    assert registry.resolve(_named("Mateo Petrovic", "BOS")).universal_player_id == "mateopetrovic_002"
    assert registry.resolve(_named("Mateo Petrovic", "NYK")).universal_player_id == "mateopetrovic_001"
    # an Odds API row of a game between the two teams names both
    assert registry.resolve(_named("Mateo Petrovic", "BOS", "NYK")).skip_reason == AMBIGUOUS


def test_a_listing_source_never_binds_an_id_over_another(registry: Registry) -> None:
    """Wendell O'Dell Jr. has an NBA.com id: a second NBA.com id under his name is another person."""
    resolution = registry.resolve(_listed("Wendell O'Dell Jr.", "BOS", "nba", "9000200"))
    assert resolution.universal_player_id == "wendellodelljr_002"
    assert registry.people["wendellodelljr_001"].nba_person_id == 9000001
