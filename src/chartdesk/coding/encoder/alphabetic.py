"""The Alphabetic Index in memory: terms of each loaded part, found by their words, followed like a coder.

A term's words are those of its path (main term, subterms) and its nonessential modifiers; only
the path's own title words are required (a nonessential modifier never counts against a term).
"with" and the other connecting words are stop words, so "diabetes with chronic kidney disease"
meets "Diabetes > type 2 > with > chronic kidney disease" as a coder reads it. "See" is followed to
the term it names; "see also" offers its target beside the term; a code printed incomplete
("C79.8-", "S72.0-") is completed through the tabular list, and a code that needs a 7th character
lists the choices the coder must make.

Built once per process from the loaded editions and cached; loading a part clears the cache.
"""

from __future__ import annotations

import datetime
import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from chartdesk.coding.encoder.index import CodeIndex, Node
from chartdesk.coding.encoder.text import index_words
from chartdesk.coding.models import ClassificationIndex, IndexPart

MAX_SEE_HOPS = 4
SEE_CONDITION = "condition"
CANDIDATE_BUDGET = 500


@dataclass
class Term:
    number: int
    part: str
    path: tuple[str, ...]
    words: frozenset[str]
    required: frozenset[str]
    required_cost: float = 0.0
    code: str = ""
    manif: str = ""
    see: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    code_also: tuple[str, ...] = ()
    cells: dict[str, str] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)  # lower-case title -> term number


@dataclass
class PartIndex:
    part: str
    label: str
    columns: list[str]
    terms: list[Term]
    main_terms: dict[str, int]
    postings: dict[str, list[int]]
    idf: dict[str, float]
    # Main terms printed "see condition" ("Chronic", "Acute"): words that qualify a condition the
    # coder looks up instead.
    see_condition: list[int] = field(default_factory=list)


@dataclass
class Found:
    term: Term
    score: float
    coverage: float


_CACHE: dict[tuple[int, ...], dict[str, PartIndex]] = {}
_LOCK = threading.Lock()


def forget_alphabetic() -> None:
    with _LOCK:
        _CACHE.clear()


def loaded_parts(on: datetime.date | None = None) -> dict[str, PartIndex]:
    """The index parts in effect (`on`, or the latest), built into memory once."""
    identifiers = [found for part in IndexPart if (found := _edition_id(part, on)) is not None]
    key = tuple(sorted(identifiers))
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    with _LOCK:
        if key not in _CACHE:
            built: dict[str, PartIndex] = {}
            for edition in ClassificationIndex.objects.filter(pk__in=key):
                built[edition.part] = build_part(edition.part, edition.label, edition.columns, edition.terms)
            _CACHE[key] = built
        return _CACHE[key]


_EDITION_IDS: dict[tuple[str, datetime.date | None], int | None] = {}


def _edition_id(part: str, on: datetime.date | None) -> int | None:
    # Remembered with the cache: the desk asks on every keystroke, and a load clears both.
    key = (part, on)
    if key not in _EDITION_IDS:
        edition = ClassificationIndex.objects.only("pk").in_effect(part, on)
        _EDITION_IDS[key] = edition.pk if edition is not None else None
    return _EDITION_IDS[key]


def forget_editions() -> None:
    _EDITION_IDS.clear()


def build_part(part: str, label: str, columns: list[str], raw_terms: list[dict[str, Any]]) -> PartIndex:
    terms: list[Term] = []
    main_terms: dict[str, int] = {}
    for number, raw in enumerate(raw_terms):
        parent = terms[raw["parent"]] if raw["parent"] >= 0 else None
        title = raw["title"]
        path = (*parent.path, title) if parent else (title,)
        own = frozenset(index_words(title))
        inherited = parent
        if parent is not None and part == IndexPart.NEOPLASMS and raw["level"] == 1:
            # "Neoplasm, neoplastic" heads every row of the table: a row's words are its site's.
            inherited = Term(-1, part, parent.path, frozenset(), frozenset())
        words = own | frozenset(index_words(raw.get("nemod", "")))
        term = Term(
            number, part, path,
            words=(inherited.words | words) if inherited else words,
            required=(inherited.required | own) if inherited else own,
            code=raw.get("code", ""), manif=raw.get("manif", ""),
            see=tuple(raw.get("see", ())), see_also=tuple(raw.get("see_also", ())),
            code_also=tuple(raw.get("code_also", ())),
            cells=dict(raw.get("cells", {})),
        )
        terms.append(term)
        if parent is not None:
            parent.children.setdefault(title.lower(), number)
        else:
            main_terms.setdefault(title.lower(), number)
    postings: dict[str, list[int]] = defaultdict(list)
    for term in terms:
        for word in term.words:
            postings[word].append(term.number)
    total = len(terms) or 1
    idf = {word: math.log(1 + total / len(hits)) for word, hits in postings.items()}
    for term in terms:
        term.required_cost = sum(idf.get(word, 1.0) for word in term.required)
    see_condition = [number for number in main_terms.values() if _sends_to_condition(terms[number])]
    return PartIndex(part, label, columns, terms, main_terms, dict(postings), idf, see_condition)


def _sends_to_condition(term: Term) -> bool:
    return any(target.strip().lower() == SEE_CONDITION for target in (*term.see, *term.see_also))


