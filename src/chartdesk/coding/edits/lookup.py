"""What the validator needs to know about the codes of one encounter, read in a handful of queries.

For each code: its own row, and its ancestors' (a note at a category applies to every code below
it). Excludes1 notes count from every level up to the chapter; "code first" and "use additional
code" reminders only from the category down, since the chapter-wide ones would fire on every code.
"""

from __future__ import annotations

import datetime
import threading
import time
from dataclasses import dataclass, field

from chartdesk.coding.codesets.records import reference_covers
from chartdesk.coding.models import Code, CodeLevel, CodeNote, CodeSetRelease, NoteKind, SeventhCharacter

NOTE_KINDS = (NoteKind.EXCLUDES1, NoteKind.CODE_FIRST, NoteKind.USE_ADDITIONAL_CODE)
HEADING_LEVELS = (CodeLevel.CHAPTER, CodeLevel.BLOCK)


@dataclass(frozen=True)
class NoteFacts:
    kind: str
    text: str
    referenced: tuple[str, ...]
    heading: bool  # printed at a chapter or block, not at the code's own category


@dataclass
class CodeFacts:
    code: str
    display: str
    title: str
    billable: bool
    requires_seventh: bool
    manifestation: bool
    sex: str
    age_min: int | None
    age_max: int | None
    limit_source: str
    poa_exempt: bool
    notes: list[NoteFacts] = field(default_factory=list)
    seventh_hint: str = ""

    def notes_of(self, kind: str) -> list[NoteFacts]:
        return [note for note in self.notes if note.kind == kind and not note.heading]

    def excludes1_covering(self, other: str) -> str:
        for note in self.notes:
            if note.kind == NoteKind.EXCLUDES1 and any(reference_covers(ref, other) for ref in note.referenced):
                return note.text
        return ""


@dataclass
class ReleaseFacts:
    release: CodeSetRelease
    codes: dict[str, CodeFacts]
    valid_elsewhere: dict[str, str]
    seventh_parents: dict[str, str]  # code shorter than 6 that needs a 7th -> itself

    @property
    def label(self) -> str:
        return f"{self.release.get_system_display()} {self.release.label}"

    def placeholder_for(self, code: str) -> str:
        """'S0101A' -> 'S0101XA' when S01.01 needs a 7th character and the X was left out."""
        base = code[:-1]
        if base in self.seventh_parents and len(code) < 7:
            return base.ljust(6, "X") + code[-1]
        return ""

    def first_seventh(self, code: str) -> tuple[str, str] | None:
        row = (SeventhCharacter.objects.filter(code__release=self.release, code__code__in=_prefixes(code))
               .order_by("-code__code", "character").values_list("character", "meaning").first())
        if row is None:
            return None
        return code.ljust(6, "X") + row[0], row[1]

    def first_billable_below(self, code: str) -> str:
        below = Code.objects.filter(release=self.release, code__startswith=code, billable=True).order_by("sort_key")
        ninth = below.filter(code=code + "9").values_list("code", flat=True).first()
        return ninth or below.values_list("code", flat=True).first() or ""


def _prefixes(code: str) -> list[str]:
    return [code[:length] for length in range(3, len(code) + 1)]


# Facts about a code never change within a release, and a coding day reuses a few thousand codes:
# they are kept per process and release (bounded), and dropped when a release is loaded.
_FACTS: dict[int, dict[str, CodeFacts | None]] = {}
_RELEASES: dict[tuple[str, datetime.date], tuple[float, CodeSetRelease | None]] = {}
_LOCK = threading.Lock()
FACTS_KEPT = 50_000
RELEASE_MEMORY_S = 30.0


def forget_facts() -> None:
    with _LOCK:
        _FACTS.clear()
        _RELEASES.clear()


def _release_in_effect(system: str, on: datetime.date) -> CodeSetRelease | None:
    remembered = _RELEASES.get((system, on))
    if remembered is not None and time.monotonic() - remembered[0] < RELEASE_MEMORY_S:
        return remembered[1]
    release = CodeSetRelease.objects.in_effect(system, on)
    _RELEASES[(system, on)] = (time.monotonic(), release)
    return release


