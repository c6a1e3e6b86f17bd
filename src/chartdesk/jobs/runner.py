"""`job_task`: the wrapper every Chartdesk task body goes through.

django-tasks runs a function and records that it succeeded or raised. A job also needs what a person
asks about: how far it has got, why it failed, and another attempt when the failure was a passing one.
The wrapper starts the job only if the task result is still the job's current one (a duplicate or a
result left behind by a retry does nothing), gives the body a `Progress` to report through, and on a
failure keeps the reason and queues the next attempt while the job has attempts left. A refusal
(`ChartdeskError`: no permission, a record in the wrong state) is not retried: it would fail again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial, wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import TaskContext

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.registry import sandbox_opener
from chartdesk.jobs.actions import enqueue_job
from chartdesk.jobs.models import Job, JobStatus

JobBody = Callable[[Job, "Progress"], dict[str, Any] | None]


class Progress:
    """Report how far a job has got; each report is committed at once so the jobs page sees it."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def __call__(self, percent: float, message: str = "") -> None:
        Job.objects.filter(pk=self.job.pk, task_result_id=self.job.task_result_id).update(
            percent=max(0, min(100, int(percent))), message=message[:300], updated_at=timezone.now())


def _begin(job_id: int, task_result_id: str) -> Job | None:
    now = timezone.now()
    # Conditional UPDATE: only the job's current task result moves it from queued to running.
    started = Job.objects.filter(pk=job_id, task_result_id=task_result_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, attempts=F("attempts") + 1, started_at=now, updated_at=now, percent=0,
        message="Started")
    return Job.objects.select_related("started_by").get(pk=job_id) if started else None


def _log_entry(job: Job, outcome: str, reason: str = "") -> dict[str, Any]:
    entry = {"task_result_id": job.task_result_id, "attempt": job.attempts, "outcome": outcome,
             "started_at": job.started_at.isoformat() if job.started_at else None,
             "finished_at": timezone.now().isoformat()}
    if reason:
        entry["reason"] = reason
    return entry


def _succeeded(job: Job, result: dict[str, Any]) -> None:
    with transaction.atomic():
        locked = Job.objects.select_for_update().filter(pk=job.pk, task_result_id=job.task_result_id).first()
        if locked is None:
            return  # retried meanwhile: the newer attempt owns the job
        locked.attempt_log = [*locked.attempt_log, _log_entry(locked, "succeeded")]
        locked.status = JobStatus.SUCCEEDED
        locked.percent = 100
        locked.message = str(result.get("summary", "Done"))[:300]
        locked.result = result
        locked.failure_reason = ""
        locked.finished_at = locked.updated_at = timezone.now()
        locked.save()


def failure_reason(failure: BaseException) -> str:
    if isinstance(failure, ChartdeskError):
        return failure.message
    if isinstance(failure, KeyboardInterrupt | SystemExit):
        return "The worker was stopped while running this job."
    return f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__


def retryable(failure: BaseException) -> bool:
    return bool(getattr(failure, "retryable", not isinstance(failure, ChartdeskError)))


def _failed(job: Job, failure: BaseException) -> None:
    reason = failure_reason(failure)[:2000]
    with transaction.atomic():
        locked = Job.objects.select_for_update().filter(pk=job.pk, task_result_id=job.task_result_id).first()
        if locked is None:
            return
        locked.attempt_log = [*locked.attempt_log, _log_entry(locked, "failed", reason)]
        locked.failure_reason = reason
        locked.updated_at = timezone.now()
        if retryable(failure) and locked.attempts < locked.max_attempts:
            delay = settings.JOB_RETRY_SECONDS * locked.attempts  # waits longer after each failure
            locked.status = JobStatus.QUEUED
            locked.task_result_id = ""
            locked.run_after = timezone.now() + timedelta(seconds=delay) if delay else None
            locked.message = f"Attempt {locked.attempts} of {locked.max_attempts} failed; trying again"
            transaction.on_commit(partial(enqueue_job, locked.pk))
        else:
            locked.status = JobStatus.FAILED
            locked.finished_at = locked.updated_at
            locked.message = f"Failed after {locked.attempts} attempt{'s' if locked.attempts != 1 else ''}"
        locked.save()


def job_task(body: JobBody) -> Callable[[TaskContext, int], dict[str, Any]]:
    """Wrap a task body `body(job, progress)`; decorate the result with `@task(takes_context=True)`."""

    @wraps(body)
    def run(context: TaskContext, job_id: int, sandbox: str = "") -> dict[str, Any]:
        if not sandbox:
            return _run(context, job_id)
        # Queued inside a training sandbox: its job row and records are there, and only there.
        with sandbox_opener()(sandbox) as still_there:
            if not still_there:
                return {"skipped": "its training sandbox was reset or removed"}
            return _run(context, job_id)

    def _run(context: TaskContext, job_id: int) -> dict[str, Any]:
        job = _begin(job_id, str(context.task_result.id))
        if job is None:
            return {"skipped": "not this job's current attempt"}
        try:
            with acting_as(channel="worker"):
                result = body(job, Progress(job)) or {}
        except BaseException as failure:  # the worker records it too; the job keeps the reason people read
            _failed(job, failure)
            raise
        _succeeded(job, result)
        return result

    # wraps() gives the task the body's name and module (django-tasks finds a task by its path), but
    # its __wrapped__ would make the library read the body's signature instead of (context, job_id).
    del run.__wrapped__  # type: ignore[attr-defined]
    return run
