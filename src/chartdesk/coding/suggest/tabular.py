"""The ICD-10-CM tabular that the simple-icd-10-cm package ships, read straight from its XML: each
code's title, inclusion terms and whether it is billable. Codes that need a 7th character are
expanded the way the tabular defines them (placeholder X up to six characters, then the 7th), so
"billable" here is exactly the set a claim may carry. Read once per process, offline."""

from __future__ import annotations

import functools
import importlib.util
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TabularCode:
    code: str
    title: str
    inclusion_terms: tuple[str, ...]
    billable: bool


@dataclass(frozen=True)
class Tabular:
    codes: dict[str, TabularCode]

    def is_billable(self, code: str) -> bool:
        entry = self.codes.get(code)
        return entry is not None and entry.billable

    def title(self, code: str) -> str:
        return self.codes[code].title


def tabular_xml_path() -> Path:
    # Found without importing the package: its import reads the whole tabular itself (seconds).
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the simple-icd-10-cm package is not installed")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    names = sorted(data.glob("icd10c-tabular-*.xml"))
    if not names:
        raise FileNotFoundError("simple-icd-10-cm ships no ICD-10-CM tabular XML")
    return names[-1]


def notes(element: ET.Element, tag: str) -> list[str]:
    return [note.text.strip() for child in element.findall(tag) for note in child.findall("note") if note.text]


def seventh_characters(element: ET.Element) -> dict[str, str] | None:
    definition = element.find("sevenChrDef")
    if definition is None:
        return None
    return {extension.get("char", ""): (extension.text or "").strip() for extension in definition.findall("extension")}


def with_seventh(code: str, character: str) -> str:
    bare = code.replace(".", "").ljust(6, "X") + character
    return f"{bare[:3]}.{bare[3:]}"


def walk(element: ET.Element, inherited: dict[str, str] | None) -> Iterator[TabularCode]:
    code = element.findtext("name", "").strip()
    title = element.findtext("desc", "").strip()
    seventh = seventh_characters(element) or inherited
    children = element.findall("diag")
    # Category-level "includes" notes name the same condition when the category is itself a code (I10).
    terms = tuple(notes(element, "inclusionTerm") + (notes(element, "includes") if not children else []))
    is_leaf = not children
    yield TabularCode(code, title, terms, billable=is_leaf and seventh is None)
    if is_leaf and seventh:
        for character, meaning in seventh.items():
            yield TabularCode(with_seventh(code, character), f"{title}, {meaning}", (), billable=True)
    for child in children:
        yield from walk(child, seventh)


@functools.cache
def load_tabular() -> Tabular:
    root = ET.parse(tabular_xml_path()).getroot()  # noqa: S314 - the package's own file, not input from outside
    codes: dict[str, TabularCode] = {}
    for chapter in root.iter("chapter"):
        for section in chapter.findall("section"):
            for diag in section.findall("diag"):
                for entry in walk(diag, None):
                    codes[entry.code] = entry
    return Tabular(codes)
