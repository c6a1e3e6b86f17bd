"""The dictionary the engine matches notes against: word sequences (normalised as text.py does) mapped
to billable ICD-10-CM codes. Built once per process from the tabular's titles and inclusion terms,
with the curated phrases of phrases.py taking precedence."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import IntEnum

from chartdesk.coding.suggest.phrases import curated_rows
from chartdesk.coding.suggest.tabular import load_tabular
from chartdesk.coding.suggest.text import phrase_key

MAX_PHRASE_WORDS = 10
# Chapters whose titles are not how a note names a condition: injuries and poisonings need a 7th
# character the text rarely settles; external causes; factors influencing health status.
SKIPPED_CHAPTER_LETTERS = frozenset("STVWXYZ")
# Single words too general to name a code on their own.
GENERIC_WORDS = frozenset({
    "disorder", "disease", "syndrome", "infection", "symptom", "complication", "abnormal", "finding", "screening",
    "unspecified", "condition", "deformity", "anomaly", "neoplasm", "malignant", "injury", "examination",
    "encounter", "observation", "counseling", "problem", "history", "carrier", "exposure", "personal", "allergy",
    "dependence", "poisoning", "underdosing", "abscess", "contusion", "pregnancy", "delivery", "dementia",
    "nephropathy", "neuropathy", "retinopathy", "polyneuropathy", "hypoglycemia", "hyperglycemia", "gastroparesis",
})
UNSPECIFIED_TAIL = re.compile(r",\s*(?:unspecified|not intractable|not elsewhere classified|uncomplicated|"
                              r"not specified|initial encounter)\b.*$", re.IGNORECASE)
NOISE_WORDS = re.compile(r"\b(?:unspecified|NOS)\b", re.IGNORECASE)
BRACKETS = re.compile(r"\[[^\]]*\]")
PARENTHESES = re.compile(r"\([^)]*\)")


class Source(IntEnum):
    """Where an entry came from; a lower value wins when two codes share a phrase."""

    CURATED = 0
    TITLE = 1
    TITLE_VARIANT = 2
    INCLUSION_TERM = 3
    INDEX = 4  # not in the dictionary: a diagnostic item looked up in the classification (indexed.py)


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    code: str
    source: Source
    chronic: bool = False
    without_diabetes: str | None = None


def variants(title: str) -> list[str]:
    """The ways a note may write a tabular title: with and without its parenthesised words and its
    "unspecified" tail."""
    plain = BRACKETS.sub(" ", title)
    shapes = {plain, PARENTHESES.sub(" ", plain), plain.replace("(", " ").replace(")", " ")}
    trimmed = set()
    for shape in shapes:
        trimmed.add(shape)
        trimmed.add(NOISE_WORDS.sub(" ", UNSPECIFIED_TAIL.sub("", shape)))
    return sorted(trimmed)


def acceptable(key: tuple[str, ...]) -> bool:
    if not key:
        return False
    if len(key) == 1:
        return len(key[0]) >= 7 and key[0] not in GENERIC_WORDS
    return True


@dataclass(frozen=True)
class Lexicon:
    entries: dict[tuple[str, ...], LexiconEntry]
    max_words: int
    # For each word that starts a phrase, the most words such a phrase has: most words start none.
    longest_from: dict[str, int]


@functools.cache
def load_lexicon() -> Lexicon:
    tabular = load_tabular()
    ranked: dict[tuple[str, ...], tuple[tuple[int, int, int, str], LexiconEntry]] = {}

    def offer(key: tuple[str, ...], entry: LexiconEntry, removed: int) -> None:
        if len(key) > MAX_PHRASE_WORDS or (entry.source != Source.CURATED and not acceptable(key)):
            return
        rank = (int(entry.source), removed, len(entry.code), entry.code)
        current = ranked.get(key)
        if current is None or rank < current[0]:
            ranked[key] = (rank, entry)

    for code in tabular.codes.values():
        if not code.billable or code.code[0] in SKIPPED_CHAPTER_LETTERS:
            continue
        title_key = phrase_key(code.title)
        offer(title_key, LexiconEntry(code.code, Source.TITLE), 0)
        for variant in variants(code.title):
            key = phrase_key(variant)
            offer(key, LexiconEntry(code.code, Source.TITLE_VARIANT), len(title_key) - len(key))
        for term in code.inclusion_terms:
            for variant in variants(term):
                offer(phrase_key(variant), LexiconEntry(code.code, Source.INCLUSION_TERM), 0)
    for row in curated_rows():
        for phrase in row.phrases:
            offer(phrase_key(phrase), LexiconEntry(row.code, Source.CURATED, row.chronic, row.without_diabetes), 0)
    entries = {key: entry for key, (_rank, entry) in ranked.items()}
    longest_from: dict[str, int] = {}
    for key in entries:
        longest_from[key[0]] = max(len(key), longest_from.get(key[0], 0))
    return Lexicon(entries, max(len(key) for key in entries), longest_from)
