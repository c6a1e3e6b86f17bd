"""What billing reads: the codes of an encounter whose coding is complete.

`coded_encounter(encounter)` is the one read function the billing app needs. It answers None until
the coder has completed the encounter (and while a second-level review has it open again), so a
claim is never built from codes that may still change. The caller has already checked that its user
may see the encounter; this function reads codes, not patient documents, and writes nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from chartdesk.charts.models import Encounter
from chartdesk.coding.workflow.models import CaseStatus, CodingCase


@dataclass(frozen=True)
class CodedDiagnosisLine:
    code: str  # ICD-10-CM without the dot, e.g. "E119"
    poa: str  # "Y", "N", "U", "W", "1" (exempt) for inpatient; "" for other classes
    principal: bool  # principal (inpatient) or first-listed (other classes): always the first line


@dataclass(frozen=True)
class CodedProcedureLine:
    code: str
    system: str  # "icd10pcs", "cpt" or "hcpcs"
    modifiers: tuple[str, ...]
    units: int
    performed_on: datetime.date
    provider_npi: str
    provider_id: int | None


@dataclass(frozen=True)
class CodedEncounter:
    encounter_id: int
    encounter_class: str
    coded_at: datetime.datetime
    diagnoses: tuple[CodedDiagnosisLine, ...]  # in sequence: the principal / first-listed first
    procedures: tuple[CodedProcedureLine, ...]  # in the order the coder listed them
    # Inpatient stays: the final MS-DRG (three digits) and its grouper version, for the 837I/UB-04;
    # "" for other classes.
    ms_drg: str = ""
    ms_drg_version: str = ""


def coded_encounter(encounter: Encounter) -> CodedEncounter | None:
    """The final codes of `encounter` in billing order, or None while it is not coded (ready for billing)."""
    case = CodingCase.objects.filter(encounter=encounter, status=CaseStatus.CODED).first()
    if case is None or case.coded_at is None:
        return None
    diagnoses = tuple(
        CodedDiagnosisLine(row.code, row.poa, index == 0)
        for index, row in enumerate(case.diagnoses.order_by("position"))
    )
    procedures = tuple(
        CodedProcedureLine(
            row.code, row.system, tuple(row.modifiers), row.units, row.performed_on,
            row.provider.npi if row.provider else "", row.provider_id,
        )
        for row in case.procedures.select_related("provider").order_by("position")
    )
    final_drg = case.drg_groupings.order_by("-pk").first()
    return CodedEncounter(encounter.pk, encounter.encounter_class, case.coded_at, diagnoses, procedures,
                          final_drg.drg if final_drg else "", final_drg.version if final_drg else "")
