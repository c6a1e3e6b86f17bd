"""Starting and retrying background jobs. Each is an action audited in its own transaction; the job
reaches the queue only when that transaction commits, so a worker never picks up a job whose
records (the export request, the uploaded dictation) a rollback took away.

A job started inside a training sandbox is queued the same way; the queue lives in the main database
and the task is told the sandbox's name, so the one worker runs it with that sandbox open
(jobs.runner.job_task, docs/training.md).

The hand-over is idempotent: `enqueue_job` locks the job row and enqueues only a job that has no task
result yet, so the on-commit hook and the worker's start-up sweep (`enqueue_waiting`, for a process
that died between commit and hand-over) never queue one job twice.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.context import open_sandbox
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.jobs.models import Job, JobStatus

VIEW_ALL_JOBS = "jobs.view_all_jobs"

NOT_YOURS = "You may retry only the jobs you started."
NOT_RETRYABLE = ("This job is {status}; only a failed job, or a running one whose worker has not reported "
                 "for {minutes} minutes, can be retried.")


def task_of(job: Job) -> Task[Any, Any]:
    task = import_string(job.task_path)
    if not isinstance(task, Task):  # a task path names code: never run anything else found there
        raise TypeError(f"{job.task_path} is not a task")
    return task


def do_start_job(task: Task[Any, Any], *, title: str, acting_user: Any, about_type: str = "", about_id: Any = "",
                 arguments: dict[str, Any] | None = None, patient: Any = None, max_attempts: int | None = None,
                 run_after: Any = None) -> Job:
    """Record a job for `task` and hand it to the queue when the caller's transaction commits.

    Call it inside the action that asks for the work, so the job and the records it needs commit
    together. The task receives `job_id`; `arguments` holds what it needs (ids, never patient data).
    `run_after` (a datetime) holds the job back until then: a periodic job queues its next run so."""
    with transaction.atomic():
        job = Job.objects.create(
            task_path=task.module_path, title=title[:200], about_type=about_type, about_id=str(about_id),
            arguments=arguments or {}, started_by=acting_user if getattr(acting_user, "pk", None) else None,
            max_attempts=max_attempts or settings.JOB_MAX_ATTEMPTS, run_after=run_after,
        )
        record_event(AuditAction.CREATE, user=acting_user, patient=patient, object_type="job", object_id=job.pk,
                     detail={"task": task.name, "title": job.title, "about": f"{about_type} {about_id}".strip()})
        transaction.on_commit(partial(enqueue_job, job.pk))
    return job


def enqueue_job(job_id: int) -> str | None:
    """Give a queued job that has no task result yet to the task backend; returns the result id."""
    with transaction.atomic():
        # Row lock: the on-commit hook and a worker's sweep may both reach the same job.
        job = Job.objects.select_for_update().filter(pk=job_id, status=JobStatus.QUEUED, task_result_id="").first()
        if job is None:
            return None
        task = task_of(job)
        if job.run_after is not None and job.run_after > timezone.now():
            task = task.using(run_after=job.run_after)
        sandbox = open_sandbox()
        # A job of a training sandbox keeps its row there but is queued in the main database (the
        # sandbox router sends the queue home), naming its sandbox so the worker runs it inside.
        result = task.enqueue(job_id=job.pk, sandbox=sandbox.name) if sandbox else task.enqueue(job_id=job.pk)
        job.task_result_id = str(result.id)
        job.updated_at = timezone.now()
        job.save(update_fields=["task_result_id", "updated_at"])
        return job.task_result_id


def enqueue_waiting(*, older_than: timedelta | None = None) -> int:
    """Hand over every queued job that never reached the queue (its process stopped between commit
    and hand-over); `older_than` leaves alone jobs whose own on-commit hook may still be running."""
    waiting = Job.objects.filter(status=JobStatus.QUEUED, task_result_id="")
    if older_than is not None:
        waiting = waiting.filter(updated_at__lt=timezone.now() - older_than)
    return sum(1 for job_id in waiting.order_by("pk").values_list("pk", flat=True) if enqueue_job(job_id))


def may_see_job(user: Any, job: Job) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(job.started_by_id == user.pk or user.has_perm(VIEW_ALL_JOBS))


def is_stalled(job: Job) -> bool:
    """Running, but its worker has not reported for JOB_STALE_MINUTES: the worker most likely died."""
    limit = timezone.now() - timedelta(minutes=settings.JOB_STALE_MINUTES)
    return job.status == JobStatus.RUNNING and job.updated_at < limit


def may_retry(job: Job) -> bool:
    return job.status == JobStatus.FAILED or is_stalled(job)


def do_retry_job(job: Job, *, acting_user: Any) -> Job:
    """Queue a failed (or stalled) job once more, as the user who started it; one attempt is added to
    its limit. Its own starter may retry it; the HIM manager and the administrator may retry any."""
    if not may_see_job(acting_user, job):
        raise PermissionRefused(NOT_YOURS)
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if not may_retry(locked):
            raise ChartdeskError(NOT_RETRYABLE.format(status=locked.get_status_display().lower(),
                                                      minutes=settings.JOB_STALE_MINUTES))
        previous = locked.status
        locked.status = JobStatus.QUEUED
        locked.task_result_id = ""  # the old attempt's result, if a stalled worker ever finishes it, is ignored
        locked.run_after = None
        locked.max_attempts = locked.attempts + 1
        locked.percent = 0
        locked.message = f"Retry asked for by {acting_user.get_username()}"
        locked.finished_at = None
        locked.updated_at = timezone.now()
        locked.save()
        record_event(AuditAction.UPDATE, user=acting_user, object_type="job", object_id=locked.pk,
                     detail={"retry": True, "was": previous, "attempts": locked.attempts, "title": locked.title})
        transaction.on_commit(partial(enqueue_job, locked.pk))
    return locked
