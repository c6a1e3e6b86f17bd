"""ICD-10-CM from the official tabular list XML (the edition that simple-icd-10-cm ships).

The XML holds chapters, blocks ("sections") and a nested `diag` tree with every note. It does not
list the 7-character codes: a `sevenChrDef` at a category or subcategory applies to every code
below it (the nearest definition wins), and a code shorter than six characters takes placeholder
X before its 7th character. This parser generates those codes, as CMS's code files list them.
"""

from __future__ import annotations

import datetime
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from chartdesk.coding.codesets import limits
from chartdesk.coding.codesets.errors import MalformedCodeFile
from chartdesk.coding.codesets.records import ParsedCode, ParsedNote, ParsedRelease, referenced_codes
from chartdesk.coding.codesets.xmltree import Node, parse_xml
from chartdesk.coding.models import CodeLevel, CodeSystem, NoteKind

ICD10CM_CODE = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z](\.[0-9A-Z]{1,4})?$")
NOTE_TAGS = {
    "includes": NoteKind.INCLUDES,
    "inclusionTerm": NoteKind.INCLUSION_TERM,
    "excludes1": NoteKind.EXCLUDES1,
    "excludes2": NoteKind.EXCLUDES2,
    "codeFirst": NoteKind.CODE_FIRST,
    "useAdditionalCode": NoteKind.USE_ADDITIONAL_CODE,
    "codeAlso": NoteKind.CODE_ALSO,
    "sevenChrNote": NoteKind.SEVENTH_CHARACTER_NOTE,
    "notes": NoteKind.NOTE,
}
# "in diseases classified elsewhere", "in other diseases classified elsewhere", "in infectious and
# parasitic diseases classified elsewhere": the tabular list's own mark of a manifestation code.
MANIFESTATION_WORDING = re.compile(r"\bin\b.*\bclassified elsewhere\b", re.IGNORECASE)
# Category S06's note: "7th characters D and S do not apply to codes in category S06 with 6th
# character 7 ... or 8" (death before regaining consciousness). Kept as data, applied when generating.
SEVENTH_CHARACTER_EXCEPTIONS: dict[str, tuple[tuple[int, str], str]] = {"S06": ((5, "78"), "A")}
MONTHS = {"april": 4, "october": 10}


def packaged_tabular() -> Path:
    """The tabular XML inside the installed simple-icd-10-cm package (no network)."""
    # find_spec locates the package without importing it: importing it parses the whole XML.
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the simple-icd-10-cm package is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    found = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".xml") and "tabular" in entry.name)
    if not found:
        raise FileNotFoundError("simple-icd-10-cm ships no tabular XML")
    return folder / found[-1]


def edition_of(file_name: str, version: str) -> tuple[datetime.date, str]:
    """Effective date and label: 'icd10c-tabular-April-1-2026.xml' -> (2026-04-01, 'FY2026 April update').

    The fiscal year starts on 1 October: the October edition of year Y-1 is FY Y; April updates
    take effect on 1 April within the same fiscal year.
    """
    match = re.search(r"(april|october)-1-(\d{4})", file_name.lower())
    if match:
        month, year = MONTHS[match.group(1)], int(match.group(2))
        if month == 4:
            return datetime.date(year, 4, 1), f"FY{year} April update"
        return datetime.date(year, 10, 1), f"FY{year + 1}"
    if version.isdecimal():
        fiscal_year = int(version)
        return datetime.date(fiscal_year - 1, 10, 1), f"FY{fiscal_year}"
    raise MalformedCodeFile(file_name, 1, "cannot tell the edition: give --effective YYYY-MM-DD")


@dataclass
class _Context:
    """What a diag inherits from above it while walking the tree."""

    chapter: str
    block_title: str
    seventh: list[tuple[str, str]]
    manifestation: bool
    limit: limits.Limit


