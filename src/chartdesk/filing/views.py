"""The file-room desk: check-in by barcode, a chart's trail and loans, overdue and missing lists,
pick lists, labels and out-guides, expected visits.

Views stay thin: reads through filing.access, writes through filing.actions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.core.forms import posted_id
from chartdesk.core.listing import Column, list_page
from chartdesk.core.permissions import requires
from chartdesk.filing import access, actions, labels
from chartdesk.filing.forms import (
    BarcodeForm,
    CheckOutForm,
    ExpectedVisitForm,
    ExpectedVisitImportForm,
    FileRoomForm,
    FindByMrnForm,
    LocationForm,
    NewVolumeForm,
    NoteForm,
    PickListForm,
)
from chartdesk.filing.models import ChartStatus, FileRoom, PaperChart
from chartdesk.filing.order import FilingSystem, filing_label
from chartdesk.patients.access import access_patient_by_id
from chartdesk.patients.models import Patient
from chartdesk.patients.view_guards import opens_records

TRACK = "filing.track_charts"


# A restricted chart offers break-the-glass here as on the chart pages; anything else is a 404.
answers_not_found = opens_records


def refused(form: Any, refusal: ChartdeskError) -> int:
    form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    return 403 if isinstance(refusal, PermissionRefused) else 400


def pdf_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@requires(TRACK)
def desk_view(request: HttpRequest) -> HttpResponse:
    """The file-room desk: scan a folder to check it in; find a patient's paper charts by MRN."""
    form = BarcodeForm(request.POST or None)
    status = 200
    find = FindByMrnForm(request.GET or None, prefix="find")
    if request.method == "GET" and find.is_bound:
        if find.is_valid():
            patient_id = (Patient.objects.filter(mrn=find.cleaned_data["mrn"].strip())
                          .values_list("pk", flat=True).first())
            if patient_id is not None:
                # The patient's page goes through the access functions (restriction, audit).
                return redirect("filing-patient", patient_id=patient_id)
            find.add_error("mrn", "No patient has this MRN.")
        status = 400
    if request.method == "POST" and form.is_valid():
        try:
            movement = actions.do_check_in_chart(form.cleaned_data["barcode"], acting_user=request.user)
            messages.success(request, f"{movement.chart.barcode} {movement.get_kind_display().lower()}"
                                      + (" (returned late)" if movement.note else "") + ".")
            return redirect("filing-desk")
        except ChartdeskError as refusal:
            status = refused(form, refusal)
    elif request.method == "POST":
        status = 400
    return render(request, "filing/desk.html", {"form": form, "find": find}, status=status)


@requires(TRACK)
@answers_not_found
def chart_view(request: HttpRequest, chart_id: int) -> HttpResponse:
    """One paper volume: where it lives, who has it, its whole trail; check it out or report it missing."""
    chart = access.access_paper_chart_by_id(request.user, chart_id)
    checkout = CheckOutForm(prefix="out")
    missing = NoteForm(prefix="missing")
    status = 200
    if request.method == "POST":
        chosen = request.POST.get("action")
        try:
            if chosen == "check_out":
                checkout = CheckOutForm(request.POST, prefix="out")
                if checkout.is_valid():
                    data = checkout.cleaned_data
                    actions.do_check_out_chart(chart, borrower=data["borrower"], department=data["department"],
                                               purpose=data["purpose"], due_at=data["due_on"],
                                               acting_user=request.user)
                    messages.success(request, "Checked out. Print the out-guide for the shelf.")
                    return redirect("filing-chart", chart_id=chart.pk)
                status = 400
            elif chosen in ("missing", "search"):
                missing = NoteForm(request.POST, prefix="missing")
                if missing.is_valid():
                    act = actions.do_report_chart_missing if chosen == "missing" else actions.do_record_chart_search
                    act(chart, note=missing.cleaned_data["note"], acting_user=request.user)
                    return redirect("filing-chart", chart_id=chart.pk)
                status = 400
            else:
                status = 400
        except ChartdeskError as refusal:
            status = refused(checkout if chosen == "check_out" else missing, refusal)
    return render(request, "filing/chart.html", {
        "chart": chart, "trail": access.chart_trail(chart), "checkout_form": checkout, "missing_form": missing,
        "filed_as": filing_label(chart.file_room.filing_system, chart.patient.mrn),
        "now": timezone.now(),
    }, status=status)


@requires(TRACK)
@answers_not_found
def out_guide_view(request: HttpRequest, chart_id: int) -> HttpResponse:
    """The out-guide slip of a chart that is out (PDF)."""
    chart = access.access_paper_chart_by_id(request.user, chart_id)
    if chart.status != ChartStatus.CHECKED_OUT or chart.current_checkout is None:
        raise NotFound("out-guide")
    return pdf_response(labels.out_guide_pdf(chart, chart.current_checkout), f"out-guide-{chart.barcode}.pdf")


@requires(TRACK)
@answers_not_found
def chart_label_view(request: HttpRequest, chart_id: int) -> HttpResponse:
    """The folder label of one volume (PDF label sheet)."""
    chart = access.access_paper_chart_by_id(request.user, chart_id)
    return pdf_response(labels.label_sheet_pdf([chart]), f"label-{chart.barcode}.pdf")


