"""The desk's eligibility and claim status pages: the coming days' 270 and the 271 upload
(`/billing/eligibility/`), the claims waiting for an answer with their 276 and the 277 upload
(`/billing/claim-status/`), "Check eligibility" on a coverage, and the download of each file."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chartdesk.billing import access
from chartdesk.billing.desk_views import _import_upload
from chartdesk.billing.inquiries.access import access_inquiry_file_by_id
from chartdesk.billing.inquiries.claim_status import claims_awaiting_answer, do_export_276, do_import_277
from chartdesk.billing.inquiries.eligibility import (
    do_export_270_for_coverage,
    do_export_270_for_visits,
    do_import_271,
)
from chartdesk.billing.inquiries.models import ClaimStatusResult, EligibilityResult, InquiryFile, InquiryKind
from chartdesk.billing.models import Coverage
from chartdesk.billing.views import WORK, finds_records, posted_id
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.permissions import requires

DEFAULT_DAYS = 3
DEFAULT_WAIT = 30


def _days(request: HttpRequest, name: str, default: int) -> int:
    raw = (request.POST if request.method == "POST" else request.GET).get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        raise ChartdeskError(f"The number of days must be a whole number, not {raw[:20]!r}.", field=name) from None


@requires(WORK)
def eligibility_view(request: HttpRequest) -> HttpResponse:
    """270 for the coming days' visits, the 271 upload, and the latest answers."""
    if request.method == "POST" and "days" in request.POST:
        try:
            visits = do_export_270_for_visits(_days(request, "days", DEFAULT_DAYS), acting_user=request.user)
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"A 270 asks about {visits.asked} coverages; download it to send.")
            for mrn, day in visits.self_pay:
                messages.info(request, f"{mrn} on {day:%Y-%m-%d}: no active coverage, not asked (self-pay).")
        return redirect("billing-eligibility")

    def tell(result: Any) -> None:
        if result.already_imported:
            messages.info(request, "This 271 was recorded before: nothing changed.")
            return
        messages.success(request, f"{len(result.matched)} answers matched to our requests, "
                                  f"{len(result.unmatched)} not matched.")
        for trace in result.unmatched:
            messages.warning(request, f"{trace}: no request of ours has this trace number.")

    form, status, done = _import_upload(
        request, lambda content, name: do_import_271(content, acting_user=request.user, file_name=name), tell)
    if done:
        return redirect("billing-eligibility")
    results = [r for r in EligibilityResult.objects.select_related("coverage__patient", "coverage__payer", "response")
               .order_by("-received_at", "-id")[:200]
               if r.coverage is None or access.may_open(request.user, r.coverage.patient)]
    return render(request, "billing/eligibility.html", {
        "form": form, "results": results, "days": DEFAULT_DAYS,
        "inquiries": InquiryFile.objects.filter(kind__in=[InquiryKind.ELIGIBILITY_INQUIRY,
                                                          InquiryKind.ELIGIBILITY_RESPONSE]).order_by("-id")[:20],
    }, status=status)


@requires(WORK)
@require_POST
@finds_records
def check_coverage_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """"Check eligibility" on a coverage of the patient account: a 270 for today, ready to download."""
    patient = access.access_patient_account_by_id(request.user, patient_id)
    coverage = Coverage.objects.select_related("payer", "patient").filter(
        patient=patient, pk=posted_id(request, "coverage")).first()
    if coverage is None:
        raise NotFound("coverage")
    try:
        inquiry = do_export_270_for_coverage(coverage, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Eligibility request (270) {inquiry.interchange_control} written: download "
                                  f"it from the eligibility page and send it; the payer's 271 is imported there.")
    return redirect("billing-account", patient_id=patient.pk)


@requires(WORK)
def claim_status_view(request: HttpRequest) -> HttpResponse:
    """Claims waiting for the payer, the 276 that asks about them, the 277 upload and the latest answers."""
    if request.method == "POST" and "days" in request.POST:
        try:
            sent = do_export_276(days=_days(request, "days", DEFAULT_WAIT), acting_user=request.user)
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, f"A 276 asks about {len(sent.claims)} claims; download it to send.")
        return redirect("billing-claim-status")

    def tell(result: Any) -> None:
        if result.already_imported:
            messages.info(request, "This 277 was recorded before: nothing changed.")
            return
        messages.success(request, f"{len(result.matched)} claim answers matched, {len(result.unmatched)} not "
                                  f"matched.")
        for trace in result.unmatched:
            messages.warning(request, f"{trace}: no claim of ours was asked about under this trace number.")

    form, status, done = _import_upload(
        request, lambda content, name: do_import_277(content, acting_user=request.user, file_name=name), tell)
    if done:
        return redirect("billing-claim-status")
    try:
        days = _days(request, "days", DEFAULT_WAIT)
    except ChartdeskError:
        days, status = DEFAULT_WAIT, 400
    waiting = [c for c in claims_awaiting_answer(max(days, 0))[:500] if access.may_open(request.user, c.patient)]
    results = [r for r in ClaimStatusResult.objects.select_related("claim__patient", "claim__payer", "response")
               .order_by("-received_at", "-id")[:200]
               if r.claim is None or access.may_open(request.user, r.claim.patient)]
    return render(request, "billing/claim_status.html", {
        "form": form, "waiting": waiting, "results": results, "days": days,
        "inquiries": InquiryFile.objects.filter(kind__in=[InquiryKind.STATUS_INQUIRY,
                                                          InquiryKind.STATUS_RESPONSE]).order_by("-id")[:20],
    }, status=status)


@requires(WORK)
@finds_records
def inquiry_download_view(request: HttpRequest, inquiry_id: int) -> HttpResponse:
    inquiry = access_inquiry_file_by_id(request.user, inquiry_id)
    response = HttpResponse(inquiry.content, content_type="application/edi-x12")
    response["Content-Disposition"] = f'attachment; filename="{inquiry.kind}-{inquiry.interchange_control}.txt"'
    return response
