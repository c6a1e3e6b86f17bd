"""Billing desk, the office side: set-up, 835 upload, held payments, the denial queue, A/R aging and
statements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from chartdesk.billing import access, actions
from chartdesk.billing.aging import BUCKETS, aging_by_patient, aging_by_payer, aging_by_reason
from chartdesk.billing.appeal import do_print_appeal_letter
from chartdesk.billing.carc import CAUSES
from chartdesk.billing.claim_status import do_import_277ca, rejection_work_list
from chartdesk.billing.denials import AGES, WorkListFilter, denial_work_list, do_work_denial_action, remark_texts
from chartdesk.billing.forms import (
    DenialActionForm,
    FeeForm,
    FilingLimitForm,
    HeldPaymentForm,
    OrganisationForm,
    PayerForm,
    RemittanceUploadForm,
)
from chartdesk.billing.held import do_post_held_payment, do_reject_held_payment
from chartdesk.billing.models import (
    BillingOrganisation,
    ClaimStatusReport,
    DenialAction,
    FeeScheduleEntry,
    HeldPayment,
    HeldPaymentStatus,
    Payer,
    PlaceOfService,
    Remittance,
    StatementBatch,
    TimelyFilingLimit,
)
from chartdesk.billing.remittance import do_import_835
from chartdesk.billing.statements import do_create_statement_batch, patients_owing, statement_batch_pdf
from chartdesk.billing.timely_filing import WARN_DAYS, claims_nearing_deadline, do_add_filing_limit
from chartdesk.billing.views import REPORTS, SETUP, WORK, finds_records
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import requires

ORGANISATION_FIELDS = list(OrganisationForm.base_fields)


@requires(SETUP)
def setup_view(request: HttpRequest) -> HttpResponse:
    organisation = BillingOrganisation.objects.order_by("id").first()
    initial = {name: getattr(organisation, name) for name in ORGANISATION_FIELDS} if organisation else {}
    forms = {"organisation": OrganisationForm(initial=initial), "payer": PayerForm(), "fee": FeeForm()}
    status = 200
    if request.method == "POST":
        which = request.POST.get("form", "")
        if which in forms:
            form = {"organisation": OrganisationForm, "payer": PayerForm, "fee": FeeForm}[which](request.POST)
            forms[which] = form
            status = 400
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if which == "organisation":
                        actions.do_save_organisation(acting_user=request.user, **data)
                    elif which == "payer":
                        existing = Payer.objects.filter(payer_id=data["payer_id"].strip().upper()).first()
                        actions.do_save_payer(acting_user=request.user, payer=existing, **data)
                    else:
                        actions.do_set_fee(data["code"], data["charge"], modifier=data["modifier"] or "",
                                           acting_user=request.user)
                    messages.success(request, "Saved.")
                    return redirect("billing-setup")
                except ChartdeskError as refusal:
                    form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    return render(request, "billing/setup.html", {
        **forms, "payers": Payer.objects.order_by("name"), "fees": FeeScheduleEntry.objects.order_by("code"),
        "places": PlaceOfService.objects.order_by("code"),
    }, status=status)


def _import_upload(request: HttpRequest, run: Callable[[bytes, str], Any],
                   tell: Callable[[Any], None]) -> tuple[RemittanceUploadForm, int, bool]:
    """The upload of an incoming X12 file (835, 277CA): (form, status, done). `run` imports the bytes
    under the file's name; a refusal goes on the form as the file's error and nothing is recorded;
    `tell` turns a result into the desk's messages."""
    if request.method != "POST":
        return RemittanceUploadForm(), 200, False
    form = RemittanceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return form, 400, False
    upload = form.cleaned_data["file"]
    try:
        result = run(upload.read(), upload.name)
    except ChartdeskError as refusal:
        form.add_error("file", refusal.message)
        return form, 400, False
    tell(result)
    return form, 200, True


