"""Name keys for the patient index: normalised forms, phonetic codes and nicknames.

Registration writes these keys beside every name (see `name_keys`) and search computes the same
keys from what the clerk typed, so that finding "Bill Smyth" is an index lookup on stored keys
rather than fuzzy matching against every row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from nicknames import NickNamer

# Letters some names carry that Unicode does not decompose into a base letter and an accent.
_SPECIAL_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "œ": "oe", "ı": "i"})
_NOT_LETTER = re.compile(r"[^a-z]+")
PHONETIC_MAX = 20  # PatientName.*_phonetic columns


def fold(text: str) -> str:
    """Lower case, accents removed: 'José Núñez' -> 'jose nunez'."""
    lowered = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL_LETTERS))
    return "".join(char for char in lowered if not unicodedata.combining(char))


def normalise_name(text: str) -> str:
    """The search key of a name: letters only, so 'O'Brien', 'OBrien' and 'o brien' agree.

    Hyphens and spaces go too: 'Garcia-Lopez' and 'Garcia Lopez' are the same key.
    """
    return _NOT_LETTER.sub("", fold(text))


def name_tokens(text: str) -> list[str]:
    """Words of a typed name, folded, split on spaces, commas and hyphens."""
    return [token for token in _NOT_LETTER.split(fold(text.replace("'", ""))) if token]


def phonetic_key(text: str) -> str:
    """Metaphone of the normalised name: 'Catherine' and 'Katherine' both give 'K0RN'."""
    key = normalise_name(text)
    return jellyfish.metaphone(key).upper()[:PHONETIC_MAX] if key else ""


def letters_key(text: str) -> str:
    """The name's letters in order: transposed letters ('Jonhson') keep the key of 'Johnson'."""
    return "".join(sorted(normalise_name(text)))


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=4096)
def nickname_family(given: str) -> frozenset[str]:
    """Normalised given names that stand for the same name: 'bill' -> {'william', 'will', 'billy', ...}.

    Formal names bring their nicknames and nicknames their formal names, one step each way; the
    formal names of a nickname also bring that nickname's siblings ('bill' -> 'william' -> 'billy').
    """
    key = normalise_name(given)
    if not key:
        return frozenset()
    namer = _nicknamer()
    family = {key} | namer.nicknames_of(key) | namer.canonicals_of(key)
    for canonical in namer.canonicals_of(key):
        family |= namer.nicknames_of(canonical)
    return frozenset(normalise_name(name) for name in family if name)


@dataclass(frozen=True)
class NameKeys:
    family_key: str
    given_key: str
    family_phonetic: str
    given_phonetic: str
    family_letters: str


def name_keys(family_name: str, given_name: str) -> NameKeys:
    """Every search key stored beside a name; registration, edits and the benchmark all use this."""
    return NameKeys(
        family_key=normalise_name(family_name)[:80],
        given_key=normalise_name(given_name)[:80],
        family_phonetic=phonetic_key(family_name),
        given_phonetic=phonetic_key(given_name),
        family_letters=letters_key(family_name)[:80],
    )
