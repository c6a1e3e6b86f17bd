"""What billing receives from coding: the shape of the coding workflow's `coded_encounter(encounter)`.

The coding workflow returns the ordered diagnoses and procedures of a coded encounter; billing keeps
its own small dataclasses with exactly those fields, so the two apps meet at this shape and nothing
else (at merge, `coded_encounter`'s result is passed straight to `do_create_charges`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class CodedDiagnosis:
    code: str  # ICD-10-CM, with or without the dot
    poa: str = ""  # present on admission: Y, N, U, W or blank
    principal: bool = False


@dataclass(frozen=True)
class CodedProcedure:
    code: str  # CPT or HCPCS Level II
    system: str = "CPT"  # "CPT" or "HCPCS"
    modifiers: tuple[str, ...] = ()
    units: int = 1
    date: date | None = None
    provider: Any = None  # a charts.Provider, the rendering clinician


@dataclass(frozen=True)
class CodedEncounter:
    diagnoses: list[CodedDiagnosis] = field(default_factory=list)
    procedures: list[CodedProcedure] = field(default_factory=list)
