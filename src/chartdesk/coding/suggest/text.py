"""Words and clauses of a note, each keeping its character offsets into the original text, so that
every piece of evidence can be sliced back out of the note exactly as written."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Letters of any script, so that "Ménière’s" or "Sjögren" stays one word; straight, curly and
# backtick apostrophes alike ("Crohn’s" is "Crohn's").
WORD = re.compile(r"[^\W_]+(?:['\u2019\u2018`\u02bc][^\W\d_]+)?")
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'"})
# A clause ends at a full stop that ends a sentence (not "E. coli", not "6.9"), at ; : ? ! and at a
# line break. NegEx scopes never cross a clause end.
CLAUSE_END = re.compile(r"[;:?!\n]|\.(?=\s*(?:$|[A-Z\n,(]))|\.(?=\s+\d)")
# Words that carry no meaning in a diagnostic phrase; dropped on both sides of the match.
STOPWORDS = frozenset({"the", "a", "an", "of", "in", "on", "at", "to", "is", "was", "by", "for", "as", "has",
                       "had", "have", "her", "his", "their", "both", "mellitu", "mellitus"})
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
SPELLING = {"ischaemic": "ischemic", "oesophageal": "esophageal", "haemorrhage": "hemorrhage",
            "anaemia": "anemia", "oedema": "edema", "fascitis": "fasciitis", "tumour": "tumor",
            "diarrhoea": "diarrhea", "leukaemia": "leukemia", "disorders": "disorder"}


@dataclass(frozen=True, slots=True)
class Token:
    norm: str
    start: int
    end: int
    after_comma: bool = False  # a comma stands between this word and the one before it


@functools.lru_cache(maxsize=65536)
def normalise(word: str) -> str:
    """Lower case, accents and ligatures folded ("Ménière" = "meniere", "ﬁbrosis" = "fibrosis"),
    British spellings, roman type numerals, and a light plural strip."""
    folded = unicodedata.normalize("NFKD", word.translate(APOSTROPHES))
    folded = "".join(character for character in folded if not unicodedata.combining(character))
    lowered = folded.lower().replace("'s", "")
    lowered = SPELLING.get(lowered, lowered)
    if len(lowered) > 4 and lowered.endswith("s") and not lowered.endswith(("ss", "us", "is", "ys")):
        lowered = lowered[:-1]
    return lowered


def tokens_of(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Meaningful words of text[start:end], with their offsets in the whole text."""
    end = len(text) if end is None else end
    found: list[Token] = []
    previous = ""
    comma = False
    gap_start = start
    for match in WORD.finditer(text, start, end):
        comma = comma or "," in text[gap_start:match.start()]
        gap_start = match.end()
        norm = normalise(match.group())
        if norm in ROMAN and previous == "type":
            norm = ROMAN[norm]
        previous = norm
        if norm not in STOPWORDS:
            found.append(Token(norm, match.start(), match.end(), comma and bool(found)))
            comma = False
    return found


def phrase_key(phrase: str) -> tuple[str, ...]:
    return tuple(token.norm for token in tokens_of(phrase))


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each clause in text[start:end]."""
    spans = []
    cursor = start
    for match in CLAUSE_END.finditer(text, start, end):
        if match.start() > cursor:
            spans.append((cursor, match.start()))
        cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return spans
