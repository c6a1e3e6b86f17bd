"""FHIR Bulk Data $import for API clients: NDJSON uploaded with the kick-off or a folder the site set
aside, asynchronous with a status endpoint, one OperationOutcome per rejected resource, limited to
what the client's user may do and its scopes may write."""

from __future__ import annotations

import json

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import Encounter
from chartdesk.clinical.models import Condition
from chartdesk.interop.fhir import import_jobs
from chartdesk.interop.models import ImportJob
from chartdesk.jobs.models import Job
from chartdesk.patients.models import Patient
from tests.interop import bundles
from tests.interop.conftest import FhirClient

pytestmark = pytest.mark.django_db
WRITE = ("user/*.read", "user/*.write")


def ndjson(*resources: dict) -> str:
    return "".join(json.dumps(resource) + "\n" for resource in resources)


def kick_off(fhir: FhirClient, body: str, content_type: str = "application/fhir+ndjson", **headers: str):
    return fhir.client.post("/fhir/$import", data=body, content_type=content_type,
                            headers={**fhir.headers, "Prefer": "respond-async", **headers})


def status_path(response) -> str:
    assert response.status_code == 202, response.content
    return response["Content-Location"].split("/fhir", 1)[1].join(["/fhir", ""])


def test_an_upload_is_imported_and_the_status_lists_created_and_rejected(fhir_as, run_jobs):
    fhir = fhir_as("him_manager", WRITE)
    broken = bundles.procedure()
    broken["performedPeriod"] = {"start": "last tuesday"}
    response = kick_off(fhir, ndjson(bundles.practitioner(), bundles.patient(), bundles.encounter(),
                                     bundles.condition(), broken))
    path = status_path(response)
    assert ImportJob.objects.get().status == "queued" and Patient.objects.count() == 0
    assert fhir.get(path).status_code == 202  # the worker has not run it yet
    assert run_jobs() == 1

    done = fhir.get(path)
    assert done.status_code == 200
    body = done.json()
    assert {item["type"]: item["created"] for item in body["output"]} == {
        "Condition": 1, "Encounter": 1, "Patient": 1, "Practitioner": 1}
    assert len(body["error"]) == 1
    outcome = body["error"][0]
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["Procedure.performedPeriod.start"]
    assert outcome["issue"][0]["diagnostics"].startswith("upload.ndjson:5: Procedure/proc-1: ")
    assert Condition.objects.get().patient.family_name == "Quigley"
    assert not import_jobs.upload_dir(ImportJob.objects.get()).exists()  # the upload is not kept
    assert AuditEvent.objects.filter(object_type="fhir_bulk_import").count() == 1


def test_importing_the_same_upload_again_creates_nothing(fhir_as, run_jobs):
    fhir = fhir_as("him_manager", WRITE)
    body = ndjson(bundles.patient(), bundles.encounter(), bundles.condition())
    kick_off(fhir, body)
    run_jobs()
    path = status_path(kick_off(fhir, body))
    run_jobs()
    again = fhir.get(path).json()
    assert {item["type"]: (item["created"], item["unchanged"]) for item in again["output"]} == {
        "Condition": (0, 1), "Encounter": (0, 1), "Patient": (0, 1)}
    assert (Patient.objects.count(), Encounter.objects.count(), Condition.objects.count()) == (1, 1, 1)


def test_the_worker_runs_queued_imports_and_the_poll_shows_progress_until_then(fhir_as, run_jobs):
    fhir = fhir_as("him_manager", WRITE)
    path = status_path(kick_off(fhir, ndjson(bundles.patient())))
    waiting = fhir.get(path)
    assert (waiting.status_code, waiting["X-Progress"]) == (202, "queued")
    job = Job.objects.get(about_type="fhir_bulk_import")  # on the jobs page of the client's user
    assert job.about_id == str(ImportJob.objects.get().pk) and job.status == "queued"
    assert run_jobs() == 1
    assert ImportJob.objects.get().charts_done == 1 and Patient.objects.count() == 1
    assert Job.objects.get(pk=job.pk).status == "succeeded"
    assert fhir.get(path).status_code == 200


def test_a_folder_of_the_sites_import_folder_is_imported(fhir_as, settings, tmp_path, run_jobs):
    settings.FHIR_IMPORT_DIR = str(tmp_path)
    (tmp_path / "nightly").mkdir()
    bundles.write_ndjson(tmp_path / "nightly", [bundles.patient(), bundles.encounter()])
    fhir = fhir_as("him_manager", WRITE)
    parameters = {"resourceType": "Parameters", "parameter": [{"name": "inputSource", "valueString": "nightly"}]}
    response = kick_off(fhir, json.dumps(parameters), content_type="application/fhir+json")
    run_jobs()
    body = fhir.get(status_path(response)).json()
    assert {item["type"]: item["created"] for item in body["output"]} == {"Encounter": 1, "Patient": 1}
    assert (tmp_path / "nightly" / "data.ndjson").exists()  # the site's files are left as they were


