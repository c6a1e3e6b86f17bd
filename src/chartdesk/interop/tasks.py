"""Background jobs of interoperability: the FHIR bulk $export and $import."""

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


@task(takes_context=True)
@job_task
def fhir_bulk_import(job: Job, progress: Progress) -> dict[str, Any]:
    from chartdesk.core.errors import ChartdeskError
    from chartdesk.interop.fhir.import_jobs import claim, run_job
    from chartdesk.interop.models import ExportStatus

    import_id = job.arguments["import_id"]
    claim(import_id)  # queued -> running; a retried attempt finds it running and runs it again (imports are idempotent)
    imported = run_job(import_id)
    if imported.status == ExportStatus.FAILED:
        raise ChartdeskError(f"The import failed: {imported.error}")  # a refusal: retrying would fail again
    created = sum(imported.output.get("created", {}).values())
    return {"import_id": imported.pk, "summary": f"{created} resources created, {len(imported.outcomes)} rejected"}
