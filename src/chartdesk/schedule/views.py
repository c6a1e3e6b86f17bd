"""The front-office desk: the day sheet, one appointment (check-in to check-out, move, cancel), a
provider's day and week calendar (arrow keys move between slots, Enter books), booking, and the
next-free-slot search.

Views stay thin: reads through schedule.access, writes through the schedule actions.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from chartdesk.billing.inquiries.eligibility import latest_for_patient
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.core.permissions import requires
from chartdesk.patients.access import access_patient_by_id
from chartdesk.patients.models import Patient
from chartdesk.patients.view_guards import opens_records
from chartdesk.schedule import access, actions, day_sheet
from chartdesk.schedule.forms import BookForm, CheckInForm, DayForm, MoveForm, NextFreeForm, ReasonForm, RoomForm
from chartdesk.schedule.models import Appointment, AppointmentStatus, Schedule
from chartdesk.schedule.slots import ScheduleRules, Slot, day_slots, next_free_slots, slot_visit, taken_by_day

BOOK = "schedule.book_appointments"
WORK = "schedule.work_day_sheet"


def refused(form: Any, refusal: ChartdeskError) -> int:
    form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    return 403 if isinstance(refusal, PermissionRefused) else 400


def _day(request: HttpRequest, default: date) -> date:
    form = DayForm(request.GET)
    if form.is_valid() and form.cleaned_data["day"]:
        return form.cleaned_data["day"]
    return default


def _schedule(schedule_id: int) -> Schedule:
    schedule = Schedule.objects.select_related("clinic", "provider").filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound("schedule")
    return schedule


@requires(WORK)
def day_sheet_view(request: HttpRequest) -> HttpResponse:
    """Today's (or a chosen day's) appointments in every clinic, by time, with each one's next step."""
    day = _day(request, timezone.localdate())
    rows = access.access_day_sheet(request.user, day)
    return render(request, "schedule/day_sheet.html", {
        "day": day, "appointments": rows, "form": DayForm(initial={"day": day}),
        "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
        "schedules": Schedule.objects.filter(active=True).select_related("clinic", "provider"),
    })


