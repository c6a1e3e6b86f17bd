"""HL7 and FHIR intake match with the trained model (patients.linkage_match), as registration does:
a typo links to the existing chart, a household member is registered anew and reported for review."""

from __future__ import annotations

from datetime import date

import pytest

from chartdesk.charts.models import Encounter
from chartdesk.interop.fhir.importer import FhirImporter
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.models import SourceRecord
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient
from chartdesk.patients.schemas import AddressInput
from tests.interop import bundles
from tests.interop.hl7_messages import adt
from tests.support import factories

pytestmark = pytest.mark.django_db

HOME = (AddressInput(line1="12 Elm St", city="Springfield", state="IL", postal_code="62704"),)


@pytest.fixture
def aiko(db):
    return factories.make_patient("Aiko", "Nakamura", date(1972, 5, 14), "F", phones=(("home", "217-555-0142"),),
                                  addresses=HOME)


def feed(text: str):
    return receive_message(text.encode(), acting_user=interface_user())


def test_hl7_a04_with_a_typo_in_the_family_name_links_to_the_existing_chart(aiko):
    outcome = feed(adt("A04", "M1", family="Nakamrua"))
    assert outcome.code == "AA"
    assert Patient.objects.count() == 1
    assert Encounter.objects.get().patient_id == aiko.pk
    assert aiko.identifiers.get().value == "EXT1001"


def test_hl7_a04_agreeing_on_name_and_birth_date_alone_is_registered_for_review_not_linked(aiko):
    """The model may put such a pair in its match band, but a feed links only when an address, phone
    or SSN agrees too: on name and birth date alone one in twenty such offers was another person."""
    outcome = feed(adt("A04", "M1", pid="PID|1||EXT1001^^^MERCY^MR||Nakamura^Aiko^Q||19720514|F"))
    assert outcome.code == "AA"
    assert f"possible duplicate of MRN {aiko.mrn} for HIM review" in outcome.ack
    assert Patient.objects.count() == 2
    assert Encounter.objects.get().patient_id != aiko.pk


def test_hl7_a04_for_a_twin_registers_a_new_chart_for_review(aiko):
    outcome = feed(adt("A04", "M1", given="Emi"))
    assert outcome.code == "AA"
    assert f"possible duplicate of MRN {aiko.mrn} for HIM review" in outcome.ack
    assert Patient.objects.count() == 2
    assert Encounter.objects.get().patient.given_name == "Emi"


def test_fhir_patient_create_with_a_typo_is_refused_as_a_very_likely_match(fhir_as):
    existing = factories.make_patient("Chidi", "Okafor", date(1990, 7, 4), "M", phones=(("mobile", "2175550142"),))
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    response = api.post("/fhir/Patient", {
        "resourceType": "Patient", "name": [{"use": "official", "family": "Okafro", "given": ["Chidi"]}],
        "gender": "male", "birthDate": "1990-07-04",
        "telecom": [{"system": "phone", "value": "217-555-0142", "use": "mobile"}]})
    assert response.status_code == 400
    assert f"very likely match is already in the patient index (MRN {existing.mrn})" in (
        response.json()["issue"][0]["diagnostics"])
    assert Patient.objects.count() == 1


def test_fhir_import_with_a_typo_links_to_the_existing_chart(tmp_path):
    existing = factories.make_patient("Rosalind", "Quigley", date(1961, 2, 17), "F", phones=(("home", "217-555-0142"),))
    chart = bundles.full_chart()
    chart[2] = bundles.patient(family="Quiglye812")
    assert chart[2]["resourceType"] == "Patient"
    report = FhirImporter(requested_by=factories.make_user("him_manager")).run(bundles.write_bundle(tmp_path, chart))
    assert Patient.objects.count() == 1
    assert Encounter.objects.get().patient_id == existing.pk
    assert any(f"linked to MRN {existing.mrn}" in note for note in report.notes)
    assert SourceRecord.objects.get(resource_type="Patient").local_id == existing.pk