class TabularParser:
    def __init__(self, source_name: str, only: tuple[str, ...] | None = None) -> None:
        self.source_name = source_name
        self.only = only
        self.codes: list[ParsedCode] = []
        self.seen: set[str] = set()

    def parse(self, content: bytes, effective_from: datetime.date | None = None, label: str = "") -> ParsedRelease:
        root = parse_xml(content, self.source_name)
        if root.tag != "ICD10CM.tabular":
            raise MalformedCodeFile(self.source_name, root.line, f"expected <ICD10CM.tabular>, found <{root.tag}>")
        version = root.child_text("version")
        default_from, default_label = edition_of(self.source_name, version)
        chapters = root.all("chapter")
        if not chapters:
            raise MalformedCodeFile(self.source_name, root.line, "no <chapter> in the tabular list")
        for chapter in chapters:
            self._chapter(chapter)
        return ParsedRelease(
            CodeSystem.ICD10CM, label or default_label, effective_from or default_from, self.codes,
            extra={"version": version},
        )

    def _wanted(self, category: str) -> bool:
        return self.only is None or category.startswith(self.only)

    def _add(self, parsed: ParsedCode, line: int) -> None:
        if parsed.code in self.seen:
            raise MalformedCodeFile(self.source_name, line, f"code {parsed.display} appears twice")
        self.seen.add(parsed.code)
        self.codes.append(parsed)

    def _chapter(self, chapter: Node) -> None:
        number = chapter.child_text("name")
        title = chapter.child_text("desc")
        if not number:
            raise MalformedCodeFile(self.source_name, chapter.line, "chapter without <name>")
        mark = len(self.codes)
        chapter_code = f"CH{number.zfill(2)}"
        for block in chapter.all("section"):
            self._block(block, chapter_code)
        if len(self.codes) > mark:
            self.codes.insert(mark, ParsedCode(
                chapter_code, f"Chapter {number}", title, CodeLevel.CHAPTER, notes=_notes(chapter)
            ))
            self.seen.add(chapter_code)

    def _block(self, block: Node, chapter_code: str) -> None:
        block_id = block.attrs.get("id", "")
        title = block.child_text("desc")
        if not block_id:
            raise MalformedCodeFile(self.source_name, block.line, "section without an id attribute")
        mark = len(self.codes)
        # A one-category block ("O09") would share its category's code: blocks always carry a range.
        block_code = block_id if "-" in block_id else f"{block_id}-{block_id}"
        for diag in block.all("diag"):
            name = diag.child_text("name")
            if not self._wanted(name.replace(".", "")):
                continue
            category = name.replace(".", "")
            context = _Context(chapter_code, title, [], False, limits.limit_for(category, title))
            self._diag(diag, block_code, context)
        if len(self.codes) > mark:
            if block_code in self.seen:
                raise MalformedCodeFile(self.source_name, block.line, f"section {block_id} appears twice")
            self.seen.add(block_code)
            self.codes.insert(mark, ParsedCode(
                block_code, block_id, title, CodeLevel.BLOCK, parent=chapter_code, notes=_notes(block)
            ))

    def _diag(self, diag: Node, parent: str, inherited: _Context) -> None:
        name = diag.child_text("name")
        title = diag.child_text("desc")
        if not ICD10CM_CODE.match(name):
            raise MalformedCodeFile(self.source_name, diag.line, f"'{name}' is not an ICD-10-CM code")
        if not title:
            raise MalformedCodeFile(self.source_name, diag.line, f"code {name} has no <desc>")
        code = name.replace(".", "")
        seventh = _seventh_characters(diag) or inherited.seventh
        manifestation = inherited.manifestation or bool(MANIFESTATION_WORDING.search(title))
        context = _Context(inherited.chapter, inherited.block_title, seventh, manifestation, inherited.limit)
        children = diag.all("diag")
        leaf = not children
        needs_seventh = leaf and bool(seventh) and len(code) < 7
        notes = _notes(diag)
        parsed = ParsedCode(
            code=code,
            display=name,
            title=title,
            level=CodeLevel.CATEGORY if len(code) == 3 else (CodeLevel.CODE if leaf else CodeLevel.SUBCATEGORY),
            billable=leaf and not needs_seventh,
            parent=parent,
            manifestation=manifestation,
            requires_seventh=needs_seventh,
            sex=inherited.limit.sex,
            age_min=inherited.limit.age_min,
            age_max=inherited.limit.age_max,
            limit_source=inherited.limit.source,
            poa_exempt=limits.poa_exempt(code),
            # Inclusion terms and a category's "includes" notes are the tabular list's own synonyms.
            terms=[note.text for note in notes if note.kind in (NoteKind.INCLUSION_TERM, NoteKind.INCLUDES)],
            notes=notes,
            seventh_characters=_seventh_characters(diag),
        )
        self._add(parsed, diag.line)
        for child in children:
            self._diag(child, code, context)
        if needs_seventh:
            self._seventh_codes(parsed, seventh, diag.line)

    def _seventh_codes(self, base: ParsedCode, seventh: list[tuple[str, str]], line: int) -> None:
        padded = base.code.ljust(6, "X")
        for character, meaning in seventh:
            code = padded + character
            if not _seventh_applies(code):
                continue
            self._add(ParsedCode(
                code=code,
                display=f"{code[:3]}.{code[3:]}",
                title=f"{base.title}, {meaning}",
                level=CodeLevel.CODE,
                billable=True,
                parent=base.code,
                manifestation=base.manifestation,
                sex=base.sex,
                age_min=base.age_min,
                age_max=base.age_max,
                limit_source=base.limit_source,
                poa_exempt=base.poa_exempt,
            ), line)


def _seventh_applies(code: str) -> bool:
    exception = SEVENTH_CHARACTER_EXCEPTIONS.get(code[:3])
    if exception is None:
        return True
    (position, characters), allowed = exception
    return code[position] not in characters or code[6] in allowed


def _notes(node: Node) -> list[ParsedNote]:
    notes = []
    for child in node.children:
        kind = NOTE_TAGS.get(child.tag)
        if kind is None:
            continue
        for note in child.all("note"):
            if note.text:
                notes.append(ParsedNote(kind, note.text, referenced_codes(note.text)))
    return notes


def _seventh_characters(diag: Node) -> list[tuple[str, str]]:
    definition = diag.find("sevenChrDef")
    if definition is None:
        return []
    return [(ext.attrs.get("char", ""), ext.text) for ext in definition.all("extension") if ext.attrs.get("char")]


def parse_tabular(
    content: bytes,
    source_name: str,
    *,
    only: tuple[str, ...] | None = None,
    effective_from: datetime.date | None = None,
    label: str = "",
) -> ParsedRelease:
    """Parse a whole tabular XML; `only` keeps the categories starting with those prefixes (test subsets)."""
    return TabularParser(source_name, only).parse(content, effective_from, label)
