"""The privacy officer's desk: amendments, restrictions, accountings and their suspensions, de-identified export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.access import access_document_by_id, documents_in_chart
from chartdesk.charts.models import DocumentStatus, Encounter
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.permissions import requires, signed_in
from chartdesk.core.refusals import add_refusal, form_status
from chartdesk.disclosures import access, accounting, amendments
from chartdesk.disclosures.deadlines import clock
from chartdesk.disclosures.fees import dollars
from chartdesk.disclosures.forms import (
    AcceptAmendmentForm,
    AmendmentRequestForm,
    DeidExportForm,
    DenyAmendmentForm,
    DisclosureForm,
    RestrictionForm,
    SuspensionForm,
)
from chartdesk.disclosures.letters import accounting_letter
from chartdesk.disclosures.models import (
    AccountingRequest,
    AccountingStatus,
    AccountingSuspension,
    AmendmentRequest,
    PrivacyRestriction,
    RestrictionStatus,
)
from chartdesk.patients.models import Patient
from chartdesk.patients.view_guards import opens_records

PRIVACY = ("disclosures.manage_amendments", "disclosures.manage_restrictions", "disclosures.manage_accounting")
AMEND = "disclosures.manage_amendments"


@requires(*PRIVACY)
def privacy_home_view(request: HttpRequest) -> HttpResponse:
    """Open amendment requests with their clocks, undecided restrictions, accountings due; find a patient."""
    mrn = request.GET.get("mrn", "").strip()
    if mrn:
        patient_id = Patient.objects.filter(mrn=mrn).values_list("pk", flat=True).first()
        if patient_id is not None:
            return redirect("disclosures-patient-privacy", patient_id=patient_id)
        messages.error(request, f"No patient with MRN {mrn}.")
    today = timezone.localdate()
    accountings = [(item, clock(item.due_on, today)) for item in AccountingRequest.objects.select_related("patient")
                   .filter(status=AccountingStatus.RECEIVED) if not item.patient.is_restricted]
    restrictions = [item for item in PrivacyRestriction.objects.select_related("patient")
                    .filter(status=RestrictionStatus.REQUESTED) if not item.patient.is_restricted]
    return render(request, "disclosures/privacy_home.html", {
        "amendments": access.open_amendments(request.user, today=today),
        "accountings": accountings, "restrictions": restrictions,
    })


def _patient_page(request: HttpRequest, patient: Patient, **forms: Any) -> dict[str, Any]:
    today = timezone.localdate()
    signed = [document for document in documents_in_chart(request.user, patient)
              if document.status in (DocumentStatus.FINAL, DocumentStatus.AMENDED)]
    return {
        "patient": patient,
        "amendments": list(AmendmentRequest.objects.filter(patient=patient).select_related("document")),
        "restrictions": list(PrivacyRestriction.objects.filter(patient=patient).select_related("encounter")),
        "suspensions": list(AccountingSuspension.objects.filter(patient=patient)),
        "accountings": list(AccountingRequest.objects.filter(patient=patient)),
        "entries": access.accounting_preview(request.user, patient, today),
        "amendment_form": forms.get("amendment") or AmendmentRequestForm(documents=signed,
                                                                         initial={"received_on": today}),
        "restriction_form": forms.get("restriction") or RestrictionForm(),
        "suspension_form": forms.get("suspension") or SuspensionForm(initial={"starts_on": today}),
        "disclosure_form": forms.get("disclosure") or DisclosureForm(initial={"disclosed_on": today}),
        "signed_documents": signed,
    }


@requires(*PRIVACY)
@opens_records
def patient_privacy_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """One patient's amendments, restrictions, accounting (as it would read today) and suspensions."""
    patient = access.access_patient_for_disclosures(request.user, patient_id, AMEND)
    return render(request, "disclosures/patient_privacy.html", _patient_page(request, patient))


def _amendment_step(request: HttpRequest, patient: Patient, signed: list[Any]) -> tuple[Any, str]:
    form = AmendmentRequestForm(request.POST, documents=signed)
    if not form.is_valid():
        return form, ""
    document = access_document_by_id(request.user, form.cleaned_data["document"])
    created = amendments.do_request_amendment(document, requested_change=form.cleaned_data["requested_change"],
                                              patient_reason=form.cleaned_data["patient_reason"],
                                              received_on=form.cleaned_data["received_on"], acting_user=request.user)
    return form, f"Amendment request logged, due {created.due_on:%Y-%m-%d}."


def _restriction_step(request: HttpRequest, patient: Patient, signed: list[Any]) -> tuple[Any, str]:
    form = RestrictionForm(request.POST)
    if not form.is_valid():
        return form, ""
    data = form.cleaned_data
    encounter = None
    if data["encounter"]:
        encounter = Encounter.objects.filter(patient=patient, account_number=data["encounter"].strip()).first()
        if encounter is None:
            raise ChartdeskError(f"No encounter {data['encounter']} in this chart.", field="encounter")
    amendments.do_request_restriction(patient, kind=data["kind"], encounter=encounter, description=data["description"],
                                      alternative_contact=data["alternative_contact"],
                                      paid_in_full=data["paid_in_full"], acting_user=request.user)
    return form, "Restriction request recorded."


