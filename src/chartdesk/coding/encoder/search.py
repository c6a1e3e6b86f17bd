"""The encoder: what the coder types -> codes, best first.

Each query word becomes a slot of acceptable index words: itself, its typo corrections (rapidfuzz
against the index vocabulary) and, for the last word while it is still being typed, the words it
begins. An entry's score is the share of the query's weight (inverse document frequency) it
covers, tempered by how much it says beyond the query (so the least specific code that says
everything asked wins: the default code), minus a little for header codes, which cannot be billed.
"""

from __future__ import annotations

import datetime
import heapq
import re
import time
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from chartdesk.coding.encoder import tables
from chartdesk.coding.encoder.index import CodeIndex, Entry, Node, index_for, word_cost
from chartdesk.coding.encoder.navigate import navigate
from chartdesk.coding.encoder.text import query_words
from chartdesk.coding.models import CodeSetRelease, CodeSystem

RELEASE_MEMORY_S = 30.0
_RELEASES: dict[tuple[str, datetime.date | None], tuple[float, CodeSetRelease | None]] = {}
CANDIDATE_BUDGET = 800
NEGATION_FACTOR = 0.7
CONTEXT_PENALTY = 0.06
# Chapters a coder reaches only by saying so: newborn (P) and congenital (Q) conditions.
CONTEXT_WORDS = {
    "P": frozenset("newborn neonatal neonate perinatal fetal fetu birth infant preterm".split()),
    "Q": frozenset("congenital".split()),
}
SEVENTH_EXPANSION = 20  # how many of the best matches are expanded to their 7th-character codes
DEFAULT_STEP = 0.005
HEADER_PENALTY = 0.08
TYPO_CREDIT = 0.85
PREFIX_CREDIT = 0.9
CODE_LIKE = re.compile(r"^[A-Z0-9]{1,3}\.?[A-Z0-9]{0,4}$")


@dataclass(frozen=True)
class Hit:
    code: str
    display: str
    title: str
    billable: bool
    score: float
    via: str = "Tabular List"  # where the code was found: an index part, a table or the tabular list
    path: tuple[str, ...] = ()  # the way through the index or table: terms, column, code as printed
    choices: tuple[tuple[str, str], ...] = ()  # what the coder still chooses (7th character, subdivision)

    def as_json(self) -> dict[str, object]:
        row: dict[str, object] = {"code": self.display, "title": self.title, "billable": self.billable,
                                  "score": round(self.score, 4), "via": self.via}
        if self.path:
            row["index_path"] = list(self.path)
        if self.choices:
            row["choices"] = [{"code": code, "title": title} for code, title in self.choices]
        return row


@dataclass
class Slot:
    """One query word and the index words that satisfy it, each with the credit it earns."""

    word: str
    alternatives: dict[str, float]
    weight: float
    exact: str = ""  # the one index word when the typed word is known as it is (the common, fast case)


def release_for(system: str, on: datetime.date | None = None) -> CodeSetRelease | None:
    """The release to search; remembered for a few seconds, since the desk asks on every keystroke."""
    key = (system, on)
    remembered = _RELEASES.get(key)
    if remembered is not None and time.monotonic() - remembered[0] < RELEASE_MEMORY_S:
        return remembered[1]
    release = CodeSetRelease.objects.current(system) if on is None else CodeSetRelease.objects.in_effect(system, on)
    _RELEASES[key] = (time.monotonic(), release)
    return release


def forget_releases() -> None:
    _RELEASES.clear()


def search(text: str, *, system: str = CodeSystem.ICD10CM, limit: int = 10,
           on: datetime.date | None = None) -> list[Hit]:
    """Codes for what the coder typed, best first (empty when nothing matches or nothing is loaded)."""
    release = release_for(system, on)
    if release is None or not text.strip():
        return []
    index = index_for(release)
    return search_index(index, text, limit=max(1, min(limit, 200)), on=on)


