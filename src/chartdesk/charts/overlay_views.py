"""The HIM manager's overlay list and one chart's case: the conflicting encounters side by side,
the three decisions, and the undo of a move. Thin: charts.overlay_actions reads and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chartdesk.charts.models import Encounter, EncounterMove, OverlayCase, OverlayStatus
from chartdesk.charts.overlay_actions import (
    access_overlay_case,
    case_moves,
    do_confirm_overlay,
    do_mark_not_overlay,
    do_mark_overlay_research,
    do_undo_overlay_move,
    overlay_cases_open_to,
    overlay_users,
    record_overlay_list_view,
    start_overlay_scan,
)
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import requires
from chartdesk.core.refusals import add_refusal
from chartdesk.core.views import not_found
from chartdesk.patients.merge_actions import MERGE_PERMISSION
from chartdesk.patients.models import Patient, PatientStatus

COLUMNS = (
    Column("mrn", "MRN", ("patient__mrn",)),
    Column("patient", "Patient", ("patient__family_name", "patient__given_name")),
    Column("strength", "Evidence (bits)", ("strength",), numeric=True),
    Column("found", "Found", ("found_at",)),
)


class NotOverlayForm(forms.Form):
    note = forms.CharField(label="Why it is one person", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": "Note: say why (what was checked)."})


class ResearchForm(forms.Form):
    assigned_to = forms.TypedChoiceField(label="Assign to", coerce=int,
                                         error_messages={"required": "Assign to: choose who researches it."})
    note = forms.CharField(label="What to find out", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": "Note: say what to find out."})

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", "Choose…"), *choices]  # type: ignore[attr-defined]


class ConfirmForm(forms.Form):
    encounters = forms.TypedMultipleChoiceField(
        label="Encounters that belong to someone else", coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Encounters: choose the ones that belong to someone else."})
    target_mrn = forms.CharField(
        label="Move them to MRN", max_length=20, required=False,
        help_text="The other person's chart; leave empty to register them from what these encounters stated.")
    reason = forms.CharField(label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Reason: say why these encounters belong to someone else."})

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["encounters"].choices = choices  # type: ignore[attr-defined]

    def clean_target_mrn(self) -> Patient | None:
        mrn = self.cleaned_data["target_mrn"].strip()
        if not mrn:
            return None
        target = Patient.objects.filter(mrn=mrn, status=PatientStatus.ACTIVE).first()
        if target is None:
            raise forms.ValidationError(f"Move them to MRN: no active chart has MRN {mrn}.")
        return target


class UndoForm(forms.Form):
    move = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why undo this move", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Reason: say why the move is undone."})


@requires(MERGE_PERMISSION)
def overlay_list_view(request: HttpRequest) -> HttpResponse:
    """Charts that may hold two people, strongest evidence first; a tab per status."""
    status = request.GET.get("status", OverlayStatus.OPEN)
    if status not in OverlayStatus.values:
        status = OverlayStatus.OPEN
    try:
        cases = overlay_cases_open_to(request.user, status=status)
    except NotFound:
        return not_found(request)
    listing = list_page(request, cases, COLUMNS, default_sort="-strength")
    record_overlay_list_view(request.user, listing.rows, status=status, total=listing.page.paginator.count)
    return render(request, "charts/overlays.html", {"listing": listing, "cases": listing.rows, "status": status,
                                                    "tabs": OverlayStatus.choices})


@requires(MERGE_PERMISSION)
@require_POST
def overlay_scan_view(request: HttpRequest) -> HttpResponse:
    """Start the overlay scan as a background job; its progress is on the jobs page."""
    job = start_overlay_scan(acting_user=request.user)
    messages.success(request, f"The overlay scan is queued (job {job.pk}); the jobs page shows its progress.")
    return redirect("charts-overlays")


def _forms(request: HttpRequest, case: OverlayCase) -> dict[str, Any]:
    decision = request.POST.get("decision") if request.method == "POST" else None
    encounters = Encounter.objects.filter(patient=case.patient).order_by("admit_at", "pk")
    choices = [(e.pk, f"Visit {e.account_number} ({e.get_encounter_class_display().lower()})") for e in encounters]
    people = [(user.pk, user.get_full_name() or user.username) for user in overlay_users()]

    def bound(name: str) -> Any:
        return request.POST if decision == name else None

    return {"decision": decision,
            "confirm_form": ConfirmForm(bound("confirm"), choices=choices, prefix="confirm"),
            "not_overlay_form": NotOverlayForm(bound("not_overlay"), prefix="not"),
            "research_form": ResearchForm(bound("research"), choices=people, prefix="research"),
            "undo_form": UndoForm(bound("undo"), prefix="undo")}


def _decide(request: HttpRequest, case: OverlayCase, form: Any, decision: str) -> str:
    data = form.cleaned_data
    if decision == "confirm":
        move = do_confirm_overlay(case, encounter_ids=data["encounters"], target=data["target_mrn"],
                                  reason=data["reason"], acting_user=request.user)
        return (f"Confirmed: {len(move.encounter_ids)} encounter(s) moved to MRN {move.to_patient.mrn} "
                f"(it can be undone from this page).")
    if decision == "not_overlay":
        do_mark_not_overlay(case, note=data["note"], acting_user=request.user)
        return "Marked not an overlay: offered again only if a new encounter brings a new conflict."
    if decision == "research":
        assignee = get_user_model().objects.filter(pk=data["assigned_to"]).first()
        do_mark_overlay_research(case, assigned_to=assignee, note=data["note"], acting_user=request.user)
        return "Assigned for research."
    made = EncounterMove.objects.filter(pk=data["move"], overlay=case).first()
    if made is None:
        raise NotFound("encounter move")
    do_undo_overlay_move(made, reason=data["reason"], acting_user=request.user)
    return "The move is undone: the encounters are back on this chart, which is to review again."


@requires(MERGE_PERMISSION)
def overlay_case_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """One chart's conflicts side by side, its encounters, the decisions and the moves made."""
    try:
        case = access_overlay_case(request.user, case_id)
    except NotFound:
        return not_found(request)
    forms_ = _forms(request, case)
    status = 200
    decision = forms_["decision"]
    if request.method == "POST":
        status = 400
        form = forms_.get(f"{decision}_form")
        if form is None:
            messages.error(request, "Choose a decision: confirmed overlay, not an overlay, or needs research.")
        elif form.is_valid():
            try:
                done = _decide(request, case, form, str(decision))
            except NotFound:
                return not_found(request)
            except ChartdeskError as refusal:
                add_refusal(form, refusal)
            else:
                messages.success(request, done)
                return redirect("charts-overlay-case", case_id=case.pk)
        case.refresh_from_db()
    encounters = Encounter.objects.filter(patient=case.patient).order_by("admit_at", "pk")
    context = {"case": case, **forms_, "encounters": encounters, "moves": case_moves(case),
               "decidable": case.status in (OverlayStatus.OPEN, OverlayStatus.RESEARCH)}
    return render(request, "charts/overlay_case.html", context, status=status)