def facts_for(system: str, on: datetime.date, codes: list[str]) -> ReleaseFacts | None:
    release = _release_in_effect(system, on)
    if release is None:
        return None
    known = _FACTS.setdefault(release.pk, {})
    unknown = [code for code in dict.fromkeys(codes) if code not in known]
    if unknown:
        read = _read_facts(release, unknown)
        with _LOCK:
            if len(known) > FACTS_KEPT:
                known.clear()
            known.update({code: read.get(code) for code in unknown})
    facts = {code: found for code in codes if (found := known.get(code)) is not None}
    missing = [code for code in codes if code not in facts]
    seventh_parents: set[str] = set()
    if missing:
        parents = {code[:-1] for code in missing}
        seventh_parents = set(Code.objects.filter(release=release, code__in=parents, requires_seventh=True)
                              .order_by().values_list("code", flat=True))
    return ReleaseFacts(release, facts, _valid_elsewhere(release, missing), {code: code for code in seventh_parents})


def _read_facts(release: CodeSetRelease, codes: list[str]) -> dict[str, CodeFacts]:
    wanted = {prefix for code in codes for prefix in _prefixes(code)}
    rows = {row.code: row for row in Code.objects.filter(release=release, code__in=wanted).order_by()}
    headings = {row.parent for row in rows.values() if row.level == CodeLevel.CATEGORY and row.parent}
    heading_rows = {row.code: row for row in Code.objects.filter(release=release, code__in=headings).order_by()}
    chapters = {row.parent for row in heading_rows.values() if row.parent}
    heading_rows.update({row.code: row for row in Code.objects.filter(release=release, code__in=chapters).order_by()})
    all_rows = {**rows, **heading_rows}
    notes_by_id: dict[int, list[CodeNote]] = {}
    for note in CodeNote.objects.filter(code_id__in=[row.pk for row in all_rows.values()], kind__in=NOTE_KINDS):
        notes_by_id.setdefault(note.code_id, []).append(note)
    hints = _seventh_hints(release, [row for row in rows.values() if row.requires_seventh and row.code in codes])
    facts: dict[str, CodeFacts] = {}
    for code in codes:
        row = rows.get(code)
        if row is None:
            continue
        chain = [rows[prefix] for prefix in _prefixes(code) if prefix in rows]
        category = chain[0] if chain else row
        block = heading_rows.get(category.parent)
        chapter = heading_rows.get(block.parent) if block is not None else None
        notes = [
            NoteFacts(note.kind, note.text, tuple(note.referenced), heading=holder.level in HEADING_LEVELS)
            for holder in [*(node for node in (chapter, block) if node is not None), *chain]
            for note in notes_by_id.get(holder.pk, [])
        ]
        facts[code] = CodeFacts(
            code=row.code, display=row.display, title=row.title, billable=row.billable,
            requires_seventh=row.requires_seventh, manifestation=row.manifestation, sex=row.sex,
            age_min=row.age_min, age_max=row.age_max, limit_source=row.limit_source, poa_exempt=row.poa_exempt,
            notes=notes, seventh_hint=hints.get(row.code, ""),
        )
    return facts


def _seventh_hints(release: CodeSetRelease, rows: list[Code]) -> dict[str, str]:
    hints = {}
    for row in rows:
        characters = list(
            SeventhCharacter.objects.filter(code__release=release, code__code__in=_prefixes(row.code))
            .order_by("-code__code", "character").values_list("code__code", "character")
        )
        nearest = characters[0][0] if characters else ""
        hints[row.code] = ", ".join(character for holder, character in characters if holder == nearest)
    return hints


def _valid_elsewhere(release: CodeSetRelease, missing: list[str]) -> dict[str, str]:
    if not missing:
        return {}
    found: dict[str, str] = {}
    for code, label, start, end in (
        Code.objects.filter(release__system=release.system, code__in=missing, billable=True)
        .exclude(release=release)
        .order_by("release__effective_from")
        .values_list("code", "release__label", "release__effective_from", "release__effective_to")
    ):
        until = f" until {end:%Y-%m-%d}" if end else ""
        found[code] = f"{label}, valid from {start:%Y-%m-%d}{until}"
    return found
