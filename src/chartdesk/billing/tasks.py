"""Background jobs of billing: the claim run (charge coded encounters, create and scrub claims)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from chartdesk.jobs.models import Job
from chartdesk.jobs.runner import Progress, job_task

REFUSALS_KEPT = 500  # enough for any desk to act on; a run refusing more has a set-up problem


@task(takes_context=True)
@job_task
def create_claims(job: Job, progress: Progress) -> dict[str, Any]:
    from chartdesk.billing.actions import do_create_claims
    from chartdesk.billing.models import ClaimStatus

    run = do_create_claims(acting_user=job.started_by, progress=progress)
    ready = sum(1 for claim in run.created if claim.status == ClaimStatus.READY)
    summary = f"{len(run.created)} claims created, {ready} ready to send"
    if run.refused:
        summary += "; not billed: " + "; ".join(f"{account} ({why})" for account, why in run.refused)
    return {"created": len(run.created), "ready": ready,
            "refused": [[account, why] for account, why in run.refused[:REFUSALS_KEPT]], "summary": summary[:300]}
