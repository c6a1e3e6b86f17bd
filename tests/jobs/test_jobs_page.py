"""The jobs page: everyone sees their own jobs; the HIM manager and the administrator see everyone's;
a failed or stalled job can be retried by its starter or by them, and every retry is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.interop.tasks import fhir_bulk_export
from chartdesk.jobs.models import Job, JobStatus
from tests.support import factories

pytestmark = pytest.mark.django_db

PLAIN_ROLES = ["registrar", "coder", "billing", "roi", "transcriptionist", "provider", "privacy_officer"]
MANAGING_ROLES = ["him_manager", "administrator"]


def _job(user, title, **state):
    """A job row as the action leaves it, then moved to `state` as a worker would have."""
    from chartdesk.jobs.actions import do_start_job

    job = do_start_job(fhir_bulk_export, title=title, acting_user=user, arguments={"export_id": 0})
    if state:
        Job.objects.filter(pk=job.pk).update(**state)
        job.refresh_from_db()
    return job


def _failed(user, title="FHIR bulk export 7"):
    return _job(user, title, status=JobStatus.FAILED, attempts=3, failure_reason="OSError: disk full",
                task_result_id="00000000-0000-0000-0000-000000000001", finished_at=timezone.now())


@pytest.mark.parametrize("role", PLAIN_ROLES)
def test_a_user_sees_their_own_jobs_and_nobody_elses(role, client_for):
    user, other = factories.make_user(role), factories.make_user(role)
    _failed(user, "Export mine")
    _job(other, "Export theirs")
    for query in ("", "?all=1"):  # asking for everyone's is not enough without the permission
        page = client_for(user).get(f"/jobs/{query}")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Export mine" in text and "OSError: disk full" in text and "3 of 3" in text
        assert "Export theirs" not in text
        assert "Show every user" not in text


@pytest.mark.parametrize("role", MANAGING_ROLES)
def test_the_manager_and_the_administrator_see_every_users_jobs(role, client_for):
    manager = factories.make_user(role)
    starter = factories.make_user("registrar", username="reg-jobs")
    _failed(starter, "Export of the registrar")
    mine = client_for(manager).get("/jobs/").content.decode()
    assert "Export of the registrar" not in mine and "Show every user" in mine
    everyone = client_for(manager).get("/jobs/?all=1").content.decode()
    assert "Export of the registrar" in everyone and "reg-jobs" in everyone


def test_the_status_filter_keeps_to_one_status(client_for):
    user = factories.make_user("registrar")
    _failed(user, "Export failed one")
    _job(user, "Export waiting one")
    text = client_for(user).get("/jobs/?status=failed").content.decode()
    assert "Export failed one" in text and "Export waiting one" not in text
    assert "Export waiting one" in client_for(user).get("/jobs/?status=nonsense").content.decode()


def test_a_user_retries_their_own_failed_job_and_the_retry_is_audited(client_for):
    user = factories.make_user("registrar")
    job = _failed(user)
    page = client_for(user).get("/jobs/").content.decode()
    assert f'action="/jobs/{job.pk}/retry/"' in page
    response = client_for(user).post(f"/jobs/{job.pk}/retry/", {"next": "/jobs/?status=failed"})
    assert (response.status_code, response["Location"]) == (302, "/jobs/?status=failed")
    job.refresh_from_db()
    assert (job.status, job.task_result_id, job.max_attempts, job.percent) == ("queued", "", 4, 0)
    assert job.message == f"Retry asked for by {user.username}"
    event = AuditEvent.objects.filter(object_type="job", object_id=str(job.pk), action="update").get()
    assert event.user_id == user.pk and event.detail["retry"] is True and event.detail["was"] == "failed"


@pytest.mark.parametrize("role", MANAGING_ROLES)
def test_the_manager_and_the_administrator_retry_anyones_job(role, client_for):
    manager = factories.make_user(role)
    job = _failed(factories.make_user("coder"))
    assert client_for(manager).post(f"/jobs/{job.pk}/retry/").status_code == 302
    job.refresh_from_db()
    assert job.status == "queued"
    assert AuditEvent.objects.filter(object_type="job", object_id=str(job.pk), action="update",
                                     user=manager).exists()


@pytest.mark.parametrize("role", PLAIN_ROLES)
def test_nobody_else_retries_a_job_and_a_refusal_changes_nothing(role, client_for):
    job = _failed(factories.make_user("registrar"))
    response = client_for(factories.make_user(role)).post(f"/jobs/{job.pk}/retry/")
    assert response.status_code == 404  # another user's job is not there for them
    job.refresh_from_db()
    assert (job.status, job.attempts, job.max_attempts) == ("failed", 3, 3)
    assert not AuditEvent.objects.filter(object_type="job", action="update").exists()


@pytest.mark.parametrize("state", [
    {"status": JobStatus.QUEUED},
    {"status": JobStatus.SUCCEEDED, "percent": 100},
    {"status": JobStatus.RUNNING},  # running and reporting: its worker is alive
])
def test_only_failed_or_stalled_jobs_are_retried(state, client_for):
    user = factories.make_user("registrar")
    job = _job(user, "Export busy", **state)
    assert f"/jobs/{job.pk}/retry/" not in client_for(user).get("/jobs/").content.decode()
    client = client_for(user)
    response = client.post(f"/jobs/{job.pk}/retry/", follow=True)
    assert "only a failed job, or a running one whose worker has not reported" in response.content.decode()
    assert Job.objects.get(pk=job.pk).status == state["status"]
    assert not AuditEvent.objects.filter(object_type="job", action="update").exists()


def test_a_running_job_whose_worker_went_silent_can_be_retried(client_for, settings):
    user = factories.make_user("registrar")
    silent_since = timezone.now() - timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    job = _job(user, "Export stalled", status=JobStatus.RUNNING, attempts=1, updated_at=silent_since,
               task_result_id="00000000-0000-0000-0000-000000000002")
    page = client_for(user).get("/jobs/").content.decode()
    assert "no word from its worker" in page and f"/jobs/{job.pk}/retry/" in page
    assert client_for(user).post(f"/jobs/{job.pk}/retry/").status_code == 302
    job.refresh_from_db()
    assert (job.status, job.task_result_id, job.max_attempts) == ("queued", "", 2)


def test_retry_answers_only_post_and_an_unknown_or_overlong_id_is_not_found(client_for):
    user = factories.make_user("him_manager")
    job = _failed(user)
    assert client_for(user).get(f"/jobs/{job.pk}/retry/").status_code == 405
    assert client_for(user).post("/jobs/999999/retry/").status_code == 404
    assert client_for(user).post(f"/jobs/{'9' * 40}/retry/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/jobs/")["Location"].startswith("/accounts/login/")
    assert client.post("/jobs/1/retry/")["Location"].startswith("/accounts/login/")


def test_a_retried_job_runs_again_as_the_user_who_started_it(fhir_as, run_jobs, client_for):
    from tests.interop.records import make_chart

    make_chart()
    starter = factories.make_user("him_manager")
    api = fhir_as(user=starter, scopes=("system/*.read",))
    api.get("/fhir/$export?_type=Patient", Prefer="respond-async")
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, failure_reason="OSError: disk full")
    admin = factories.make_user("administrator")
    assert client_for(admin).post(f"/jobs/{job.pk}/retry/").status_code == 302
    assert run_jobs() == 1
    job.refresh_from_db()
    assert job.status == "succeeded"
    exported = AuditEvent.objects.filter(action="export", object_type="fhir_bulk_export").exclude(patient_mrn="")
    assert {event.user_id for event in exported} == {starter.pk}
