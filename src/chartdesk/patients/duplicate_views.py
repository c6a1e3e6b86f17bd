"""The HIM manager's duplicate work list: pairs the whole-index scan found, likeliest first; one pair
side by side with the evidence per field, both charts' encounters and documents, and the three
decisions. Thin: `patients.duplicates` reads (access_*) and writes (do_*)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound
from chartdesk.core.permissions import requires
from chartdesk.core.views import not_found
from chartdesk.patients.chart_records import recent_records
from chartdesk.patients.duplicates import (
    access_duplicate_pair,
    access_duplicate_work_list,
    do_mark_needs_research,
    do_mark_not_duplicate,
    do_merge_duplicate,
    merge_users,
)
from chartdesk.patients.forms import DuplicateMergeForm, NeedsResearchForm, NotDuplicateForm, add_action_errors
from chartdesk.patients.merge_actions import MERGE_PERMISSION
from chartdesk.patients.merge_views import _comparison
from chartdesk.patients.models import DuplicateCandidate, DuplicateStatus, Patient

LIST_STATUSES = (DuplicateStatus.OPEN, DuplicateStatus.RESEARCH, DuplicateStatus.NOT_DUPLICATE,
                 DuplicateStatus.MERGED)
RECENT = 10  # encounters and documents shown per chart


@requires(MERGE_PERMISSION)
def work_list_view(request: HttpRequest) -> HttpResponse:
    """Pairs by probability; a tab per status (to review, needs research, decided)."""
    status = request.GET.get("status", DuplicateStatus.OPEN)
    if status not in LIST_STATUSES:
        status = DuplicateStatus.OPEN
    pairs, total = access_duplicate_work_list(request.user, status=status)
    tabs = [(value, DuplicateStatus(value).label) for value in LIST_STATUSES]
    return render(request, "patients/duplicates.html",
                  {"pairs": pairs, "total": total, "status": status, "tabs": tabs})


def _chart_summary(patient: Patient) -> dict[str, Any]:
    return {"patient": patient, "encounters": [], "documents": [], **recent_records(patient, RECENT)}


def _forms(request: HttpRequest, pair: DuplicateCandidate) -> dict[str, Any]:
    decision = request.POST.get("decision") if request.method == "POST" else None
    charts = [(p.pk, f"MRN {p.mrn} ({p.display_name})") for p in (pair.patient_low, pair.patient_high)]
    people = [(user.pk, user.get_full_name() or user.username) for user in merge_users()]
    return {
        "merge_form": DuplicateMergeForm(request.POST if decision == "merge" else None, choices=charts,
                                         prefix="merge"),
        "not_duplicate_form": NotDuplicateForm(request.POST if decision == "not_duplicate" else None,
                                               prefix="not"),
        "research_form": NeedsResearchForm(request.POST if decision == "research" else None, choices=people,
                                           prefix="research"),
        "decision": decision,
    }


def _decide(request: HttpRequest, pair: DuplicateCandidate, forms: dict[str, Any]) -> str:
    """Run the chosen decision; a message to show on success, "" when the form has errors."""
    decision = forms["decision"]
    if decision == "merge":
        form = forms["merge_form"]
        if not form.is_valid():
            return ""
        event = do_merge_duplicate(pair, survivor_id=form.cleaned_data["survivor"],
                                   reason=form.cleaned_data["reason"], acting_user=request.user)
        return f"Merged MRN {event.retired_mrn} into MRN {event.survivor_mrn} (it can be undone from its history)."
    if decision == "not_duplicate":
        form = forms["not_duplicate_form"]
        if not form.is_valid():
            return ""
        do_mark_not_duplicate(pair, note=form.cleaned_data["note"], acting_user=request.user)
        return "Marked not a duplicate: the pair is not offered again unless one of the charts changes."
    form = forms["research_form"]
    if not form.is_valid():
        return ""
    from django.contrib.auth import get_user_model

    assignee = get_user_model().objects.filter(pk=form.cleaned_data["assigned_to"]).first()
    do_mark_needs_research(pair, assigned_to=assignee, note=form.cleaned_data["note"], acting_user=request.user)
    return f"Assigned for research to {assignee.get_full_name() or assignee.username}."  # type: ignore[union-attr]


@requires(MERGE_PERMISSION)
def pair_view(request: HttpRequest, pair_id: int) -> HttpResponse:
    """One pair side by side: the evidence per field, both charts' encounters and documents, the decisions."""
    try:
        pair = access_duplicate_pair(request.user, pair_id)
    except NotFound:
        return not_found(request)
    forms = _forms(request, pair)
    status = 200
    if request.method == "POST":
        status = 400
        if forms["decision"] not in ("merge", "not_duplicate", "research"):
            messages.error(request, "Choose a decision: merge, not a duplicate, or needs research.")
        else:
            form_name = {"merge": "merge_form", "not_duplicate": "not_duplicate_form",
                         "research": "research_form"}[forms["decision"]]
            try:
                done = _decide(request, pair, forms)
            except NotFound:
                return not_found(request)
            except ConcurrentChange as stale:
                add_action_errors(forms[form_name], {"__all__": stale.message})
                status = 409
            except ChartdeskError as refusal:
                add_action_errors(forms[form_name], {refusal.field or "__all__": refusal.message})
            else:
                if done:
                    messages.success(request, done)
                    return redirect("patients-duplicates")
        pair.refresh_from_db()
    context = {
        "pair": pair, **forms, **_comparison(pair.patient_low, pair.patient_high),
        "charts": [_chart_summary(pair.patient_low), _chart_summary(pair.patient_high)],
        "decidable": pair.status in (DuplicateStatus.OPEN, DuplicateStatus.RESEARCH),
    }
    return render(request, "patients/duplicate_pair.html", context, status=status)

