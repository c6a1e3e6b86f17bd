"""The demo's encounters and documents: notes signed, corrected, with addenda or entered in error (a
stage of `chartdesk demo-data`, after the patients and before their restrictions)."""

from __future__ import annotations

from typing import Any

from chartdesk.charts.actions import (
    do_add_addendum,
    do_correct_document,
    do_create_note,
    do_discharge_encounter,
    do_finish_encounter,
    do_open_encounter,
    do_retract_document,
    do_sign_document,
)
from chartdesk.core.demo.load import DemoResult, DemoRun
from chartdesk.core.demo.plan import DocumentPlan, EncounterPlan

OVERLAYS_PLANTED = 2


def load_charts_demo(run: DemoRun) -> None:
    for person in run.plan.patients:
        patient = run.patients[person.key]
        for stay in person.encounters:
            _load_encounter(patient, stay, run.providers, run.staff, run.result)
    _plant_overlays(run)


def _plant_overlays(run: DemoRun) -> None:
    """Two charts whose latest visit's HL7 PID described someone else (another birth date and sex,
    as when a registration system reuses an MRN), so the HIM manager's overlay list is not empty."""
    from datetime import timedelta

    from chartdesk.charts.models import Encounter
    from chartdesk.charts.stated import StatedPerson, do_record_stated_demographics

    planted = 0
    for person in run.plan.patients:
        patient = run.patients[person.key]
        visits = list(Encounter.objects.filter(patient=patient).order_by("admit_at", "pk"))
        if planted == OVERLAYS_PLANTED or len(visits) < 2 or patient.birth_date is None or patient.is_restricted:
            continue
        for visit in visits[:-1]:
            do_record_stated_demographics(visit, StatedPerson.of_chart(patient), source="desk",
                                          reference="registration desk", acting_user=run.staff["registrar"])
        other = StatedPerson(given_name="Jordan", family_name=patient.family_name,
                             birth_date=patient.birth_date - timedelta(days=365 * 23 + 40),
                             sex="M" if patient.sex == "F" else "F")
        do_record_stated_demographics(visits[-1], other, source="hl7", reference="ADT^A08 DEMO1 from MERCY",
                                      acting_user=run.staff["registrar"])
        planted += 1


def _load_encounter(
    patient: Any, stay: EncounterPlan, providers: list[tuple[Any, Any]], staff: dict[str, Any], result: DemoResult
) -> None:
    encounter = do_open_encounter(
        patient,
        encounter_class=stay.encounter_class,
        admit_at=stay.admit_at,
        acting_user=staff["registrar"],
        attending=providers[stay.attending][0],
        service=stay.service,
        location=stay.location,
        reason=stay.reason,
    )
    result.encounters += 1
    for planned in stay.documents:
        _load_document(patient, encounter, planned, providers, staff, result)
    if stay.discharge_at is None:
        return
    if stay.encounter_class == "outpatient":
        do_finish_encounter(encounter, acting_user=staff["registrar"])
    else:
        do_discharge_encounter(
            encounter, discharge_at=stay.discharge_at, disposition=stay.disposition, acting_user=staff["registrar"]
        )


def _load_document(
    patient: Any,
    encounter: Any,
    planned: DocumentPlan,
    providers: list[tuple[Any, Any]],
    staff: dict[str, Any],
    result: DemoResult,
) -> None:
    author, author_user = providers[planned.author]
    document = do_create_note(
        patient,
        document_type=planned.document_type,
        title=planned.title,
        text=planned.text,
        service_date=planned.service_date,
        acting_user=author_user,
        encounter=encounter,
        author=author,
    )
    result.documents += 1
    if not planned.sign:
        return
    document = do_sign_document(document, acting_user=author_user)
    result.signed += 1
    if planned.correction is not None:
        reason, text = planned.correction
        document.refresh_from_db()
        document = do_correct_document(
            document, reason=reason, acting_user=author_user, expected_revision=document.revision, text=text
        )
        result.corrected += 1
    if planned.addendum is not None:
        document.refresh_from_db()
        do_add_addendum(document, text=planned.addendum, acting_user=author_user, sign=True)
        result.addenda += 1
    if planned.retraction is not None:
        document.refresh_from_db()
        do_retract_document(document, reason=planned.retraction, acting_user=staff["him_manager"])
        result.retracted += 1
