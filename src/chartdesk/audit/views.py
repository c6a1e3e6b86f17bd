"""Audit report pages: who looked at this chart, what did this user do, recent break-the-glass.

Reading the audit trail of a patient is itself patient-data access, so each page shown and each CSV
exported is recorded (VIEW or EXPORT, object type "audit_report").
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from chartdesk.audit import reports
from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome
from chartdesk.core.permissions import requires

VIEW_REPORTS = "audit.view_audit_reports"
EXPORT = "audit.export_audit"


@requires(VIEW_REPORTS)
def reports_view(request: HttpRequest) -> HttpResponse:
    """The landing page: break-the-glass first, because each one needs a privacy review."""
    glass = list(reports.recent_break_the_glass())
    denied = AuditEvent.objects.filter(outcome=AuditOutcome.DENIED).order_by("-occurred_at", "-sequence")[:20]
    return render(request, "audit/reports.html", {"glass_events": glass, "denied_events": list(denied)})


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _csv_response(events: Any, filename: str) -> Any:
    """A streamed CSV (a StreamingHttpResponse, which the `requires` view type calls HttpResponse)."""
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    response = StreamingHttpResponse(reports.csv_lines(events), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _page(request: HttpRequest, events: Any) -> Any:
    page = Paginator(events, reports.PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return page


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _report_context(request: HttpRequest, query: reports.ReportQuery) -> dict[str, Any]:
    return {
        "query": query,
        "headings": reports.sort_links(query),
        "sort_base": _query_without(request, "sort", "page", "format"),
        "page_base": _query_without(request, "page", "format"),
        "csv_query": _query_without(request, "page", "format"),
        "can_export": request.user.has_perm(EXPORT),
    }


def _forbidden_export(request: HttpRequest) -> HttpResponse:
    return render(request, "core/forbidden.html", {"permissions": (EXPORT,)}, status=403)


@requires(VIEW_REPORTS)
def patient_report_view(request: HttpRequest) -> HttpResponse:
    """Who looked at this chart: every event naming the patient (by ?mrn= or ?patient_id=)."""
    query = reports.parse_report_query(request.GET)
    mrn, patient_id = request.GET.get("mrn", "").strip(), request.GET.get("patient_id", "").strip()
    context = _report_context(request, query)
    context.update({"mrn": mrn, "patient_id": patient_id})
    if not mrn and not patient_id:
        return render(request, "audit/patient_report.html", context)
    key = reports.find_patient(mrn=mrn, patient_id=patient_id)
    if key is None:
        context["not_found"] = f"No patient and no audit event has the {'MRN ' + mrn if mrn else 'id ' + patient_id}."
        return render(request, "audit/patient_report.html", context, status=404)
    events = reports.as_of_now(reports.events_for_patient(key, query))
    if _wants_csv(request):
        if not request.user.has_perm(EXPORT):
            return _forbidden_export(request)
        record_event(
            AuditAction.EXPORT,
            user=request.user,
            patient=key,
            object_type="audit_report",
            object_id=key.pk or key.mrn,
            detail={"report": "patient", "format": "csv", "rows": events.count(), **query.describe()},
        )
        return _csv_response(events, f"audit-patient-{key.mrn or key.pk}-{timezone.now():%Y%m%d}.csv")
    page = _page(request, events)
    record_event(
        AuditAction.VIEW,
        user=request.user,
        patient=key,
        object_type="audit_report",
        object_id=key.pk or key.mrn,
        detail={"report": "patient", "page": page.number, **query.describe()},
    )
    context.update({"patient": key, "page": page})
    return render(request, "audit/patient_report.html", context)


@requires(VIEW_REPORTS)
def user_report_view(request: HttpRequest) -> HttpResponse:
    """What one user did (by ?username=), failed log-ins under that name included."""
    query = reports.parse_report_query(request.GET)
    username = request.GET.get("username", "").strip()
    context = _report_context(request, query)
    context["username"] = username
    if not username:
        return render(request, "audit/user_report.html", context)
    known = get_user_model().objects.filter(username=username).first()
    events = reports.as_of_now(reports.events_by_user(username, query))
    if known is None and not events.exists():
        context["not_found"] = f"No user and no audit event has the user name {username!r}."
        return render(request, "audit/user_report.html", context, status=404)
    if _wants_csv(request):
        if not request.user.has_perm(EXPORT):
            return _forbidden_export(request)
        record_event(
            AuditAction.EXPORT,
            user=request.user,
            object_type="audit_report",
            object_id=username,
            detail={"report": "user", "format": "csv", "rows": events.count(), **query.describe()},
        )
        return _csv_response(events, f"audit-user-{username}-{timezone.now():%Y%m%d}.csv")
    page = _page(request, events)
    record_event(
        AuditAction.VIEW,
        user=request.user,
        object_type="audit_report",
        object_id=username,
        detail={"report": "user", "page": page.number, **query.describe()},
    )
    context.update({"subject": known, "page": page})
    return render(request, "audit/user_report.html", context)
