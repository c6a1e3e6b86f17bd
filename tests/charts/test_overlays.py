"""Overlays (two people in one MRN): detection from what each encounter stated, the decisions on a
case and their audit, and the reversible move of encounters to the right chart."""

from datetime import UTC, date, datetime

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.encounter_moves import do_move_encounters
from chartdesk.charts.models import Document, DocumentType, Encounter, OverlayCase, OverlayStatus, StatedDemographics
from chartdesk.charts.overlay_actions import (
    do_confirm_overlay,
    do_mark_not_overlay,
    do_mark_overlay_research,
    do_undo_overlay_move,
)
from chartdesk.charts.overlays import do_scan_overlays, find_conflicts
from chartdesk.charts.stated import StatedPerson, do_record_stated_demographics
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.patients.actions import do_set_restriction
from chartdesk.patients.models import Patient
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def him(db):
    return factories.make_user("him_manager", username="hannah")


def visit(patient, him, when, **stated):
    """An encounter on `when` with what its source stated (HL7 by default); returns (encounter, case)."""
    encounter = factories.make_encounter(patient, admit_at=datetime(*when, 9, 0, tzinfo=UTC), acting_user=him)
    person = StatedPerson(**{"given_name": patient.given_name, "family_name": patient.family_name,
                             "birth_date": patient.birth_date, "sex": patient.sex, **stated})
    _, case = do_record_stated_demographics(encounter, person, source="hl7", reference="test", acting_user=him)
    return encounter, case


@pytest.fixture
def maria(him):
    return factories.make_patient("Maria", "Garcia", date(1980, 3, 15), "F", ssn="123-45-6789")


def test_a_different_birth_date_and_sex_on_an_encounter_is_an_overlay_found_at_intake(maria, him):
    visit(maria, him, (2024, 1, 10))
    _, case = visit(maria, him, (2024, 6, 2), given_name="Mario", birth_date=date(1957, 11, 2), sex="M")
    assert case is not None and case.status == OverlayStatus.OPEN
    assert case.fields == ["Date of birth", "Sex"]
    birth = next(c for c in case.conflicts if c["field"] == "birth_date")
    assert birth["level"] == "different" and birth["weight"] < 0
    assert sorted(side["value"] for side in birth["sides"]) == ["1957-11-02", "1980-03-15"]
    event = AuditEvent.objects.get(object_type="overlay_case", action="create")
    assert event.patient_id == maria.pk and event.detail["found_by"] == "intake:hl7"


def test_a_typo_in_the_birth_date_a_swapped_day_and_month_or_a_nickname_is_not_an_overlay(him):
    patient = factories.make_patient("Katherine", "Lindqvist", date(1988, 11, 5), "F")
    visit(patient, him, (2024, 1, 10), birth_date=date(1988, 11, 6))  # one digit off
    visit(patient, him, (2024, 2, 10), birth_date=date(1988, 5, 11))  # day and month swapped
    _, case = visit(patient, him, (2024, 3, 10), given_name="Kate")  # a nickname
    assert case is None and find_conflicts(patient) == []
    assert not OverlayCase.objects.exists()


def test_a_newborns_sex_corrected_later_is_not_an_overlay(him):
    baby = factories.make_patient("Jordan", "Okafor", date(2024, 1, 3), "M")
    visit(baby, him, (2024, 1, 3), sex="F")  # at birth, provisional
    _, case = visit(baby, him, (2024, 9, 1), sex="M")
    assert case is None
    adult = factories.make_patient("Robin", "Okafor", date(1990, 1, 3), "M")
    _, case = visit(adult, him, (2024, 9, 1), sex="F")  # the same change at 34 is evidence
    assert case is not None and case.fields == ["Sex"]


