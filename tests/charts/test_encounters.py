"""Encounters: opening, discharge and finishing, care teams; impossible dates refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.charts.actions import (
    do_add_care_team_member,
    do_discharge_encounter,
    do_finish_encounter,
    do_open_encounter,
)
from chartdesk.charts.models import CareRole, Encounter, EncounterProvider, EncounterStatus
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.support import factories

ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "him_manager", "privacy_officer",
         "administrator"]


def open_stay(patient, user, **fields):
    values = {"encounter_class": "inpatient", "admit_at": timezone.now() - timedelta(days=2), "acting_user": user}
    values.update(fields)
    return do_open_encounter(patient, **values)


def test_an_encounter_opens_in_progress_with_a_generated_account_number_and_attending(patient, users):
    doctor = factories.make_provider("Ada", "Lovelace")
    first = open_stay(patient, users["registrar"], attending=doctor, service="Medicine", location="4 West")
    second = open_stay(patient, users["registrar"], encounter_class="outpatient")

    assert first.status == EncounterStatus.IN_PROGRESS
    assert first.account_number.startswith("V")
    assert int(second.account_number[1:]) == int(first.account_number[1:]) + 1
    assert first.attending == doctor
    assert (first.service, first.location) == ("Medicine", "4 West")
    event = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="encounter").first()
    assert (event.object_id, event.patient_id, event.detail["account_number"]) == (
        str(first.pk), patient.pk, first.account_number)


def test_a_given_account_number_is_kept_and_never_reused(patient, users):
    open_stay(patient, users["registrar"], account_number="ADT-0042")
    with pytest.raises(ChartdeskError, match="The account number ADT-0042 is already used by another encounter."):
        open_stay(patient, users["registrar"], account_number="ADT-0042")
    assert Encounter.objects.count() == 1


def test_an_unknown_encounter_class_is_refused(patient, users):
    with pytest.raises(ChartdeskError) as refused:
        open_stay(patient, users["registrar"], encounter_class="telepathy")
    assert refused.value.field == "encounter_class"


def test_an_admission_in_the_future_is_refused(patient, users):
    with pytest.raises(ChartdeskError, match="The admission time .* is in the future."):
        open_stay(patient, users["registrar"], admit_at=timezone.now() + timedelta(days=1))
    assert Encounter.objects.count() == 0


def test_an_admission_before_birth_is_refused(patient, users):
    before_birth = timezone.make_aware(timezone.datetime(1979, 6, 1, 9, 0))
    with pytest.raises(ChartdeskError, match="before the patient's date of birth"):
        open_stay(patient, users["registrar"], admit_at=before_birth)


@pytest.mark.parametrize("role", ROLES)
def test_only_registrars_providers_and_him_managers_open_encounters(role, patient, users):
    if role in {"registrar", "provider", "him_manager"}:
        assert open_stay(patient, users[role]).pk is not None
    else:
        with pytest.raises(PermissionRefused, match="You do not have permission to open encounters."):
            open_stay(patient, users[role])
        assert Encounter.objects.count() == 0


def test_a_stay_is_discharged_with_time_and_disposition(encounter, users):
    discharged = do_discharge_encounter(encounter, discharge_at=timezone.now() - timedelta(hours=1),
                                        disposition="03", acting_user=users["registrar"])
    assert discharged.status == EncounterStatus.FINISHED
    assert discharged.get_discharge_disposition_display() == "03 Skilled nursing facility"
    assert AuditEvent.objects.get(action=AuditAction.UPDATE, object_type="encounter").detail["change"] == "discharge"


def test_a_discharge_before_the_admission_is_refused(encounter, users):
    with pytest.raises(ChartdeskError) as refused:
        do_discharge_encounter(encounter, discharge_at=encounter.admit_at - timedelta(minutes=1), disposition="01",
                               acting_user=users["registrar"])
    assert refused.value.field == "discharge_at"
    assert "is not after the admission time" in refused.value.message
    encounter.refresh_from_db()
    assert (encounter.status, encounter.discharge_at) == (EncounterStatus.IN_PROGRESS, None)


def test_a_discharge_in_the_future_or_without_disposition_is_refused(encounter, users):
    with pytest.raises(ChartdeskError, match="is in the future"):
        do_discharge_encounter(encounter, discharge_at=timezone.now() + timedelta(days=1), disposition="01",
                               acting_user=users["registrar"])
    with pytest.raises(ChartdeskError, match="Choose the discharge disposition"):
        do_discharge_encounter(encounter, discharge_at=timezone.now(), disposition="99",
                               acting_user=users["registrar"])


def test_a_stay_is_discharged_only_once(encounter, users):
    do_discharge_encounter(encounter, discharge_at=timezone.now(), disposition="01", acting_user=users["registrar"])
    with pytest.raises(ChartdeskError, match="already finished"):
        do_discharge_encounter(encounter, discharge_at=timezone.now(), disposition="01",
                               acting_user=users["registrar"])


def test_an_outpatient_visit_is_finished_not_discharged(patient, users):
    visit = open_stay(patient, users["registrar"], encounter_class="outpatient",
                      admit_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ChartdeskError, match="An outpatient visit is finished, not discharged"):
        do_discharge_encounter(visit, discharge_at=timezone.now(), disposition="01", acting_user=users["registrar"])

    finished = do_finish_encounter(visit, acting_user=users["registrar"])
    assert finished.status == EncounterStatus.FINISHED
    assert finished.discharge_at >= visit.admit_at


def test_an_inpatient_stay_is_not_finished_as_a_visit(encounter, users):
    with pytest.raises(ChartdeskError, match="discharge the inpatient stay instead"):
        do_finish_encounter(encounter, acting_user=users["registrar"])


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "transcriptionist", "privacy_officer"])
def test_roles_without_open_encounter_cannot_discharge(role, encounter, users):
    with pytest.raises(PermissionRefused):
        do_discharge_encounter(encounter, discharge_at=timezone.now(), disposition="01", acting_user=users[role])


def test_care_team_members_are_added_once_and_only_one_attending(encounter, users):
    ada = factories.make_provider("Ada", "Lovelace")
    grace = factories.make_provider("Grace", "Hopper", npi="1245319599")
    do_add_care_team_member(encounter, ada, CareRole.ATTENDING, acting_user=users["registrar"])
    do_add_care_team_member(encounter, grace, CareRole.CONSULTING, acting_user=users["registrar"])

    with pytest.raises(ChartdeskError, match=r"already has an attending provider \(Ada Lovelace, MD\)"):
        do_add_care_team_member(encounter, grace, CareRole.ATTENDING, acting_user=users["registrar"])
    with pytest.raises(ChartdeskError, match="Grace Hopper, MD is already on this encounter as consulting"):
        do_add_care_team_member(encounter, grace, CareRole.CONSULTING, acting_user=users["registrar"])
    with pytest.raises(PermissionRefused):
        do_add_care_team_member(encounter, grace, CareRole.SURGEON, acting_user=users["coder"])
    assert sorted(EncounterProvider.objects.values_list("role", flat=True)) == ["attending", "consulting"]
