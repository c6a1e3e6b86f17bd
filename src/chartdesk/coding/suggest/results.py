"""What the engine hands back: suggestions with their evidence, and the working records behind them."""

from __future__ import annotations

from dataclasses import dataclass, field

from chartdesk.coding.suggest.context import Context
from chartdesk.coding.suggest.lexicon import LexiconEntry
from chartdesk.coding.suggest.sections import Section


@dataclass(frozen=True, slots=True)
class Evidence:
    start: int
    end: int
    text: str  # exactly text[start:end] of the note


@dataclass(frozen=True)
class Suggestion:
    code: str
    title: str
    confidence: float
    evidence: tuple[Evidence, ...]
    section: str  # the heading of the section the first evidence is in ("" before any heading)
    flags: frozenset[str] = frozenset()
    system: str = "icd10cm"
    excluded_reason: str = ""  # set only on excluded suggestions (include_excluded=True)


@dataclass
class Mention:
    entry: LexiconEntry
    evidence: Evidence
    section: Section
    contexts: set[Context]


@dataclass
class Candidate:
    code: str
    confidence: float
    evidence: list[Evidence]
    section: Section
    flags: set[str] = field(default_factory=set)
    excluded_reason: str = ""
