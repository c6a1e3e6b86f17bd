"""The scanning desk: upload a batch, split it, index each document with search help, the second
person's quality check, and refiling a misfile. Reads check the restriction of indexed patients;
writes go through filing.scanning."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import Encounter
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.core.permissions import requires
from chartdesk.filing import scanning
from chartdesk.filing.forms import IndexForm, RefileForm, RejectForm, ScanUploadForm, SplitForm
from chartdesk.filing.models import BatchStatus, ScanBatch, ScannedDocument, ScanStatus
from chartdesk.filing.record_access import access_scan_batch_by_id, visible_records
from chartdesk.filing.views import answers_not_found, refused
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.models import Patient

SCAN = "filing.scan_documents"


def _visible(user: Any, scans: list[ScannedDocument]) -> list[ScannedDocument]:
    return [scan for scan in scans if scan.patient is None or restriction_allows(user, scan.patient)]


def access_scanned_document_by_id(user: Any, scan_id: Any) -> ScannedDocument:
    """One indexed run of pages, if the user scans and may open the indexed patient's chart; audited."""
    try:
        key = int(scan_id)
    except (TypeError, ValueError):
        raise NotFound("scanned document") from None
    if not user.is_authenticated or not user.has_perm(SCAN):
        raise NotFound("scanned document")
    scan = ScannedDocument.objects.select_related("batch", "patient", "encounter", "document").filter(pk=key).first()
    if scan is None or (scan.patient is not None and not restriction_allows(user, scan.patient)):
        raise NotFound("scanned document")
    record_event(AuditAction.VIEW, user=user, patient=scan.patient, object_type="scanned_document", object_id=scan.pk)
    return scan


def _patient_by_mrn(user: Any, mrn: str) -> Patient:
    digits = "".join(char for char in mrn if char in "0123456789")
    patient = Patient.objects.filter(mrn=digits).first()
    if patient is None or not restriction_allows(user, patient):
        raise ChartdeskError(f"No patient has the MRN {mrn.strip()}.", field="mrn")
    return patient


def _encounter_by_number(number: str) -> Encounter | None:
    number = (number or "").strip()
    if not number:
        return None
    encounter = Encounter.objects.filter(account_number=number).first()
    if encounter is None:
        raise ChartdeskError(f"No encounter has the account number {number}.", field="account_number")
    return encounter


@requires(SCAN)
def batches_view(request: HttpRequest) -> HttpResponse:
    """Upload a scanned batch; the batches still being worked and the pages awaiting a quality check."""
    form = ScanUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                batch = scanning.do_upload_scan_batch(form.cleaned_data["upload"], acting_user=request.user,
                                                      expected_pages=form.cleaned_data["expected_pages"],
                                                      note=form.cleaned_data["note"])
                messages.success(request, f"Batch stored: {batch.page_count} pages, "
                                          f"{batch.documents.count()} documents found at separator sheets.")
                return redirect("filing-batch", scan_batch_id=batch.pk)
            except ChartdeskError as refusal:
                status = refused(form, refusal)
    batches = visible_records(request.user, ScanBatch.objects.exclude(status=BatchStatus.DONE)
                              .order_by("-uploaded_at")[:100])
    awaiting = _visible(request.user, list(ScannedDocument.objects.filter(status=ScanStatus.AWAITING_QA)
                                           .select_related("patient", "indexed_by")[:200]))
    return render(request, "filing/batches.html", {"form": form, "batches": batches, "awaiting": awaiting},
                  status=status)


@requires(SCAN)
@answers_not_found
def batch_view(request: HttpRequest, scan_batch_id: int) -> HttpResponse:
    """One batch: its documents (page runs) and, until it is split, the split form."""
    batch = access_scan_batch_by_id(request.user, scan_batch_id)
    form = SplitForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                scanning.do_split_batch(batch, starts=form.cleaned_data["starts"], acting_user=request.user)
                return redirect("filing-batch", scan_batch_id=batch.pk)
            except ChartdeskError as refusal:
                status = refused(form, refusal)
    scans = _visible(request.user, list(batch.documents.select_related("patient")))
    return render(request, "filing/batch.html", {"batch": batch, "scans": scans, "form": form,
                                                 "pages": range(1, batch.page_count + 1)}, status=status)


