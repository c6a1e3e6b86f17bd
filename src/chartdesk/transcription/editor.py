"""What the transcriptionist's editor knows about text: The Joint Commission's do-not-use abbreviations,
the site's abbreviation list, blanks left for unintelligible audio, and the trade's line count.

The same rules run in the browser (static/transcription/editor.js flags as one types) and here, where
they decide what the save shows before it keeps the text: the server is the one that counts.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# The trade bills by the 65-character line, spaces counted; line breaks are not characters.
LINE_CHARACTERS = 65

BLANK = re.compile(r"\[inaudible (\d{2,}):(\d{2})\]")

# The Joint Commission's official "Do Not Use" list (and its trailing/leading zero rules), with what to
# write instead. Case matters where the abbreviation is a capital (U, IU, MS): "u" in a word is not one.
DO_NOT_USE: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("U", re.compile(r"(?<![\w.])U(?![\w.])"), "write \"unit\""),
    ("IU", re.compile(r"(?<![\w.])IU(?![\w.])"), "write \"International Unit\""),
    ("Q.D.", re.compile(r"(?<![\w.])q\.?\s?d\.?(?![\w])", re.IGNORECASE), "write \"daily\""),
    ("Q.O.D.", re.compile(r"(?<![\w.])q\.?\s?o\.?\s?d\.?(?![\w])", re.IGNORECASE), "write \"every other day\""),
    ("trailing zero", re.compile(r"(?<![\w.])\d+\.0+(?![\d.]*\d)"), "write X mg, never X.0 mg"),
    ("lack of leading zero", re.compile(r"(?<![\w.])\.\d+"), "write 0.X mg, never .X mg"),
    ("MS", re.compile(r"(?<![\w.])MS(?![\w.])"), "write \"morphine sulfate\" or \"magnesium sulfate\""),
    ("MSO4", re.compile(r"(?<![\w.])MSO4(?![\w.])"), "write \"morphine sulfate\""),
    ("MgSO4", re.compile(r"(?<![\w.])MgSO4(?![\w.])"), "write \"magnesium sulfate\""),
)


@dataclass(frozen=True)
class Flag:
    rule: str
    found: str
    line: int
    advice: str


def do_not_use_flags(text: str) -> list[Flag]:
    """Every do-not-use abbreviation in the text, in reading order, with its line number."""
    flags = []
    for rule, pattern, advice in DO_NOT_USE:
        for match in pattern.finditer(text):
            flags.append((match.start(), Flag(rule, match.group(0), text.count("\n", 0, match.start()) + 1, advice)))
    return [flag for _, flag in sorted(flags, key=lambda pair: pair[0])]


def blanks(text: str) -> list[str]:
    """The time stamps of the blanks left for unintelligible audio, as written ("00:42")."""
    return [f"{minutes}:{seconds}" for minutes, seconds in BLANK.findall(text)]


def line_count(text: str) -> float:
    """Billable lines: characters including spaces, line breaks left out, over 65; to two decimals."""
    characters = len(text.replace("\r", "").replace("\n", ""))
    return math.ceil(characters * 100 / LINE_CHARACTERS) / 100


@cache
def site_abbreviations() -> dict[str, str]:
    """The site's expansion list (data/abbreviations.json): what a transcriptionist types
    -> what the document says."""
    with (Path(__file__).parent / "data" / "abbreviations.json").open(encoding="utf-8") as listed:
        expansions: dict[str, str] = json.load(listed)["expansions"]
    return expansions
