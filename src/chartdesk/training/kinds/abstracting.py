"""Abstracting cases: a finished inpatient stay whose abstract the student records on the real coding
screen (codes with their present-on-admission indicators, procedures, admission type, discharge
status), graded per field and for the MS-DRG the project's own grouper assigns.

Answer (and key) format:
    {"diagnoses": [{"code": "I50.23", "poa": "Y"}, {"code": "N39.0", "poa": "Y"}],   principal first
     "procedures": ["0DTJ4ZZ"],                                 ICD-10-PCS
     "admission_type": "1",                                     UB-04 type of admission
     "discharge_status": "03",                                  UB-04 patient discharge status
     "drg": "292"}                                              MS-DRG; optional in an answer
An answer without "drg" is grouped by the grouper as it stands (the coding screen does the same).
The key may add "why": {code: reason}, "poa_why": {code: reason} and "guideline"; the feedback
quotes them. The key's "drg" is held to the grouper by the tests, grouped on the setup's
"discharge_date" with the patient's age on admission.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind
from chartdesk.training.kinds.coding import build_coding, code_title, coding_start_url, exercise_encounter

PRINCIPAL_POINTS = 2.0
DRG_POINTS = 2.0
ANSWER_FIELDS = {"diagnoses", "procedures", "admission_type", "discharge_status", "drg"}
EXPLANATIONS = {"why", "poa_why", "guideline"}
UHDDS_PRINCIPAL = ("UHDDS definition: the principal diagnosis is the condition established after study to be "
                   "chiefly responsible for occasioning the admission of the patient to the hospital for care")
POA_RULE = ("ICD-10-CM Official Guidelines, Appendix I (POA): Y present at the time the order for inpatient "
            "admission occurs, including conditions that arose in the emergency department or observation before "
            "it; N not present; U documentation insufficient; W clinically undetermined")


def _code(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise AnswerError(f"{where}: must be a non-empty code")
    code = raw.strip().upper().replace(".", "")
    if not code.isalnum() or len(code) > 7:
        raise AnswerError(f"{where}: {raw!r} is not a code")
    return code


def parse_abstract(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The answer (or key) in normal form; AnswerError names the field that is wrong."""
    from chartdesk.charts.models import DischargeDisposition
    from chartdesk.coding.workflow.models import AdmissionType, PresentOnAdmission

    unknown = sorted(set(answer) - ANSWER_FIELDS - EXPLANATIONS)
    if unknown:
        raise AnswerError(f"unknown field(s): {', '.join(unknown)}; an abstract has "
                          f"{', '.join(sorted(ANSWER_FIELDS))}")
    raw_dx = answer.get("diagnoses", [])
    if not isinstance(raw_dx, list):
        raise AnswerError("diagnoses: must be a list of {\"code\": ..., \"poa\": ...}, principal first")
    diagnoses: list[tuple[str, str]] = []
    for index, row in enumerate(raw_dx, start=1):
        if not isinstance(row, Mapping) or "code" not in row:
            raise AnswerError(f"diagnoses[{index}]: must be an object with code and poa")
        poa = str(row.get("poa", "")).strip().upper()
        if poa and poa not in PresentOnAdmission.values:
            raise AnswerError(f"diagnoses[{index}].poa: must be one of {', '.join(PresentOnAdmission.values)}, "
                              f"not {poa!r}")
        diagnoses.append((_code(row["code"], f"diagnoses[{index}].code"), poa))
    raw_px = answer.get("procedures", [])
    if not isinstance(raw_px, list):
        raise AnswerError("procedures: must be a list of ICD-10-PCS codes")
    procedures = [_code(code, f"procedures[{index}]") for index, code in enumerate(raw_px, start=1)]
    admission_type = str(answer.get("admission_type", "")).strip()
    if admission_type and admission_type not in AdmissionType.values:
        raise AnswerError(f"admission_type: must be one of {', '.join(AdmissionType.values)}, not {admission_type!r}")
    status = str(answer.get("discharge_status", "")).strip()
    if status and status not in DischargeDisposition.values:
        raise AnswerError(f"discharge_status: {status!r} is not a UB-04 discharge status the desk records")
    drg = answer.get("drg")
    if drg is not None:
        drg = str(drg).strip()
        if not (drg.isdigit() and len(drg) <= 3):
            raise AnswerError(f"drg: must be an MS-DRG number, not {answer.get('drg')!r}")
        drg = drg.zfill(3)
    return {"diagnoses": diagnoses, "procedures": procedures, "admission_type": admission_type,
            "discharge_status": status, "drg": drg}