@requires(WORK)
@opens_records
def appointment_view(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """One appointment: arrive, check in, room, check out; move or cancel while it is booked."""
    appointment = access.access_appointment_by_id(request.user, appointment_id)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    forms: dict[str, Any] = {"check_in": CheckInForm(prefix="in"), "room": RoomForm(prefix="room"),
                             "cancel": ReasonForm(prefix="cancel"), "move": MoveForm(prefix="move")}
    status = 200
    if step:
        try:
            _do_step(request, appointment, step, forms)
            return redirect("schedule-appointment", appointment_id=appointment.pk)
        except ChartdeskError as refusal:
            target = {"check_in": "check_in", "room": "room", "cancel": "cancel", "move": "move"}.get(step)
            if target is not None:
                status = refused(forms[target], refusal)
            else:
                messages.error(request, refusal.message)
                status = 403 if isinstance(refusal, PermissionRefused) else 400
        except _Invalid:
            status = 400
    return render(request, "schedule/appointment.html", {"appointment": appointment, **forms,
                                                         "statuses": AppointmentStatus,
                                                         # The payer's last 271, for the copay asked at check-in.
                                                         "eligibility": latest_for_patient(appointment.patient)},
                  status=status)


class _Invalid(Exception):
    pass


def _bound(request: HttpRequest, forms: dict[str, Any], name: str, form_class: Any, prefix: str) -> Any:
    forms[name] = form_class(request.POST, prefix=prefix)
    if not forms[name].is_valid():
        raise _Invalid
    return forms[name].cleaned_data


def _do_step(request: HttpRequest, appointment: Appointment, step: str, forms: dict[str, Any]) -> None:
    user = request.user
    if step == "arrive":
        day_sheet.do_mark_arrived(appointment, acting_user=user)
    elif step == "check_in":
        data = _bound(request, forms, "check_in", CheckInForm, "in")
        day_sheet.do_check_in(appointment, day_sheet.CheckIn(
            data["demographics_confirmed"], data["insurance_confirmed"], tuple(data["forms_signed"]),
            data["copay"]), acting_user=user)
        messages.success(request, "Checked in; the visit is open.")
    elif step == "room":
        data = _bound(request, forms, "room", RoomForm, "room")
        day_sheet.do_room_patient(appointment, room=data["room"], acting_user=user)
    elif step == "check_out":
        day_sheet.do_check_out(appointment, acting_user=user)
        messages.success(request, "Checked out; the visit is finished and goes to chart completion and coding.")
    elif step == "cancel":
        data = _bound(request, forms, "cancel", ReasonForm, "cancel")
        actions.do_cancel_appointment(appointment, reason=data["reason"], acting_user=user)
    elif step == "move":
        data = _bound(request, forms, "move", MoveForm, "move")
        actions.do_move_appointment(appointment, day=data["day"], start_time=data["start_time"],
                                    reason=data["reason"], acting_user=user)
    else:
        raise ChartdeskError("Unknown step.")


def _calendar_days(request: HttpRequest) -> tuple[str, list[date]]:
    first = _day(request, timezone.localdate())
    if request.GET.get("view") == "week":
        monday = first - timedelta(days=first.weekday())
        return "week", [monday + timedelta(days=n) for n in range(7)]
    return "day", [first]


@requires(BOOK)
def calendar_view(request: HttpRequest, schedule_id: int) -> HttpResponse:
    """A schedule's day or week: every slot of its shortest visit, booked visits in their slots."""
    schedule = _schedule(schedule_id)
    mode, days = _calendar_days(request)
    booked = access.access_schedule_days(request.user, schedule, days[0], days[-1])
    rules = ScheduleRules.load(schedule)
    held = taken_by_day([schedule.pk], days[0], days[-1])
    visit = slot_visit(schedule.slot_minutes)
    # A slot that has begun in the clinic is shown but not offered: booking it would be refused.
    now = timezone.now().astimezone(ZoneInfo(schedule.clinic.time_zone))
    columns = []
    for day in days:
        slots = day_slots(rules, day, visit, held.get((schedule.pk, day), []))
        at = {(row.start_time): row for row in booked if row.day == day}
        columns.append({"day": day, "slots": [
            (slot, at.get(slot.start), slot.free and (day, slot.start) > (now.date(), now.time()))
            for slot in slots]})
    step = timedelta(days=7 if mode == "week" else 1)
    return render(request, "schedule/calendar.html", {
        "schedule": schedule, "mode": mode, "columns": columns, "first": days[0],
        "previous": days[0] - step, "next": days[0] + step,
    })


def _book_target(request: HttpRequest) -> tuple[Schedule, date, time]:
    try:
        schedule = _schedule(int(request.GET.get("schedule", "")[:18]))
        day = date.fromisoformat(request.GET.get("day", ""))
        start = time.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        raise NotFound("slot") from None
    return schedule, day, start


@requires(BOOK)
@opens_records
def book_view(request: HttpRequest) -> HttpResponse:
    """Book a patient into one slot (schedule, day and start in the query string)."""
    schedule, day, start = _book_target(request)
    form = BookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                found = Patient.objects.filter(mrn=form.cleaned_data["mrn"].strip().upper()).first()
                if found is None:
                    raise ChartdeskError(f"No patient has the MRN {form.cleaned_data['mrn']}.", field="mrn")
                patient = access_patient_by_id(request.user, found.pk)
                appointment = actions.do_book_appointment(
                    patient, schedule=schedule, visit_type=form.cleaned_data["visit_type"], day=day,
                    start_time=start, note=form.cleaned_data["note"], acting_user=request.user)
                messages.success(request, f"Booked {patient.display_name} on {day.isoformat()} at {start:%H:%M}.")
                return redirect(f"/schedule/calendar/{schedule.pk}/?day={appointment.day.isoformat()}")
            except NotFound:
                status = refused(form, ChartdeskError("No patient you may open has that MRN.", field="mrn"))
            except ChartdeskError as refusal:
                status = refused(form, refusal)
        else:
            status = 400
    return render(request, "schedule/book.html", {"form": form, "schedule": schedule, "day": day, "start": start},
                  status=status)


@requires(BOOK)
def next_free_view(request: HttpRequest) -> HttpResponse:
    """The earliest free slots for a visit type, any provider or one, in a part of the day."""
    form = NextFreeForm(request.GET or None)
    found: list[Slot] = []
    if form.is_valid():
        chosen = form.cleaned_data["schedule"]
        schedules = [chosen] if chosen else list(Schedule.objects.filter(active=True).select_related("clinic",
                                                                                                      "provider"))
        today = timezone.localdate()
        from_day = max(form.cleaned_data["from_day"] or today, today)
        now = timezone.localtime().time() if from_day == today else None
        found = next_free_slots(form.cleaned_data["visit_type"], schedules, from_day=from_day,
                                time_of_day=form.cleaned_data["time_of_day"], limit=10, not_before=now)
    status = 400 if request.GET and not form.is_valid() else 200
    return render(request, "schedule/next_free.html", {"form": form, "slots": found}, status=status)
