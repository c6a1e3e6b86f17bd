"""Which jobs a user sees: their own, and every job for holders of jobs.view_all_jobs.

Jobs name no patient (their titles carry record numbers only), so listing another user's job reveals
nothing of a chart; the records a job touches are read and audited by the task itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chartdesk.core.errors import NotFound
from chartdesk.core.forms import whole_number
from chartdesk.jobs.actions import VIEW_ALL_JOBS, may_see_job
from chartdesk.jobs.models import Job, JobStatus


def access_jobs(user: Any, *, everyone: bool = False, status: str = "") -> QuerySet[Job]:
    """The user's own jobs, newest first; `everyone` widens to all users' jobs for those allowed."""
    jobs = Job.objects.select_related("started_by").order_by("-created_at", "-pk")
    if not (everyone and user.has_perm(VIEW_ALL_JOBS)):
        jobs = jobs.filter(started_by=user)
    if status in JobStatus.values:
        jobs = jobs.filter(status=status)
    return jobs


def access_job_by_id(user: Any, job_id: Any) -> Job:
    """One job its starter or a holder of jobs.view_all_jobs may see; NotFound for any other."""
    key = whole_number(str(job_id))
    job = Job.objects.select_related("started_by").filter(pk=key).first() if key is not None else None
    if job is None or not may_see_job(user, job):
        raise NotFound("job")
    return job
