"""The working MS-DRG of an inpatient case: its abstract, its grouping and how the grouping moved.

`record_grouping` is called by every coding action in the transaction that changes the case (from
`actions._revised`), so no change to the codes can leave the DRG history behind: one place, not one
call per action. A row is written when what the grouper reads changed, or when the case reaches a
stage (completed, in review, final), so the DRG a coder completed with is kept however the codes
move afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from chartdesk.charts.models import EncounterClass
from chartdesk.coding.drg.grouper import (
    AbstractDiagnosis,
    AbstractProcedure,
    DrgInputError,
    DrgResult,
    InpatientAbstract,
    group,
)
from chartdesk.coding.drg.mce import MceFinding, mce_findings
from chartdesk.coding.workflow.models import CaseStatus, CodingCase, DrgGrouping, ProcedureSystem
from chartdesk.core.dates import age_on

STATUS_NOT_RECORDED = "01"


def discharge_status_of(case: CodingCase) -> str:
    return case.discharge_status or case.encounter.discharge_disposition or ""


def abstract_of(case: CodingCase) -> InpatientAbstract | None:
    """The case as the grouper reads it; None for an outpatient case, one without a diagnosis yet, or
    one whose patient has no date of birth on file (an incomplete legacy record: the grouper needs the age)."""
    from chartdesk.coding.workflow.actions import service_day

    encounter = case.encounter
    if encounter.encounter_class != EncounterClass.INPATIENT:
        return None
    diagnoses = tuple(AbstractDiagnosis(row.code, row.poa) for row in case.diagnoses.order_by("position"))
    if not diagnoses:
        return None
    patient = encounter.patient
    if patient.birth_date is None:
        return None
    discharge_day = service_day(encounter)
    admit_day = timezone.localtime(encounter.admit_at).date()
    return InpatientAbstract(
        diagnoses=diagnoses,
        procedures=tuple(AbstractProcedure(row.code, row.performed_on) for row in
                         case.procedures.filter(system=ProcedureSystem.ICD10PCS).order_by("position")),
        # CMS groups on the age at admission.
        age=min(age_on(patient.birth_date, admit_day), 124),
        sex=patient.sex if patient.sex in ("F", "M") else "U",
        discharge_status=discharge_status_of(case) or STATUS_NOT_RECORDED,
        discharge_date=discharge_day,
        admission_type=case.admission_type,
        admission_source=case.admission_source,
        birth_weight_grams=case.birth_weight_grams,
    )


def inputs_of(abstract: InpatientAbstract) -> dict[str, Any]:
    return {
        "dx": [[row.code, row.poa] for row in abstract.diagnoses],
        "pcs": [row.code for row in abstract.procedures],
        "age": abstract.age, "sex": abstract.sex, "discharge_status": abstract.discharge_status,
    }


def _dotted(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def describe_change(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What moved between two groupings, in the coder's words: added, removed, resequenced, POA, status."""
    if not before:
        return "first grouping"
    parts: list[str] = []
    old_dx = {code: poa for code, poa in before.get("dx", [])}
    new_dx = {code: poa for code, poa in after.get("dx", [])}
    parts += [f"added {_dotted(code)}" for code in new_dx if code not in old_dx]
    parts += [f"removed {_dotted(code)}" for code in old_dx if code not in new_dx]
    parts += [f"POA of {_dotted(code)} {old_dx[code] or '-'} to {poa or '-'}" for code, poa in new_dx.items()
              if code in old_dx and old_dx[code] != poa]
    old_order = [code for code, _poa in before.get("dx", []) if code in new_dx]
    new_order = [code for code, _poa in after.get("dx", []) if code in old_dx]
    if old_order != new_order:
        principal = after["dx"][0][0] if after.get("dx") else ""
        parts.append(f"resequenced (principal {_dotted(principal)})")
    parts += [f"added procedure {code}" for code in after.get("pcs", []) if code not in before.get("pcs", [])]
    parts += [f"removed procedure {code}" for code in before.get("pcs", []) if code not in after.get("pcs", [])]
    for key, label in (("discharge_status", "discharge status"), ("age", "age"), ("sex", "sex")):
        if before.get(key) != after.get(key):
            parts.append(f"{label} {before.get(key)} to {after.get(key)}")
    return "; ".join(parts)[:300]


def _stage(case: CodingCase) -> str:
    if case.status == CaseStatus.CODED:
        return DrgGrouping.Stage.FINAL if case.reviewed_at else DrgGrouping.Stage.CODED
    if case.status == CaseStatus.IN_REVIEW:
        return DrgGrouping.Stage.REVIEW
    return DrgGrouping.Stage.WORKING


def group_case(case: CodingCase) -> tuple[InpatientAbstract | None, DrgResult | None, str]:
    """The case's grouping now: (abstract, result, problem). The problem names what the grouper refused."""
    abstract = abstract_of(case)
    if abstract is None:
        return None, None, ""
    try:
        return abstract, group(abstract), ""
    except DrgInputError as refusal:
        return abstract, None, refusal.message


def record_grouping(case: CodingCase, user: Any) -> DrgGrouping | None:
    """Regroup an inpatient case after a change; write a DrgGrouping when the grouping moved or the
    case reached a new stage. Runs inside the caller's transaction (the case row is locked)."""
    abstract, result, _problem = group_case(case)
    if abstract is None or result is None:
        return None
    inputs = inputs_of(abstract)
    stage = _stage(case)
    last = case.drg_groupings.order_by("-pk").first()
    if last is not None and last.inputs == inputs and last.stage == stage:
        return None
    weight = result.weight
    return DrgGrouping.objects.create(
        case=case, revision=case.revision, stage=stage, grouped_by=user if getattr(user, "pk", None) else None,
        change=describe_change(last.inputs if last else {}, inputs) if last is None or last.inputs != inputs
        else f"stage: {DrgGrouping.Stage(stage).label.lower()}",
        inputs=inputs, version=result.version_label, drg=result.drg, title=result.title[:200], mdc=result.mdc,
        return_code=result.return_code, cc_mcc=result.cc_mcc, cc_mcc_code=result.cc_mcc_code,
        weight=weight.weight if weight else None, gmlos=weight.gmlos if weight else None,
        weight_table=(f"FY{weight.fiscal_year}" + (" (nearest)" if weight.nearest else "")) if weight else "",
    )


@dataclass(frozen=True)
class WorkingDrg:
    """What the coding screen shows: the grouping now, the MCE edits, and the history."""

    result: DrgResult | None
    problem: str
    mce: tuple[MceFinding, ...]
    history: tuple[DrgGrouping, ...]
    status_recorded: bool


def working_drg(case: CodingCase) -> WorkingDrg | None:
    abstract, result, problem = group_case(case)
    if abstract is None:
        return None
    findings = tuple(mce_findings(abstract)) if not problem else ()
    return WorkingDrg(result, problem, findings, tuple(case.drg_groupings.select_related("grouped_by")),
                      bool(discharge_status_of(case)))
