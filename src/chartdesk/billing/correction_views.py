"""Correcting what a claim was built from: one charge line (code, modifiers, units, charge, pointers,
rendering provider) and the coverage (member ID, payer) as the encounter form and the insurance card show
them. Thin views over actions.do_adjust_charge and coverage_actions.do_correct_coverage; the claim not yet
sent follows and is scrubbed again."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chartdesk.billing import access, actions
from chartdesk.billing.coverage_actions import do_correct_coverage
from chartdesk.billing.forms import ChargeForm, CoverageCorrectionForm
from chartdesk.billing.views import WORK, finds_records
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import requires
from chartdesk.core.refusals import add_refusal


@requires(WORK)
@finds_records
def charge_view(request: HttpRequest, charge_id: int) -> HttpResponse:
    charge = access.access_charge_by_id(request.user, charge_id)
    form = ChargeForm(request.POST or None, initial={
        "code": charge.code, "modifiers": " ".join(charge.modifiers), "units": charge.units, "amount": charge.amount,
        "pointers": " ".join(str(pointer) for pointer in charge.diagnosis_pointers),
        "service_date": charge.service_date, "rendering_provider": charge.rendering_provider,
        "place_of_service": charge.place_of_service_id,
    })
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entry = actions.ChargeInput(
            code=data["code"], modifiers=tuple(data["modifiers"].split()), units=data["units"], amount=data["amount"],
            diagnosis_pointers=data["pointers"], service_date=data["service_date"],
            rendering_provider=data["rendering_provider"], place_of_service=data["place_of_service"].code,
        )
        try:
            replacement = actions.do_adjust_charge(charge, entry, acting_user=request.user)
        except ChartdeskError as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Charge {replacement.code} corrected: {replacement.amount}.")
            return redirect("billing-encounter-charges", encounter_id=charge.encounter_id)
    return render(request, "billing/charge.html", {
        "charge": charge, "patient": charge.patient, "encounter": charge.encounter, "form": form,
        "diagnoses": actions.encounter_diagnoses(charge.encounter),
    }, status=400 if request.method == "POST" else 200)


@requires(WORK)
@finds_records
def coverage_view(request: HttpRequest, coverage_id: int) -> HttpResponse:
    coverage = access.access_coverage_by_id(request.user, coverage_id)
    form = CoverageCorrectionForm(request.POST or None, initial={
        "payer": coverage.payer, "member_id": coverage.member_id, "group_number": coverage.group_number})
    if request.method == "POST" and form.is_valid():
        try:
            do_correct_coverage(coverage, acting_user=request.user, **form.cleaned_data)
        except ChartdeskError as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, "Coverage corrected; its claims not yet sent were scrubbed again.")
            return redirect("billing-account", patient_id=coverage.patient_id)
    return render(request, "billing/coverage.html", {
        "coverage": coverage, "patient": coverage.patient, "form": form,
        "claims": coverage.claims.order_by("-id"),
    }, status=400 if request.method == "POST" else 200)
