"""What a parser hands to the store: plain records, no database. Parsers never write."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

_ONE_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
WITH_SUFFIX = re.compile(r"\bwith \.([0-9A-Z]{1,3})\b")
CODE_REFERENCE = re.compile(rf"\b({_ONE_CODE})(?:\s*-\s*({_ONE_CODE})|\.?-)?")


@dataclass
class ParsedNote:
    kind: str
    text: str
    referenced: list[str] = field(default_factory=list)


@dataclass
class ParsedCode:
    code: str
    display: str
    title: str
    level: str
    billable: bool = False
    parent: str = ""
    short_title: str = ""
    manifestation: bool = False
    requires_seventh: bool = False
    sex: str = ""
    age_min: int | None = None
    age_max: int | None = None
    limit_source: str = ""
    poa_exempt: bool = False
    terms: list[str] = field(default_factory=list)
    axes: list[str] = field(default_factory=list)
    notes: list[ParsedNote] = field(default_factory=list)
    seventh_characters: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ParsedAxisValue:
    position: int
    context: str
    value: str
    label: str
    definition: str = ""
    explanation: str = ""
    examples: str = ""


@dataclass
class ParsedRelease:
    system: str
    label: str
    effective_from: datetime.date
    codes: list[ParsedCode]
    axis_values: list[ParsedAxisValue] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def referenced_codes(note_text: str) -> list[str]:
    """The codes and ranges a note names, without dots: 'type 1 diabetes (E10.-)' -> ['E10'].

    A single code stands for itself and everything below it; a range 'C00-C96' is kept as written.
    """
    found = []
    # "diabetes mellitus (E08-E13 with .42)": the range holds only codes ending that way.
    suffix = WITH_SUFFIX.search(note_text)
    for match in CODE_REFERENCE.finditer(note_text):
        start = match.group(1).replace(".", "")
        end = match.group(2)
        reference = f"{start}-{end.replace('.', '')}" if end else start
        if end and suffix:
            reference += "@" + suffix.group(1)
        found.append(reference)
    return found


def reference_covers(reference: str, code: str) -> bool:
    """Whether a note's reference ('E10', 'P702', 'C00-C96', 'E08-E13@42') takes in `code` (no dots)."""
    reference, _, suffix = reference.partition("@")
    if suffix and not code[3:].startswith(suffix):
        return False
    if "-" in reference:
        first, last = reference.split("-", 1)
        return code[: len(first)] >= first and code[: len(last)] <= last
    return code.startswith(reference)