def test_a_different_ssn_or_another_patient_id_from_the_same_sender_is_an_overlay(maria, him):
    _, case = visit(maria, him, (2024, 3, 1), ssn="234-56-7890")
    assert case is not None and case.fields == ["SSN"]
    assert "234567890" not in str(case.conflicts) and "***-**-7890" in str(case.conflicts)  # never the number
    other = factories.make_patient("Ana", "Petrov", date(1950, 1, 5), "F")
    visit(other, him, (2024, 1, 1), identifiers=(("PI", "MERCY", "A100"),))
    _, case = visit(other, him, (2024, 2, 1), identifiers=(("PI", "MERCY", "A-100"),))  # same id, punctuated
    assert case is None
    _, case = visit(other, him, (2024, 3, 1), identifiers=(("PI", "MERCY", "B200"), ("PI", "ST JOHN", "Z9")))
    assert case is not None and case.fields == ["Identifier PI from MERCY"]


def test_not_an_overlay_is_remembered_and_only_a_new_conflict_brings_the_chart_back(maria, him):
    _, case = visit(maria, him, (2024, 6, 2), birth_date=date(1975, 2, 2))
    do_mark_not_overlay(case, note="Verified with the patient: one person", acting_user=him)
    _, again = visit(maria, him, (2024, 7, 2), birth_date=date(1975, 2, 2))  # the same conflict again
    assert again is None and OverlayCase.objects.get().status == OverlayStatus.NOT_OVERLAY
    assert do_scan_overlays(acting_user=him)["open_cases"] == 0
    _, reopened = visit(maria, him, (2024, 8, 2), sex="M")  # a new conflict
    assert reopened is not None and reopened.status == OverlayStatus.OPEN
    decision = AuditEvent.objects.filter(object_type="overlay_case", detail__decision="not_overlay").get()
    assert decision.detail["note"] == "Verified with the patient: one person" and decision.user_id == him.pk


def test_needs_research_assigns_to_someone_who_may_decide_and_refuses_anyone_else(maria, him):
    _, case = visit(maria, him, (2024, 6, 2), birth_date=date(1975, 2, 2))
    coder = factories.make_user("coder")
    with pytest.raises(ChartdeskError) as refused:
        do_mark_overlay_research(case, assigned_to=coder, note="check", acting_user=him)
    assert refused.value.field == "assigned_to"
    with pytest.raises(ChartdeskError) as refused:
        do_mark_not_overlay(case, note="  ", acting_user=him)
    assert refused.value.field == "note"
    assert OverlayCase.objects.get().status == OverlayStatus.OPEN  # nothing changed
    colleague = factories.make_user("him_manager")
    do_mark_overlay_research(case, assigned_to=colleague, note="Call the clinic", acting_user=him)
    case.refresh_from_db()
    assert (case.status, case.assigned_to, case.note) == (OverlayStatus.RESEARCH, colleague, "Call the clinic")


def test_confirming_moves_the_other_persons_encounters_and_documents_to_a_new_registration_and_undo_puts_them_back(
        maria, him):
    own, _ = visit(maria, him, (2024, 1, 10))
    theirs, case = visit(maria, him, (2024, 6, 2), given_name="Mario", birth_date=date(1957, 11, 2), sex="M")
    provider_user = factories.make_user("provider")
    from chartdesk.charts.actions import do_create_note

    note = do_create_note(maria, document_type=DocumentType.PROGRESS_NOTE, title="Visit", text="Chest pain",
                          service_date=date(2024, 6, 2), acting_user=provider_user, encounter=theirs,
                          author=factories.make_provider(user=provider_user))
    move = do_confirm_overlay(case, encounter_ids=[theirs.pk], target=None, reason="Two people: ED registration",
                              acting_user=him)
    mario = Patient.objects.get(pk=move.to_patient_id)
    assert (mario.given_name, mario.birth_date, mario.sex) == ("Mario", date(1957, 11, 2), "M")
    assert Encounter.objects.get(pk=theirs.pk).patient_id == mario.pk
    assert Document.objects.get(pk=note.pk).patient_id == mario.pk
    assert Encounter.objects.get(pk=own.pk).patient_id == maria.pk
    case.refresh_from_db()
    assert case.status == OverlayStatus.CONFIRMED and case.conflicts == []  # the chart is one person again
    assert not OverlayCase.objects.filter(patient=mario).exists()
    moved = AuditEvent.objects.filter(object_type="encounter_move")
    assert sorted(moved.values_list("patient_id", flat=True)) == sorted([maria.pk, mario.pk])
    do_undo_overlay_move(move, reason="Wrong call", acting_user=him)
    assert Encounter.objects.get(pk=theirs.pk).patient_id == maria.pk
    assert Document.objects.get(pk=note.pk).patient_id == maria.pk
    case.refresh_from_db()
    assert case.status == OverlayStatus.OPEN and case.fields == ["Date of birth", "Sex"]
    assert StatedDemographics.objects.count() == 2  # statements travel with their encounter, never change


