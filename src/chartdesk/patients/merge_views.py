"""The HIM manager's merge desk: find the duplicate, compare side by side, merge with a reason;
the merge history of a chart, and undoing a merge. Thin: access functions read, actions write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound
from chartdesk.core.permissions import requires
from chartdesk.core.templatetags.desk import desk_date
from chartdesk.core.views import not_found
from chartdesk.patients.access import access_merge_event_by_id, access_merge_events_by_patient, access_patient_by_id
from chartdesk.patients.forms import MergeForm, UnmergeForm, add_action_errors
from chartdesk.patients.merge_actions import MERGE_PERMISSION, do_merge_patients, do_unmerge_patients
from chartdesk.patients.merging import record_counts
from chartdesk.patients.models import Patient, PatientStatus
from chartdesk.patients.search import search_patients
from chartdesk.patients.view_guards import opens_patient


def _contact(patient: Patient) -> dict[str, str]:
    phone = patient.phones.filter(active=True).order_by("use", "-pk").first()
    address = patient.addresses.filter(active=True).order_by("use", "-pk").first()
    return {"phone": str(phone) if phone else "", "address": str(address) if address else ""}


def _birth_date_shown(patient: Patient) -> str:
    # A record loaded incomplete from a legacy index may have no date of birth, or only part of it.
    if patient.birth_date is None:
        return f"unknown ({patient.birth_date_partial})" if patient.birth_date_partial else "unknown"
    return desk_date(patient.birth_date)


def _comparison(survivor: Patient, retired: Patient) -> dict[str, Any]:
    rows = [
        ("MRN", survivor.mrn, retired.mrn),
        ("Name", survivor.display_name, retired.display_name),
        ("Date of birth", _birth_date_shown(survivor), _birth_date_shown(retired)),
        ("Sex", survivor.get_sex_display(), retired.get_sex_display()),
        ("SSN", survivor.masked_ssn, retired.masked_ssn),
        ("Email", survivor.email, retired.email),
        ("Restriction", survivor.get_restriction_display(), retired.get_restriction_display()),
        ("Deceased", desk_date(survivor.deceased_at), desk_date(retired.deceased_at)),
    ]
    survivor_contact, retired_contact = _contact(survivor), _contact(retired)
    rows += [("Phone", survivor_contact["phone"], retired_contact["phone"]),
             ("Address", survivor_contact["address"], retired_contact["address"])]
    survivor_counts, retired_counts = dict(record_counts(survivor.pk)), dict(record_counts(retired.pk))
    counts = [(kind, survivor_counts.get(kind, 0), retired_counts.get(kind, 0))
              for kind in sorted(set(survivor_counts) | set(retired_counts))]
    return {"demographics": [(label, a, b, a != b) for label, a, b in rows], "counts": counts}


@requires(MERGE_PERMISSION)
@opens_patient(MERGE_PERMISSION)
def merge_search_view(request: HttpRequest, patient: Patient) -> HttpResponse:
    """From a chart: find the duplicate record to merge into it (the patient search, this chart left out)."""
    query = request.GET.get("q", "")[:200]
    hits = search_patients(request.user, query) if query.strip() else []
    hits = [hit for hit in hits if hit.patient.pk != patient.pk]
    context = {"patient": patient, "query": query, "hits": hits, "searched": bool(query.strip())}
    template = "patients/_merge_results.html" if request.htmx else "patients/merge_search.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@requires(MERGE_PERMISSION)
@opens_patient(MERGE_PERMISSION)
def merge_compare_view(request: HttpRequest, patient: Patient, duplicate_id: int) -> HttpResponse:
    """Side by side: this chart (the survivor) and the duplicate (retired); confirm with a reason."""
    try:
        duplicate = access_patient_by_id(request.user, duplicate_id, permission=MERGE_PERMISSION)
    except NotFound:
        return not_found(request)
    initial = {"survivor_revision": patient.revision, "retired_revision": duplicate.revision}
    form = MergeForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            patient.revision = form.cleaned_data["survivor_revision"]
            duplicate.revision = form.cleaned_data["retired_revision"]
            try:
                event = do_merge_patients(patient, duplicate, reason=form.cleaned_data["reason"],
                                          acting_user=request.user)
            except ConcurrentChange as stale:
                add_action_errors(form, {"__all__": stale.message})
                status = 409
            except NotFound:
                return not_found(request)
            except ChartdeskError as refusal:
                add_action_errors(form, {refusal.field or "__all__": refusal.message})
            else:
                moved = sum(event.moved_counts.values())
                messages.success(request, f"Merged MRN {event.retired_mrn} into MRN {event.survivor_mrn}: "
                                          f"{moved} record{'s' if moved != 1 else ''} moved.")
                return redirect("patients-merges", patient_id=patient.pk)
        patient.refresh_from_db()
        duplicate.refresh_from_db()
    context = {"patient": patient, "duplicate": duplicate, "form": form, **_comparison(patient, duplicate),
               "refused": _plain_refusal(patient, duplicate)}
    return render(request, "patients/merge_compare.html", context, status=status)


def _plain_refusal(survivor: Patient, retired: Patient) -> str:
    """Say before the form is filled in when the merge cannot happen (the action refuses it too)."""
    if survivor.pk == retired.pk:
        return "A patient cannot be merged into itself: choose the duplicate record."
    if retired.status == PatientStatus.MERGED:
        return f"MRN {retired.mrn} was already merged into another record."
    if survivor.status == PatientStatus.MERGED:
        return f"MRN {survivor.mrn} was itself merged into another record: merge into that one."
    if survivor.restriction != retired.restriction:
        return "The two charts are restricted differently: give both the same restriction first."
    return ""


@requires(MERGE_PERMISSION)
@opens_patient(MERGE_PERMISSION)
def merge_history_view(request: HttpRequest, patient: Patient) -> HttpResponse:
    """Every merge this chart took part in, with what moved and an Unmerge button."""
    context = {"patient": patient, "events": access_merge_events_by_patient(request.user, patient)}
    return render(request, "patients/merge_history.html", context)


@requires(MERGE_PERMISSION)
def unmerge_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    """Confirm undoing a merge, with a reason."""
    try:
        event = access_merge_event_by_id(request.user, merge_id)
    except NotFound:
        return not_found(request)
    form = UnmergeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                do_unmerge_patients(event, reason=form.cleaned_data["reason"], acting_user=request.user)
            except NotFound:
                return not_found(request)
            except ChartdeskError as refusal:
                add_action_errors(form, {refusal.field or "__all__": refusal.message})
            else:
                left = len(event.review)
                messages.success(request, f"Undid merge #{event.pk}: MRN {event.retired_mrn} is its own chart again."
                                 + (f" {left} record{'s' if left != 1 else ''} to review below." if left else ""))
                return redirect("patients-merges", patient_id=event.survivor_id)
    context = {"patient": event.survivor, "event": event, "form": form}
    return render(request, "patients/unmerge.html", context, status=status)

