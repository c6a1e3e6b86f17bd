"""Background jobs of disclosures: the Safe Harbor de-identified data set."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django_tasks import task

from chartdesk.jobs.models import Job
from chartdesk.jobs.runner import Progress, job_task


@task(takes_context=True)
@job_task
def deidentified_export(job: Job, progress: Progress) -> dict[str, Any]:
    """Build the data set as the user who asked (their permission and each chart checked again) and
    keep its ZIP, with its SHA-256, for that user to download."""
    from chartdesk.disclosures.deid.export import build_dataset, do_export_deidentified, zipped

    files = do_export_deidentified(job.arguments["mrns"], date_mode=job.arguments["date_mode"],
                                   acting_user=job.started_by, builder=build_dataset, progress=progress)
    content = zipped(files)
    stored = default_storage.save(f"deidentified/job-{job.pk}.zip", ContentFile(content))
    count = len(job.arguments["mrns"])
    return {"file": stored, "sha256": hashlib.sha256(content).hexdigest(), "patients": count,
            "link": reverse("disclosures-deid-download", args=[job.pk]),
            "summary": f"{count} patient{'s' if count != 1 else ''} de-identified; ready to download"}
