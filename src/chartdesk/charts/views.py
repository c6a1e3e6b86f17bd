"""The chart: banner, encounter timeline, document list; new encounters, notes and uploads.

Views stay thin: reads go through charts.access / patients.access, writes through charts.actions.
A restricted chart sends users who may break the glass to that page and answers 404 to everyone
else; a missing record answers the same 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chartdesk.charts import access, actions
from chartdesk.charts.files import human_size
from chartdesk.charts.forms import (
    CareTeamForm,
    DischargeForm,
    DocumentFilterForm,
    EncounterForm,
    NoteForm,
    UploadForm,
)
from chartdesk.charts.models import Document, EncounterClass, EncounterStatus
from chartdesk.charts.stated import do_open_desk_encounter
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.forms import whole_number
from chartdesk.core.permissions import requires
from chartdesk.core.refusals import add_refusal, form_status
from chartdesk.patients.access import access_patient_by_id
from chartdesk.patients.models import Patient
from chartdesk.patients.view_guards import opens_records, refuse_retired_chart

DOCUMENTS_PER_PAGE = 50
SORTS = {
    "service_date": ("service_date", "id"),
    "type": ("document_type", "-service_date"),
    "title": ("title", "-service_date"),
    "status": ("status", "-service_date"),
    "author": ("author__family_name", "-service_date"),
}
SORT_LABELS = (("service_date", "Service date"), ("type", "Type"), ("title", "Title"), ("author", "Author"),
               ("status", "Status"))





# ----------------------------------------------------------------------------- the chart


def _sort_headers(query: QueryDict, current: str) -> list[dict[str, str]]:
    headers = []
    for key, label in SORT_LABELS:
        descending = current == f"-{key}"
        ascending = current == key
        params = query.copy()
        params.pop("page", None)
        params["sort"] = key if descending or not ascending else f"-{key}"
        headers.append({
            "label": label,
            "href": "?" + params.urlencode(),
            "aria_sort": "ascending" if ascending else "descending" if descending else "",
        })
    return headers


def _documents_table(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    show_retracted = access.may_see_retracted(request.user)
    filters = DocumentFilterForm(request.GET or None, patient=patient, show_retracted=show_retracted)
    chosen: dict[str, Any] = {}
    if filters.is_bound:
        filters.is_valid()  # invalid fields are reported and left out; the valid ones still apply
        chosen = {name: value for name, value in filters.cleaned_data.items() if value not in (None, "")}
    documents = access.documents_in_chart(request.user, patient, **chosen)
    sort = request.GET.get("sort", "-service_date")
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = "-service_date", "service_date"
    primary, tie_break = SORTS[key]
    documents = documents.order_by(f"-{primary}" if sort.startswith("-") else primary, tie_break)
    page = Paginator(documents, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    page_query = request.GET.copy()
    page_query.pop("page", None)
    return {
        "filters": filters,
        "page": page,
        "headers": _sort_headers(request.GET, sort),
        "page_query": page_query.urlencode(),
        "filtered": bool(chosen),
    }


@requires("patients.view_chart")
@opens_records
def chart_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The chart: banner, encounters newest first, and the documents with filters."""
    patient = access_patient_by_id(request.user, patient_id)
    encounters = list(patient.encounters.prefetch_related("care_team__provider").order_by("-admit_at"))
    context: dict[str, Any] = {"patient": patient, "encounters": encounters}
    if request.user.has_perm("charts.view_documents"):
        context.update(_documents_table(request, patient))
    return render(request, "charts/chart.html", context)


# ----------------------------------------------------------------------------- encounters


@requires("charts.open_encounter")
@opens_records
def encounter_new_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient_by_id(request.user, patient_id)
    if retired := refuse_retired_chart(request, patient, actions.PATIENT_MERGED):
        return retired
    form = EncounterForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            encounter = do_open_desk_encounter(
                patient,
                encounter_class=data["encounter_class"],
                admit_at=data["admit_at"],
                acting_user=request.user,
                attending=data["attending"],
                service=data["service"],
                location=data["location"],
                reason=data["reason"],
            )
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Opened {encounter}.")
            return redirect("charts-encounter", encounter_id=encounter.pk)
    return render(request, "charts/encounter_form.html", {"patient": patient, "form": form},
                  status=form_status(form, refused))


def _encounter_page(request: HttpRequest, encounter: Any, **forms: Any) -> dict[str, Any]:
    user = request.user
    can_manage = user.has_perm("charts.open_encounter")
    open_stay = encounter.status == EncounterStatus.IN_PROGRESS
    context: dict[str, Any] = {
        "patient": encounter.patient,
        "encounter": encounter,
        "care_team": list(encounter.care_team.select_related("provider")),
        "reported_diagnoses": list(encounter.reported_diagnoses.all()),
        "can_discharge": can_manage and open_stay and encounter.encounter_class != EncounterClass.OUTPATIENT,
        "can_finish": can_manage and open_stay and encounter.encounter_class == EncounterClass.OUTPATIENT,
        "can_manage": can_manage,
        "discharge_form": forms.get("discharge_form") or DischargeForm(),
        "care_team_form": forms.get("care_team_form") or CareTeamForm(),
    }
    if user.has_perm("charts.view_documents"):
        context["documents"] = list(access.documents_in_chart(user, encounter.patient, encounter=encounter))
    return context


