"""SMART scopes naming a resource type (patient/Claim.read, user/Condition.read, system/Patient.read)
work like the wildcard ones, for that type only; malformed or unserved ones are refused at registration."""

from __future__ import annotations

import pytest

from chartdesk.core.errors import ChartdeskError
from chartdesk.interop.tokens import do_register_api_client
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("scope", ["patient/Spaceship.read", "user/patient.read", "user/*.delete", "patient/*",
                                   "patient/*.write", "system/Claim.write", "Claim.read", ""])
def test_scopes_chartdesk_cannot_grant_are_refused_naming_the_scope(admin, scope):
    chart = make_chart()
    patient = chart.patient if scope.startswith("patient/") else None
    with pytest.raises(ChartdeskError) as refused:
        do_register_api_client("App", user=factories.make_user("registrar"), scopes=[scope], patient=patient,
                               acting_user=admin)
    assert refused.value.field == "scope"


def test_a_patient_resource_scope_needs_the_patient_and_patient_scopes_do_not_mix(admin):
    chart = make_chart()
    user = factories.make_user("registrar")
    with pytest.raises(ChartdeskError, match="patient"):
        do_register_api_client("App", user=user, scopes=["patient/Condition.read"], acting_user=admin)
    with pytest.raises(ChartdeskError, match="patient"):
        do_register_api_client("App", user=user, scopes=["patient/Condition.read", "user/*.read"],
                               patient=chart.patient, acting_user=admin)


def test_a_user_resource_scope_reads_that_type_only(fhir_as):
    chart = make_chart()
    api = fhir_as("provider", scopes=("user/Condition.read",))
    assert api.get(f"/fhir/Condition/{chart.condition.pk}").status_code == 200
    assert api.get(f"/fhir/Condition?patient={chart.patient.pk}").status_code == 200
    assert api.get(f"/fhir/Condition/{chart.condition.pk}/_history").status_code == 200
    for path in (f"/fhir/Patient/{chart.patient.pk}", f"/fhir/Procedure/{chart.procedure.pk}",
                 f"/fhir/Procedure?patient={chart.patient.pk}", f"/fhir/Patient/{chart.patient.pk}/$everything"):
        response = api.get(path)
        assert response.status_code == 403, path
        assert response.json()["issue"][0]["code"] == "forbidden"


def test_include_leaves_out_the_patient_a_resource_scope_does_not_cover(fhir_as):
    chart = make_chart()
    narrow = fhir_as("provider", scopes=("user/Condition.read",)).get(
        f"/fhir/Condition?patient={chart.patient.pk}&_include=Condition:patient").json()
    assert [entry["resource"]["resourceType"] for entry in narrow["entry"]] == ["Condition"]
    wide = fhir_as("provider", scopes=("user/Condition.read", "user/Patient.read")).get(
        f"/fhir/Condition?patient={chart.patient.pk}&_include=Condition:patient").json()
    assert [entry["resource"]["resourceType"] for entry in wide["entry"]] == ["Condition", "Patient"]


def test_a_resource_write_scope_writes_that_type_only(fhir_as):
    chart = make_chart()
    api = fhir_as("provider", scopes=("user/*.read", "user/Condition.write"))
    created = api.post("/fhir/Condition", {
        "resourceType": "Condition", "subject": {"reference": f"Patient/{chart.patient.pk}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}]}})
    assert created.status_code == 201, created.content
    patient = api.get(f"/fhir/Patient/{chart.patient.pk}").json()
    refused = api.put(f"/fhir/Patient/{chart.patient.pk}", patient, **{"If-Match": 'W/"1"'})
    assert refused.status_code == 403
    assert "Patient" in refused.json()["issue"][0]["diagnostics"]


def test_a_system_resource_scope_exports_that_type_only(fhir_as, run_jobs):
    make_chart()
    api = fhir_as("him_manager", scopes=("system/Patient.read",))
    kick = api.get("/fhir/$export", Prefer="respond-async")
    assert kick.status_code == 202
    run_jobs()
    manifest = api.get(kick["Content-Location"].replace("http://testserver", "")).json()
    assert [item["type"] for item in manifest["output"]] == ["Patient"]