def grouped(exercise: Exercise, abstract: Mapping[str, Any]) -> Any:
    """The grouper's result for an abstract of this exercise's stay (its patient's age and sex, its
    discharge day); raises DrgInputError when the grouper cannot take the abstract."""
    from chartdesk.coding.drg.grouper import AbstractDiagnosis, AbstractProcedure, InpatientAbstract, group
    from chartdesk.core.dates import age_on

    setup = exercise.setup
    discharged = datetime.date.fromisoformat(setup["discharge_date"])
    admitted = discharged - datetime.timedelta(days=int(setup.get("length_days", 0)))
    person = setup["patient"]
    return group(InpatientAbstract(
        diagnoses=tuple(AbstractDiagnosis(code, poa) for code, poa in abstract["diagnoses"]),
        procedures=tuple(AbstractProcedure(code) for code in abstract["procedures"]),
        age=min(age_on(datetime.date.fromisoformat(person["birth_date"]), admitted), 124),
        sex=person["sex"] if person["sex"] in ("M", "F") else "U",
        discharge_status=abstract["discharge_status"] or "01",
        discharge_date=discharged,
        admission_type=abstract["admission_type"],
    ))


def _why(key: Mapping[str, Any], field: str, code: str) -> str:
    reasons = key.get(field) or {}
    reason = reasons.get(code) or reasons.get(_dotted(code))
    return f" Why: {reason}" if reason else ""