@requires(WORK)
def remittances_view(request: HttpRequest) -> HttpResponse:
    def tell(result: Any) -> None:
        for trace in result.already_imported:
            messages.info(request, f"Remittance {trace} was imported before: nothing changed.")
        for sentence in result.trace_reused:
            messages.warning(request, sentence)
        messages.success(request, f"{result.claims_posted} claims posted, {result.denials} denials queued.")
        for line in result.unmatched:
            messages.warning(request, f"Not posted: {line}")
        for line in result.held:
            messages.warning(request, f"Held for review: {line}")

    form, status, done = _import_upload(
        request, lambda content, name: do_import_835(content, acting_user=request.user, file_name=name), tell)
    if done:
        return redirect("billing-remittances")
    return render(request, "billing/remittances.html", {
        "form": form, "remittances": Remittance.objects.order_by("-id")[:100],
        "held_count": HeldPayment.objects.filter(status=HeldPaymentStatus.HELD).count(),
    }, status=status)


@requires(WORK)
def held_payments_view(request: HttpRequest) -> HttpResponse:
    """The review list of payments held back from 835 posting, oldest first."""
    show = request.GET.get("show", "held")
    held = HeldPayment.objects.select_related("claim", "claim__patient", "claim__payer", "remittance")
    if show == "held":
        held = held.filter(status=HeldPaymentStatus.HELD)
    visible = [h for h in held.order_by("created_at", "id")[:500] if access.may_open(request.user, h.claim.patient)]
    return render(request, "billing/held_payments.html", {"held_payments": visible, "show": show})


@requires(WORK)
@finds_records
def held_payment_view(request: HttpRequest, held_payment_id: int) -> HttpResponse:
    """One held payment beside the claim's payments so far; the biller posts or rejects it."""
    held = access.access_held_payment_by_id(request.user, held_payment_id)
    form = HeldPaymentForm()
    status = 200
    if request.method == "POST":
        form = HeldPaymentForm(request.POST)
        status = 400
        if form.is_valid():
            decide = do_post_held_payment if form.cleaned_data["decision"] == "post" else do_reject_held_payment
            try:
                decide(held, note=form.cleaned_data["note"], acting_user=request.user)
            except ChartdeskError as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
            else:
                done = "posted" if form.cleaned_data["decision"] == "post" else "rejected"
                messages.success(request, f"The payment of {held.paid_amount} on {held.claim.claim_number} is {done}.")
                return redirect("billing-held")
    return render(request, "billing/held_payment.html", {
        "held": held, "claim": held.claim, "form": form,
        "payments": held.claim.payments.select_related("remittance").order_by("id"),
    }, status=status)


@requires(WORK)
def rejections_view(request: HttpRequest) -> HttpResponse:
    """The 277CA work list: claims the clearinghouse or payer rejected before adjudication, the reason in
    plain English beside its codes, and the upload of the next 277CA."""
    def tell(result: Any) -> None:
        if result.already_imported:
            messages.info(request, "This 277CA was recorded before: nothing changed.")
        else:
            messages.success(request, f"{len(result.accepted)} claims accepted, {len(result.rejected)} rejected, "
                                      f"{len(result.pending)} pending.")
        for number in result.unmatched:
            messages.warning(request, f"{number}: no claim of ours has this number.")

    form, status, done = _import_upload(
        request, lambda content, name: do_import_277ca(content, acting_user=request.user, file_name=name), tell)
    if done:
        return redirect("billing-rejections")
    answers = [a for a in rejection_work_list() if a.claim and access.may_open(request.user, a.claim.patient)]
    return render(request, "billing/rejections.html", {
        "form": form, "answers": answers, "reports": ClaimStatusReport.objects.order_by("-id")[:20],
    }, status=status)


@requires(REPORTS)
def denials_view(request: HttpRequest) -> HttpResponse:
    """The denial work lists: by cause, payer and age, a page at a time, with what each cause usually needs."""
    chosen = WorkListFilter.from_query(request.GET)
    page, totals = denial_work_list(request.user, chosen, page=request.GET.get("page", 1))
    query = {key: value for key, value in (("payer", chosen.payer or ""), ("cause", chosen.cause),
                                           ("age", chosen.age), ("show", chosen.show)) if value}
    return render(request, "billing/denials.html", {
        "page": page, "denials": page.object_list, "totals": totals, "chosen": chosen, "ages": list(AGES),
        "causes": [(key, label) for key, (label, _) in CAUSES.items()], "query": urlencode(query),
        "payers": Payer.objects.order_by("name"), "can_work": request.user.has_perm(WORK),
    })


