"""The Table of Neoplasms (site × behaviour) and the Table of Drugs and Chemicals (substance × intent).

A coder reads the phrase for two things: the row (a site; a substance) and the column (a
behaviour; an intent), then takes the cell. This module does the same: the column from the words
that name it, however phrased ("mets", "metastatic to", "in situ"; "overdose", "suicide attempt",
"reaction to", "didn't take"), the row from the remaining words through the table's own terms,
brand names first turned into their generic substances.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chartdesk.coding.encoder.alphabetic import PartIndex, Term, find_terms, follow, resolve_see
from chartdesk.coding.encoder.brands import generic_names
from chartdesk.coding.encoder.text import index_words, query_words

PRIMARY, SECONDARY, IN_SITU, BENIGN, UNCERTAIN, UNSPECIFIED = "2", "3", "4", "5", "6", "7"
ACCIDENTAL, SELF_HARM, ASSAULT, UNDETERMINED, ADVERSE, UNDERDOSING = "2", "3", "4", "5", "6", "7"

# Column words, longest first within each column; matched on the lower-cased phrase with word bounds.
BEHAVIOUR_PHRASES: tuple[tuple[str, str], ...] = (
    (r"unspecified behaviou?r|behaviou?r unspecified|neoplasm of unspecified", UNSPECIFIED),
    (r"uncertain behaviou?r|uncertain|borderline", UNCERTAIN),
    (r"carcinoma in situ|ca in situ|in situ|\bcis\b", IN_SITU),
    (r"secondary|metastatic|metastases|metastasis|\bmets?\b|spread to", SECONDARY),
    (r"benign", BENIGN),
    (r"malignant|malignancy|cancer|carcinoma|\bca\b|primary|adenocarcinoma|sarcoma", PRIMARY),
    (r"neoplasm|tumou?r", UNSPECIFIED),
)
# Histologies the Index sends elsewhere than the table's site rows: the tabular search finds them
# by their own categories (C43 melanoma, C81-C88 lymphoma, C91-C95 leukemia, C44 basal cell ...).
ROUTED_HISTOLOGY = re.compile(
    r"melanoma|lymphoma|leukemia|leukaemia|myeloma|hodgkin|merkel|kaposi|mycosis fungoides|lipoma|"
    r"hemangioma|nevus"
)
HISTORY = re.compile(r"\b(h/o|history of|hx of|hx|personal history)\b")
SARCOMA = re.compile(r"\bsarcoma\b")
FROM_PRIMARY = re.compile(
    r"^(?P<secondary>.+?)\s+(?:mets?|metastas[ie]s|metastatic|secondary)\s+from\s+(?P<primary>.+)$"
)
METASTATIC_TO = re.compile(r"^(?P<primary>.*?)\s*(?:metastatic|mets?|spread)\s+to\s+(?:the\s+)?(?P<secondary>.+)$")

INTENT_PHRASES: tuple[tuple[str, str], ...] = (
    (r"underdos\w*|under dos\w*|did ?n[o']?t take|did not take|not taking|missed (?:a |her |his )?doses?|"
     r"non-?complian\w*|ran out of|stopped taking|took less|skipped", UNDERDOSING),
    (r"adverse (?:effect|reaction)s?|side effects?|reaction to|took as prescribed|as prescribed|"
     r"correct(?:ly)? (?:dose|administered)|properly administered|therapeutic use|allergic reaction to|"
     r"intolerance to", ADVERSE),
    (r"intentional self-?harm|self-?harm|suicid\w*|intentional(?:ly)? overdos\w*|deliberate\w*|"
     r"took (?:an )?intentional", SELF_HARM),
    (r"assault\w*|homicid\w*|poisoned by (?:another|someone)|given by (?:another|someone)", ASSAULT),
    (r"undetermined|unknown intent|intent unknown", UNDETERMINED),
    (r"accidental\w*|unintentional\w*|swallowed|ingest\w*|overdos\w*|poison\w*|toxicity|intoxicat\w*|"
     r"exposure to|took too much", ACCIDENTAL),
)
DRUG_FILLER = frozenset(
    "poisoning poison poisoned by of with due to from the a an his her their overdose overdosed od "
    "ingestion ingested accidental accidentally intentional unintentional self harm assault undetermined "
    "adverse effect effects reaction underdosing took take taking swallowed drug medication medicine "
    "pills pill tablet tablets prescribed as dose doses patient pt toxicity intoxication".split()
)


@dataclass
class TableHit:
    code: str  # as printed in the cell: may be incomplete ("C79.8-") or lack its 7th character
    path: list[str]
    column: str
    column_label: str
    also: list[tuple[str, list[str], str]]  # further cells a phrase names ("liver mets from colon ca")
    coverage: float = 1.0  # the share of the row words of the phrase that the row holds


def neoplasm_columns(text: str) -> str | None:
    lowered = text.lower()
    for pattern, column in BEHAVIOUR_PHRASES:
        if re.search(pattern, lowered):
            return column
    return None


def is_history(text: str) -> bool:
    return bool(HISTORY.search(text.lower()))


def routed_elsewhere(text: str) -> bool:
    return bool(ROUTED_HISTOLOGY.search(text.lower()))


def site_words(text: str) -> list[str]:
    """The words that name a site: the phrase less its behaviour words."""
    lowered = text.lower()
    for pattern, _ in BEHAVIOUR_PHRASES:
        lowered = re.sub(pattern, " ", lowered)
    lowered = re.sub(r"\b(of|the|in|from|to|on|neoplasm|neoplastic|tumou?r|primary|behaviou?r)\b", " ", lowered)
    return query_words(lowered)


def neoplasm_lookup(table: PartIndex, text: str) -> list[TableHit]:
    """Rows × columns the phrase names, best first (empty when the phrase is no neoplasm phrase)."""
    lowered = " ".join(text.lower().split())
    if routed_elsewhere(lowered):
        return []
    split = FROM_PRIMARY.match(lowered) or METASTATIC_TO.match(lowered)
    if split is not None and split.group("primary").strip() and split.group("secondary").strip():
        secondary = _neoplasm_rows(table, split.group("secondary"), SECONDARY, limit=3)
        primary = _neoplasm_rows(table, split.group("primary"), PRIMARY, limit=1)
        if secondary and primary:
            first = secondary[0]
            first.also = [(primary[0].code, primary[0].path, primary[0].column_label)]
            return [first, *secondary[1:]]
        return secondary or primary
    column = neoplasm_columns(lowered)
    if column is None:
        return []
    return _neoplasm_rows(table, lowered, column, limit=5)


def _neoplasm_rows(table: PartIndex, text: str, column: str, *, limit: int) -> list[TableHit]:
    words = site_words(text)
    if SARCOMA.search(text):
        words = [*words, *index_words("connective tissue")]
    if not words:
        words = []
    label = table.columns[int(column) - 2] if len(table.columns) >= int(column) - 1 else column
    if not words:
        main = table.terms[0]
        return [TableHit(main.cells[column], list(main.path), column, label, [])] if column in main.cells else []
    found = find_terms(table, words, limit=limit * 3,
                       usable=lambda term: column in term.cells or bool(term.see or term.see_also))
    hits: list[TableHit] = []
    for candidate in found:
        term, trail = follow(table, candidate.term)
        if column not in term.cells and term.see_also:
            # "colon: see also Neoplasm, intestine, large" with no benign cell: the coder turns there.
            also = _see_also_row(table, term, words, column)
            if also is not None:
                trail = [*trail, f"see also {term.see_also[0]}"]
                term = also
        if column not in term.cells:
            continue
        path = [*candidate.term.path, *trail] if trail else list(term.path)
        if trail:
            path = [*candidate.term.path, *trail, " > ".join(term.path)]
        hits.append(TableHit(term.cells[column], path, column, label, [], candidate.coverage))
        if len(hits) >= limit:
            break
    return hits


def _see_also_row(table: PartIndex, term: Term, words: list[str], column: str) -> Term | None:
    """Under the "see also" target, the row with the wanted column that shares most words with the site."""
    target = resolve_see(table, term.see_also[0])
    if target is None:
        return None
    rows = [target]
    for child in target.children.values():
        rows.append(table.terms[child])
        rows.extend(table.terms[grandchild] for grandchild in table.terms[child].children.values())
    wanted = set(words)
    usable = [row for row in rows if column in row.cells]
    if not usable:
        return None
    return max(usable, key=lambda row: (len(wanted & row.words), -len(row.path)))


def drug_column(text: str) -> str:
    lowered = text.lower()
    for pattern, column in INTENT_PHRASES:
        if re.search(pattern, lowered):
            return column
    # Guideline I.C.19.e.5(b): when the intent is not documented, code the poisoning as accidental.
    return ACCIDENTAL


def substance_words(text: str) -> list[str]:
    lowered = text.lower()
    for pattern, _ in INTENT_PHRASES:
        lowered = re.sub(pattern, " ", lowered)
    words = [word for word in re.findall(r"[a-z0-9][a-z0-9'-]*", lowered) if word not in DRUG_FILLER]
    return words


def drug_lookup(table: PartIndex, text: str, *, expect_drug: bool) -> list[TableHit]:
    """Substance rows × the intent column. `expect_drug`: the phrase named an intent or a poisoning,
    so a substance match alone is enough; otherwise the substance must be named in full."""
    column = drug_column(text)
    raw_words = substance_words(text)
    if not raw_words:
        return []
    label = table.columns[int(column) - 2] if len(table.columns) >= int(column) - 1 else column
    hits: list[TableHit] = []
    seen: set[str] = set()
    for words, brand_step in _substance_readings(table, raw_words):
        if not words:
            continue
        for found in find_terms(table, words, limit=5, usable=lambda term: column in term.cells or bool(term.see)):
            if not expect_drug and found.coverage < 0.999:
                continue
            term, trail = follow(table, found.term)
            code = term.cells.get(column, "")
            if not code or code in seen:
                continue
            seen.add(code)
            path = ([f"brand {brand_step}"] if brand_step else []) + list(found.term.path) + trail
            if trail:
                path.append(" > ".join(term.path))
            hits.append(TableHit(code, path, column, label, [], found.coverage))
    hits.sort(key=lambda hit: -hit.coverage)  # stable: a full reading first, the table's order kept
    if not expect_drug:
        return hits[:2]
    return hits[:5]


def _substance_readings(table: PartIndex, raw_words: list[str]) -> list[tuple[list[str], str]]:
    """The substance as written and, where the table does not know a word, the generic names it is a
    brand of ("tylenol" -> acetaminophen)."""
    readings: list[tuple[list[str], str]] = [(query_words(" ".join(raw_words)), "")]
    for word in raw_words:
        if all(folded in table.idf for folded in query_words(word)):
            continue
        for generic in generic_names(word):
            rest = [other for other in raw_words if other != word]
            readings.insert(0, (query_words(" ".join([generic, *rest])), f"{word} = {generic}"))
    return readings


def names_a_drug_event(text: str) -> bool:
    lowered = text.lower()
    return any(re.search(pattern, lowered) for pattern, _ in INTENT_PHRASES)


def term_path(term: Term) -> list[str]:
    return list(term.path)
