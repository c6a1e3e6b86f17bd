"""Bulk Data $import endpoints: kick-off (202 + Content-Location) and status polling, in the pattern
of $export (export_views.py).

Kick-off: POST /fhir/$import with `Prefer: respond-async` and either the NDJSON itself as the body
(Content-Type application/fhir+ndjson) or a Parameters resource whose `inputSource` names a folder
inside the site's import folder (CHARTDESK_FHIR_IMPORT_DIR). Status: 202 with X-Progress while
queued or running, then 200 with what was created and one OperationOutcome per rejected resource.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import PermissionRefused
from chartdesk.interop.fhir import import_jobs
from chartdesk.interop.fhir.bundles import base_url
from chartdesk.interop.fhir.common import instant
from chartdesk.interop.fhir.http import api_view, caller_requires, fhir_response, outcome_response, read_json
from chartdesk.interop.fhir.importer import IMPORT_FHIR
from chartdesk.interop.fhir.validation import FhirInvalid
from chartdesk.interop.models import ExportStatus, ImportJob
from chartdesk.interop.tasks import fhir_bulk_import
from chartdesk.interop.tokens import ApiCaller
from chartdesk.jobs.actions import do_start_job

NDJSON_TYPES = ("application/fhir+ndjson", "application/ndjson", "application/x-ndjson")
CHUNK = 1024 * 1024


def _input_source(request: HttpRequest) -> str:
    """The folder a Parameters body names (checked now, so a bad name is answered at once)."""
    if not request.headers.get("Content-Length", "").strip("0"):
        raise FhirInvalid([("(body)", "the request is empty: send the NDJSON (Content-Type application/fhir+ndjson) "
                                      "or a Parameters resource naming inputSource")])
    parameters: Any = read_json(request)
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise FhirInvalid([("(body)", "send the NDJSON (Content-Type application/fhir+ndjson) or a Parameters "
                                      "resource naming inputSource")])
    names = [item.get("valueString") or item.get("valueUri") for item in parameters.get("parameter") or []
             if isinstance(item, dict) and item.get("name") == "inputSource"]
    if len(names) != 1 or not isinstance(names[0], str):
        raise FhirInvalid([("Parameters.parameter", "give exactly one inputSource (valueString: a folder name)")])
    import_jobs.import_folder(names[0])
    return names[0]


def _save_upload(request: HttpRequest, job: ImportJob) -> int:
    """Stream the body into the job's folder; FhirInvalid when it is empty or too large."""
    folder = import_jobs.upload_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    with (folder / "upload.ndjson").open("wb") as out:
        while chunk := request.read(CHUNK):
            size += len(chunk)
            if size > settings.FHIR_IMPORT_MAX_BYTES:
                raise FhirInvalid([("(body)", f"larger than the {settings.FHIR_IMPORT_MAX_BYTES:,} bytes an import "
                                              "upload may have: put the files in the import folder instead")],
                                  status=413)
            out.write(chunk)
    if size == 0:
        raise FhirInvalid([("(body)", "no NDJSON: the upload is empty")])
    return size


@api_view(methods=("POST",))
def system_import(request: HttpRequest, caller: ApiCaller) -> HttpResponse:
    if request.headers.get("Prefer", "").strip().lower() != "respond-async":
        return outcome_response(400, "Bulk import is asynchronous: send Prefer: respond-async.", code="required")
    if not caller.user.has_perm(IMPORT_FHIR):
        raise PermissionRefused(f"The client's user does not hold {IMPORT_FHIR} (HIM manager, administrator).")
    caller_requires(caller, write=True)
    uploading = request.content_type in NDJSON_TYPES
    source = import_jobs.UPLOAD if uploading else _input_source(request)
    with transaction.atomic():  # an upload that fails leaves no job behind
        job = ImportJob.objects.create(token=caller.token, request_url=request.build_absolute_uri()[:1000],
                                       input_source=source)
        size = _save_upload(request, job) if uploading else None
        record_event(AuditAction.CREATE, user=caller.user, object_type="fhir_bulk_import", object_id=job.pk,
                     detail={"input_source": source, "bytes": size, "state": "requested"})
        do_start_job(fhir_bulk_import, title=f"FHIR bulk import {job.pk}", acting_user=caller.user,
                     about_type="fhir_bulk_import", about_id=job.pk, arguments={"import_id": job.pk})
    response = HttpResponse(status=202)
    response["Content-Location"] = f"{base_url(request)}/$import-status/{job.pk}"
    return response


@api_view(methods=("GET",))
def import_status(request: HttpRequest, caller: ApiCaller, job_id: str) -> HttpResponse:
    """Poll: 202 while queued or running (the worker runs it: docs/jobs.md), 200 with the result."""
    job = import_jobs.job_for_caller(caller, job_id)
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = (f"{job.charts_done} of {job.charts_total} charts" if job.charts_total
                                  else job.status)
        response["Retry-After"] = "5"
        return response
    if job.status == ExportStatus.FAILED:
        return outcome_response(500, f"The import failed: {job.error}", code="exception")
    created, unchanged = job.output.get("created", {}), job.output.get("unchanged", {})
    return fhir_response({
        "transactionTime": instant(job.started_at or job.created_at),
        "request": job.request_url,
        "output": [{"type": name, "created": created.get(name, 0), "unchanged": unchanged.get(name, 0)}
                   for name in sorted(set(created) | set(unchanged))],
        "notKept": job.output.get("not_kept", {}),
        "error": job.outcomes,
    })
