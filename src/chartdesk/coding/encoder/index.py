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

from chartdesk.coding.encoder.text import DEFAULT_WORDS, NEUTRAL_WORDS, index_words, required_words
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
    required_weight: float = 0.0


@dataclass
class CodeIndex:
    release_id: int
    system: str
    nodes: dict[str, Node]
    entries: list[Entry]
    postings: dict[str, list[int]]
    idf: dict[str, float]
    vocabulary: list[str]
    seventh: dict[str, list[tuple[str, str, frozenset[str]]]]  # base code -> [(code, title, extra words)]

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
            node = _default_child(children)
            chain.append(node)
        return chain


def _default_child(children: list[Node]) -> Node:
    """ICD-10-CM's convention: the child ending in 9 is 'unspecified'; else one that says so; else the first."""
    for child in children:
        if child.code.endswith("9") and len(child.code) > 3:
            return child
    for child in children:
        if "unspecified" in child.title.lower() or child.title.lower().endswith("without complications"):
            return child
    return children[0]


_CACHE: dict[int, CodeIndex] = {}
_LOCK = threading.Lock()


def forget_indexes() -> None:
    with _LOCK:
        _CACHE.clear()


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
    return Entry(code, frozenset(index_words(text)), frozenset(required_words(text)))


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
    seventh = {}
    for base, children in seventh_titles.items():
        base_words = set(index_words(nodes[base].title))
        seventh[base] = [(code, title, frozenset(set(required_words(title)) - base_words)) for code, title in children]
    return CodeIndex(release.pk, release.system, nodes, entries, dict(postings), idf, sorted(postings), seventh)
