"""A job a student starts inside their sandbox runs: it is queued in the main database naming the
sandbox, and the worker runs it with that sandbox open, so it reads and writes the sandbox only."""

from __future__ import annotations

import io
import signal
from typing import Any

from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.models import Claim
from chartdesk.jobs.models import Job
from chartdesk.training import actions, sandbox


def _in(enrollment: Any) -> Any:
    return sandbox.sandbox_database(sandbox.sandbox_path(enrollment.sandbox))


def _start_claim_run(client: Any, enrollment: Any) -> int:
    """The billing desk's *Create and scrub claims*, a background job, pressed inside the sandbox."""
    response = client.post("/billing/claims/create/")
    assert (response.status_code, response["Location"]) == (302, "/billing/claims/")
    with _in(enrollment):
        job = Job.objects.get()
        assert (job.title, job.status) == ("Create and scrub claims", "queued")
    return job.pk


def _job_in(enrollment: Any, job_id: int) -> Job:
    with _in(enrollment):
        return Job.objects.get(pk=job_id)


def test_a_claim_run_started_in_a_sandbox_runs_there_and_only_there(enrollment, student, client_for, run_jobs):
    client = client_for(student)
    job_id = _start_claim_run(client, enrollment)
    # The queue entry is in the main database and names the sandbox; no job row reached the main database.
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["kwargs"] == {"job_id": job_id, "sandbox": enrollment.sandbox}
    assert not Job.objects.exists()

    assert run_jobs() == 1
    job = _job_in(enrollment, job_id)
    assert (job.status, job.percent, job.attempts) == ("succeeded", 100, 1)
    # The sandbox's demo charts have no charges to bill: the run found nothing, in the sandbox.
    assert job.result == {"created": 0, "ready": 0, "refused": [], "summary": "0 claims created, 0 ready to send"}
    assert job.message == job.result["summary"]
    with _in(enrollment):
        assert AuditEvent.objects.filter(object_type="job", object_id=str(job_id), action="create").count() == 1
    # The student reads the outcome on the jobs page of their sandbox; the main database has no claim.
    assert job.result["summary"] in client.get("/jobs/").content.decode()
    assert not Claim.objects.exists()
    assert not AuditEvent.objects.filter(object_type="claim").exists()


def test_two_students_jobs_each_run_in_their_own_sandbox(course, student, other_student, client_for, run_jobs):
    mine = actions.do_join_course(course.join_code, acting_user=student)
    theirs = actions.do_join_course(course.join_code, acting_user=other_student)
    my_job = _start_claim_run(client_for(student), mine)
    their_job = _start_claim_run(client_for(other_student), theirs)
    assert my_job == their_job  # each sandbox numbers its own jobs: the sandbox name keeps them apart
    assert run_jobs() == 2
    # Both job rows have the same number; each ran in its own sandbox (one run in the wrong sandbox would
    # leave the other's job queued).
    for enrollment in (mine, theirs):
        assert _job_in(enrollment, my_job).status == "succeeded"


def test_a_job_whose_sandbox_was_reset_is_skipped_and_touches_nothing(enrollment, student, client_for, run_jobs,
                                                                      django_capture_on_commit_callbacks):
    _start_claim_run(client_for(student), enrollment)
    old = enrollment.sandbox
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_reset_sandbox(enrollment, acting_user=student)
    assert not sandbox.sandbox_path(old).exists()
    assert run_jobs() == 1
    assert DBTaskResult.objects.get().return_value == {"skipped": "its training sandbox was reset or removed"}
    enrollment.refresh_from_db()
    with _in(enrollment):
        assert not Job.objects.exists()


def test_the_worker_command_runs_a_job_queued_in_a_sandbox(enrollment, student, client_for, run_jobs):
    """`chartdesk worker --batch`, as an operator runs it (run_jobs is asked for only to keep the worker
    from closing the test's connection)."""
    job_id = _start_claim_run(client_for(student), enrollment)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("worker", "--batch", "--no-startup-delay", "--no-reload", stdout=io.StringIO())
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    job = _job_in(enrollment, job_id)
    assert (job.status, job.attempts) == ("succeeded", 1)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_the_draft_of_a_transcription_exercise_is_made_in_the_sandbox(enrollment, student, run_jobs):
    from chartdesk.training.grading import shipped_exercises
    from chartdesk.transcription.models import Dictation
    from tests.transcription.conftest import require_audio_tools

    require_audio_tools()
    actions.do_start_attempt(enrollment, shipped_exercises()["transcription-01"], acting_user=student)
    assert run_jobs() == 1
    with _in(enrollment):
        dictation = Dictation.objects.get()
        job = Job.objects.get()
        assert (job.status, job.failure_reason) == ("succeeded", "")
        assert dictation.status == "draft_ready"
