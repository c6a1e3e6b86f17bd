"""Background jobs of the legal record: the overlay scan (docs/jobs.md, docs/patients-merge.md)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from chartdesk.jobs.models import Job
from chartdesk.jobs.runner import Progress, job_task


@task(takes_context=True)
@job_task
def overlay_scan(job: Job, progress: Progress) -> dict[str, Any]:
    from chartdesk.charts.overlays import do_scan_overlays

    summary = do_scan_overlays(acting_user=job.started_by, progress=progress)
    return {**summary, "summary": f"{summary['charts_checked']} charts checked, {summary['open_cases']} to review"}
