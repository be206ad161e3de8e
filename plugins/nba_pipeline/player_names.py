"""Player names as the sources write them, reduced to keys that compare.

The one normalisation of the package: the raw processors key their rows by :func:`player_lookup`,
the simulated league names its players with it, and the player registry
(:mod:`nba_pipeline.processors.identity`) matches the names of the books and the injury report with
:func:`name_keys`. Sources write the same person differently: "Last, First" (the injury report),
with or without a suffix ("Jr.", "II"), with diacritics, apostrophes and hyphens, or with a
nickname ("Nic" for "Nicolas").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "KEY_TIERS",
    "NICKNAMES",
    "SUFFIXES",
    "NameKeys",
    "display_name",
    "name_keys",
    "player_lookup",
    "universal_player_id",
]

#: generational suffixes, as letters only (``"Jr."`` → ``"jr"``)
SUFFIXES: frozenset[str] = frozenset({"jr", "sr", "ii", "iii", "iv", "v"})

#: informal given names → the formal name they most often stand for (letters only). Used only at
#: the loosest key, when no name fits at a stricter one, and a match must still be the only person
#: of the row's team who fits.
NICKNAMES: dict[str, str] = {
    "alex": "alexander",
    "andy": "andrew",
    "ben": "benjamin",
    "cam": "cameron",
    "chris": "christopher",
    "dan": "daniel",
    "danny": "daniel",
    "dave": "david",
    "drew": "andrew",
    "jake": "jacob",
    "jim": "james",
    "jimmy": "james",
    "joe": "joseph",
    "jon": "jonathan",
    "kenny": "kenneth",
    "matt": "matthew",
    "mike": "michael",
    "mo": "mohamed",
    "nate": "nathan",
    "nic": "nicolas",
    "nick": "nicholas",
    "pat": "patrick",
    "rob": "robert",
    "ron": "ronald",
    "sam": "samuel",
    "steph": "stephen",
    "tim": "timothy",
    "tony": "anthony",
    "will": "william",
    "zach": "zachary",
}

#: letters that Unicode decomposition leaves whole, spelled in ASCII
_TRANSLITERATION = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "ı": "i", "þ": "th"})
_WORD_BREAK = re.compile(r"\s+")


def _first_last(name: str) -> str:
    """ "Last, First" (the injury report's order) as "First Last"; other names unchanged."""
    if "," in name:
        family, given = name.split(",", 1)
        return f"{given.strip()} {family.strip()}"
    return name.strip()


def _letters(text: str) -> str:
    """The lowercase ASCII letters of ``text``: diacritics, apostrophes, dots and hyphens dropped."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_TRANSLITERATION))
    return "".join(char for char in decomposed if "a" <= char <= "z")


def player_lookup(name: str) -> str:
    """The player key: the lowercase ASCII letters of "First Last", suffix included.

    ``"De'Andre Fenwick"`` → ``deandrefenwick``; ``"O'Dell Jr., Wendell"`` → ``wendellodelljr``;
    ``"Mateo Petrović"`` → ``mateopetrovic``.
    """
    return _letters(_first_last(name))


def display_name(name: str) -> str:
    """``"O'Dell Jr., Wendell"`` → ``"Wendell O'Dell Jr."``; other names unchanged but stripped."""
    return _first_last(name)


def universal_player_id(lookup: str, sequence: int = 1) -> str:
    """The universal id of the ``sequence``-th person whose name gives ``lookup``: ``lookup_001``."""
    return f"{lookup}_{sequence:03d}"


@dataclass(frozen=True)
class NameKeys:
    """The keys a name is matched on, strictest first.

    :param exact: :func:`player_lookup`.
    :param base: without a generational suffix (``wendellodell``).
    :param formal: the base key with a nickname replaced by its formal given name (``nicolasclaxton``);
        equal to ``base`` when the given name is no nickname.
    """

    exact: str
    base: str
    formal: str

    def tier(self, level: int) -> str:
        return (self.exact, self.base, self.formal)[level]


#: how many tiers :class:`NameKeys` has
KEY_TIERS = 3


def name_keys(name: str) -> NameKeys:
    """The keys of a name in any source's spelling (see :class:`NameKeys`)."""
    words = [word for word in (_letters(part) for part in _WORD_BREAK.split(_first_last(name))) if word]
    exact = "".join(words)
    while len(words) > 2 and words[-1] in SUFFIXES:
        words = words[:-1]
    base = "".join(words)
    if len(words) >= 2 and words[0] in NICKNAMES:
        formal = NICKNAMES[words[0]] + "".join(words[1:])
    else:
        formal = base
    return NameKeys(exact, base, formal)
