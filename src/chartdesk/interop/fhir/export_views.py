"""Bulk Data $export endpoints: kick-off (202 + Content-Location), status polling, NDJSON files."""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse, HttpRequest, HttpResponse

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import NotFound, PermissionRefused
from chartdesk.interop.actions import do_request_bulk_export
from chartdesk.interop.fhir.bundles import base_url
from chartdesk.interop.fhir.common import SearchError, instant, local_id, parse_instant
from chartdesk.interop.fhir.export import export_dir, exportable_types, job_for_caller
from chartdesk.interop.fhir.http import api_view, fhir_response, outcome_response
from chartdesk.interop.models import ExportJob, ExportLevel, ExportStatus, PatientGroup
from chartdesk.interop.tokens import ApiCaller
from chartdesk.jobs.models import Job, JobStatus

BULK_EXPORT = "interop.bulk_export"


def _kick_off(request: HttpRequest, caller: ApiCaller, level: str, *, group: PatientGroup | None = None
              ) -> HttpResponse:
    if request.headers.get("Prefer", "").strip().lower() != "respond-async":
        return outcome_response(400, "Bulk export is asynchronous: send Prefer: respond-async.", code="required")
    if not caller.user.has_perm(BULK_EXPORT):
        raise PermissionRefused(f"The client's user does not hold {BULK_EXPORT}.")
    if level == ExportLevel.SYSTEM and not caller.may_export_system():
        raise PermissionRefused("System-level export needs the system/*.read scope.")
    if not caller.may_read():
        raise PermissionRefused("This token's scopes do not allow reads.")
    types = [name for value in request.GET.getlist("_type") for name in value.split(",") if name]
    unknown = sorted(set(types) - set(exportable_types()))
    if unknown:
        raise SearchError("_type", f"_type: cannot export {', '.join(unknown)} "
                                   f"(exportable: {', '.join(exportable_types())}).")
    since = _since(request)
    job = do_request_bulk_export(level, acting_user=caller.user, token=caller.token, resource_types=types,
                                 request_url=request.build_absolute_uri(), group=group,
                                 patient_id=caller.patient_id, since=since)
    response = HttpResponse(status=202)
    response["Content-Location"] = f"{base_url(request)}/$export-status/{job.pk}"
    return response


def _since(request: HttpRequest) -> datetime | None:
    """`_since`: only resources changed at or after this FHIR instant (see export.since_filter)."""
    values = request.GET.getlist("_since")
    if not values:
        return None
    if len(values) > 1:
        raise SearchError("_since", "_since: give one instant.")
    return parse_instant(values[0], "_since")


@api_view(methods=("GET",))
def system_export(request: HttpRequest, caller: ApiCaller) -> HttpResponse:
    return _kick_off(request, caller, ExportLevel.SYSTEM)


@api_view(methods=("GET",))
def patient_export(request: HttpRequest, caller: ApiCaller) -> HttpResponse:
    return _kick_off(request, caller, ExportLevel.PATIENT)


@api_view(methods=("GET",))
def group_export(request: HttpRequest, caller: ApiCaller, group_id: str) -> HttpResponse:
    group = PatientGroup.objects.filter(pk=local_id(group_id, "group")).first()
    if group is None:
        raise NotFound("group")
    return _kick_off(request, caller, ExportLevel.GROUP, group=group)


def _progress(background: Job | None) -> str:
    if background is None:
        return "queued"
    text = f"{background.get_status_display().lower()}, {background.percent}%"
    return f"{text}: {background.message}" if background.message else text


def _transaction_time(job: ExportJob) -> str:
    moment: datetime = job.started_at or job.created_at
    return instant(moment) or ""


@api_view(methods=("GET",))
def export_status(request: HttpRequest, caller: ApiCaller, job_id: str) -> HttpResponse:
    """Poll: 202 with X-Progress while its background job is queued or running (a retry after a
    passing failure included), 500 with the reason once it has failed for good, 200 with the manifest."""
    job = job_for_caller(caller, job_id)
    background = Job.objects.filter(pk=job.job_id).first() if job.job_id else None
    if background is None:  # requested before exports ran as jobs: interop migration 0006 failed those waiting
        state, reason = job.status, job.error
    else:
        state = {JobStatus.SUCCEEDED: ExportStatus.COMPLETE, JobStatus.FAILED: ExportStatus.FAILED}.get(
            JobStatus(background.status), ExportStatus.RUNNING)
        reason = background.failure_reason
    if state in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = _progress(background)
        response["Retry-After"] = "5"
        return response
    if state == ExportStatus.FAILED:
        return outcome_response(500, f"The export failed: {reason}", code="exception")
    base = base_url(request)
    return fhir_response({
        "transactionTime": _transaction_time(job),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": item["type"], "url": f"{base}/$export-file/{job.pk}/{item['file']}",
                    "count": item["count"]} for item in job.output],
        "error": [],
    })


@api_view(methods=("GET",))
def export_file(request: HttpRequest, caller: ApiCaller, job_id: str, file_name: str) -> FileResponse:
    job = job_for_caller(caller, job_id)
    names = {item["file"] for item in job.output} if job.status == ExportStatus.COMPLETE else set()
    if file_name not in names:
        raise NotFound("export file")
    record_event(AuditAction.DOWNLOAD, user=caller.user, object_type="fhir_bulk_export", object_id=job.pk,
                 detail={"file": file_name})
    handle = (export_dir(job) / file_name).open("rb")
    return FileResponse(handle, content_type="application/fhir+ndjson")
