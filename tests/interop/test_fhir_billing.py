"""Claim and ExplanationOfBenefit: valid FHIR from billing's claims and posted remittances, searched
by patient, status, created and claim number, reached only with billing rights, through each scope."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.interop.fhir.validation import validate_resource
from chartdesk.patients.actions import do_set_restriction
from tests.interop.billing_records import make_claim
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed():
    chart = make_chart()
    return make_claim(chart.patient)


def _ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_a_claim_reads_as_valid_fhir_with_its_lines_and_billing_status(fhir_as, billed):
    response = fhir_as(user=billed.billing_user).get(f"/fhir/Claim/{billed.claim.pk}")
    assert response.status_code == 200, response.content
    claim = response.json()
    validate_resource(claim)
    assert claim["identifier"] == [{"system": "urn:chartdesk:claim-control-number",
                                    "value": billed.claim.claim_number}]
    assert (claim["status"], claim["use"], claim["total"]) == ("active", "claim", {"value": 152.0, "currency": "USD"})
    assert claim["meta"]["tag"][0]["code"] == "paid"
    assert claim["patient"]["reference"] == f"Patient/{billed.claim.patient_id}"
    assert [item["productOrService"]["coding"][0]["code"] for item in claim["item"]] == ["99213", "36415"]
    assert claim["item"][0]["modifier"][0]["coding"][0]["code"] == "25"
    assert [d["diagnosisCodeableConcept"]["coding"][0]["code"] for d in claim["diagnosis"]] == ["E11.9", "I10"]
    assert response["ETag"] == f'W/"{claim["meta"]["versionId"]}"'


def test_an_explanation_of_benefit_carries_the_payment_and_its_adjustments(fhir_as, billed):
    response = fhir_as(user=billed.billing_user).get(f"/fhir/ExplanationOfBenefit/{billed.payment.pk}")
    assert response.status_code == 200, response.content
    eob = response.json()
    validate_resource(eob)
    assert eob["claim"]["reference"] == f"Claim/{billed.claim.pk}"
    assert eob["outcome"] == "complete"
    assert eob["payment"]["amount"] == {"value": 90.0, "currency": "USD"}
    totals = {total["category"]["coding"][0]["code"]: total["amount"]["value"] for total in eob["total"]}
    assert totals == {"submitted": 152.0, "benefit": 90.0, "patient-responsibility": 30.0}
    adjustments = [(a["category"]["coding"][0]["code"], a["reason"]["coding"][0]["code"], a["amount"]["value"])
                   for a in eob["adjudication"]]
    assert adjustments == [("CO", "45", 32.0), ("PR", "2", 20.0), ("PR", "3", 10.0)]


def test_claim_search_by_patient_status_created_and_claim_number(fhir_as, billed):
    api = fhir_as(user=billed.billing_user)
    patient = billed.claim.patient_id
    mine = str(billed.claim.pk)
    assert _ids(api.get(f"/fhir/Claim?patient={patient}").json()) == [mine]
    assert _ids(api.get(f"/fhir/Claim?patient={patient}&status=active").json()) == [mine]
    assert _ids(api.get(f"/fhir/Claim?patient={patient}&status=draft").json()) == []
    assert _ids(api.get(f"/fhir/Claim?patient={patient}&status=urn:chartdesk:claim-status|paid").json()) == [mine]
    assert _ids(api.get(f"/fhir/Claim?patient={patient}&status=urn:chartdesk:claim-status|denied").json()) == []
    today = timezone.localdate()
    assert _ids(api.get(f"/fhir/Claim?patient={patient}&created=ge{today - timedelta(days=1)}").json()) == [mine]
    assert _ids(api.get(f"/fhir/Claim?patient={patient}&created=gt{today + timedelta(days=1)}").json()) == []
    by_number = api.get(f"/fhir/Claim?identifier={billed.claim.claim_number}").json()
    assert _ids(by_number) == [mine]
    validate_resource(by_number)
    assert _ids(api.get("/fhir/Claim?identifier=CD9999999999").json()) == []
    refused = api.get(f"/fhir/Claim?patient={patient}&status=paid")
    assert refused.status_code == 400
    assert refused.json()["issue"][0]["expression"] == ["status"]
    assert api.get("/fhir/Claim?status=active").status_code == 400  # names neither patient nor claim number


def test_explanation_of_benefit_search_by_patient_claim_number_and_posting_time(fhir_as, billed):
    api = fhir_as(user=billed.billing_user)
    patient = billed.claim.patient_id
    mine = str(billed.payment.pk)
    yesterday = timezone.localdate() - timedelta(days=1)
    assert _ids(api.get(f"/fhir/ExplanationOfBenefit?patient={patient}").json()) == [mine]
    assert _ids(api.get(f"/fhir/ExplanationOfBenefit?identifier={billed.claim.claim_number}").json()) == [mine]
    assert _ids(api.get(f"/fhir/ExplanationOfBenefit?patient={patient}&claim=Claim/{billed.claim.pk}").json()) == [
        mine]
    assert _ids(api.get(f"/fhir/ExplanationOfBenefit?patient={patient}&_lastUpdated=ge{yesterday}").json()) == [mine]
    assert _ids(api.get(f"/fhir/ExplanationOfBenefit?patient={patient}&created=lt{yesterday}").json()) == []
    assert _ids(api.get(f"/fhir/ExplanationOfBenefit?patient={patient}&status=cancelled").json()) == []


@pytest.mark.parametrize("role", ["provider", "registrar", "coder", "him_manager", "privacy_officer"])
def test_roles_without_billing_rights_get_no_claims(fhir_as, billed, role):
    api = fhir_as(role)
    for path in (f"/fhir/Claim/{billed.claim.pk}", f"/fhir/ExplanationOfBenefit/{billed.payment.pk}",
                 f"/fhir/Claim?patient={billed.claim.patient_id}",
                 f"/fhir/Claim?identifier={billed.claim.claim_number}",
                 f"/fhir/ExplanationOfBenefit?patient={billed.claim.patient_id}"):
        response = api.get(path)
        assert response.status_code == 404, (role, path)
        assert billed.claim.claim_number.encode() not in response.content


def test_a_restricted_chart_keeps_its_claims_from_billing(fhir_as, billed):
    do_set_restriction(billed.claim.patient, restriction="vip", note="board",
                       acting_user=factories.make_user("him_manager"))
    api = fhir_as(user=billed.billing_user)
    assert api.get(f"/fhir/Claim/{billed.claim.pk}").status_code == 404
    assert api.get(f"/fhir/ExplanationOfBenefit/{billed.payment.pk}").status_code == 404
    assert _ids(api.get(f"/fhir/Claim?identifier={billed.claim.claim_number}").json()) == []


def test_a_patient_scoped_token_reads_only_its_patients_claims(fhir_as, billed):
    other = make_claim(make_chart("Bea", "Novak").patient, billing_user=billed.billing_user, trace="TRACE002")
    api = fhir_as("billing", scopes=("patient/*.read",), patient=billed.claim.patient)
    assert api.get(f"/fhir/Claim/{billed.claim.pk}").status_code == 200
    assert api.get(f"/fhir/ExplanationOfBenefit/{billed.payment.pk}").status_code == 200
    assert api.get(f"/fhir/Claim/{other.claim.pk}").status_code == 404
    assert api.get(f"/fhir/ExplanationOfBenefit/{other.payment.pk}").status_code == 404
    assert _ids(api.get("/fhir/Claim").json()) == [str(billed.claim.pk)]
    assert api.get(f"/fhir/Claim?patient={other.claim.patient_id}").status_code == 404
    assert _ids(api.get(f"/fhir/Claim?identifier={other.claim.claim_number}").json()) == []


def test_a_resource_scope_reaches_claims_and_nothing_else(fhir_as, billed):
    api = fhir_as("billing", scopes=("patient/Claim.read", "patient/ExplanationOfBenefit.read"),
                  patient=billed.claim.patient)
    assert api.get(f"/fhir/Claim/{billed.claim.pk}").status_code == 200
    assert _ids(api.get("/fhir/ExplanationOfBenefit").json()) == [str(billed.payment.pk)]
    refused = api.get(f"/fhir/Patient/{billed.claim.patient_id}")
    assert refused.status_code == 403
    assert "Patient" in refused.json()["issue"][0]["diagnostics"]
    everything = api.get(f"/fhir/Patient/{billed.claim.patient_id}/$everything")
    assert everything.status_code == 403


def test_everything_includes_claims_for_billing_and_not_for_clinicians(fhir_as, billed):
    path = f"/fhir/Patient/{billed.claim.patient_id}/$everything"
    billing = fhir_as(user=billed.billing_user).get(path).json()
    kinds = {entry["resource"]["resourceType"] for entry in billing["entry"]}
    assert {"Claim", "ExplanationOfBenefit"} <= kinds
    clinician = fhir_as("provider").get(path).json()
    kinds = {entry["resource"]["resourceType"] for entry in clinician["entry"]}
    assert not {"Claim", "ExplanationOfBenefit"} & kinds


def test_bulk_export_includes_claims_for_a_user_with_billing_rights(fhir_as, billed, run_jobs):
    from django.contrib.auth.models import Permission

    billed.billing_user.user_permissions.add(Permission.objects.get(codename="bulk_export"))
    user = type(billed.billing_user).objects.get(pk=billed.billing_user.pk)  # permissions are cached per object
    api = fhir_as(user=user, scopes=("system/*.read",))
    location = api.get("/fhir/$export?_type=Claim,ExplanationOfBenefit", Prefer="respond-async")["Content-Location"]
    run_jobs()
    manifest = api.get(location.replace("http://testserver", "")).json()
    files = {item["type"]: item for item in manifest["output"]}
    assert {files["Claim"]["count"], files["ExplanationOfBenefit"]["count"]} == {1}
    line = api.get(files["Claim"]["url"].replace("http://testserver", "")).getvalue().decode().strip()
    claim = json.loads(line)
    validate_resource(claim)
    assert claim["id"] == str(billed.claim.pk)


def test_capability_statement_lists_claim_and_explanation_of_benefit(client):
    body = client.get("/fhir/metadata").json()
    resources = {resource["type"]: resource for resource in body["rest"][0]["resource"]}
    assert {param["name"] for param in resources["Claim"]["searchParam"]} == {
        "patient", "status", "created", "identifier"}
    assert {"identifier", "patient", "_lastUpdated"} <= {
        param["name"] for param in resources["ExplanationOfBenefit"]["searchParam"]}
    assert "vread" in [interaction["code"] for interaction in resources["Claim"]["interaction"]]
    assert [resources[name]["versioning"] for name in ("Claim", "Patient", "Practitioner", "Binary")] == [
        "versioned", "versioned", "no-version", "no-version"]