def _suspension_step(request: HttpRequest, patient: Patient, signed: list[Any]) -> tuple[Any, str]:
    form = SuspensionForm(request.POST)
    if not form.is_valid():
        return form, ""
    accounting.do_suspend_accounting(patient, acting_user=request.user, **form.cleaned_data)
    return form, "Suspension recorded."


def _disclosure_step(request: HttpRequest, patient: Patient, signed: list[Any]) -> tuple[Any, str]:
    form = DisclosureForm(request.POST)
    if not form.is_valid():
        return form, ""
    data = dict(form.cleaned_data)
    day = data.pop("disclosed_on")
    # The desk asks for the day only: it is kept at noon that day, or now when noon is still to come today
    # (a disclosure made this morning is not in the future).
    disclosed_at = timezone.make_aware(datetime.combine(day, time(12)))
    if day == timezone.localdate():
        disclosed_at = min(disclosed_at, timezone.now())  # a later day stays in the future, and is refused
    recorded = accounting.do_record_disclosure(patient, acting_user=request.user, disclosed_at=disclosed_at, **data)
    return form, accounting.disclosure_confirmation(recorded)


def _accounting_step(request: HttpRequest, patient: Patient, signed: list[Any]) -> tuple[Any, str]:
    created = accounting.do_request_accounting(patient, acting_user=request.user)
    return None, f"Accounting request logged, due {created.due_on:%Y-%m-%d}."


PATIENT_STEPS: dict[str, tuple[str, Callable[..., tuple[Any, str]]]] = {
    "amendment": ("amendment", _amendment_step),
    "restriction": ("restriction", _restriction_step),
    "suspension": ("suspension", _suspension_step),
    "disclosure": ("disclosure", _disclosure_step),
    "accounting": ("accounting", _accounting_step),
}


@requires(*PRIVACY)
@require_POST
@opens_records
def patient_privacy_step_view(request: HttpRequest, patient_id: int, step: str) -> HttpResponse:
    patient = access.access_patient_for_disclosures(request.user, patient_id, AMEND)
    if step not in PATIENT_STEPS:
        raise NotFound("step")
    name, handler = PATIENT_STEPS[step]
    page = _patient_page(request, patient)
    form, refused = None, None
    try:
        form, done = handler(request, patient, page["signed_documents"])
    except ChartdeskError as refusal:
        if isinstance(refusal, NotFound):
            raise
        refused = refusal
        messages.error(request, refusal.message)
    else:
        if done:
            messages.success(request, done)
            return redirect("disclosures-patient-privacy", patient_id=patient.pk)
    if form is not None and refused is not None:
        add_refusal(form, refused)
    page = _patient_page(request, patient, **({name: form} if form is not None else {}))
    return render(request, "disclosures/patient_privacy.html", page,
                  status=form_status(form, refused) if form is not None else 400)


# ----------------------------------------------------------------------------- amendments


def _amendment_page(request: HttpRequest, amendment: AmendmentRequest, **forms: Any) -> dict[str, Any]:
    return {
        "amendment": amendment, "patient": amendment.patient,
        "clock": clock(amendment.due_on, timezone.localdate()),
        "notifications": list(amendment.notifications.all()),
        "accept_form": forms.get("accept") or AcceptAmendmentForm(),
        "deny_form": forms.get("deny") or DenyAmendmentForm(),
    }


@signed_in  # the privacy officer or the document's author: access_amendment_by_id decides
@opens_records
def amendment_view(request: HttpRequest, amendment_id: int) -> HttpResponse:
    amendment = access.access_amendment_by_id(request.user, amendment_id)
    return render(request, "disclosures/amendment.html", _amendment_page(request, amendment))


@signed_in  # the privacy officer or the document's author: access_amendment_by_id decides
@require_POST
@opens_records
def amendment_step_view(request: HttpRequest, amendment_id: int, step: str) -> HttpResponse:
    amendment = access.access_amendment_by_id(request.user, amendment_id)
    user, text = request.user, request.POST.get("text", "")
    forms: dict[str, Any] = {}
    try:
        if step == "review":
            amendments.do_start_amendment_review(amendment, acting_user=user)
        elif step == "extend":
            amendments.do_extend_amendment(amendment, notice=text, acting_user=user)
        elif step == "disagreement":
            amendments.do_file_disagreement(amendment, statement=text, acting_user=user)
        elif step == "rebuttal":
            amendments.do_file_rebuttal(amendment, rebuttal=text, acting_user=user)
        elif step == "accept":
            forms["accept"] = accept = AcceptAmendmentForm(request.POST)
            if not accept.is_valid():
                raise ChartdeskError("Write the amendment to append.", field="amendment_text")
            amendments.do_accept_amendment(amendment, amendment_text=accept.cleaned_data["amendment_text"],
                                           notify=accept.parties(), acting_user=user)
        elif step == "deny":
            forms["deny"] = deny = DenyAmendmentForm(request.POST)
            if not deny.is_valid():
                raise ChartdeskError("Choose the ground and write the explanation.", field="explanation")
            amendments.do_deny_amendment(amendment, basis=deny.cleaned_data["basis"],
                                         explanation=deny.cleaned_data["explanation"], acting_user=user)
        else:
            raise NotFound("step")
    except ChartdeskError as refusal:
        if isinstance(refusal, NotFound):
            raise
        messages.error(request, refusal.message)
        return render(request, "disclosures/amendment.html", _amendment_page(request, amendment, **forms), status=400)
    messages.success(request, "Saved.")
    return redirect("disclosures-amendment", amendment_id=amendment.pk)


