"""The encoder's in-process index of one code-set release, built from the database and cached.

Each code contributes one entry for its title and one for each inclusion term (synonyms the
tabular list itself gives). An entry keeps its words as a frozenset; an inverted index maps a word
to the entries holding it. Codes that need a 7th character are not indexed one by one (half of
ICD-10-CM): a match on the 6-character code is expanded to its 7th-character codes at search time.

The cache is per process and keyed by release; loading a release clears it.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from chartdesk.coding.encoder.text import DEFAULT_WORDS, NEUTRAL_WORDS, index_words, negated_words, required_words
from chartdesk.coding.models import Code, CodeLevel, CodeSetRelease

INDEXED_LEVELS = (CodeLevel.CATEGORY, CodeLevel.SUBCATEGORY, CodeLevel.CODE, CodeLevel.PCS_TABLE)


@dataclass
class Node:
    code: str
    display: str
    title: str
    billable: bool
    parent: str
    level: str
    requires_seventh: bool
    children: list[str] = field(default_factory=list)


@dataclass
class Entry:
    code: str
    words: frozenset[str]  # every word, nonessential modifiers included: any may match
    required: frozenset[str]  # the words that cost something when the query leaves them out
    negated: frozenset[str]  # words after "without": a query naming them wants another code
    required_weight: float = 0.0
    billable: bool = False  # copied from the code, so that scoring need not look it up


@dataclass
class CodeIndex:
    release_id: int
    system: str
    nodes: dict[str, Node]
    entries: list[Entry]
    postings: dict[str, list[int]]
    idf: dict[str, float]
    vocabulary: list[str]
    vocabulary_by_initial: dict[str, list[str]]
    # base code -> [(7-character code, title, the words its 7th character adds, what they cost)]
    seventh: dict[str, list[tuple[str, str, frozenset[str], float]]]

    def ancestors(self, code: str) -> list[Node]:
        """From the chapter down to the code itself."""
        chain = []
        node = self.nodes.get(code)
        while node is not None:
            chain.append(node)
            node = self.nodes.get(node.parent) if node.parent else None
        return list(reversed(chain))

    def default_billable(self, code: str) -> list[Node]:
        """The way down from a header to a billable code: at each level, the 'unspecified' child or the first."""
        chain: list[Node] = []
        node = self.nodes.get(code)
        while node is not None and not node.billable and node.children:
            children = [self.nodes[child] for child in node.children if child in self.nodes]
            if not children:
                break
            default = _default_child(node, children)
            if default is None:
                break
            node = default
            chain.append(node)
        return chain


DEFAULT_ENDINGS = ("unspecified", "without complications", "uncomplicated", "nos")


def _default_child(parent: Node, children: list[Node]) -> Node | None:
    """The child a header defaults to: for 7th characters the first ('A', initial encounter); else the
    child ending in 9 or whose title ends 'unspecified' / 'without complications'; else none."""
    if parent.requires_seventh:
        return children[0]
    for child in children:
        if child.code.endswith("9") and len(child.code) > 3:
            return child
    for child in children:
        if child.title.lower().rstrip(".").endswith(DEFAULT_ENDINGS):
            return child
    for child in children:
        if " without " in f" {child.title.lower()} ":
            return child
    return None


_CACHE: dict[int, CodeIndex] = {}
_LOCK = threading.Lock()


def forget_indexes() -> None:
    """Drop every cached index and remembered release (after a release is loaded or replaced)."""
    from chartdesk.coding.edits.lookup import forget_facts
    from chartdesk.coding.encoder.alphabetic import forget_alphabetic, forget_editions
    from chartdesk.coding.encoder.search import forget_releases
    from chartdesk.coding.pcs import forget_trees

    with _LOCK:
        _CACHE.clear()
        forget_releases()
    forget_alphabetic()
    forget_editions()
    forget_facts()
    forget_trees()


def index_for(release: CodeSetRelease) -> CodeIndex:
    cached = _CACHE.get(release.pk)
    if cached is not None:
        return cached
    with _LOCK:
        cached = _CACHE.get(release.pk)
        if cached is None:
            cached = _build(release)
            _CACHE[release.pk] = cached
        return cached


def word_cost(idf: dict[str, float], word: str) -> float:
    """What a word of an entry costs when the query does not name it."""
    weight = idf.get(word, 1.0)
    if word in DEFAULT_WORDS:
        return weight * 0.05
    return weight * 0.15 if word in NEUTRAL_WORDS else weight


def _entry(code: str, text: str) -> Entry:
    return Entry(code, frozenset(index_words(text)), frozenset(required_words(text)), frozenset(negated_words(text)))


def _build(release: CodeSetRelease) -> CodeIndex:
    nodes: dict[str, Node] = {}
    entries: list[Entry] = []
    seventh_titles: dict[str, list[tuple[str, str]]] = defaultdict(list)
    rows = Code.objects.filter(release=release).order_by("sort_key").values_list(
        "code", "display", "title", "billable", "parent", "level", "requires_seventh", "terms"
    )
    for code, display, title, billable, parent, level, requires_seventh, terms in rows.iterator(chunk_size=5000):
        nodes[code] = Node(code, display, title, billable, parent, level, requires_seventh)
        if parent in nodes:
            nodes[parent].children.append(code)
        if level not in INDEXED_LEVELS:
            continue
        parent_node = nodes.get(parent)
        if parent_node is not None and parent_node.requires_seventh and len(code) == 7:
            seventh_titles[parent].append((code, title))
            continue
        entries.append(_entry(code, title))
        for term in terms.splitlines():
            if term.strip():
                entries.append(_entry(code, term))
    postings: dict[str, list[int]] = defaultdict(list)
    for number, entry in enumerate(entries):
        for word in entry.words:
            postings[word].append(number)
    total = len(entries) or 1
    idf = {word: math.log(1 + total / len(hits)) for word, hits in postings.items()}
    for entry in entries:
        entry.required_weight = sum(word_cost(idf, word) for word in entry.required)
        entry.billable = nodes[entry.code].billable
    seventh: dict[str, list[tuple[str, str, frozenset[str], float]]] = {}
    for base, children in seventh_titles.items():
        base_words = set(index_words(nodes[base].title))
        seventh[base] = []
        for code, title in children:
            added = frozenset(set(required_words(title)) - base_words)
            seventh[base].append((code, title, added, sum(word_cost(idf, word) for word in added)))
    by_initial: dict[str, list[str]] = defaultdict(list)
    for word in sorted(postings):
        by_initial[word[0]].append(word)
    return CodeIndex(release.pk, release.system, nodes, entries, dict(postings), idf, sorted(postings),
                     dict(by_initial), seventh)