@requires("patients.view_chart")
@opens_records
def encounter_view(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """One encounter: dates, care team, its documents, and (for registrars) discharge."""
    encounter = access.access_encounter_by_id(request.user, encounter_id)
    return render(request, "charts/encounter.html", _encounter_page(request, encounter))


@requires("charts.open_encounter")
@require_POST
@opens_records
def encounter_discharge_view(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = access.access_encounter_by_id(request.user, encounter_id)
    form = DischargeForm(request.POST)
    refused = None
    if form.is_valid():
        try:
            actions.do_discharge_encounter(
                encounter, discharge_at=form.cleaned_data["discharge_at"],
                disposition=form.cleaned_data["disposition"], acting_user=request.user,
            )
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Discharged {encounter}.")
            return redirect("charts-encounter", encounter_id=encounter.pk)
    context = _encounter_page(request, encounter, discharge_form=form)
    return render(request, "charts/encounter.html", context, status=form_status(form, refused))


@requires("charts.open_encounter")
@require_POST
@opens_records
def encounter_finish_view(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = access.access_encounter_by_id(request.user, encounter_id)
    try:
        actions.do_finish_encounter(encounter, acting_user=request.user)
    except ChartdeskError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"Finished {encounter}.")
    return redirect("charts-encounter", encounter_id=encounter.pk)


@requires("charts.open_encounter")
@require_POST
@opens_records
def encounter_care_team_view(request: HttpRequest, encounter_id: int) -> HttpResponse:
    encounter = access.access_encounter_by_id(request.user, encounter_id)
    form = CareTeamForm(request.POST)
    refused = None
    if form.is_valid():
        try:
            member = actions.do_add_care_team_member(
                encounter, form.cleaned_data["provider"], form.cleaned_data["role"], acting_user=request.user
            )
        except ChartdeskError as refusal:
            refused = refusal
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Added {member.provider} as {member.get_role_display().lower()}.")
            return redirect("charts-encounter", encounter_id=encounter.pk)
    context = _encounter_page(request, encounter, care_team_form=form)
    return render(request, "charts/encounter.html", context, status=form_status(form, refused))


# ----------------------------------------------------------------------------- new documents


def _initial_document_fields(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    encounter_id = whole_number(request.GET.get("encounter"))
    if encounter_id is not None and patient.encounters.filter(pk=encounter_id).exists():
        initial["encounter"] = encounter_id
    provider = actions.provider_of(request.user)
    if provider is not None:
        initial["author"] = provider.pk
    return initial


def _file_document_from_form(
    request: HttpRequest, form: Any, file_it: Callable[..., Document], message: str
) -> tuple[HttpResponse | None, ChartdeskError | None]:
    """Create a document from a valid note or upload form: a redirect to it, or the refusal shown on the form."""
    if request.method != "POST" or not form.is_valid():
        return None, None
    data = form.cleaned_data
    try:
        document = file_it(
            document_type=data["document_type"], title=data["title"], service_date=data["service_date"],
            acting_user=request.user, encounter=data["encounter"], author=data["author"],
        )
    except ChartdeskError as refusal:
        add_refusal(form, refusal)
        return None, refusal
    messages.success(request, message.format(title=document.title))
    return redirect("charts-document", document_id=document.pk), None


@requires("charts.write_note")
@opens_records
def note_new_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient_by_id(request.user, patient_id)
    if retired := refuse_retired_chart(request, patient, actions.PATIENT_MERGED):
        return retired
    form = NoteForm(request.POST or None, patient=patient, initial=_initial_document_fields(request, patient))
    text = form.cleaned_data.get("text", "") if form.is_bound and form.is_valid() else ""
    done, refused = _file_document_from_form(
        request, form, partial(actions.do_create_note, patient, text=text), "Saved the note as a draft."
    )
    return done or render(request, "charts/note_form.html", {"patient": patient, "form": form},
                          status=form_status(form, refused))


@requires("charts.upload_document")
@opens_records
def upload_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = access_patient_by_id(request.user, patient_id)
    if retired := refuse_retired_chart(request, patient, actions.PATIENT_MERGED):
        return retired
    form = UploadForm(request.POST or None, request.FILES or None, patient=patient,
                      initial=_initial_document_fields(request, patient))
    upload = form.cleaned_data.get("upload") if form.is_bound and form.is_valid() else None
    done, refused = _file_document_from_form(
        request, form, partial(actions.do_upload_document, patient, upload=upload), "Filed {title} in the chart."
    )
    if done:
        return done
    context = {"patient": patient, "form": form, "max_upload": human_size(settings.MAX_UPLOAD_BYTES)}
    return render(request, "charts/upload_form.html", context, status=form_status(form, refused))