def test_confirming_to_an_existing_chart_and_the_refusals(maria, him):
    own, _ = visit(maria, him, (2024, 1, 10))
    theirs, case = visit(maria, him, (2024, 6, 2), birth_date=date(1957, 11, 2))
    mother = factories.make_patient("Maria", "Garcia", date(1957, 11, 2), "F")
    for ids in ([], [own.pk, theirs.pk], [999999]):
        with pytest.raises(ChartdeskError) as refused:
            do_confirm_overlay(case, encounter_ids=ids, target=mother, reason="Mother", acting_user=him)
        assert refused.value.field == "encounters"
    with pytest.raises(ChartdeskError) as refused:
        do_confirm_overlay(case, encounter_ids=[theirs.pk], target=mother, reason="", acting_user=him)
    assert refused.value.field == "reason"
    assert Encounter.objects.get(pk=theirs.pk).patient_id == maria.pk
    move = do_confirm_overlay(case, encounter_ids=[theirs.pk], target=mother, reason="The mother's visit",
                              acting_user=him)
    assert move.to_patient_id == mother.pk and not move.new_registration
    with pytest.raises(ChartdeskError):
        do_mark_not_overlay(case, note="late", acting_user=him)  # already decided


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "provider", "privacy_officer"])
def test_roles_that_may_not_merge_may_not_decide_overlays_or_move_encounters(maria, him, role):
    theirs, case = visit(maria, him, (2024, 6, 2), birth_date=date(1957, 11, 2))
    other = factories.make_patient("Ana", "Petrov", date(1950, 1, 5), "F")
    user = factories.make_user(role)
    with pytest.raises(PermissionRefused):
        do_mark_not_overlay(case, note="x", acting_user=user)
    with pytest.raises(PermissionRefused):
        do_move_encounters(maria, other, [theirs], reason="x", acting_user=user)
    with pytest.raises(PermissionRefused):
        do_scan_overlays(acting_user=user)
    assert Encounter.objects.get(pk=theirs.pk).patient_id == maria.pk


def test_a_restricted_chart_is_not_found_for_a_manager_without_access(maria, him):
    _, case = visit(maria, him, (2024, 6, 2), birth_date=date(1957, 11, 2))
    do_set_restriction(maria, restriction="vip", note="board member", acting_user=him)
    other_manager = factories.make_user("him_manager")
    with pytest.raises(NotFound):
        do_mark_not_overlay(case, note="x", acting_user=other_manager)


def test_the_scan_finds_charts_with_conflicting_statements_and_identifiers(maria, him):
    visit(maria, him, (2024, 6, 2), birth_date=date(1957, 11, 2))
    OverlayCase.objects.filter(patient=maria).update(status=OverlayStatus.OPEN)
    calm = factories.make_patient("Tomas", "Reyes", date(1963, 8, 19), "M")
    visit(calm, him, (2024, 6, 2))
    summary = do_scan_overlays(acting_user=him)
    assert summary == {"charts_checked": 2, "to_review": 1, "open_cases": 1}
    assert AuditEvent.objects.filter(object_type="overlay_scan").latest("pk").detail == summary
