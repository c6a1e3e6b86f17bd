"""Background jobs of interoperability: the FHIR bulk $export."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from chartdesk.jobs.models import Job
from chartdesk.jobs.runner import Progress, job_task


@task(takes_context=True)
@job_task
def fhir_bulk_export(job: Job, progress: Progress) -> dict[str, Any]:
    from chartdesk.interop.fhir.export import run_export

    export = run_export(job.arguments["export_id"], progress)
    files = len(export.output)
    resources = sum(item["count"] for item in export.output)
    return {"export_id": export.pk, "summary": f"{resources} resources in {files} file{'s' if files != 1 else ''}"}
