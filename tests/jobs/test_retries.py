"""Jobs run through the database queue by the library's worker loop: a failed attempt keeps its
reason and is tried again while attempts remain, the FHIR $export status follows the job, and the
hand-over to the queue happens once per attempt."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

from chartdesk.interop.models import ExportJob
from chartdesk.interop.tasks import fhir_bulk_export
from chartdesk.jobs.actions import enqueue_job
from chartdesk.jobs.models import Job
from tests.interop.records import make_chart

pytestmark = pytest.mark.django_db


def _poll(api, kick):
    return api.get(kick["Content-Location"].replace("http://testserver", ""))


@pytest.fixture
def unwritable_data_dir(settings, tmp_path) -> Path:
    """Exports cannot be written: the data folder is a plain file (as when a volume is not mounted)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    good = settings.DATA_DIR
    settings.DATA_DIR = blocker
    return good


def test_a_failed_attempt_keeps_its_reason_and_the_retry_completes_the_export(fhir_as, run_jobs, settings,
                                                                              unwritable_data_dir):
    make_chart()
    api = fhir_as("him_manager", scopes=("system/*.read",))
    kick = api.get("/fhir/$export?_type=Patient", Prefer="respond-async")
    assert run_jobs() == 1
    job = Job.objects.get()
    assert (job.status, job.attempts, job.max_attempts) == ("queued", 1, 3)
    assert job.failure_reason.startswith("NotADirectoryError: ")
    first = DBTaskResult.objects.get()  # the library's own record of the attempt
    assert (first.status, first.exception_class_path) == ("FAILED", "builtins.NotADirectoryError")
    waiting = _poll(api, kick)
    assert (waiting.status_code, waiting["X-Progress"]) == (202, "queued, 0%: Attempt 1 of 3 failed; trying again")

    settings.DATA_DIR = unwritable_data_dir  # the volume is back
    assert run_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.percent, job.failure_reason) == ("succeeded", 2, 100, "")
    assert [entry["outcome"] for entry in job.attempt_log] == ["failed", "succeeded"]
    assert job.attempt_log[0]["reason"].startswith("NotADirectoryError: ")
    assert job.task_result_id == str(DBTaskResult.objects.exclude(pk=first.pk).get().pk)
    assert job.message == "1 resources in 1 file"
    manifest = _poll(api, kick)
    assert manifest.status_code == 200
    assert [item["type"] for item in manifest.json()["output"]] == ["Patient"]


def test_a_job_failing_every_attempt_is_failed_and_the_export_status_says_why(fhir_as, run_jobs, settings,
                                                                             unwritable_data_dir):
    settings.JOB_MAX_ATTEMPTS = 2
    make_chart()
    api = fhir_as("him_manager", scopes=("system/*.read",))
    kick = api.get("/fhir/$export?_type=Patient", Prefer="respond-async")
    assert (run_jobs(), run_jobs(), run_jobs()) == (1, 1, 0)  # two attempts, then nothing is left to run
    job = Job.objects.get()
    assert (job.status, job.attempts, job.message) == ("failed", 2, "Failed after 2 attempts")
    assert job.finished_at is not None
    assert ExportJob.objects.get().status == "failed"
    answer = _poll(api, kick)
    assert answer.status_code == 500
    assert "The export failed: NotADirectoryError" in answer.json()["issue"][0]["diagnostics"]


def test_a_job_reaches_the_queue_once_however_often_it_is_handed_over(fhir_as):
    api = fhir_as("him_manager", scopes=("system/*.read",))
    api.get("/fhir/$export?_type=Patient", Prefer="respond-async")
    job = Job.objects.get()
    assert job.task_result_id == "" and not DBTaskResult.objects.exists()  # not before the commit
    first = enqueue_job(job.pk)
    assert enqueue_job(job.pk) is None
    job.refresh_from_db()
    assert job.task_result_id == first == str(DBTaskResult.objects.get().pk)
    assert DBTaskResult.objects.get().task_path == fhir_bulk_export.module_path


def test_a_task_result_that_is_no_longer_the_jobs_attempt_does_nothing(fhir_as, run_jobs):
    make_chart()
    api = fhir_as("him_manager", scopes=("system/*.read",))
    api.get("/fhir/$export?_type=Patient", Prefer="respond-async")
    job = Job.objects.get()
    stale = enqueue_job(job.pk)
    Job.objects.filter(pk=job.pk).update(task_result_id="")  # as after a retry of a stalled attempt
    assert run_jobs() == 2  # the stale result and the job's new one both reach the worker
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 1)
    assert DBTaskResult.objects.get(pk=stale).return_value == {"skipped": "not this job's current attempt"}