def _dotted(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def _label(choices: Any, value: str) -> str:
    return dict(choices.choices).get(value, value or "none")


def grade_abstracting(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    from chartdesk.charts.models import DischargeDisposition
    from chartdesk.coding.workflow.models import AdmissionType

    key, got = parse_abstract(exercise.key), parse_abstract(answer)
    items: list[FeedbackItem] = []
    key_codes = [code for code, _poa in key["diagnoses"]]
    got_codes = [code for code, _poa in got["diagnoses"]]
    if key_codes:
        items.append(_principal(exercise, key_codes[0], got_codes))
    for code in key_codes[1:]:
        items.append(_secondary(exercise, code, got_codes))
    got_poa = dict(got["diagnoses"])
    for code, poa in key["diagnoses"]:
        items.append(_poa(exercise, code, poa, got_poa))
    for code in key["procedures"]:
        title = code_title("icd10pcs", code)
        right = code in got["procedures"]
        items.append(FeedbackItem(f"Procedure {code}", 1.0 if right else 0.0, 1.0,
                                  f"{'Right' if right else 'Missed procedure'}: {title} (UHDDS: report significant "
                                  f"procedures).{_why(exercise.key, 'why', code)}"))
    for point, field, choices in (("Admission type", "admission_type", AdmissionType),
                                  ("Discharge disposition", "discharge_status", DischargeDisposition)):
        want, have = key[field], got[field]
        items.append(FeedbackItem(point, 1.0 if want == have else 0.0, 1.0,
                                  f"Right: {_label(choices, want)}." if want == have else
                                  f"You gave {_label(choices, have)}; the record supports {_label(choices, want)} "
                                  f"(UB-04, read from the discharge summary, not the registration)."))
    items.append(_drg(exercise, key, got))
    wanted = set(key_codes) | set(key["procedures"])
    extras = [_dotted(code) for code in got_codes if code not in wanted]
    extras += [code for code in got["procedures"] if code not in wanted]
    for code in extras:
        items.append(FeedbackItem(f"Extra code {code}", 0.0, 0.0,
                                  f"{code} is not supported by the documentation of this stay; UHDDS other "
                                  "diagnoses are only conditions that affect the care of this admission, and an "
                                  "extra code can move the MS-DRG."))
    return Grade(tuple(items))


def _principal(exercise: Exercise, code: str, got: list[str]) -> FeedbackItem:
    title, point, why = code_title("icd10cm", code), "Principal diagnosis", _why(exercise.key, "why", code)
    if got and got[0] == code:
        return FeedbackItem(point, PRINCIPAL_POINTS, PRINCIPAL_POINTS, f"Right: {title}.{why}")
    if got and got[0][:3] == code[:3]:
        return FeedbackItem(point, PRINCIPAL_POINTS / 2, PRINCIPAL_POINTS,
                            f"Right category, wrong specificity: you gave {_dotted(got[0])}; the record supports "
                            f"{title}.{why}")
    if code in got:
        return FeedbackItem(point, PRINCIPAL_POINTS / 4, PRINCIPAL_POINTS,
                            f"Sequencing: {title} is reported but not first. {UHDDS_PRINCIPAL}.{why}")
    return FeedbackItem(point, 0.0, PRINCIPAL_POINTS, f"Missed: the principal diagnosis is {title}. "
                        f"{UHDDS_PRINCIPAL}.{why}")


def _secondary(exercise: Exercise, code: str, got: list[str]) -> FeedbackItem:
    title, why = code_title("icd10cm", code), _why(exercise.key, "why", code)
    point = f"Secondary diagnosis {_dotted(code)}"
    if code in got[1:]:
        return FeedbackItem(point, 1.0, 1.0, f"Right: {title}.{why}")
    if got and got[0] == code:
        return FeedbackItem(point, 0.5, 1.0, f"{title} is reported as the principal diagnosis; it is a secondary "
                            f"diagnosis here.{why}")
    return FeedbackItem(point, 0.0, 1.0, f"Missed secondary diagnosis: {title} (UHDDS other diagnoses: conditions "
                        f"that coexist at admission or develop later and affect the care).{why}")


def _poa(exercise: Exercise, code: str, poa: str, got: Mapping[str, str]) -> FeedbackItem:
    point, why = f"POA of {_dotted(code)}", _why(exercise.key, "poa_why", code)
    if code not in got:
        return FeedbackItem(point, 0.0, 1.0, f"Not graded against a code you did not report; it is {poa}. "
                            f"{POA_RULE}.{why}")
    if got[code] == poa:
        return FeedbackItem(point, 1.0, 1.0, f"Right: {poa}.{why}")
    return FeedbackItem(point, 0.0, 1.0, f"You gave {got[code] or 'none'}; it is {poa}. {POA_RULE}. A CC or MCC "
                        f"on the hospital-acquired condition list with POA N or U does not count toward the "
                        f"MS-DRG.{why}")


def drg_reason(result: Any) -> str:
    """Why the grouper chose this DRG: the CC or MCC that earned it, or why none counts."""
    said = f"MS-DRG {result.drg} {result.title} ({result.version_label})"
    notes = [f"{_dotted(role.code)}: {role.note}" for role in result.diagnoses if role.effect in ("excluded", "hac")]
    if result.cc_mcc:
        reason = f"{result.cc_mcc} present: {_dotted(result.cc_mcc_code)} earns it"
    elif any(role.severity for role in result.diagnoses[1:]):
        reason = "no CC or MCC counts toward this DRG"
    else:
        reason = "no CC or MCC among the secondary diagnoses"
    return f"{said}: {reason}" + (f" ({'; '.join(notes)})" if notes else "") + "."


def _drg(exercise: Exercise, key: Mapping[str, Any], got: Mapping[str, Any]) -> FeedbackItem:
    from chartdesk.coding.drg.grouper import DrgInputError

    expected = grouped(exercise, key)
    reason = drg_reason(expected)
    given = got["drg"]
    if given is None:
        try:
            given = grouped(exercise, got).drg
        except DrgInputError as refusal:
            return FeedbackItem("MS-DRG", 0.0, DRG_POINTS, f"Your abstract cannot be grouped ({refusal.message}). "
                                f"The stay groups to {reason}")
    if given == expected.drg:
        return FeedbackItem("MS-DRG", DRG_POINTS, DRG_POINTS, f"Right: {reason}")
    return FeedbackItem("MS-DRG", 0.0, DRG_POINTS, f"You gave MS-DRG {given}; the stay groups to {reason}")


# --------------------------------------------------------------------------- in the sandbox


def abstracting_answer_from_records(exercise: Exercise) -> dict[str, Any]:
    """What the student recorded on the coding screen, with the DRG the coding app groups it to."""
    from chartdesk.coding.workflow.drg import discharge_status_of, group_case
    from chartdesk.coding.workflow.models import CodingCase, ProcedureSystem

    case = CodingCase.objects.filter(encounter=exercise_encounter(exercise)).first()
    if case is None:
        return {"diagnoses": [], "procedures": [], "admission_type": "", "discharge_status": ""}
    _abstract, result, _problem = group_case(case)
    answer: dict[str, Any] = {
        "diagnoses": [{"code": row.code, "poa": row.poa} for row in case.diagnoses.order_by("position")],
        "procedures": [row.code for row in case.procedures.filter(system=ProcedureSystem.ICD10PCS)
                       .order_by("position")],
        "admission_type": case.admission_type,
        "discharge_status": discharge_status_of(case),
    }
    if result is not None:
        answer["drg"] = result.drg
    return answer


def abstracting_key_answer(exercise: Exercise) -> dict[str, Any]:
    return {name: value for name, value in exercise.key.items() if name not in EXPLANATIONS}


register_kind(ExerciseKind(
    name="abstracting",
    title="Inpatient abstract and MS-DRG",
    grade=grade_abstracting,
    build=build_coding,
    answer_from_records=abstracting_answer_from_records,
    start_url=coding_start_url,
    answer_help=__doc__ or "",
    key_answer=abstracting_key_answer,
))