def search_index(index: CodeIndex, text: str, *, limit: int = 10, on: datetime.date | None = None) -> list[Hit]:
    """Codes for a phrase: a code typed as a code; else the Alphabetic Index and its tables as a
    coder reads them (coding.encoder.navigate), then the tabular list's titles and inclusion terms."""
    exact = _code_lookup(index, text, limit)
    if exact:
        return exact
    hits: list[Hit] = []
    seen: set[str] = set()
    if index.system == CodeSystem.ICD10CM:
        for rank, found in enumerate(navigate(index, text, on)):
            node = index.nodes.get(found.code)
            if node is None or found.code in seen:
                continue
            seen.add(found.code)
            hits.append(Hit(node.code, node.display, node.title, node.billable, round(1.0 - 0.01 * rank, 4),
                            found.via, found.path, found.choices))
        if tables.is_history(text) and tables.neoplasm_columns(text) == tables.PRIMARY:
            text = "personal history of malignant neoplasm " + " ".join(tables.site_words(text))
    slots = _slots(index, text)
    if not slots:
        return hits[:limit]
    # When the index already answered in full, the tabular list only fills the rest of the list:
    # a smaller candidate budget keeps long phrases fast.
    full = any(hit.path for hit in hits)
    scores = _score(index, slots, budget=CANDIDATE_BUDGET // 4 if full else CANDIDATE_BUDGET)
    ranked = heapq.nsmallest(limit + len(hits), scores.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
    for code, score in ranked:
        if len(hits) >= limit:
            break
        if code in seen:
            continue
        seen.add(code)
        node = index.nodes[code]
        hits.append(Hit(code, node.display, node.title, node.billable, score))
    return hits


def _code_lookup(index: CodeIndex, text: str, limit: int) -> list[Hit]:
    typed = text.strip().upper()
    if not CODE_LIKE.match(typed):
        return []
    bare = typed.replace(".", "")
    node = index.nodes.get(bare)
    if node is None:
        return []
    hits = [Hit(node.code, node.display, node.title, node.billable, 1.0)]
    for child in _descendants(index, node, limit - 1):
        hits.append(Hit(child.code, child.display, child.title, child.billable, 0.99))
    return hits


def _descendants(index: CodeIndex, node: Node, limit: int) -> list[Node]:
    found: list[Node] = []
    queue = list(node.children)
    while queue and len(found) < limit:
        child = index.nodes[queue.pop(0)]
        found.append(child)
        queue.extend(child.children)
    return found


def _slots(index: CodeIndex, text: str) -> list[Slot]:
    words = query_words(text, procedures=index.system == CodeSystem.ICD10PCS)
    slots = []
    for position, word in enumerate(words):
        alternatives: dict[str, float] = {}
        if word in index.idf:
            alternatives[word] = 1.0
        else:
            if position == len(words) - 1 and len(word) >= 3 and not text.endswith(" "):
                for candidate in _completions(index, word):
                    alternatives[candidate] = PREFIX_CREDIT
            if len(word) >= 4:
                # Typos rarely hit the first letter: comparing within it keeps this fast.
                for candidate, similarity, _ in process.extract(
                    word, index.vocabulary_by_initial.get(word[0], []), scorer=fuzz.ratio, limit=3, score_cutoff=80
                ):
                    alternatives.setdefault(candidate, TYPO_CREDIT * similarity / 100)
        if not alternatives:
            # A word nothing resembles still counts against coverage, with a modest weight.
            slots.append(Slot(word, {}, 2.0))
            continue
        weight = max(index.idf[candidate] for candidate in alternatives)
        exact = word if alternatives == {word: 1.0} else ""
        slots.append(Slot(word, alternatives, weight, exact))
    return slots


def _completions(index: CodeIndex, stem: str) -> list[str]:
    import bisect

    start = bisect.bisect_left(index.vocabulary, stem)
    found = []
    for word in index.vocabulary[start:start + 200]:
        if not word.startswith(stem):
            break
        found.append(word)
    found.sort(key=lambda word: -len(index.postings[word]))
    return found[:5]


def _candidates(index: CodeIndex, slots: list[Slot], budget: int = CANDIDATE_BUDGET) -> set[int]:
    """Entries worth scoring: those holding the rarest query words, within a budget."""
    lists = []
    for slot in slots:
        postings: list[int] = []
        for word in slot.alternatives:
            postings.extend(index.postings.get(word, ()))
        if postings:
            lists.append(postings)
    lists.sort(key=len)
    chosen: set[int] = set()
    for postings in lists:
        if chosen and len(chosen) + len(postings) > budget:
            break
        chosen.update(postings)
    return chosen


def _score(index: CodeIndex, slots: list[Slot], budget: int = CANDIDATE_BUDGET) -> dict[str, float]:
    total_weight = sum(slot.weight for slot in slots)
    query_set = {word for slot in slots for word in slot.alternatives}
    costs = {word: word_cost(index.idf, word) for word in query_set}
    without = "without" in query_set
    best: dict[str, float] = {}
    raw: dict[str, tuple[float, Entry]] = {}
    # The hot loop: exact words are tested inline; only typo and completion slots go through _matched.
    exact_slots = [(slot.exact, slot.weight) for slot in slots if slot.exact]
    other_slots = [slot for slot in slots if not slot.exact]
    query_costs = list(costs.items())
    entries = index.entries
    for number in _candidates(index, slots, budget):
        entry = entries[number]
        words = entry.words
        matched = 0.0
        for word, weight in exact_slots:
            if word in words:
                matched += weight
        if other_slots:
            matched += _matched(other_slots, words)
        if matched <= 0:
            continue
        required = entry.required
        extra = entry.required_weight
        for word, cost in query_costs:
            if word in required:
                extra -= cost
        score = (matched / total_weight) * (0.75 + 0.25 * matched / (matched + 0.5 * max(0.0, extra)))
        if not entry.billable:
            score -= HEADER_PENALTY
        if entry.negated and not without and query_set & entry.negated:
            score *= NEGATION_FACTOR  # "nausea with vomiting" is not "nausea without vomiting"
        context = CONTEXT_WORDS.get(entry.code[0])
        if context is not None and not query_set & context:
            score -= CONTEXT_PENALTY
        if score > best.get(entry.code, 0.0):
            best[entry.code] = score
            raw[entry.code] = (matched, entry)
    headers = [(code, score) for code, score in best.items() if not index.nodes[code].billable]
    for code, score in heapq.nlargest(SEVENTH_EXPANSION, headers, key=lambda item: item[1]):
        node = index.nodes[code]
        if node.requires_seventh:
            matched, entry = raw[code]
            _score_seventh(index, node, slots, matched, total_weight, entry, costs, best)
        else:
            _credit_default(index, code, score + HEADER_PENALTY - DEFAULT_STEP, best)
    return best


def _matched(slots: list[Slot], words: frozenset[str]) -> float:
    matched = 0.0
    for slot in slots:
        if slot.exact:
            if slot.exact in words:
                matched += slot.weight
            continue
        credit = 0.0
        for word, earned in slot.alternatives.items():
            if earned > credit and word in words:
                credit = earned
        matched += credit * slot.weight
    return matched


def _combine(matched: float, total_weight: float, extra: float, billable: bool) -> float:
    coverage = matched / total_weight
    specificity = matched / (matched + 0.5 * max(0.0, extra))
    return coverage * (0.75 + 0.25 * specificity) - (0.0 if billable else HEADER_PENALTY)


def _credit_default(index: CodeIndex, code: str, score: float, best: dict[str, float]) -> None:
    """A header that matches well stands for its default billable code (E11 -> E11.9, S72.00 -> S72.009A)."""
    chain = index.default_billable(code)
    if chain and chain[-1].billable and score > best.get(chain[-1].code, 0.0):
        best[chain[-1].code] = score


def _score_seventh(
    index: CodeIndex, node: Node, slots: list[Slot], matched: float, total_weight: float,
    entry: Entry, costs: dict[str, float], best: dict[str, float],
) -> None:
    """A 6-character match stands for its 7th-character codes: score each with the words it adds."""
    unmatched = [slot for slot in slots if not any(word in entry.words for word in slot.alternatives)]
    base_extra = entry.required_weight - sum(costs[word] for word in costs if word in entry.required)
    for code, _title, extra_words, extra_cost in index.seventh.get(node.code, ()):
        bonus = _matched(unmatched, extra_words) if unmatched else 0.0
        extra = base_extra + extra_cost - sum(costs[word] for word in costs if word in extra_words)
        score = _combine(matched + bonus, total_weight, extra, True)
        if score > best.get(code, 0.0):
            best[code] = score


def path_of(index: CodeIndex, code: str) -> dict[str, list[dict[str, object]]]:
    """The hit's place in the tabular list, and (for a header) the way down to a billable code."""
    return {
        "path": [{"code": node.display, "title": node.title} for node in index.ancestors(code)],
        "to_billable": [
            {"code": node.display, "title": node.title, "billable": node.billable}
            for node in index.default_billable(code)
        ],
    }