def strip_see_condition(part: PartIndex, words: list[str]) -> tuple[list[str], list[str]]:
    """The phrase without the words the index sends on to their condition, and the path that says so:
    "chronic pneumonia" -> ["pneumonia"], ["Chronic", "see condition"]. Never strips a phrase bare."""
    remaining = list(words)
    path: list[str] = []
    for number in part.see_condition:
        term = part.terms[number]
        left = [word for word in remaining if word not in term.required]
        if term.required and term.required <= set(remaining) and left:
            remaining = left
            path += [term.path[0], "see condition"]
    return remaining, path


def find_terms(part: PartIndex, words: list[str], *, limit: int = 5, usable: Any = None) -> list[Found]:
    """Terms of `part` whose path covers the most of `words`, least extra said first.

    `usable(term)` filters (e.g. a table row with the wanted column).
    """
    # A word this part never uses weighs as much as its rarest word: it is something the phrase
    # says that no term here covers, so no term here covers the phrase in full.
    rarest = max(part.idf.values(), default=1.0)
    weights = {word: part.idf.get(word, rarest) for word in words}
    weighted = list(weights.items())
    total = sum(weight for weight in weights.values()) or 1.0
    lists = sorted((part.postings[word] for word in words if word in part.postings), key=len)
    candidates: set[int] = set()
    for postings in lists:
        if candidates and len(candidates) + len(postings) > CANDIDATE_BUDGET:
            break
        candidates.update(postings)
    found = []
    for number in candidates:
        term = part.terms[number]
        matched = 0.0
        extra = term.required_cost
        for word, weight in weighted:
            if word in term.words:
                matched += weight
                if word in term.required:
                    extra -= weight
        if matched <= 0 or (usable is not None and not usable(term)):
            continue
        coverage = matched / total
        score = coverage * (0.7 + 0.3 * matched / (matched + 0.5 * extra)) - 0.002 * len(term.path)
        found.append(Found(term, score, coverage))
    found.sort(key=lambda item: (-item.score, item.term.number))
    return found[:limit]


def resolve_see(part: PartIndex, target: str) -> Term | None:
    """The term a "see" names: 'Accident, transport, car occupant' walked title by title.

    Titles hold commas themselves ("boat, boating"), so each step takes the longest run of the
    remaining pieces that names a child; a reference may also name a title by its first piece
    ("Neoplasm, intestine" for "Neoplasm, neoplastic > intestine, intestinal"). None when the
    reference leads nowhere in this part.
    """
    pieces = [piece.strip().lower() for piece in target.split(",") if piece.strip()]
    children = part.main_terms
    term: Term | None = None
    while pieces:
        number = None
        for length in range(len(pieces), 0, -1):
            number = children.get(", ".join(pieces[:length]))
            if number is not None:
                pieces = pieces[length:]
                break
        if number is None:
            number = next((found for title, found in children.items() if title.split(",")[0] == pieces[0]), None)
            if number is None:
                return None
            pieces = pieces[1:]
        term = part.terms[number]
        children = term.children
    return term


def follow(part: PartIndex, term: Term) -> tuple[Term, list[str]]:
    """A term's "see" chain, followed to a term with a code (or as far as it leads)."""
    trail: list[str] = []
    hops = 0
    while not term.code and not term.cells and term.see and hops < MAX_SEE_HOPS:
        target = resolve_see(part, term.see[0])
        if target is None or target is term:
            break
        trail.append(f"see {term.see[0]}")
        term = target
        hops += 1
    return term, trail


@dataclass
class Completed:
    """An index code made reportable: the billable code, and the choices still open to the coder."""

    code: str
    steps: list[str]
    choices: list[tuple[str, str]]


def complete_code(index: CodeIndex, printed: str) -> Completed | None:
    """'C79.8-' -> its children; 'S72.00' (needs a 7th character) -> S72.009A with the 7th choices;
    a header -> its default billable code. None when the tabular list does not hold the code."""
    bare = printed.rstrip("-").replace(".", "").upper()
    node = index.nodes.get(bare)
    if node is None:
        return None
    if node.billable:
        return Completed(node.code, [], [])
    if node.requires_seventh:
        sevenths = [index.nodes[child] for child in node.children if child in index.nodes]
        if not sevenths:
            return None
        return Completed(sevenths[0].code, [f"7th character of {node.display}"],
                         [(child.display, child.title) for child in sevenths])
    chain = index.default_billable(bare)
    choices = [(child.display, child.title) for child in _billable_below(index, node)][:20]
    if chain and chain[-1].billable:
        return Completed(chain[-1].code, [f"{node.display} incomplete: default {chain[-1].display}"], choices)
    if choices:
        # The coder must choose; offered first is the least specific choice (most "unspecified").
        default = max(choices, key=lambda choice: (choice[1].lower().count("unspecified"), choice[0].endswith("9")))
        return Completed(default[0].replace(".", ""), [f"{node.display} incomplete: choose"], choices)
    return None


def _billable_below(index: CodeIndex, node: Node) -> list[Node]:
    found: list[Node] = []
    queue = list(node.children)
    while queue and len(found) < 40:
        child = index.nodes.get(queue.pop(0))
        if child is None:
            continue
        if child.billable:
            found.append(child)
        else:
            queue.extend(child.children)
    return found
