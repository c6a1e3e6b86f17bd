"""Background jobs of reports: sending the scheduled reports that are due."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from chartdesk.jobs.models import Job
from chartdesk.jobs.runner import Progress, job_task


@task(takes_context=True)
@job_task
def send_due_reports(job: Job, progress: Progress) -> dict[str, Any]:
    from chartdesk.reports.scheduling import do_send_due_reports

    run = do_send_due_reports()
    summary = f"{len(run.sent)} scheduled reports sent"
    if run.refused:
        summary += "; not sent: " + "; ".join(f"#{pk} ({why})" for pk, why in run.refused)
    return {"sent": run.sent, "refused": [[pk, why] for pk, why in run.refused], "summary": summary[:300]}
