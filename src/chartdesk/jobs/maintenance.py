"""Periodic upkeep that runs as background jobs: each run queues the next before it works, so the work
recurs as long as a worker runs (`chartdesk worker` queues the first run when none is waiting), and a
failed run shows on the jobs page without stopping the next one.

- Creating the audit trail's monthly partitions ahead (audit/partitions.py): daily, so the months
  ahead always exist and the default partition stays empty.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from chartdesk.audit.partitions import DEFAULT_AHEAD, ensure_partitions, is_partitioned
from chartdesk.jobs.actions import do_start_job
from chartdesk.jobs.models import Job, JobStatus
from chartdesk.jobs.runner import Progress, job_task

AUDIT_PARTITIONS_EVERY = timedelta(days=1)
AUDIT_PARTITIONS_TITLE = "Create the audit trail's monthly partitions ahead"


@task(takes_context=True)
@job_task
def keep_audit_partitions_ahead(job: Job, progress: Progress) -> dict[str, Any]:
    ahead = int(job.arguments.get("ahead", DEFAULT_AHEAD))
    do_schedule_audit_partitions(ahead=ahead, after=AUDIT_PARTITIONS_EVERY)
    run = ensure_partitions(ahead)
    return {"created": run.created, "protected": run.protected, "summary": run.summary()[:300]}


def do_schedule_audit_partitions(*, ahead: int = DEFAULT_AHEAD, after: timedelta | None = None,
                                 acting_user: Any = None) -> Job | None:
    """Queue the next run of the partition job (`after` from now), unless a run is already waiting;
    the job it queued, or None."""
    # Two workers starting at the same moment may each queue one; the runs are harmless twice
    # (ensure_partitions creates what is missing under a lock), and the next day's check sees both.
    if not is_partitioned(connection):
        return None  # SQLite: one plain table, nothing to keep ahead
    with transaction.atomic():
        if Job.objects.filter(task_path=keep_audit_partitions_ahead.module_path, status=JobStatus.QUEUED).exists():
            return None
        return do_start_job(keep_audit_partitions_ahead, title=AUDIT_PARTITIONS_TITLE, acting_user=acting_user,
                            about_type="audit_partitions", arguments={"ahead": ahead},
                            run_after=timezone.now() + after if after else None)
