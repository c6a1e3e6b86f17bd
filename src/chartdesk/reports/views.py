"""Home pages: each role sees its own work first."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chartdesk.accounts.roles import ROLES_BY_SLUG, role_of
from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.permissions import signed_in
from chartdesk.reports import dashboards, selectors


def _audit_work_list(user: Any, name: str, records: list[Any]) -> None:
    patient_ids = sorted({record.patient_id for record in records})
    if patient_ids:
        record_event(
            AuditAction.VIEW, user=user, object_type="work_list", object_id=name, detail={"patient_ids": patient_ids}
        )


@signed_in
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's home: the work lists their permissions reach."""
    user = request.user
    slug = role_of(user)
    if slug == "transcriptionist" and user.has_perm("transcription.view_transcription_queue"):
        # The transcriptionist's work is the dictation queue (with their own line counts): home is the queue.
        return redirect("transcription-queue")
    context: dict[str, Any] = {"role": ROLES_BY_SLUG.get(slug), "role_slug": slug}

    # Dashboards from the reports (counts and trends only; the lists behind them are audited drill-downs).
    if user.has_perm("reports.view_department_reports"):
        context["glance"] = dashboards.department_glance(user)
    if user.has_perm("coding_workflow.code_encounters"):
        context["coder_work"] = dashboards.coder_work(user)
    if user.has_perm("billing.work_claims") and user.has_perm("billing.view_billing_reports"):
        context["biller_dnfb"] = dashboards.biller_dnfb(user)
    if user.has_perm("disclosures.work_requests"):
        context["roi_due"] = dashboards.roi_due(user)
    if user.has_perm("charts.sign_document"):
        context["to_sign"] = list(selectors.unsigned_documents_for_provider(user))
        _audit_work_list(user, "documents_to_sign", context["to_sign"])
    if user.has_perm("charts.write_note") and not user.has_perm("charts.sign_document"):
        context["drafts"] = list(selectors.drafts_by_user(user))
        _audit_work_list(user, "my_drafts", context["drafts"])
    if user.has_perm("patients.register_patient"):
        context["registrations"] = list(selectors.recent_registrations(user))
    if slug in {"coder", "billing"} and user.has_perm("patients.view_chart"):
        context["finished_encounters"] = list(selectors.recently_finished_encounters())
        _audit_work_list(user, "finished_encounters", context["finished_encounters"])
    if user.has_perm("patients.merge_patients"):
        from chartdesk.charts.overlay_actions import count_overlays_to_review
        from chartdesk.patients.duplicates import latest_scans

        context["duplicate_scans"] = latest_scans(user)  # the duplicate rate and its trend (counts only)
        context["overlays_to_review"] = count_overlays_to_review(user)  # beside it: charts that may hold two people
    if user.has_perm("patients.restrict_chart"):
        context["counts"] = selectors.department_counts()
    if user.has_perm("audit.view_audit_reports"):
        context["glass_events"] = list(selectors.break_the_glass_events())
        context["denied_events"] = list(selectors.denied_access_events())
    if user.has_perm("accounts.manage_users"):
        context["locked_out"] = selectors.locked_out_usernames()
    return render(request, "reports/home.html", context)
