"""Billing desk: charges of an encounter, patient accounts, claims, CMS-1500 and 837P batches.

Thin views: reads through billing.access, writes through the actions; a refusal is shown as its
message with nothing changed. Set-up, remittances, denials, aging and statements are in
desk_views.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from chartdesk.billing import access, actions, cob, corrections, ledger, timely_filing
from chartdesk.billing.acknowledgements import segment_error_lines
from chartdesk.billing.cms1500 import cms1500_pdf
from chartdesk.billing.export import do_export_837
from chartdesk.billing.forms import (
    ChargeForm,
    ClaimCorrectionForm,
    CoverageForm,
    DiagnosesForm,
    PatientPaymentForm,
    RejectionResendForm,
)
from chartdesk.billing.from_coding import encounters_to_bill
from chartdesk.billing.inquiries.eligibility import latest_results
from chartdesk.billing.institutional.actions import do_create_facility_claims, encounters_for_facility_claims
from chartdesk.billing.institutional.export import do_export_837i
from chartdesk.billing.institutional.ub04 import print_ub04
from chartdesk.billing.models import (
    Claim,
    ClaimKind,
    ClaimStatus,
    ClaimStatusAnswer,
    Coverage,
    InstitutionalClaim,
    X12Batch,
)
from chartdesk.core import forms as core_forms
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import requires

WORK = "billing.work_claims"
SETUP = "billing.manage_billing_setup"
REPORTS = "billing.view_billing_reports"

CLAIM_COLUMNS = (
    Column("claim", "Claim", ("claim_number",)),
    Column("patient", "Patient", ("patient__family_name", "patient__given_name")),
    Column("payer", "Payer", ("payer__name",)),
    Column("rank", "Rank", ("rank",)),
    Column("total", "Total", ("total_charge",), numeric=True),
    Column("status", "Status", ("status",)),
    Column("created", "Created", ("created_at",)),
)


def posted_id(request: HttpRequest, name: str) -> int:
    """An id posted by a button; anything else is no record at all."""
    found = core_forms.posted_id(request, name)
    if not found:
        raise NotFound("record")
    return found


def finds_records(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Missing and forbidden records answer the same 404."""

    @wraps(view)
    def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return render(request, "core/not_found.html", status=404)

    return answered


@requires(REPORTS)
def home_view(request: HttpRequest) -> HttpResponse:
    counts = {status.label: Claim.objects.filter(status=status).count() for status in ClaimStatus}
    return render(request, "billing/home.html", {
        "counts": counts, "ready": Claim.objects.filter(status=ClaimStatus.READY).count(),
        "to_bill": encounters_to_bill() if request.user.has_perm(WORK) else None,
    })


# ----------------------------------------------------------------------------- charges