@pytest.mark.parametrize("name", ["../elsewhere", "/etc", "missing", ""])
def test_a_folder_outside_the_import_folder_or_missing_is_refused(fhir_as, settings, tmp_path, name):
    settings.FHIR_IMPORT_DIR = str(tmp_path / "imports")
    (tmp_path / "imports").mkdir()
    (tmp_path / "elsewhere").mkdir()
    fhir = fhir_as("him_manager", WRITE)
    parameters = {"resourceType": "Parameters", "parameter": [{"name": "inputSource", "valueString": name}]}
    response = kick_off(fhir, json.dumps(parameters), content_type="application/fhir+json")
    assert response.status_code == 400
    assert "inputSource" in response.json()["issue"][0]["diagnostics"]
    assert not ImportJob.objects.exists()


def test_without_an_import_folder_a_folder_is_refused_naming_the_setting(fhir_as, settings):
    settings.FHIR_IMPORT_DIR = ""
    fhir = fhir_as("him_manager", WRITE)
    parameters = {"resourceType": "Parameters", "parameter": [{"name": "inputSource", "valueString": "x"}]}
    response = kick_off(fhir, json.dumps(parameters), content_type="application/fhir+json")
    assert response.status_code == 400 and "CHARTDESK_FHIR_IMPORT_DIR" in response.json()["issue"][0]["diagnostics"]


def test_an_empty_or_oversized_upload_is_refused_and_leaves_no_job(fhir_as, settings):
    fhir = fhir_as("him_manager", WRITE)
    empty = kick_off(fhir, "")
    assert empty.status_code == 400 and "empty" in empty.json()["issue"][0]["diagnostics"]
    settings.FHIR_IMPORT_MAX_BYTES = 100
    large = kick_off(fhir, ndjson(bundles.patient()))
    assert large.status_code == 413
    assert not ImportJob.objects.exists()


def test_the_kick_off_needs_prefer_respond_async(fhir_as):
    fhir = fhir_as("him_manager", WRITE)
    response = fhir.client.post("/fhir/$import", data=ndjson(bundles.patient()),
                                content_type="application/fhir+ndjson", headers=fhir.headers)
    assert response.status_code == 400 and not ImportJob.objects.exists()


@pytest.mark.parametrize("role", ["registrar", "provider", "coder", "billing", "roi", "transcriptionist",
                                  "privacy_officer"])
def test_a_client_whose_user_may_not_import_is_refused(fhir_as, role):
    response = kick_off(fhir_as(role, WRITE), ndjson(bundles.patient()))
    assert response.status_code == 403
    assert not ImportJob.objects.exists() and Patient.objects.count() == 0


@pytest.mark.parametrize("role", ["him_manager", "administrator"])
def test_a_read_only_token_is_refused_even_for_a_user_who_may_import(fhir_as, role):
    response = kick_off(fhir_as(role, ("user/*.read",)), ndjson(bundles.patient()))
    assert response.status_code == 403 and not ImportJob.objects.exists()


def test_resources_the_scopes_do_not_cover_are_rejected_each_with_its_outcome(fhir_as, run_jobs):
    fhir = fhir_as("him_manager", ("user/Patient.write", "user/*.read"))
    path = status_path(kick_off(fhir, ndjson(bundles.patient(), bundles.encounter())))
    run_jobs()
    body = fhir.get(path).json()
    assert [item["type"] for item in body["output"]] == ["Patient"]
    assert body["error"][0]["issue"][0]["diagnostics"].endswith("scopes do not allow writing Encounter")
    assert Encounter.objects.count() == 0 and Patient.objects.count() == 1


def test_another_client_cannot_see_the_status(fhir_as):
    path = status_path(kick_off(fhir_as("him_manager", WRITE), ndjson(bundles.patient())))
    other = fhir_as("him_manager", WRITE)
    assert other.get(path).status_code == 404
    assert ImportJob.objects.get().status == "queued"


def test_the_capability_statement_names_import(fhir_as):
    operations = fhir_as("him_manager", WRITE).get("/fhir/metadata").json()["rest"][0]["operation"]
    assert {"name": "import",
            "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/import"} in operations
