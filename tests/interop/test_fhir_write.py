"""Create and update with version checks, validation errors naming the element, $everything.

History and vread: test_fhir_versions.py."""

from __future__ import annotations

import pytest

from chartdesk.clinical.models import Condition
from chartdesk.interop.fhir.validation import validate_resource
from chartdesk.patients.models import Patient
from tests.interop.records import make_chart

pytestmark = pytest.mark.django_db

NEW_PATIENT = {"resourceType": "Patient", "name": [{"use": "official", "family": "Okafor", "given": ["Chidi"]}],
               "gender": "male", "birthDate": "1990-07-04",
               "telecom": [{"system": "phone", "value": "217-555-0142", "use": "mobile"}]}


def test_create_patient_registers_through_the_mpi(fhir_as):
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    response = api.post("/fhir/Patient", NEW_PATIENT)
    assert response.status_code == 201, response.content
    created = Patient.objects.get(family_name="Okafor")
    assert response["Location"] == f"Patient/{created.pk}/_history/1"
    assert created.phones.get().number == "2175550142"
    again = api.post("/fhir/Patient", NEW_PATIENT)
    assert again.status_code == 400
    assert "very likely match" in again.json()["issue"][0]["diagnostics"]
    assert Patient.objects.filter(family_name="Okafor").count() == 1


def test_invalid_resource_gets_400_naming_the_element_path(fhir_as):
    api = fhir_as("registrar", scopes=("user/*.write",))
    broken = {**NEW_PATIENT, "birthDate": "04/07/1990", "name": [{"family": ["Okafor"]}]}
    response = api.post("/fhir/Patient", broken)
    assert response.status_code == 400
    paths = {path for issue in response.json()["issue"] for path in issue["expression"]}
    assert {"Patient.birthDate", "Patient.name[0].family"} <= paths
    assert not Patient.objects.filter(family_name="Okafor").exists()
    assert api.post("/fhir/Patient", {**NEW_PATIENT, "gender": "f"}).json()["issue"][0]["expression"] == [
        "Patient.gender"]


def test_read_scope_cannot_write(fhir_as):
    response = fhir_as("registrar").post("/fhir/Patient", NEW_PATIENT)
    assert response.status_code == 403
    assert not Patient.objects.filter(family_name="Okafor").exists()


def test_update_with_the_current_version_changes_the_patient(fhir_as):
    chart = make_chart()
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    resource = api.get(f"/fhir/Patient/{chart.patient.pk}").json()
    resource["name"][0]["family"] = "Garcia-Lopez"
    response = api.put(f"/fhir/Patient/{chart.patient.pk}", resource, **{"If-Match": 'W/"1"'})
    assert response.status_code == 200, response.content
    assert response["ETag"] == 'W/"2"'
    assert Patient.objects.get(pk=chart.patient.pk).family_name == "Garcia-Lopez"


def test_stale_update_gets_412_and_changes_nothing(fhir_as):
    chart = make_chart()
    api = fhir_as("registrar", scopes=("user/*.read", "user/*.write"))
    resource = api.get(f"/fhir/Patient/{chart.patient.pk}").json()
    resource["name"][0]["family"] = "Changed"
    assert api.put(f"/fhir/Patient/{chart.patient.pk}", resource, **{"If-Match": 'W/"1"'}).status_code == 200
    resource["name"][0]["family"] = "Overwritten"
    stale = api.put(f"/fhir/Patient/{chart.patient.pk}", resource, **{"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    fresh = Patient.objects.get(pk=chart.patient.pk)
    assert (fresh.family_name, fresh.revision) == ("Changed", 2)
    assert api.put(f"/fhir/Patient/{chart.patient.pk}", resource).status_code == 428


def test_condition_create_and_status_update(fhir_as):
    chart = make_chart()
    api = fhir_as("provider", scopes=("user/*.read", "user/*.write"))
    created = api.post("/fhir/Condition", {
        "resourceType": "Condition", "subject": {"reference": f"Patient/{chart.patient.pk}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}]},
        "clinicalStatus": {"coding": [{"code": "active"}]}})
    assert created.status_code == 201, created.content
    body = created.json()
    body["clinicalStatus"] = {"coding": [{"code": "resolved"}]}
    updated = api.put(f"/fhir/Condition/{body['id']}", body, **{"If-Match": 'W/"1"'})
    assert updated.status_code == 200, updated.content
    assert Condition.objects.get(pk=body["id"]).clinical_status == "resolved"
    body["code"]["coding"][0]["code"] = "73211009"
    refused = api.put(f"/fhir/Condition/{body['id']}", body, **{"If-Match": 'W/"2"'})
    assert refused.status_code == 400
    assert refused.json()["issue"][0]["expression"] == ["Condition.code"]


def test_everything_returns_the_whole_chart(fhir_as):
    chart = make_chart()
    bundle = fhir_as("provider").get(f"/fhir/Patient/{chart.patient.pk}/$everything").json()
    kinds = sorted({entry["resource"]["resourceType"] for entry in bundle["entry"]})
    assert {"Patient", "Encounter", "DocumentReference", "Condition", "Procedure", "Provenance"} <= set(kinds)
    for entry in bundle["entry"]:
        validate_resource(entry["resource"])