@requires(TRACK, "patients.view_chart")
@answers_not_found
def patient_charts_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient's paper volumes, a new volume, and their expected visits."""
    patient = access_patient_by_id(request.user, patient_id)
    volume_form = NewVolumeForm(prefix="volume")
    visit_form = ExpectedVisitForm(prefix="visit")
    status = 200
    if request.method == "POST":
        chosen = request.POST.get("action")
        form: Any = volume_form
        try:
            if chosen == "volume":
                form = volume_form = NewVolumeForm(request.POST, prefix="volume")
                if form.is_valid():
                    chart = actions.do_create_paper_chart(patient, file_room=form.cleaned_data["file_room"],
                                                          acting_user=request.user)
                    return redirect("filing-chart", chart_id=chart.pk)
            elif chosen == "visit":
                form = visit_form = ExpectedVisitForm(request.POST, prefix="visit")
                if form.is_valid():
                    actions.do_add_expected_visit(patient, acting_user=request.user, **form.cleaned_data)
                    messages.success(request, "Expected visit added; the chart will be on that day's pick list.")
                    return redirect("filing-patient", patient_id=patient.pk)
            status = 400
        except ChartdeskError as refusal:
            status = refused(form, refusal)
    charts = list(PaperChart.objects.filter(patient=patient).select_related("file_room", "home_location"))
    return render(request, "filing/patient.html", {"patient": patient, "charts": charts, "volume_form": volume_form,
                                                   "visit_form": visit_form}, status=status)


# The overdue list is read whole by the access function (restriction and audit per list), then ordered
# and paged in Python: it holds the charts out past their due date, tens, not the whole file room.
OVERDUE_COLUMNS = (
    Column("due", "Due", ("current_checkout__due_at",)),
    Column("chart", "Chart", ("barcode",)),
    Column("patient", "Patient", ("patient__family_name", "patient__given_name")),
    Column("borrower", "With", ("current_checkout__borrower",)),
    Column("purpose", "Purpose", ("current_checkout__purpose",)),
)


@requires(TRACK)
def overdue_view(request: HttpRequest) -> HttpResponse:
    """Charts out past their due date, most overdue first."""
    listing = list_page(request, access.access_overdue_charts(request.user), OVERDUE_COLUMNS, default_sort="due")
    return render(request, "filing/overdue.html", {"listing": listing, "now": timezone.now()})


@requires(TRACK)
def missing_view(request: HttpRequest) -> HttpResponse:
    """Charts reported missing, in filing order."""
    return render(request, "filing/missing.html", {"charts": access.access_missing_charts(request.user)})


@requires(TRACK)
def pick_list_view(request: HttpRequest) -> HttpResponse:
    """The charts to pull for a day's expected visits (tomorrow unless chosen), by clinic then time;
    printable as a PDF (format=pdf), labels in filing order (labels=1)."""
    form = PickListForm(request.GET or {"day": timezone.localdate() + timedelta(days=1)})
    day = form.cleaned_data["day"] if form.is_valid() else timezone.localdate() + timedelta(days=1)
    picks = access.access_pick_list(request.user, day)
    if request.GET.get("labels") == "1":
        return pdf_response(labels.label_sheet_pdf([line.chart for line in picks.to_pull]), f"labels-{day}.pdf")
    if request.GET.get("format") == "pdf":
        return pdf_response(labels.pick_list_pdf(picks), f"pick-list-{day}.pdf")
    return render(request, "filing/pick_list.html", {"form": form, "picks": picks}, status=200 if form.is_valid()
                  else 400)


@requires(TRACK)
def expected_visits_import_view(request: HttpRequest) -> HttpResponse:
    """Import the scheduling system's expected visits (CSV), all lines or none."""
    form = ExpectedVisitImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8-sig")
                count = actions.do_import_expected_visits(text, acting_user=request.user)
                messages.success(request, f"Imported {count} expected visits.")
                return redirect("filing-pick-list")
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text; save it as CSV (UTF-8).")
            except ChartdeskError as refusal:
                status = refused(form, refusal)
    return render(request, "filing/import_visits.html", {"form": form}, status=status)


@requires(actions.MANAGE_FILE_ROOMS)
def file_rooms_view(request: HttpRequest) -> HttpResponse:
    """File rooms with their filing system and locations; add a room or a location, change a system."""
    room_form = FileRoomForm(prefix="room")
    location_form = LocationForm(prefix="location")
    status = 200
    if request.method == "POST":
        chosen = request.POST.get("action")
        form: Any = room_form
        try:
            if chosen == "room":
                form = room_form = FileRoomForm(request.POST, prefix="room")
                if form.is_valid():
                    actions.do_create_file_room(acting_user=request.user, **form.cleaned_data)
                    return redirect("filing-rooms")
            elif chosen == "location":
                form = location_form = LocationForm(request.POST, prefix="location")
                if form.is_valid():
                    data = form.cleaned_data
                    actions.do_add_storage_location(data["file_room"], kind=data["kind"], code=data["code"],
                                                    description=data["description"], acting_user=request.user)
                    return redirect("filing-rooms")
            elif chosen == "system":
                room = FileRoom.objects.filter(pk=posted_id(request, "room")).first()
                if room is not None:
                    actions.do_change_filing_system(room, filing_system=request.POST.get("filing_system", ""),
                                                    acting_user=request.user)
                    return redirect("filing-rooms")
            status = 400
        except (ChartdeskError, ValueError) as refusal:
            status = refused(form, refusal) if isinstance(refusal, ChartdeskError) else 400
    rooms = FileRoom.objects.prefetch_related("locations")
    return render(request, "filing/rooms.html", {"rooms": rooms, "room_form": room_form,
                                                 "location_form": location_form, "systems": FilingSystem.choices},
                  status=status)


@requires("filing.scan_documents")
def separator_sheet_view(request: HttpRequest) -> HttpResponse:
    """The barcode separator sheet to print and place before each document of a batch."""
    return pdf_response(labels.separator_sheet_pdf(), "separator-sheet.pdf")

