"""Which parts of the classification are loaded, by fiscal year: what the code-set page and
`chartdesk codes releases` state plainly.

A fiscal year runs from 1 October to 30 September (FY2024 from 2023-10-01; its April update, from
2024-04-01, belongs to it). Each part (the ICD-10-CM tabular list, the four parts of the Alphabetic
Index, ICD-10-PCS) is loaded and kept by effective date on its own, so one fiscal year may hold the
tables without the tabular list or the reverse; saying so per year is what lets a coder trust a
lookup for a date of service.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from chartdesk.coding.models import ClassificationIndex, Code, CodeLevel, CodeSetRelease, CodeSystem, IndexPart

# The 17 sections of ICD-10-PCS, by their first character (the tables' own section titles).
PCS_SECTIONS = {
    "0": "Medical and Surgical", "1": "Obstetrics", "2": "Placement", "3": "Administration",
    "4": "Measurement and Monitoring", "5": "Extracorporeal or Systemic Assistance and Performance",
    "6": "Extracorporeal or Systemic Therapies", "7": "Osteopathic", "8": "Other Procedures",
    "9": "Chiropractic", "B": "Imaging", "C": "Nuclear Medicine", "D": "Radiation Therapy",
    "F": "Physical Rehabilitation and Diagnostic Audiology", "G": "Mental Health",
    "H": "Substance Abuse Treatment", "X": "New Technology",
}
TABULAR = "ICD-10-CM Tabular List"
PCS = "ICD-10-PCS"
PARTS = (TABULAR, *(part.label for part in IndexPart), PCS)


def fiscal_year(day: datetime.date) -> int:
    return day.year + 1 if day.month >= 10 else day.year


@dataclass
class Edition:
    label: str
    effective_from: datetime.date
    size: str  # "74,719 billable codes", "8,513 terms"
    sections: list[str] = field(default_factory=list)  # PCS: the sections loaded
    sections_missing: list[str] = field(default_factory=list)


@dataclass
class PartStatus:
    part: str
    editions: list[Edition]

    @property
    def loaded(self) -> bool:
        return bool(self.editions)


@dataclass
class FiscalYear:
    year: int
    parts: list[PartStatus]

    @property
    def missing(self) -> list[str]:
        return [status.part for status in self.parts if not status.loaded]


def classification_by_fiscal_year() -> list[FiscalYear]:
    """Every fiscal year with anything of ICD-10-CM or ICD-10-PCS loaded, latest first, each part
    named whether loaded or not."""
    found: dict[int, dict[str, list[Edition]]] = {}

    def put(part: str, edition: Edition) -> None:
        found.setdefault(fiscal_year(edition.effective_from), {}).setdefault(part, []).append(edition)

    for release in CodeSetRelease.objects.filter(system=CodeSystem.ICD10CM).order_by("effective_from"):
        put(TABULAR, Edition(release.label, release.effective_from, f"{release.code_count:,} billable codes"))
    for index_part in ClassificationIndex.objects.order_by("effective_from").only(
            "part", "label", "effective_from", "term_count"):
        put(IndexPart(index_part.part).label,
            Edition(index_part.label, index_part.effective_from, f"{index_part.term_count:,} terms"))
    for release in CodeSetRelease.objects.filter(system=CodeSystem.ICD10PCS).order_by("effective_from"):
        put(PCS, _pcs_edition(release))
    return [FiscalYear(year, [PartStatus(part, found[year].get(part, [])) for part in PARTS])
            for year in sorted(found, reverse=True)]


def _pcs_edition(release: CodeSetRelease) -> Edition:
    tables = Code.objects.filter(release=release, level=CodeLevel.PCS_TABLE).values_list("code", flat=True)
    present = {table[:1] for table in tables}
    return Edition(
        release.label, release.effective_from, f"{release.code_count:,} codes",
        sections=[f"{key} {name}" for key, name in PCS_SECTIONS.items() if key in present],
        sections_missing=[f"{key} {name}" for key, name in PCS_SECTIONS.items() if key not in present],
    )
