"""HIM manager's retention pages: records due for destruction, destruction with its certificate,
legal holds. Writes go through filing.retention."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from chartdesk.core.errors import ChartdeskError
from chartdesk.core.forms import whole_number
from chartdesk.core.permissions import requires
from chartdesk.filing import retention
from chartdesk.filing.forms import DestructionForm, HoldForm, RejectForm
from chartdesk.filing.models import DestructionCertificate, LegalHold
from chartdesk.filing.record_access import (
    access_destruction_certificate_by_id,
    access_legal_hold_by_id,
    visible_records,
)
from chartdesk.filing.views import answers_not_found, refused
from chartdesk.patients.access import restriction_allows
from chartdesk.patients.models import Patient

MANAGE = "filing.manage_retention"


def _as_of(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return timezone.localdate()


@requires(MANAGE)
def retention_view(request: HttpRequest) -> HttpResponse:
    """Records due for destruction by a date (today unless chosen); destroy the chosen ones."""
    as_of = _as_of(request)
    form = DestructionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        chosen_ids = [key for key in map(whole_number, request.POST.getlist("patient")) if key is not None]
        patients = [p for p in Patient.objects.filter(pk__in=chosen_ids) if restriction_allows(request.user, p)]
        if form.is_valid():
            try:
                certificate = retention.do_destroy_records(
                    patients, method=form.cleaned_data["method"], witness=form.cleaned_data["witness"],
                    note=form.cleaned_data["note"], acting_user=request.user, as_of=timezone.localdate())
                return redirect("filing-certificate", certificate_id=certificate.pk)
            except ChartdeskError as refusal:
                status = refused(form, refusal)
    due = retention.access_due_for_destruction(request.user, as_of)
    holds = visible_records(request.user, LegalHold.objects.filter(released_at__isnull=True))
    certificates = visible_records(request.user, DestructionCertificate.objects.all()[:20])
    return render(request, "filing/retention.html", {"due": due, "as_of": as_of, "form": form, "holds": holds,
                                                     "certificates": certificates, "today": timezone.localdate()},
                  status=status)


@requires(MANAGE)
def hold_new_view(request: HttpRequest) -> HttpResponse:
    """Place a legal hold for a matter on the patients named by MRN."""
    form = HoldForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            lines = [line.strip() for line in form.cleaned_data["mrns"].splitlines() if line.strip()]
            patients = []
            for number, line in enumerate(lines, start=1):
                digits = "".join(char for char in line if char in "0123456789")
                patient = Patient.objects.filter(mrn=digits).first()
                if patient is None or not restriction_allows(request.user, patient):
                    form.add_error("mrns", f"Line {number}: no patient has the MRN {line}.")
                    break
                patients.append(patient)
            else:
                try:
                    retention.do_place_legal_hold(matter=form.cleaned_data["matter"], patients=patients,
                                                  reason=form.cleaned_data["reason"], acting_user=request.user)
                    messages.success(request, "Legal hold placed.")
                    return redirect("filing-retention")
                except ChartdeskError as refusal:
                    status = refused(form, refusal)
    return render(request, "filing/hold_form.html", {"form": form}, status=status)


@requires(MANAGE)
@answers_not_found
def hold_release_view(request: HttpRequest, hold_id: int) -> HttpResponse:
    """Release a hold whose matter ended, with the reason."""
    hold = access_legal_hold_by_id(request.user, hold_id)
    form = RejectForm(request.POST or None, prefix="release")
    form.fields["reason"].label = "Why the hold ends"
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                retention.do_release_legal_hold(hold, reason=form.cleaned_data["reason"], acting_user=request.user)
                return redirect("filing-retention")
            except ChartdeskError as refusal:
                status = refused(form, refusal)
    held = [entry.patient for entry in hold.held.select_related("patient")]
    return render(request, "filing/hold.html", {"hold": hold, "held": held, "form": form}, status=status)


@requires(MANAGE)
@answers_not_found
def certificate_view(request: HttpRequest, certificate_id: int) -> HttpResponse:
    """A destruction certificate: what, when, how, by whom, witnessed by whom."""
    certificate = access_destruction_certificate_by_id(request.user, certificate_id)
    records = list(certificate.records.select_related("patient"))
    return render(request, "filing/certificate.html", {"certificate": certificate, "records": records})
