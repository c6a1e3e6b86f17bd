"""Suggestions for a whole encounter: each of its documents read on its own (offsets stay per
document), then merged by code. A code vaguer than another suggested code of its category is
dropped across documents too (an H&P's "diabetes" beside the discharge summary's E11.40)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chartdesk.coding.suggest.engine import Setting, suggest_codes
from chartdesk.coding.suggest.rules import vagueness

if TYPE_CHECKING:
    from chartdesk.coding.encoder.index import CodeIndex


@dataclass(frozen=True, slots=True)
class DocumentEvidence:
    document: str  # the caller's key for the document (e.g. a document version id)
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class EncounterSuggestion:
    code: str
    title: str
    system: str
    confidence: float
    evidence: tuple[DocumentEvidence, ...]
    flags: frozenset[str]


def suggest_for_encounter(documents: Mapping[str, str], *, setting: Setting, sex: str | None = None,
                          age: int | None = None, index: CodeIndex | None = None,
                          on: datetime.date | None = None) -> list[EncounterSuggestion]:
    """Merged suggestions for an encounter's documents, given as {document key: text}; with index
    (suggest.encoder_index), diagnostic items are also looked up in the classification."""
    merged: dict[str, EncounterSuggestion] = {}
    for document, text in documents.items():
        for found in suggest_codes(text, setting=setting, sex=sex, age=age, index=index, on=on):
            evidence = tuple(DocumentEvidence(document, item.start, item.end, item.text) for item in found.evidence)
            current = merged.get(found.code)
            if current is None:
                merged[found.code] = EncounterSuggestion(found.code, found.title, found.system, found.confidence,
                                                         evidence, found.flags)
            else:
                merged[found.code] = EncounterSuggestion(
                    found.code, found.title, found.system, max(current.confidence, found.confidence),
                    current.evidence + evidence, current.flags | found.flags)
    diagnoses = [code for code, item in merged.items() if item.system == "icd10cm"]
    least_vague: dict[str, int] = {}
    for code in diagnoses:
        least_vague[code[:3]] = min(vagueness(code), least_vague.get(code[:3], vagueness(code)))
    kept = [item for code, item in merged.items()
            if item.system != "icd10cm" or vagueness(code) <= least_vague[code[:3]]]
    return sorted(kept, key=lambda item: (-item.confidence, item.code))
