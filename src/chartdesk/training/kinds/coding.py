"""Coding cases: a finished visit or stay with a signed note, coded by the student on the real coding
screen; graded against the key's codes (principal first), with partial credit per the issue: right
category with the wrong specificity, the right principal sequenced second, secondary codes missed.

Answer (and key) format:
    {"diagnoses": ["I5022", "E119"],                       ICD-10-CM, principal (first-listed) first
     "procedures": [{"system": "icd10pcs", "code": "0DTJ4ZZ"}]}   ICD-10-PCS (inpatient) or HCPCS/CPT
The key may add "why": {code: reason} and "guideline": the rule the case trains; the feedback quotes them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from chartdesk.training.grading import AnswerError, Exercise, ExerciseKind, FeedbackItem, Grade, register_kind

TRAINING_ISSUER = "chartdesk-training"
PRINCIPAL_POINTS = 2.0
SYSTEMS = ("icd10pcs", "hcpcs", "cpt")
SYSTEM_NAMES = {"icd10cm": "ICD-10-CM", "icd10pcs": "ICD-10-PCS", "hcpcs": "HCPCS", "cpt": "CPT"}


def _code(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise AnswerError(f"{where}: each code must be a non-empty string")
    code = raw.strip().upper().replace(".", "")
    if not code.isalnum() or len(code) > 7:
        raise AnswerError(f"{where}: {raw!r} is not a code")
    return code


def parse_answer(answer: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """The diagnoses in order and the (system, code) procedures of an answer or key; AnswerError names
    the field that is wrong."""
    unknown = sorted(set(answer) - {"diagnoses", "procedures", "why", "guideline"})
    if unknown:
        raise AnswerError(f"unknown field(s): {', '.join(unknown)}; a coding answer has diagnoses and procedures")
    diagnoses = answer.get("diagnoses", [])
    if not isinstance(diagnoses, list):
        raise AnswerError("diagnoses: must be a list of ICD-10-CM codes, principal first")
    procedures = answer.get("procedures", [])
    if not isinstance(procedures, list):
        raise AnswerError("procedures: must be a list of {\"system\": ..., \"code\": ...}")
    parsed: list[tuple[str, str]] = []
    for index, line in enumerate(procedures, start=1):
        if not isinstance(line, Mapping) or "code" not in line:
            raise AnswerError(f"procedures[{index}]: must be an object with system and code")
        system = str(line.get("system", "")).lower()
        if system not in SYSTEMS:
            raise AnswerError(f"procedures[{index}].system: must be one of {', '.join(SYSTEMS)}, not {system!r}")
        parsed.append((system, _code(line["code"], f"procedures[{index}].code")))
    return [_code(code, "diagnoses") for code in diagnoses], parsed


def code_title(system: str, code: str) -> str:
    """The code's title: from the latest release loaded in the code tables, else (ICD-10-CM) from the
    tabular list that ships inside the simple-icd-10-cm package, so the CLI explains codes even on a
    database without code sets."""
    from chartdesk.coding.models import Code

    name = SYSTEM_NAMES.get(system, system)
    try:
        row = Code.objects.filter(release__system=system, code=code).order_by("-release__effective_from").first()
    except DatabaseError:
        row = None  # an empty database (the CLI before `migrate`): the shipped tabular still answers
    if row is not None:
        return f"{name} {row.display} {row.title}"
    if system == "icd10cm":
        import simple_icd_10_cm

        if simple_icd_10_cm.is_valid_item(code):
            return f"{name} {_dotted(code)} {simple_icd_10_cm.get_description(code)}"
    return f"{name} {_dotted(code) if system == 'icd10cm' else code}"


def _why(key: Mapping[str, Any], code: str) -> str:
    reason = (key.get("why") or {}).get(code) or (key.get("why") or {}).get(_dotted(code))
    return f" Why: {reason}" if reason else ""


def _dotted(code: str) -> str:
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def grade_coding(exercise: Exercise, answer: Mapping[str, Any]) -> Grade:
    key_dx, key_px = parse_answer(exercise.key)
    got_dx, got_px = parse_answer(answer)
    items: list[FeedbackItem] = []
    guideline = str(exercise.key.get("guideline", ""))
    if key_dx:
        items.append(_principal(exercise, key_dx[0], got_dx, guideline))
    for code in key_dx[1:]:
        items.append(_secondary(exercise, code, got_dx[1:], got_dx[:1]))
    for system, code in key_px:
        items.append(_procedure(exercise, system, code, got_px))
    wanted = set(key_dx) | {code for _, code in key_px}
    for code in [*got_dx, *(code for _, code in got_px)]:
        if code not in wanted and not any(code[:3] == other[:3] for other in wanted):
            items.append(FeedbackItem(
                f"Extra code {_dotted(code)}", 0.0, 0.0,
                f"{code_title('icd10cm', code) if code in got_dx else code} is not supported by the documentation "
                "of this case; reporting it is over-coding (ICD-10-CM Guidelines Section III/IV: code only "
                "conditions documented as affecting this encounter).",
            ))
    return Grade(tuple(items))


def _principal(exercise: Exercise, code: str, got: list[str], guideline: str) -> FeedbackItem:
    title = code_title("icd10cm", code)
    point = "Principal (first-listed) diagnosis"
    rule = guideline or "ICD-10-CM Guidelines Section II (inpatient) / Section IV (outpatient)"
    if got and got[0] == code:
        return FeedbackItem(point, PRINCIPAL_POINTS, PRINCIPAL_POINTS, f"Right: {title}.{_why(exercise.key, code)}")
    if got and got[0][:3] == code[:3]:
        return FeedbackItem(point, PRINCIPAL_POINTS / 2, PRINCIPAL_POINTS,
                            f"Right category, wrong specificity: you gave {_dotted(got[0])}; the documentation "
                            f"supports {title} (code to the highest level of detail documented, Section I.B.2)."
                            f"{_why(exercise.key, code)}")
    if code in got:
        return FeedbackItem(point, PRINCIPAL_POINTS / 4, PRINCIPAL_POINTS,
                            f"Sequencing: {title} is reported but not first; it is the principal diagnosis ({rule})."
                            f"{_why(exercise.key, code)}")
    return FeedbackItem(point, 0.0, PRINCIPAL_POINTS,
                        f"Missed: the principal diagnosis is {title} ({rule}).{_why(exercise.key, code)}")


def _secondary(exercise: Exercise, code: str, got_secondary: list[str], got_first: list[str]) -> FeedbackItem:
    title = code_title("icd10cm", code)
    point = f"Secondary diagnosis {_dotted(code)}"
    if code in got_secondary:
        return FeedbackItem(point, 1.0, 1.0, f"Right: {title}.{_why(exercise.key, code)}")
    if code in got_first:
        return FeedbackItem(point, 0.5, 1.0, f"{title} is reported, but as the principal diagnosis; it is a "
                            f"secondary diagnosis here.{_why(exercise.key, code)}")
    near = next((other for other in got_secondary if other[:3] == code[:3]), None)
    if near:
        return FeedbackItem(point, 0.5, 1.0, f"Right category, wrong specificity: you gave {_dotted(near)}; the "
                            f"documentation supports {title}.{_why(exercise.key, code)}")
    return FeedbackItem(point, 0.0, 1.0, f"Missed secondary code: {title} (Section III: report other conditions "
                        f"that coexist and affect care).{_why(exercise.key, code)}")


def _procedure(exercise: Exercise, system: str, code: str, got: list[tuple[str, str]]) -> FeedbackItem:
    title = code_title(system, code)
    point = f"Procedure {code}"
    codes = [other for other_system, other in got if other_system == system]
    if code in codes:
        return FeedbackItem(point, 1.0, 1.0, f"Right: {title}.{_why(exercise.key, code)}")
    # ICD-10-PCS: the first three characters name the table (section, body system, root operation).
    near = next((other for other in codes if system == "icd10pcs" and other[:3] == code[:3]), None)
    if near:
        return FeedbackItem(point, 0.5, 1.0, f"Right root operation (table {code[:3]}), wrong character after it: "
                            f"you gave {near}; the right code is {title}.{_why(exercise.key, code)}")
    return FeedbackItem(point, 0.0, 1.0, f"Missed procedure: {title}.{_why(exercise.key, code)}")


# --------------------------------------------------------------------------- in the sandbox


def _staff(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def build_coding(exercise: Exercise) -> None:
    """The case's patient, visit or stay and signed note, written through the real actions by the
    sandbox's demo registrar and provider."""
    from chartdesk.charts.actions import (
        do_create_note,
        do_discharge_encounter,
        do_finish_encounter,
        do_open_encounter,
        do_sign_document,
    )
    from chartdesk.charts.models import DocumentType
    from chartdesk.patients.actions import do_register_patient
    from chartdesk.patients.schemas import IdentifierInput, PatientRegistration

    setup = exercise.setup
    registrar, doctor = _staff("registrar"), _staff("provider")
    person = setup["patient"]
    patient = do_register_patient(PatientRegistration(
        given_name=person["given_name"], family_name=person["family_name"],
        birth_date=datetime.date.fromisoformat(person["birth_date"]), sex=person["sex"],
        identifiers=(IdentifierInput(type="PI", issuer=TRAINING_ISSUER, value=exercise.id),),
    ), acting_user=registrar)
    inpatient = setup.get("setting") == "inpatient"
    if "discharge_date" in setup:
        # A fixed day (abstracting): the key's MS-DRG is grouped with the version in effect on it.
        end = timezone.make_aware(datetime.datetime.combine(
            datetime.date.fromisoformat(setup["discharge_date"]), datetime.time(11, 0)))
    else:
        end = timezone.now() - datetime.timedelta(days=int(setup.get("days_ago", 3)))
    start = end - datetime.timedelta(days=int(setup.get("length_days", 0)), hours=2)
    encounter = do_open_encounter(patient, encounter_class="inpatient" if inpatient else "outpatient",
                                  admit_at=start, acting_user=registrar, attending=doctor.provider)
    note = do_create_note(
        patient, document_type=DocumentType.DISCHARGE_SUMMARY if inpatient else DocumentType.PROGRESS_NOTE,
        title=str(setup.get("note_title", "Visit note")), text=str(setup["note"]),
        service_date=timezone.localtime(start).date(), acting_user=doctor, encounter=encounter,
        author=doctor.provider,
    )
    do_sign_document(note, acting_user=doctor)
    if inpatient:
        # The registration (ADT) disposition; an abstracting case may have it differ from the discharge
        # summary, which the abstract must follow.
        do_discharge_encounter(encounter, discharge_at=end, disposition=str(setup.get("adt_disposition", "01")),
                               acting_user=registrar)
    else:
        do_finish_encounter(encounter, acting_user=registrar, finished_at=end)