@requires(WORK)
@finds_records
def encounter_charges_view(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = access.access_encounter_charges_by_id(request.user, encounter_id)
    charge_form = ChargeForm(initial={"service_date": timezone.localtime(encounter.admit_at).date(),
                                      "rendering_provider": encounter.attending, "place_of_service": "11"})
    diagnoses_form = DiagnosesForm(initial={"codes": " ".join(actions.encounter_diagnoses(encounter))})
    if request.method == "POST":
        try:
            if "codes" in request.POST:
                diagnoses_form = DiagnosesForm(request.POST)
                if diagnoses_form.is_valid():
                    actions.do_set_diagnoses(encounter, diagnoses_form.cleaned_data["codes"].split(),
                                             acting_user=request.user)
                    messages.success(request, "Diagnoses saved.")
                    return redirect("billing-encounter-charges", encounter_id=encounter.pk)
            elif "void" in request.POST:
                charge = encounter.charges.filter(pk=posted_id(request, "void")).first()
                if charge is None:
                    raise NotFound("charge")
                actions.do_void_charge(charge, acting_user=request.user)
                messages.success(request, f"Charge {charge.code} voided.")
                return redirect("billing-encounter-charges", encounter_id=encounter.pk)
            else:
                charge_form = ChargeForm(request.POST)
                if charge_form.is_valid():
                    data = charge_form.cleaned_data
                    entry = actions.ChargeInput(
                        code=data["code"], modifiers=tuple(data["modifiers"].split()), units=data["units"],
                        amount=data["amount"], diagnosis_pointers=data["pointers"],
                        service_date=data["service_date"], rendering_provider=data["rendering_provider"],
                        place_of_service=data["place_of_service"].code,
                    )
                    charge = actions.do_add_charge(encounter, entry, acting_user=request.user)
                    messages.success(request, f"Charge {charge.code} added: {charge.amount}.")
                    return redirect("billing-encounter-charges", encounter_id=encounter.pk)
        except ChartdeskError as refusal:
            target = charge_form if refusal.field in charge_form.fields else diagnoses_form
            target.add_error(refusal.field if refusal.field in target.fields else None, refusal.message)
    return render(request, "billing/encounter_charges.html", {
        "encounter": encounter, "patient": encounter.patient,
        "diagnoses": actions.encounter_diagnoses(encounter),
        "charges": encounter.charges.select_related("rendering_provider").order_by("id"),
        "claims": encounter.claims.order_by("id"), "charge_form": charge_form, "diagnoses_form": diagnoses_form,
    }, status=400 if request.method == "POST" else 200)


@requires(WORK)
@require_POST
@finds_records
def encounter_claim_view(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = access.access_encounter_charges_by_id(request.user, encounter_id)
    try:
        claim = actions.do_create_claim(encounter, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
        return redirect("billing-encounter-charges", encounter_id=encounter.pk)
    messages.success(request, f"Claim {claim.claim_number} created: {claim.get_status_display()}.")
    return redirect("billing-claim", claim_id=claim.pk)


# ----------------------------------------------------------------------------- patient account


@requires(WORK)
@finds_records
def account_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access.access_patient_account_by_id(request.user, patient_id)
    coverage_form = CoverageForm()
    payment_form = PatientPaymentForm()
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if "member_id" in request.POST:
                coverage_form = CoverageForm(request.POST)
                if coverage_form.is_valid():
                    if not request.user.has_perm(SETUP):
                        raise ChartdeskError("You do not have permission to maintain billing set-up.")
                    data = dict(coverage_form.cleaned_data)
                    actions.do_add_coverage(patient, acting_user=request.user, **data)
                    messages.success(request, "Coverage added.")
                    return redirect("billing-account", patient_id=patient.pk)
            elif "end_coverage" in request.POST:
                coverage = Coverage.objects.filter(patient=patient, pk=posted_id(request, "end_coverage")).first()
                if coverage is None:
                    raise NotFound("coverage")
                if not request.user.has_perm(SETUP):
                    raise ChartdeskError("You do not have permission to maintain billing set-up.")
                actions.do_end_coverage(coverage, acting_user=request.user)
                return redirect("billing-account", patient_id=patient.pk)
            else:
                payment_form = PatientPaymentForm(request.POST)
                if payment_form.is_valid():
                    claim = Claim.objects.filter(patient=patient,
                                                 claim_number=payment_form.cleaned_data["claim"].strip()).first()
                    if claim is None:
                        raise ChartdeskError("This patient has no such claim.", field="claim")
                    ledger.do_post_patient_payment(claim, payment_form.cleaned_data["amount"],
                                                   acting_user=request.user)
                    messages.success(request, "Payment posted.")
                    return redirect("billing-account", patient_id=patient.pk)
        except ChartdeskError as refusal:
            form = coverage_form if "member_id" in request.POST else payment_form
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    coverages = list(patient.coverages.select_related("payer").order_by("-active", "rank"))
    eligibility = latest_results(coverages)
    return render(request, "billing/account.html", {
        "patient": patient, "totals": ledger.account_totals(patient), "coverages": coverages,
        "coverage_rows": [(coverage, eligibility.get(coverage.pk)) for coverage in coverages],
        "claims": Claim.objects.filter(patient=patient).select_related("payer").order_by("-id"),
        "entries": patient.ledger_entries.select_related("claim").order_by("-posted_at", "-id")[:200],
        "encounters": patient.encounters.order_by("-admit_at")[:20],
        "coverage_form": coverage_form, "payment_form": payment_form, "can_setup": request.user.has_perm(SETUP),
    }, status=status)


# ----------------------------------------------------------------------------- claims


@requires(WORK)
def claims_view(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    listing = list_page(request, access.claims_open_to(request.user, status=status), CLAIM_COLUMNS,
                        default_sort="-created")
    return render(request, "billing/claims.html", {
        "listing": listing, "claims": listing.rows, "status": status, "statuses": ClaimStatus.choices,
        "to_bill": encounters_to_bill(), "facility_to_bill": len(encounters_for_facility_claims()),
    })


@requires(WORK)
@require_POST
def create_claims_view(request: HttpRequest) -> HttpResponse:
    """Queue the claim run as a background job; its outcome shows on the jobs page."""
    try:
        actions.do_queue_claim_run(acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Claims are being created and scrubbed in the background; "
                                  "the jobs page shows how far it has got and what was not billed.")
    return redirect("billing-claims")


@requires(WORK)
@require_POST
def create_facility_claims_view(request: HttpRequest) -> HttpResponse:
    created, refused = do_create_facility_claims(acting_user=request.user)
    ready = sum(1 for claim in created if claim.status == ClaimStatus.READY)
    messages.success(request, f"{len(created)} institutional claims created, {ready} ready to send.")
    for account_number, why in refused:
        messages.warning(request, f"Encounter {account_number} not billed: {why}")
    return redirect("billing-claims")


@requires(WORK)
@finds_records
def claim_view(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = access.access_claim_by_id(request.user, claim_id)
    correction_form, resend_form = ClaimCorrectionForm(), RejectionResendForm()
    if request.method == "POST" and ("correct" in request.POST or "resend" in request.POST):
        form = (ClaimCorrectionForm if "correct" in request.POST else RejectionResendForm)(request.POST)
        if form.is_valid():
            try:
                if isinstance(form, ClaimCorrectionForm):
                    corrections.do_correct_claim(claim, frequency=form.cleaned_data["frequency"],
                                                 reason=form.cleaned_data["reason"], acting_user=request.user)
                else:
                    corrections.do_resend_rejected_claim(claim, reason=form.cleaned_data["reason"],
                                                         acting_user=request.user)
            except ChartdeskError as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
            else:
                claim.refresh_from_db()
                messages.success(request, f"Claim reopened: {claim.get_status_display().lower()}.")
                return redirect("billing-claim", claim_id=claim.pk)
        if isinstance(form, ClaimCorrectionForm):
            correction_form = form
        else:
            resend_form = form
        return _claim_page(request, claim, correction_form, resend_form, status=400)
    if request.method == "POST":
        try:
            if "scrub" in request.POST:
                actions.do_scrub_claim(claim, acting_user=request.user)
            elif "secondary" in request.POST:
                secondary = actions.do_create_secondary_claim(claim, acting_user=request.user)
                return redirect("billing-claim", claim_id=secondary.pk)
            else:
                actions.do_set_claim_status(claim, request.POST.get("status", ""), acting_user=request.user,
                                            note=request.POST.get("note", ""))
            messages.success(request, "Claim updated.")
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
        return redirect("billing-claim", claim_id=claim.pk)
    return _claim_page(request, claim, correction_form, resend_form)


def _claim_page(request: HttpRequest, claim: Claim, correction_form: ClaimCorrectionForm,
                resend_form: RejectionResendForm, *, status: int = 200) -> HttpResponse:
    today = timezone.localdate()
    deadline = timely_filing.deadline_of(claim) if claim.status in timely_filing.NOT_YET_WITH_PAYER else None
    frequency, payer_number = corrections.next_submission(claim)
    return render(request, "billing/claim.html", {
        "correction_form": correction_form, "resend_form": resend_form,
        "can_correct": claim.status in corrections.ADJUDICATED,
        # Lines of a claim not yet sent are corrected through their charges (the claim follows).
        "editable": claim.status in actions.EDITABLE_CLAIM and claim.kind == ClaimKind.PROFESSIONAL,
        "can_resend": claim.status == ClaimStatus.REJECTED,
        "corrections": claim.corrections.select_related("created_by").order_by("id"),
        "frequency": frequency, "payer_number": payer_number or corrections.payer_claim_number(claim),
        "deadline": deadline, "days_left": deadline.days_left(today) if deadline else None,
        "warn_days": timely_filing.WARN_DAYS,
        "claim": claim, "patient": claim.patient,
        "institutional": InstitutionalClaim.objects.select_related("attending").filter(claim=claim).first(),
        "lines": claim.lines.filter(superseded=False).select_related("rendering_provider").order_by("line_number"),
        "findings": claim.findings.all(), "payments": claim.payments.select_related("remittance"),
        "status_answers": ClaimStatusAnswer.objects.filter(claim=claim).select_related("report").order_by("id"),
        "eligibility": latest_results([claim.coverage]).get(claim.coverage_id),
        "inquiry_results": claim.status_results.order_by("received_at", "id"),
        "denials": claim.denials.all(), "insurance_balance": ledger.claim_balance(claim, "insurance"),
        "patient_balance": ledger.claim_balance(claim, "patient"),
        "primary_adjudication": cob.primary_adjudication(claim) if claim.primary_claim_id else None,
        "status_choices": [(s, label) for s, label in ClaimStatus.choices
                           if s in {"accepted", "rejected", "appealed", "closed"}],
    }, status=status)


@requires(WORK)
@finds_records
def claim_cms1500_view(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = access.access_claim_by_id(request.user, claim_id)
    red_form = request.GET.get("form") == "red"
    from chartdesk.audit.actions import record_event
    from chartdesk.audit.models import AuditAction

    record_event(AuditAction.PRINT, user=request.user, patient=claim.patient, object_type="cms1500",
                 object_id=claim.pk, detail={"form": "red" if red_form else "plain"})
    response = HttpResponse(cms1500_pdf(claim, red_form=red_form), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="cms1500-{claim.claim_number}.pdf"'
    return response


@requires(WORK)
@finds_records
def claim_ub04_view(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = access.access_claim_by_id(request.user, claim_id)
    try:
        pdf = print_ub04(claim, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
        return redirect("billing-claim", claim_id=claim.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="ub04-{claim.claim_number}.pdf"'
    return response


# ----------------------------------------------------------------------------- 837 batches


@requires(WORK)
def batches_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        export = do_export_837i if request.POST.get("kind") == ClaimKind.INSTITUTIONAL else do_export_837
        try:
            batch = export(acting_user=request.user)
            messages.success(request, f"Batch {batch.interchange_control:09d} written with {batch.claim_count} "
                                      f"claims.")
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
        return redirect("billing-batches")
    return render(request, "billing/batches.html", {
        "batches": X12Batch.objects.order_by("-id")[:100],
        "ready": Claim.objects.filter(status=ClaimStatus.READY, kind=ClaimKind.PROFESSIONAL).count(),
        "ready_institutional": Claim.objects.filter(status=ClaimStatus.READY, kind=ClaimKind.INSTITUTIONAL).count(),
    })


@requires(WORK)
@finds_records
def batch_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One batch sent: its claims and what came back for it (999 acknowledgements, newest first)."""
    batch = access.access_x12_batch_by_id(request.user, batch_id)
    acknowledgements = [
        {"ack": ack, "sets": [{**answer, "lines": [segment_error_lines(error) for error in answer["segments"]]}
                              for answer in ack.sets]}
        for ack in batch.acknowledgements.select_related("imported_by")
    ]
    return render(request, "billing/batch.html", {
        "batch": batch, "claims": batch.claims.select_related("patient").order_by("claim_number"),
        "acknowledgements": acknowledgements,
    })


@requires(WORK)
@finds_records
def batch_download_view(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = access.access_x12_batch_by_id(request.user, batch_id)
    response = HttpResponse(batch.content, content_type="application/edi-x12")
    form = "837I" if batch.kind == ClaimKind.INSTITUTIONAL else "837P"
    response["Content-Disposition"] = f'attachment; filename="{form}-{batch.interchange_control:09d}.txt"'
    return response
