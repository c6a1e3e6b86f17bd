"""The encoder's first step, as a coder takes it: the Alphabetic Index and its tables, then the tabular list.

For a phrase this finds, in order: a "history of" cancer (Z85, through the tabular list's history
codes), the Table of Neoplasms (site × behaviour), the Table of Drugs and Chemicals (substance ×
intent), and index terms whose path covers every word of the phrase (Index to Diseases and
Injuries when loaded, External Cause Index). Each hit carries the path taken and the choices left
open (7th characters, an incomplete code's subdivisions); the tabular list verifies each code.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from chartdesk.coding.encoder import tables
from chartdesk.coding.encoder.alphabetic import (
    PartIndex,
    complete_code,
    find_terms,
    follow,
    loaded_parts,
    strip_see_condition,
)
from chartdesk.coding.encoder.index import CodeIndex
from chartdesk.coding.encoder.text import query_words
from chartdesk.coding.models import IndexPart

FULL_COVERAGE = 0.999
INDEX_HITS = 3


@dataclass(frozen=True)
class Navigated:
    code: str  # bare, billable where the tabular list allows
    via: str
    path: tuple[str, ...]
    choices: tuple[tuple[str, str], ...]
    full: bool = True  # every word of the phrase was found on the way


def navigate(index: CodeIndex, text: str, on: datetime.date | None = None) -> list[Navigated]:
    parts = loaded_parts(on)
    found: list[Navigated] = []
    lowered = " ".join(text.lower().split())
    neoplasms = parts.get(IndexPart.NEOPLASMS)
    if tables.is_history(lowered) and tables.neoplasm_columns(lowered) == tables.PRIMARY:
        return []  # "h/o colon ca": the tabular search's history codes answer it (see search.py)
    if neoplasms is not None:
        for hit in tables.neoplasm_lookup(neoplasms, lowered):
            found.extend(_from_table(index, hit, IndexPart.NEOPLASMS.label))
    drugs = parts.get(IndexPart.DRUGS)
    if drugs is not None and tables.names_a_drug_event(lowered):
        for hit in tables.drug_lookup(drugs, lowered, expect_drug=True):
            found.extend(_from_table(index, hit, IndexPart.DRUGS.label))
    words = query_words(text)
    for part_name in (IndexPart.DISEASES, IndexPart.EXTERNAL_CAUSES):
        part = parts.get(part_name)
        if part is not None and words:
            found.extend(_from_index(index, part, words, IndexPart(part_name).label))
    # A table row that took every word first, then index terms that did ("Assault, caustic substance"
    # is an external cause, not a poisoning), then rows that took only some.
    return sorted(found, key=lambda hit: not hit.full)


def _from_table(index: CodeIndex, hit: tables.TableHit, via: str) -> list[Navigated]:
    results = []
    completed = complete_code(index, hit.code)
    if completed is not None:
        taken = (*hit.path, hit.column_label, hit.code, *completed.steps)
        results.append(Navigated(completed.code, via, taken, tuple(completed.choices), hit.coverage >= FULL_COVERAGE))
    for code, also_path, column in hit.also:
        also = complete_code(index, code)
        if also is not None:
            results.append(Navigated(also.code, via, (*also_path, column, code, *also.steps), tuple(also.choices)))
    return results


def _from_index(index: CodeIndex, part: PartIndex, words: list[str], via: str) -> list[Navigated]:
    results = _index_terms(index, part, words, via, [])
    if not results:
        # "Chronic - see condition": the adjective is no main term; the condition it qualifies is.
        remaining, sent_on = strip_see_condition(part, words)
        if sent_on:
            results = _index_terms(index, part, remaining, via, sent_on)
    return results


def _index_terms(index: CodeIndex, part: PartIndex, words: list[str], via: str,
                 sent_on: list[str]) -> list[Navigated]:
    results: list[Navigated] = []
    for candidate in find_terms(part, words, limit=8, usable=lambda term: bool(term.code or term.see)):
        if candidate.coverage < FULL_COVERAGE:
            continue
        term, trail = follow(part, candidate.term)
        if not term.code:
            continue
        completed = complete_code(index, term.code)
        if completed is None:
            continue
        path = [*sent_on, *candidate.term.path, *trail]
        if trail:
            path.append(" > ".join(term.path))
        # A "code also" is the coder's to act on: it travels with the path, as the index prints it.
        also = [f"code also {instruction}" for instruction in term.code_also]
        results.append(Navigated(completed.code, via, (*path, term.code, *completed.steps, *also),
                                 tuple(completed.choices)))
        if len(results) >= INDEX_HITS:
            break
    return results