@requires("disclosures.manage_restrictions")
@require_POST
@opens_records
def restriction_decide_view(request: HttpRequest, restriction_id: int) -> HttpResponse:
    restriction = access.access_restriction_by_id(request.user, restriction_id)
    try:
        amendments.do_decide_restriction(restriction, agree=request.POST.get("decision") == "agree",
                                         note=request.POST.get("note", ""),
                                         paid_in_full=request.POST.get("paid_in_full") == "on" or None,
                                         acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Decision recorded.")
    return redirect("disclosures-patient-privacy", patient_id=restriction.patient_id)


@requires("disclosures.manage_accounting")
@opens_records
def accounting_view(request: HttpRequest, accounting_id: int) -> HttpResponse:
    """An accounting request: what it lists (as provided, or as it would read today); POST provides it."""
    item = access.access_accounting_request_by_id(request.user, accounting_id)
    if request.method == "POST":
        try:
            item = accounting.do_provide_accounting(item, acting_user=request.user)
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, "Accounting provided.")
        return redirect("disclosures-accounting", accounting_id=item.pk)
    entries = item.provided_entries if item.status == AccountingStatus.PROVIDED else [
        accounting.entry_row(disclosure) for disclosure in accounting.accounting_entries(item.patient,
                                                                                       timezone.localdate())]
    return render(request, "disclosures/accounting.html", {
        "accounting": item, "patient": item.patient, "entries": entries,
        "clock": clock(item.due_on, timezone.localdate()), "fee": dollars(item.fee_cents),
    })


LETTER_AFTER_PROVIDING = "Provide the accounting first: the letter lists what the patient is given."


@requires("disclosures.manage_accounting")
@opens_records
def accounting_letter_view(request: HttpRequest, accounting_id: int) -> HttpResponse:
    """The provided accounting as a PDF letter to the patient, for printing and mailing; audited as an export."""
    item = access.access_accounting_request_by_id(request.user, accounting_id)
    if item.status != AccountingStatus.PROVIDED:
        messages.error(request, LETTER_AFTER_PROVIDING)
        return redirect("disclosures-accounting", accounting_id=item.pk)
    content = accounting_letter(item)
    record_event(AuditAction.EXPORT, user=request.user, patient=item.patient, object_type="accounting_request",
                 object_id=item.pk, detail={"letter": True, "entries": len(item.provided_entries)})
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="accounting-{item.patient.mrn}-{item.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# ----------------------------------------------------------------------------- de-identified export


@requires("disclosures.export_deidentified")
def deid_export_view(request: HttpRequest) -> HttpResponse:
    """Choose patients by MRN; the Safe Harbor data set (CSV and NDJSON in a ZIP) is built as a
    background job and downloaded from the jobs page."""
    from chartdesk.disclosures.deid.export import do_request_deidentified_export

    form = DeidExportForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        mrns = [mrn for mrn in form.cleaned_data["patients"].replace(",", " ").split() if mrn]
        try:
            job = do_request_deidentified_export(mrns, date_mode=form.cleaned_data["date_mode"],
                                                 acting_user=request.user)
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, ChartdeskError(refusal.message, field="patients"))
        else:
            messages.success(request, f"{job.title}: queued. Download it here when it has finished.")
            return redirect("jobs-list")
    return render(request, "disclosures/deid_export.html", {"form": form}, status=form_status(form, refused))


@requires("disclosures.export_deidentified")
def deid_download_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """The ZIP of a finished de-identified export, to the user who asked for it only; audited."""
    from chartdesk.disclosures.tasks import deidentified_export
    from chartdesk.jobs.access import access_job_by_id
    from chartdesk.jobs.models import JobStatus

    try:
        job = access_job_by_id(request.user, job_id)
    except NotFound:
        return render(request, "core/not_found.html", status=404)
    if (job.started_by_id != request.user.pk or job.task_path != deidentified_export.module_path
            or job.status != JobStatus.SUCCEEDED or not job.result.get("file")):
        return render(request, "core/not_found.html", status=404)
    record_event(AuditAction.DOWNLOAD, user=request.user, object_type="deidentified_export", object_id=job.pk,
                 detail={"patients": job.result.get("patients"), "sha256": job.result.get("sha256")})
    # A FileResponse streams the file; `requires` types views as HttpResponse.
    response: Any = FileResponse(default_storage.open(job.result["file"], "rb"), as_attachment=True,
                            filename="deidentified.zip", content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