@requires(WORK)
@finds_records
def denial_view(request: HttpRequest, denial_id: int) -> HttpResponse:
    denial = access.access_denial_by_id(request.user, denial_id)
    form = DenialActionForm()
    status = 200
    if request.method == "POST":
        form = DenialActionForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                do_work_denial_action(denial, action=form.cleaned_data["action"], note=form.cleaned_data["note"],
                                      acting_user=request.user)
            except ChartdeskError as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
            else:
                denial.refresh_from_db()
                messages.success(request, f"Denial worked: {denial.get_action_display()}.")
                return redirect("billing-denial", denial_id=denial.pk)
    return render(request, "billing/denial.html", {
        "denial": denial, "claim": denial.claim, "form": form, "remarks": remark_texts(denial),
        "advice": CAUSES.get(denial.cause, CAUSES["other"])[1],
        "can_appeal_letter": denial.action == DenialAction.APPEAL,
    }, status=status)


@requires(WORK)
@finds_records
def appeal_letter_view(request: HttpRequest, denial_id: int) -> HttpResponse:
    denial = access.access_denial_by_id(request.user, denial_id)
    try:
        pdf = do_print_appeal_letter(denial, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
        return redirect("billing-denial", denial_id=denial.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="appeal-{denial.claim.claim_number}-{denial.pk}.pdf"'
    return response


@requires(REPORTS)
def aging_view(request: HttpRequest) -> HttpResponse:
    try:
        as_of = date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        as_of = timezone.localdate()
    payer_rows, payer_total = aging_by_payer(as_of)
    patient_rows, patient_total = aging_by_patient(as_of)
    # Names of patients: list only the charts this user may open (the totals still count every one).
    patient_rows = [row for row in patient_rows if access.may_open(request.user, row.patient)]
    reason_rows, reason_total = aging_by_reason(as_of)
    return render(request, "billing/aging.html", {
        "reason_rows": reason_rows, "reason_total": reason_total,
        "as_of": as_of, "buckets": BUCKETS, "payer_rows": payer_rows, "payer_total": payer_total,
        "patient_rows": patient_rows, "patient_total": patient_total,
    })


@requires(WORK)
def statements_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            batch = do_create_statement_batch(acting_user=request.user)
            messages.success(request, f"{batch.statement_count} statements in batch {batch.pk}.")
        except ChartdeskError as refusal:
            messages.error(request, refusal.message)
        return redirect("billing-statements")
    owing = [(p, b) for p, b in patients_owing() if access.may_open(request.user, p)]
    return render(request, "billing/statements.html", {
        "owing": owing, "batches": StatementBatch.objects.order_by("-id")[:50],
    })


@requires(WORK)
@finds_records
def statement_batch_pdf_view(request: HttpRequest, statement_batch_id: int) -> HttpResponse:
    batch = access.access_statement_batch_by_id(request.user, statement_batch_id)
    response = HttpResponse(statement_batch_pdf(batch), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statements-{batch.pk}.pdf"'
    return response


@requires(WORK)
def timely_filing_view(request: HttpRequest) -> HttpResponse:
    """Claims not yet with the payer whose filing deadline is near or past, and each payer's limits (billing
    set-up adds a limit from a date on)."""
    form = FilingLimitForm()
    status = 200
    if request.method == "POST":
        form = FilingLimitForm(request.POST)
        status = 400
        if not request.user.has_perm(SETUP):
            form.add_error(None, "You do not have permission to maintain billing set-up.")
        elif form.is_valid():
            data = form.cleaned_data
            try:
                do_add_filing_limit(data["payer"], days=data["days"], effective_from=data["effective_from"],
                                    note=data["note"], acting_user=request.user)
            except ChartdeskError as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
            else:
                messages.success(request, f"{data['payer'].name}: {data['days']} days for services from "
                                          f"{data['effective_from']:%m/%d/%Y}.")
                return redirect("billing-timely-filing")
    today = timezone.localdate()
    nearing = [(deadline, left) for deadline, left in claims_nearing_deadline(today)
               if access.may_open(request.user, deadline.claim.patient)]
    return render(request, "billing/timely_filing.html", {
        "nearing": nearing, "warn_days": WARN_DAYS, "form": form, "can_setup": request.user.has_perm(SETUP),
        "limits": TimelyFilingLimit.objects.select_related("payer").order_by("payer__name", "-effective_from"),
        "payers": Payer.objects.order_by("name"),
    }, status=status)