def exercise_encounter(exercise: Exercise) -> Any:
    """The encounter build_coding made for this exercise (its patient carries the exercise's id)."""
    from chartdesk.charts.models import Encounter

    encounter = (Encounter.objects.filter(patient__identifiers__issuer=TRAINING_ISSUER,
                                          patient__identifiers__value=exercise.id).order_by("-pk").first())
    if encounter is None:
        raise AnswerError(f"exercise {exercise.id} has not been set up in this sandbox")
    return encounter


def coding_answer_from_records(exercise: Exercise) -> dict[str, Any]:
    from chartdesk.coding.workflow.models import CodingCase

    case = CodingCase.objects.filter(encounter=exercise_encounter(exercise)).first()
    if case is None:
        return {"diagnoses": [], "procedures": []}
    return {
        "diagnoses": [row.code for row in case.diagnoses.order_by("position")],
        "procedures": [{"system": row.system, "code": row.code} for row in case.procedures.order_by("position")],
    }


def coding_start_url(exercise: Exercise) -> str:
    return reverse("coding-work-encounter", args=[exercise_encounter(exercise).pk])


register_kind(ExerciseKind(
    name="coding",
    title="Coding case",
    grade=grade_coding,
    build=build_coding,
    answer_from_records=coding_answer_from_records,
    start_url=coding_start_url,
    answer_help=__doc__ or "",
))
