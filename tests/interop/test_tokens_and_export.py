"""The token endpoint, client registration by administrators only, and bulk $export end to end."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from chartdesk.core.errors import PermissionRefused
from chartdesk.interop.fhir.validation import validate_resource
from chartdesk.interop.models import ApiToken, ExportJob
from chartdesk.interop.tokens import digest, do_register_api_client
from tests.interop.conftest import FhirClient
from tests.interop.records import make_chart
from tests.support import factories

pytestmark = pytest.mark.django_db


def test_client_credentials_give_a_token_stored_only_as_a_digest(client, admin):
    user = factories.make_user("registrar")
    api_client, secret = do_register_api_client("Portal", user=user, scopes=["user/*.read"], acting_user=admin)
    response = client.post("/fhir/auth/token", {"grant_type": "client_credentials", "client_id": api_client.client_id,
                                                "client_secret": secret})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "user/*.read"
    stored = ApiToken.objects.get(client=api_client)
    assert stored.token_digest == digest(body["access_token"])
    assert body["access_token"] not in stored.token_digest
    assert api_client.secret_digest != secret


def test_wrong_secret_or_wider_scope_is_refused(client, admin):
    user = factories.make_user("registrar")
    api_client, secret = do_register_api_client("Portal", user=user, scopes=["user/*.read"], acting_user=admin)
    wrong = client.post("/fhir/auth/token", {"grant_type": "client_credentials", "client_id": api_client.client_id,
                                             "client_secret": "guess"})
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    wider = client.post("/fhir/auth/token", {"grant_type": "client_credentials", "client_id": api_client.client_id,
                                             "client_secret": secret, "scope": "system/*.read"})
    assert (wider.status_code, wider.json()["error"]) == (400, "invalid_scope")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("role", ["registrar", "him_manager", "privacy_officer", "provider"])
def test_only_administrators_register_api_clients(role):
    user = factories.make_user(role)
    with pytest.raises(PermissionRefused):
        do_register_api_client("Portal", user=user, scopes=["user/*.read"], acting_user=user)


def test_patient_scope_needs_a_patient(admin):
    from chartdesk.core.errors import ChartdeskError

    with pytest.raises(ChartdeskError, match="patient"):
        do_register_api_client("App", user=factories.make_user("registrar"), scopes=["patient/*.read"],
                               acting_user=admin)


def _poll(api: FhirClient, location: str):
    return api.get(location.replace("http://testserver", ""))


def test_system_export_kicks_off_polls_and_serves_valid_ndjson(fhir_as, run_jobs):
    chart = make_chart()
    api = fhir_as("him_manager", scopes=("system/*.read",))
    refused = api.get("/fhir/$export")
    assert refused.status_code == 400  # Prefer: respond-async missing
    kick = api.get("/fhir/$export", Prefer="respond-async")
    assert kick.status_code == 202
    location = kick["Content-Location"]
    waiting = _poll(api, location)
    assert (waiting.status_code, waiting["X-Progress"]) == (202, "queued, 0%")  # nothing runs it but a worker
    assert run_jobs() == 1
    status = _poll(api, location)
    assert status.status_code == 200, status.content
    manifest = status.json()
    by_type = {item["type"]: item for item in manifest["output"]}
    assert {"Patient", "Encounter", "Condition", "Procedure", "DocumentReference"} <= set(by_type)
    lines = _poll(api, by_type["Condition"]["url"]).getvalue().decode().splitlines()
    assert len(lines) == by_type["Condition"]["count"] == 1
    condition = json.loads(lines[0])
    validate_resource(condition)
    assert condition["id"] == str(chart.condition.pk)


def test_export_needs_the_permission_and_another_client_cannot_poll_it(fhir_as):
    make_chart()
    assert fhir_as("registrar", scopes=("system/*.read",)).get("/fhir/$export", Prefer="respond-async"
                                                                ).status_code == 403
    owner = fhir_as("him_manager", scopes=("system/*.read",))
    location = owner.get("/fhir/$export", Prefer="respond-async")["Content-Location"]
    stranger = fhir_as("him_manager", scopes=("system/*.read",))
    assert _poll(stranger, location).status_code == 404


def test_the_worker_command_runs_queued_exports(fhir_as, run_jobs, django_capture_on_commit_callbacks):
    """`chartdesk worker --batch` runs the job that the kick-off handed to the queue on commit (run_jobs
    is asked for only to keep the worker from closing the test's connection)."""
    import signal

    make_chart()
    api = fhir_as("him_manager", scopes=("user/*.read",))
    with django_capture_on_commit_callbacks(execute=False) as hooks:
        kick = api.get("/fhir/Patient/$export?_type=Patient,Condition", Prefer="respond-async")
    assert kick.status_code == 202
    assert ExportJob.objects.get().job.task_result_id == ""  # nothing reaches the queue before the commit
    for hook in hooks:
        hook()
    assert ExportJob.objects.get().job.task_result_id  # handed to the queue when the request committed
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    job = ExportJob.objects.get()
    assert job.status == "complete"
    assert sorted(item["type"] for item in job.output) == ["Condition", "Patient"]
    assert (job.job.status, job.job.percent, job.job.attempts) == ("succeeded", 100, 1)
    assert _poll(api, kick["Content-Location"]).status_code == 200


def test_export_leaves_out_restricted_charts_the_user_may_not_open(fhir_as, run_jobs):
    from chartdesk.patients.actions import do_set_restriction

    open_chart = make_chart("Ana", "Lopez")
    secret = make_chart("Vera", "Important")
    do_set_restriction(secret.patient, restriction="vip", note="board",
                       acting_user=factories.make_user("him_manager"))
    api = fhir_as("him_manager", scopes=("system/*.read",))
    location = api.get("/fhir/$export?_type=Patient", Prefer="respond-async")["Content-Location"]
    run_jobs()
    manifest = _poll(api, location).json()
    lines = _poll(api, manifest["output"][0]["url"]).getvalue().decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(open_chart.patient.pk)]


def test_group_export_covers_the_groups_members_only(fhir_as, run_jobs):
    member = make_chart("Ana", "Lopez")
    make_chart("Bea", "Novak")
    out = io.StringIO()
    call_command("interop", "group", "cohort", member.patient.mrn, stdout=out)
    group_id = out.getvalue().split()[1]
    api = fhir_as("him_manager", scopes=("user/*.read",))
    location = api.get(f"/fhir/Group/{group_id}/$export?_type=Patient", Prefer="respond-async")["Content-Location"]
    run_jobs()
    manifest = _poll(api, location).json()
    lines = _poll(api, manifest["output"][0]["url"]).getvalue().decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [str(member.patient.pk)]
    assert api.get("/fhir/Group/999/$export", Prefer="respond-async").status_code == 404


def test_a_patient_scoped_export_holds_only_that_patient(fhir_as, run_jobs):
    mine = make_chart("Ana", "Lopez")
    make_chart("Bea", "Novak")
    api = fhir_as("interface", scopes=("patient/*.read",), patient=mine.patient)
    assert api.get("/fhir/$export", Prefer="respond-async").status_code == 403
    location = api.get("/fhir/Patient/$export", Prefer="respond-async")["Content-Location"]
    run_jobs()
    manifest = _poll(api, location).json()
    patients = next(item for item in manifest["output"] if item["type"] == "Patient")
    assert patients["count"] == 1


def test_export_refuses_unknown_types_naming_the_parameter(fhir_as):
    api = fhir_as("him_manager", scopes=("system/*.read",))
    response = api.get("/fhir/$export?_type=Spaceship", Prefer="respond-async")
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["_type"]
    assert not ExportJob.objects.exists()
