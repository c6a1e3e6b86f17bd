"""Reads of every resource type: valid FHIR out, access per role and scope, restricted charts closed."""

from __future__ import annotations

import base64

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.interop.fhir.validation import validate_resource
from chartdesk.patients.actions import do_set_restriction
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db


def test_every_resource_of_a_chart_reads_as_valid_fhir(fhir_as):
    chart = make_chart()
    api = fhir_as("provider")
    paths = {
        "Patient": chart.patient.pk, "Encounter": chart.encounter.pk, "DocumentReference": chart.note.pk,
        "Condition": chart.condition.pk, "Procedure": chart.procedure.pk,
        "Practitioner": chart.note.author_id, "Binary": chart.note.current_version_id,
    }
    for resource_type, key in paths.items():
        response = api.get(f"/fhir/{resource_type}/{key}")
        assert response.status_code == 200, (resource_type, response.content)
        assert response["Content-Type"].startswith("application/fhir+json")
        body = response.json()
        assert body["resourceType"] == resource_type
        validate_resource(body)


def test_condition_keeps_its_snomed_code_and_links(fhir_as):
    chart = make_chart()
    body = fhir_as("coder").get(f"/fhir/Condition/{chart.condition.pk}").json()
    assert body["code"]["coding"][0] == {"system": "http://snomed.info/sct", "code": "233604007",
                                         "display": "Pneumonia (disorder)"}
    assert body["subject"]["reference"] == f"Patient/{chart.patient.pk}"
    assert body["encounter"]["reference"] == f"Encounter/{chart.encounter.pk}"
    assert body["meta"]["versionId"] == "1"


def test_binary_carries_the_note_text(fhir_as):
    chart = make_chart()
    body = fhir_as("provider").get(f"/fhir/Binary/{chart.note.current_version_id}").json()
    assert base64.b64decode(body["data"]).decode() == "Fever and cough for three days."
    assert body["securityContext"]["reference"] == f"DocumentReference/{chart.note.pk}"


def test_a_read_is_audited_as_the_tokens_user_on_the_api_channel(fhir_as):
    chart = make_chart()
    user = factories.make_user("coder")
    fhir_as(user=user).get(f"/fhir/Patient/{chart.patient.pk}")
    event = AuditEvent.objects.filter(user=user, action="view", object_type="patient").last()
    assert event is not None
    assert event.patient_id == chart.patient.pk
    assert event.channel == "api"


def test_requests_without_a_valid_token_get_401(client):
    response = client.get("/fhir/Patient/1")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    response = client.get("/fhir/Patient/1", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401


def test_billing_cannot_read_documents_through_the_api(fhir_as):
    chart = make_chart()
    response = fhir_as("billing").get(f"/fhir/DocumentReference/{chart.note.pk}")
    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-found"


def test_administrator_cannot_read_patients_through_the_api(fhir_as, admin):
    chart = make_chart()
    assert fhir_as(user=admin).get(f"/fhir/Patient/{chart.patient.pk}").status_code == 404


def test_restricted_chart_stays_closed_through_the_api(fhir_as):
    chart = make_chart()
    do_set_restriction(chart.patient, restriction="vip", note="board", acting_user=factories.make_user("him_manager"))
    api = fhir_as("provider")
    for path in (f"/fhir/Patient/{chart.patient.pk}", f"/fhir/Condition/{chart.condition.pk}",
                 f"/fhir/DocumentReference/{chart.note.pk}", f"/fhir/Encounter/{chart.encounter.pk}",
                 f"/fhir/Binary/{chart.note.current_version_id}", f"/fhir/Patient/{chart.patient.pk}/$everything",
                 f"/fhir/Condition?patient={chart.patient.pk}"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert b"Pneumonia" not in response.content
    search = api.get("/fhir/Patient?family=Garcia").json()
    assert search.get("entry", []) == []


def test_a_patient_scoped_token_reads_its_patient_only(fhir_as):
    mine = make_chart("Ana", "Lopez")
    other = make_chart("Bea", "Novak")
    api = fhir_as("registrar", scopes=("patient/*.read",), patient=mine.patient)
    assert api.get(f"/fhir/Patient/{mine.patient.pk}").status_code == 200
    assert api.get(f"/fhir/Condition/{mine.condition.pk}").status_code == 200
    assert api.get(f"/fhir/Patient/{other.patient.pk}").status_code == 404
    assert api.get(f"/fhir/Condition/{other.condition.pk}").status_code == 404
    assert api.get(f"/fhir/Encounter?patient={other.patient.pk}").status_code == 404
    implied = api.get("/fhir/Condition").json()
    assert [entry["resource"]["id"] for entry in implied["entry"]] == [str(mine.condition.pk)]
    everyone = api.get("/fhir/Patient").json()
    assert [entry["resource"]["id"] for entry in everyone["entry"]] == [str(mine.patient.pk)]


def test_audit_events_only_for_auditors(fhir_as):
    chart = make_chart()
    assert fhir_as("registrar").get(f"/fhir/AuditEvent?patient={chart.patient.pk}").status_code == 404
    response = fhir_as("privacy_officer").get(f"/fhir/AuditEvent?patient={chart.patient.pk}&_count=5")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] >= 4
    validate_resource(body["entry"][0]["resource"])


def test_capability_statement_is_public_and_lists_every_resource(client):
    body = client.get("/fhir/metadata").json()
    validate_resource(body)
    assert body["fhirVersion"] == "4.0.1"
    types = {resource["type"] for resource in body["rest"][0]["resource"]}
    assert {"Patient", "Encounter", "DocumentReference", "Binary", "Condition", "Procedure", "Practitioner",
            "Organization", "Consent", "Provenance", "AuditEvent"} <= types
