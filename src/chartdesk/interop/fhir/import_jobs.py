"""Bulk Data $import: each import is a row here, run by a background job (interop/tasks.py,
`chartdesk worker`) as $export is.

A job runs `FhirImporter` as the user of the token that started it, limited to the resource types
the token's scopes may write; every resource the import rejects becomes one OperationOutcome that
names it (file, line, Type/id) and the element at fault. Progress is the count of charts done.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.forms import whole_number
from chartdesk.interop.fhir.importer import FhirImporter, ImportReport
from chartdesk.interop.fhir.validation import operation_outcome
from chartdesk.interop.models import ExportStatus, ImportJob
from chartdesk.interop.tokens import ApiCaller, caller_of

UPLOAD = "upload"
PROGRESS_EVERY = 20  # charts between progress writes: a poll sees movement without a write per chart
NOT_CONFIGURED = "inputSource: this site has no import folder (CHARTDESK_FHIR_IMPORT_DIR); upload the NDJSON instead."
BAD_FOLDER = "inputSource: {name!r} is not a folder in this site's import folder."


def upload_dir(job: ImportJob) -> Path:
    return Path(settings.DATA_DIR) / "imports" / str(job.pk)


def import_folder(name: str) -> Path:
    """The folder `name` inside the site's import folder; ChartdeskError for anything else (no path
    outside it, no absolute path, nothing that does not exist)."""
    if not settings.FHIR_IMPORT_DIR:
        raise ChartdeskError(NOT_CONFIGURED, field="inputSource")
    root = Path(settings.FHIR_IMPORT_DIR).resolve()
    candidate = (root / name).resolve() if name and not Path(name).is_absolute() else root
    if candidate == root or root not in candidate.parents or not candidate.is_dir():
        raise ChartdeskError(BAD_FOLDER.format(name=name), field="inputSource")
    return candidate


def claim(job_id: int) -> bool:
    """Take a queued job for this process (a conditional UPDATE: two workers never run one job)."""
    return ImportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()) == 1


def outcomes_of(report: ImportReport) -> list[dict[str, Any]]:
    """One OperationOutcome per rejected resource, its issues the problems found in it."""
    grouped: dict[tuple[str, int, str], list[tuple[str, str]]] = defaultdict(list)
    for problem in report.problems:
        grouped[(problem.file, problem.line, problem.resource)].append((problem.path, problem.message))
    outcomes = []
    for (file, line, resource), problems in grouped.items():
        outcome = operation_outcome(problems)
        for issue in outcome["issue"]:
            issue["diagnostics"] = f"{file}:{line}: {resource}: {issue['diagnostics']}"
        outcomes.append(outcome)
    return outcomes


def run_job(job_id: int) -> ImportJob:
    """Run a claimed job to completion; a failure is recorded on the job, never half-reported."""
    job = ImportJob.objects.select_related("token__client__user").get(pk=job_id)
    caller = caller_of(job.token)

    def progress(done: int, total: int) -> None:
        if done == total or done % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(charts_done=done, charts_total=total)

    try:
        source = upload_dir(job) if job.input_source == UPLOAD else import_folder(job.input_source)
        with acting_as(channel="api"):
            report = FhirImporter(requested_by=caller.user, source=f"api:{job.token.client.client_id}",
                                  progress=progress, may_write=caller.may_write).run(source)
    except (ChartdeskError, OSError) as failure:
        ImportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error=str(failure)[:2000],
                                                   finished_at=timezone.now())
        return ImportJob.objects.get(pk=job.pk)
    finally:
        if job.input_source == UPLOAD:
            shutil.rmtree(upload_dir(job), ignore_errors=True)  # the data now lives in the chart
    ImportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.COMPLETE, finished_at=timezone.now(), outcomes=outcomes_of(report),
        output={"created": dict(report.created), "unchanged": dict(report.unchanged),
                "not_kept": dict(report.not_kept)})
    return ImportJob.objects.get(pk=job.pk)


def job_for_caller(caller: ApiCaller, job_id: Any) -> ImportJob:
    """The job, if the same API client started it (missing and foreign both NotFound)."""
    key = whole_number(str(job_id))
    job = ImportJob.objects.select_related("token").filter(pk=key).first() if key is not None else None
    if job is None or job.token.client_id != caller.token.client_id:
        raise NotFound("import")
    return job