@requires(SCAN)
@answers_not_found
def batch_page_thumbnail_view(request: HttpRequest, scan_batch_id: int, page: int) -> HttpResponse:
    """A small PNG of one page of a batch, for the split and index pages; opened (and audited) as the batch."""
    batch = access_scan_batch_by_id(request.user, scan_batch_id)
    try:
        png = scanning.page_thumbnail(scanning.read_batch(batch), batch.content_type, page)
    except ChartdeskError as problem:
        # An image address: the reason (no such page, a damaged stored batch) as plain text.
        return HttpResponse(problem.message, status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(png, content_type="image/png")
    # Patient pages: the browser keeps no copy of them.
    response["Cache-Control"] = "private, no-store"
    return response


def _search_help(request: HttpRequest) -> list[Any]:
    from chartdesk.patients.search import search_patients

    query = request.GET.get("q", "")[:200]
    return search_patients(request.user, query, limit=10) if query.strip() else []


@requires(SCAN)
@answers_not_found
def scan_view(request: HttpRequest, scan_id: int) -> HttpResponse:
    """Index a run of pages (with patient search help), approve or reject it, or refile a misfile."""
    scan = access_scanned_document_by_id(request.user, scan_id)
    index_form = IndexForm(prefix="index")
    reject_form = RejectForm(prefix="reject")
    refile_form = RefileForm(prefix="refile")
    status = 200
    if request.method == "POST":
        chosen = request.POST.get("action")
        form: Any = index_form
        try:
            if chosen == "index":
                form = index_form = IndexForm(request.POST, prefix="index")
                if form.is_valid():
                    data = form.cleaned_data
                    scanning.do_index_scanned_document(
                        scan, patient=_patient_by_mrn(request.user, data["mrn"]),
                        encounter=_encounter_by_number(data["account_number"]), document_type=data["document_type"],
                        title=data["title"], service_date=data["service_date"], acting_user=request.user)
                    messages.success(request, "Indexed; waiting for a second person's check.")
                    return redirect("filing-batch", scan_batch_id=scan.batch_id)
            elif chosen == "approve":
                scanning.do_approve_scanned_document(scan, acting_user=request.user)
                messages.success(request, "Approved and filed in the chart.")
                return redirect("filing-batches")
            elif chosen == "reject":
                form = reject_form = RejectForm(request.POST, prefix="reject")
                if form.is_valid():
                    scanning.do_reject_scanned_document(scan, reason=form.cleaned_data["reason"],
                                                        acting_user=request.user)
                    return redirect("filing-batches")
            elif chosen == "refile":
                form = refile_form = RefileForm(request.POST, prefix="refile")
                if form.is_valid():
                    data = form.cleaned_data
                    refiled = scanning.do_refile_scanned_document(
                        scan, reason=data["reason"], patient=_patient_by_mrn(request.user, data["mrn"]),
                        encounter=_encounter_by_number(data["account_number"]), acting_user=request.user)
                    messages.success(request, "Marked entered in error and refiled.")
                    return redirect("filing-scan", scan_id=refiled.pk)
            status = 400
        except NotFound:
            raise
        except ChartdeskError as refusal:
            if chosen == "approve":
                messages.error(request, refusal.message)
                status = 403 if isinstance(refusal, PermissionRefused) else 400
            else:
                status = refused(form, refusal)
    user = request.user
    return render(request, "filing/scan.html", {
        "scan": scan, "index_form": index_form, "reject_form": reject_form, "refile_form": refile_form,
        "hits": _search_help(request),
        "can_index": scan.status in (ScanStatus.UNINDEXED, ScanStatus.REJECTED),
        "can_review": scan.status == ScanStatus.AWAITING_QA and user.has_perm("filing.review_scans")
        and scan.indexed_by_id != user.pk,
        "can_refile": scan.status == ScanStatus.APPROVED and user.has_perm("filing.review_scans"),
    }, status=status)


@requires(SCAN)
@answers_not_found
def scan_pages_view(request: HttpRequest, scan_id: int) -> HttpResponse:
    """The pages of one run, for the indexer and the checker to read."""
    scan = access_scanned_document_by_id(request.user, scan_id)
    try:
        content, extension = scanning.extract_pages(scanning.read_batch(scan.batch), scan.batch.content_type,
                                                    scan.first_page, scan.last_page)
    except ChartdeskError as problem:
        return render(request, "core/not_found.html", {"message": problem.message}, status=404)
    content_type = "application/pdf" if extension == "pdf" else "image/tiff"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="scan-{scan.pk}.{extension}"'
    return response
