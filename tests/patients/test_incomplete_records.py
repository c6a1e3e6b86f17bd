"""An incomplete record (loaded from a legacy index without a date of birth) in the rest of Chartdesk:
what retention, encounters and the FHIR Patient do without the date."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from chartdesk.charts.actions import do_finish_encounter
from chartdesk.filing import retention
from chartdesk.patients.actions import do_register_patient
from chartdesk.patients.schemas import PatientRegistration
from chartdesk.patients.validation import InvalidPatientData
from tests.support import factories


def incomplete_patient(user, **fields):
    registration = PatientRegistration(given_name="Henry", family_name="Walsh", birth_date=None, sex="M", **fields)
    return do_register_patient(registration, acting_user=user, allow_incomplete=True)


def test_registration_outside_a_legacy_load_still_requires_the_date_of_birth(users):
    registration = PatientRegistration(given_name="Henry", family_name="Walsh", birth_date=None, sex="M")
    with pytest.raises(InvalidPatientData, match="Date of birth: required"):
        do_register_patient(registration, acting_user=users["registrar"])


def test_an_encounter_opens_and_retention_keeps_the_record_as_long_as_a_minors(users):
    henry = incomplete_patient(users["registrar"], birth_date_partial="1941")
    admit = datetime(2012, 5, 5, 14, 0, tzinfo=UTC)
    encounter = factories.make_encounter(henry, "outpatient", admit_at=admit, acting_user=users["registrar"])
    do_finish_encounter(encounter, acting_user=users["registrar"], finished_at=admit.replace(hour=15))

    [status] = retention.retention_statuses([henry.pk])

    # Adult rule 10 years (2022-05-05); the patient may have been a newborn: 18 + 3 years from the visit.
    assert status.retain_until == date(2033, 5, 5)
    assert henry.age_on() is None and henry.birth_date_partial == "1941"


def test_him_compares_an_incomplete_duplicate_before_merging_it(users, client):
    him = users["him_manager"]
    survivor = factories.make_patient("Henry", "Walsh", date(1941, 3, 2), sex="M")
    duplicate = incomplete_patient(users["registrar"], birth_date_partial="1941-03")
    client.force_login(him)

    page = client.get(reverse("patients-merge-compare",
                              kwargs={"patient_id": survivor.pk, "duplicate_id": duplicate.pk}))

    assert page.status_code == 200
    text = page.content.decode()
    assert "1941-03-02" in text and "unknown (1941-03)" in text
