"""The ICD-10-CM Alphabetic Index and its tables, from the official `ICD10CM.index` XML files.

One schema serves four files of the CMS/NCHS release: the Index to Diseases and Injuries, the
External Cause of Injuries Index, the Table of Neoplasms and the Table of Drugs and Chemicals. Each
holds letters, main terms and nested terms (`level` 1, 2, ...); a term has a title with its
nonessential modifiers (`nemod`, the parenthesised words that change nothing), and a code, a
manifestation code, a cross-reference ("see", "see also", "see condition", "see category",
"subcategory"), a "code also" instruction or, in
the two tables, one cell per column (site × behaviour, substance × intent).

The parser flattens the tree into terms in file order, each naming its parent, as the store keeps
them. Structural faults (a term without a title, a cell outside the table's columns, a code that
is not an ICD-10-CM code) are refused naming the element and its line; nothing is loaded.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from chartdesk.coding.codesets.errors import MalformedCodeFile
from chartdesk.coding.codesets.xmltree import Node, parse_xml
from chartdesk.coding.models import IndexPart

ROOT_TAG = "ICD10CM.index"
# A cell or code as the index prints it: "C79.8-" (incomplete: choose further), "T51.3X1", "--".
INDEX_CODE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{0,4})?-?$")
EMPTY_CELL = {"-", "--", ""}
# "see condition" is a <see> whose target is the word "condition": the term is a modifier, not a main
# term, and the coder looks up the condition it qualifies. "code also" (`codeAlso`, the tabular list's
# own element name) names a further code the coder reports beside the term's.
CROSS_REFERENCES = {"see": "see", "seeAlso": "see_also", "seecat": "see_category", "subcat": "subcategory",
                    "codeAlso": "code_also"}


# The columns each table must have, by the first words of their headings.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    IndexPart.NEOPLASMS: ("malignant primary", "malignant secondary", "ca in situ", "benign",
                              "uncertain", "unspecified"),
    IndexPart.DRUGS: ("poisoning accidental", "poisoning intentional", "poisoning assault",
                          "poisoning undetermined", "adverse effect", "underdosing"),
}


@dataclass
class ParsedIndex:
    kind: str
    version: str
    columns: list[str]
    terms: list[dict[str, Any]] = field(default_factory=list)


def kind_of(root: Node, source_name: str) -> str:
    """Which of the four files this is: from the table headings, the title, then the file name."""
    heading = root.find("indexHeading")
    if heading is not None:
        first = " ".join(head.text.lower() for head in heading.all("head") if head.attrs.get("col") == "1")
        if first.startswith("neoplasm"):
            return IndexPart.NEOPLASMS
        if first.startswith(("substance", "drug")):
            return IndexPart.DRUGS
        raise MalformedCodeFile(source_name, heading.line, f"<indexHeading> of an unknown table ('{first}')")
    title = root.child_text("title").lower()
    name = source_name.lower()
    if "external cause" in title or "eindex" in name:
        return IndexPart.EXTERNAL_CAUSES
    return IndexPart.DISEASES


def parse_index(content: bytes, source_name: str) -> ParsedIndex:
    root = parse_xml(content, source_name)
    if root.tag != ROOT_TAG:
        raise MalformedCodeFile(source_name, root.line, f"expected <{ROOT_TAG}>, found <{root.tag}>")
    kind = kind_of(root, source_name)
    columns = _columns(root, kind, source_name)
    parsed = ParsedIndex(kind, root.child_text("version"), columns)
    letters = root.all("letter")
    if not letters:
        raise MalformedCodeFile(source_name, root.line, "no <letter> in the index")
    for letter in letters:
        main_terms = letter.all("mainTerm")
        if not main_terms:
            raise MalformedCodeFile(source_name, letter.line, "<letter> without any <mainTerm>")
        for main in main_terms:
            _term(main, -1, 0, parsed, source_name)
    return parsed


def _columns(root: Node, kind: str, source_name: str) -> list[str]:
    expected = TABLE_COLUMNS.get(kind)
    if expected is None:
        return []
    heading = root.find("indexHeading")
    assert heading is not None  # kind_of found the table by its heading
    heads = {head.attrs.get("col", ""): head.text for head in heading.all("head")}
    columns = []
    for number, start in enumerate(expected, start=2):
        text = heads.get(str(number), "")
        if not text.lower().startswith(start):
            raise MalformedCodeFile(source_name, heading.line,
                                    f"<head col=\"{number}\"> should be '{start}...', found '{text}'")
        columns.append(text)
    return columns


def _term(node: Node, parent: int, level: int, parsed: ParsedIndex, source_name: str) -> None:
    title_node = node.find("title")
    if title_node is None or not _own_text(title_node):
        raise MalformedCodeFile(source_name, node.line, f"<{node.tag}> without a <title>")
    term: dict[str, Any] = {
        "parent": parent,
        "level": level,
        "title": _own_text(title_node),
        "nemod": " ".join(child.text for child in title_node.all("nemod")),
    }
    for child in node.children:
        if child.tag == "code":
            term["code"] = _code(child, source_name, allow_empty=False)
        elif child.tag == "manif":
            # The manifestation code, printed in brackets after the etiology's (or, once in the
            # Table of Neoplasms, a words-only note).
            term["manif"] = child.text
        elif child.tag in CROSS_REFERENCES:
            term.setdefault(CROSS_REFERENCES[child.tag], []).append(child.text)
        elif child.tag == "cell":
            _cell(child, term, parsed, source_name)
    position = len(parsed.terms)
    parsed.terms.append(term)
    for child in node.all("term"):
        declared = child.attrs.get("level", "")
        if declared != str(level + 1):
            raise MalformedCodeFile(source_name, child.line,
                                    f"<term level=\"{declared}\"> under a level-{level} term (expected {level + 1})")
        _term(child, position, level + 1, parsed, source_name)


def _cell(node: Node, term: dict[str, Any], parsed: ParsedIndex, source_name: str) -> None:
    if not parsed.columns:
        raise MalformedCodeFile(source_name, node.line, "<cell> outside a table (this index has no columns)")
    column = node.attrs.get("col", "")
    if not column.isdecimal() or not 2 <= int(column) <= len(parsed.columns) + 1:
        raise MalformedCodeFile(source_name, node.line, f"<cell col=\"{column}\"> is not a column of the table")
    code = _code(node, source_name, allow_empty=True)
    if code:
        term.setdefault("cells", {})[column] = code


def _code(node: Node, source_name: str, *, allow_empty: bool) -> str:
    text = node.text.strip()
    if allow_empty and text in EMPTY_CELL:
        return ""
    if not INDEX_CODE.match(text):
        raise MalformedCodeFile(source_name, node.line, f"<{node.tag}> '{text}' is not an ICD-10-CM code")
    return text


def _own_text(title: Node) -> str:
    """A title's own words: the tree keeps character data with the innermost element, so the
    <nemod> words are not among them."""
    return title.text


def edition_of_index(source_name: str, version: str) -> tuple[datetime.date, str]:
    """FY2023 files take effect on 1 October 2022; an April update on 1 April of its year."""
    match = re.search(r"(april|october)[-_ ]?1?[-_ ]?(\d{4})", source_name.lower())
    if match:
        year = int(match.group(2))
        if match.group(1) == "april":
            return datetime.date(year, 4, 1), f"FY{year} April update"
        return datetime.date(year, 10, 1), f"FY{year + 1}"
    fiscal = version if version.isdecimal() else ""
    if not fiscal:
        found = re.search(r"(?<!\d)(20\d\d)(?!\d)", source_name)
        fiscal = found.group(1) if found else ""
    if not fiscal:
        raise MalformedCodeFile(source_name, 1, "cannot tell the fiscal year: give --effective YYYY-MM-DD")
    return datetime.date(int(fiscal) - 1, 10, 1), f"FY{fiscal}"
