"""The jobs page: a user's own background jobs, and every user's for the HIM manager and the
administrator, with progress, times, the failure reason and a retry button."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import signed_in
from chartdesk.jobs import access, actions
from chartdesk.jobs.models import JobStatus

COLUMNS = (
    Column("title", "Job", ("title",)),
    Column("status", "Status", ("status",)),
    Column("queued", "Queued", ("created_at",)),
    Column("started", "Started", ("started_at",)),
    Column("finished", "Finished", ("finished_at",)),
    Column("attempts", "Attempts", ("attempts",), numeric=True),
)
# Every user's jobs can also be sorted by who started them.
EVERYONE_COLUMNS = (COLUMNS[0], Column("starter", "Started by", ("started_by__username",)), *COLUMNS[1:])


@signed_in
def jobs_view(request: HttpRequest) -> HttpResponse:
    may_see_all = request.user.has_perm(actions.VIEW_ALL_JOBS)
    everyone = may_see_all and request.GET.get("all") == "1"
    status = request.GET.get("status", "")
    jobs = access.access_jobs(request.user, everyone=everyone, status=status)
    listing = list_page(request, jobs, EVERYONE_COLUMNS if everyone else COLUMNS, default_sort="-queued")
    rows = [{"job": job, "may_retry": actions.may_retry(job), "stalled": actions.is_stalled(job)}
            for job in listing.rows]
    return render(request, "jobs/list.html", {
        "listing": listing, "rows": rows, "everyone": everyone, "may_see_all": may_see_all, "status": status,
        "statuses": JobStatus.choices,
    })


@signed_in
@require_POST
def retry_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """Queue a failed or stalled job again (its starter, or a holder of jobs.view_all_jobs); audited."""
    try:
        job = access.access_job_by_id(request.user, job_id)
    except NotFound:
        return render(request, "core/not_found.html", status=404)
    try:
        actions.do_retry_job(job, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"{job.title}: queued again.")
    # Back to the list the button was on, filters and all; only a path of this page is followed.
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/jobs/") and "//" not in target else "jobs-list")
