"""Every change to the schedule: set-up, booking, moving, cancelling, the waitlist.

Each action checks the acting user's permission (and, for a patient's appointment, that they may
open the patient's chart), validates with a message naming the field, runs in one transaction and
writes its audit event in it. Bookings on one schedule are serialised by locking the schedule row,
so two schedulers cannot both take the last free slot. The day sheet (arrival to check-out) is in
day_sheet.py.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.models import Provider
from chartdesk.core.errors import ChartdeskError, ConcurrentChange
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import refuse_change_to_closed_chart
from chartdesk.patients.models import Patient, PatientStatus
from chartdesk.schedule.models import (
    Appointment,
    AppointmentStatus,
    Block,
    BlockKind,
    Clinic,
    Holiday,
    Schedule,
    ScheduleKind,
    TemplateHours,
    TimeOfDay,
    VisitType,
    WaitlistEntry,
    WaitlistStatus,
)
from chartdesk.schedule.slots import ScheduleRules, clashes, minutes_of, taken_by_day

MANAGE = "schedule.manage_schedules"
BOOK = "schedule.book_appointments"

NOT_ALLOWED = "You do not have permission to {what}."
REQUIRED = "Give the {what}."
TOO_LONG = "The {what} may be at most {limit} characters."
ZONE_UNKNOWN = "{zone} is not a time zone name (use an IANA name such as America/Chicago)."
WEEKDAY_INVALID = "The weekday must be 0 (Monday) to 6 (Sunday)."
HOURS_BACKWARDS = "The end time {end} is not after the start time {start}."
MINUTES_INVALID = "A visit lasts from 5 to 480 minutes."
CODE_TAKEN = "The visit type code {code} is already used."
BLOCK_WHEN = "Give a weekday for a weekly block, or the first day for a dated one."
BLOCK_BACKWARDS = "The block ends ({end}) before it starts ({start})."
HOLIDAY_TAKEN = "{day} is already a holiday at {clinic}."
PROVIDER_OR_RESOURCE = "A provider schedule needs an active provider; a resource schedule needs a name."
SCHEDULE_INACTIVE = "This schedule is not taking bookings."
VISIT_TYPE_INACTIVE = "Choose an active visit type."
PATIENT_MERGED = "This chart was merged into MRN {mrn}; book for the surviving chart instead."
PATIENT_DECEASED = "The patient is recorded as deceased."
IN_THE_PAST = "{day} {start} has already passed; choose a time from now on."
NOT_OPEN = "{day} {start} is not open on this schedule (outside its hours, in a block or on a holiday)."
SLOT_TAKEN = "{day} {start} is already booked, and {visit} cannot be double-booked."
ONLY_BOOKED = "Only a booked appointment can be {what}; this one is {status}."
REASON_REQUIRED = "Give the reason for the {what}."
CHANGED = "This appointment was changed by someone else; reload it and try again."
WAITLIST_CLOSED = "This waitlist entry is already {status}."
TIME_OF_DAY_UNKNOWN = "Choose the time of day: any, morning, afternoon or evening."
LATEST_BEFORE_EARLIEST = "The latest day {latest} is before the earliest {earliest}."

# A workstation clock a few minutes behind must still book the slot that is starting now.
CLOCK_SKEW = timedelta(minutes=5)


def require_chart(user: Any, patient: Patient) -> None:
    """A restricted chart refuses schedule changes as it refuses reads (recorded), as not found."""
    refuse_change_to_closed_chart(user, patient, during="schedule change")


def _text(value: str | None, limit: int, what: str, field: str, *, required: bool = False) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ChartdeskError(REQUIRED.format(what=what), field=field)
    if len(cleaned) > limit:
        raise ChartdeskError(TOO_LONG.format(what=what, limit=limit), field=field)
    return cleaned


def _audit(action: str, user: Any, object_type: str, object_id: Any, patient: Patient | None = None,
           **detail: Any) -> None:
    record_event(action, user=user, patient=patient, object_type=object_type, object_id=object_id, detail=detail)


# ----------------------------------------------------------------------------- set-up


def do_create_clinic(*, name: str, time_zone: str, acting_user: Any) -> Clinic:
    """A clinic and the IANA zone its wall times are in."""
    require_permission(acting_user, MANAGE, "set up clinics")
    name = _text(name, 120, "clinic name", "name", required=True)
    zone = _text(time_zone, 64, "time zone", "time_zone", required=True)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ChartdeskError(ZONE_UNKNOWN.format(zone=zone), field="time_zone") from None
    if Clinic.objects.filter(name=name).exists():
        raise ChartdeskError(f"A clinic named {name} already exists.", field="name")
    with transaction.atomic():
        clinic = Clinic.objects.create(name=name, time_zone=zone)
        _audit(AuditAction.CREATE, acting_user, "clinic", clinic.pk, name=name, time_zone=zone)
    return clinic


def do_create_schedule(clinic: Clinic, *, acting_user: Any, provider: Provider | None = None,
                       resource_name: str = "", slot_minutes: int = 15) -> Schedule:
    """A provider's schedule (give `provider`) or a room's or machine's (give `resource_name`)."""
    require_permission(acting_user, MANAGE, "set up schedules")
    resource_name = _text(resource_name, 120, "resource name", "resource_name")
    if (provider is None) == (not resource_name) or (provider is not None and not provider.active):
        raise ChartdeskError(PROVIDER_OR_RESOURCE, field="provider")
    if not isinstance(slot_minutes, int) or not 5 <= slot_minutes <= 240:
        raise ChartdeskError("Slots start every 5 to 240 minutes.", field="slot_minutes")
    kind = ScheduleKind.PROVIDER if provider is not None else ScheduleKind.RESOURCE
    with transaction.atomic():
        schedule = Schedule.objects.create(clinic=clinic, kind=kind, provider=provider, resource_name=resource_name,
                                           slot_minutes=slot_minutes)
        _audit(AuditAction.CREATE, acting_user, "schedule", schedule.pk, clinic_id=clinic.pk, kind=kind,
               provider_id=provider.pk if provider else None, resource_name=resource_name)
    return schedule


def _check_span(start: Any, end: Any) -> None:
    if not isinstance(start, time) or not isinstance(end, time):
        raise ChartdeskError(REQUIRED.format(what="start and end times"), field="start_time")
    if end <= start:
        raise ChartdeskError(HOURS_BACKWARDS.format(start=f"{start:%H:%M}", end=f"{end:%H:%M}"), field="end_time")


def do_add_template_hours(schedule: Schedule, *, weekday: int, start_time: time, end_time: time, acting_user: Any,
                          valid_from: date | None = None, valid_until: date | None = None) -> TemplateHours:
    """Open hours on one weekday of the schedule's weekly template."""
    require_permission(acting_user, MANAGE, "change schedule templates")
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise ChartdeskError(WEEKDAY_INVALID, field="weekday")
    _check_span(start_time, end_time)
    with transaction.atomic():
        hours = TemplateHours.objects.create(schedule=schedule, weekday=weekday, start_time=start_time,
                                             end_time=end_time, valid_from=valid_from or date(2000, 1, 1),
                                             valid_until=valid_until)
        _audit(AuditAction.CREATE, acting_user, "template_hours", hours.pk, schedule_id=schedule.pk, weekday=weekday,
               start=f"{start_time:%H:%M}", end=f"{end_time:%H:%M}")
    return hours


def do_save_visit_type(*, code: str, name: str, minutes: int, acting_user: Any,
                       double_booking_allowed: bool = False) -> VisitType:
    require_permission(acting_user, MANAGE, "set up visit types")
    code = _text(code, 20, "code", "code", required=True).upper()
    name = _text(name, 80, "name", "name", required=True)
    if not isinstance(minutes, int) or not 5 <= minutes <= 480:
        raise ChartdeskError(MINUTES_INVALID, field="minutes")
    if VisitType.objects.filter(code=code).exists():
        raise ChartdeskError(CODE_TAKEN.format(code=code), field="code")
    with transaction.atomic():
        visit_type = VisitType.objects.create(code=code, name=name, minutes=minutes,
                                              double_booking_allowed=double_booking_allowed)
        _audit(AuditAction.CREATE, acting_user, "visit_type", visit_type.pk, code=code, minutes=minutes,
               double_booking_allowed=double_booking_allowed)
    return visit_type


def do_add_block(schedule: Schedule, *, kind: str, acting_user: Any, weekday: int | None = None,
                 starts_on: date | None = None, ends_on: date | None = None, start_time: time | None = None,
                 end_time: time | None = None, note: str = "") -> Block:
    """Lunch, a meeting or leave: weekly on `weekday`, or dated from `starts_on` to `ends_on`."""
    require_permission(acting_user, MANAGE, "block schedule time")
    if kind not in BlockKind.values:
        raise ChartdeskError("Choose the kind of block: lunch, meeting, leave or other.", field="kind")
    if (weekday is None) == (starts_on is None):
        raise ChartdeskError(BLOCK_WHEN, field="weekday")
    if weekday is not None and not 0 <= weekday <= 6:
        raise ChartdeskError(WEEKDAY_INVALID, field="weekday")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise ChartdeskError(BLOCK_BACKWARDS.format(start=starts_on, end=ends_on), field="ends_on")
    if start_time is not None or end_time is not None:
        _check_span(start_time, end_time)
    note = _text(note, 200, "note", "note")
    with transaction.atomic():
        block = Block.objects.create(schedule=schedule, kind=kind, weekday=weekday, starts_on=starts_on,
                                     ends_on=ends_on, start_time=start_time, end_time=end_time, note=note)
        _audit(AuditAction.CREATE, acting_user, "schedule_block", block.pk, schedule_id=schedule.pk, kind=kind,
               weekday=weekday, starts_on=starts_on.isoformat() if starts_on else None)
    return block


def do_add_holiday(clinic: Clinic, *, on_date: date, name: str, acting_user: Any) -> Holiday:
    require_permission(acting_user, MANAGE, "set clinic holidays")
    name = _text(name, 80, "holiday name", "name", required=True)
    if not isinstance(on_date, date):
        raise ChartdeskError(REQUIRED.format(what="date"), field="on_date")
    if Holiday.objects.filter(clinic=clinic, on_date=on_date).exists():
        raise ChartdeskError(HOLIDAY_TAKEN.format(day=on_date, clinic=clinic.name), field="on_date")
    with transaction.atomic():
        holiday = Holiday.objects.create(clinic=clinic, on_date=on_date, name=name)
        _audit(AuditAction.CREATE, acting_user, "holiday", holiday.pk, clinic_id=clinic.pk, on_date=on_date.isoformat())
    return holiday


# ----------------------------------------------------------------------------- booking


def _bookable_patient(user: Any, patient: Patient) -> None:
    require_chart(user, patient)
    if patient.status == PatientStatus.MERGED:
        survivor = patient.merged_into
        raise ChartdeskError(PATIENT_MERGED.format(mrn=survivor.mrn if survivor else "unknown"), field="patient")
    if patient.deceased_at is not None:
        raise ChartdeskError(PATIENT_DECEASED, field="patient")


def _check_time(schedule: Schedule, visit_type: VisitType, day: Any, start: Any, *, ignore: int | None = None,
                allow_past: bool = False) -> None:
    """Refuse a time that is past, outside open time, or clashing (the schedule row must be locked)."""
    if not isinstance(day, date):
        raise ChartdeskError(REQUIRED.format(what="day"), field="day")
    if not isinstance(start, time):
        raise ChartdeskError(REQUIRED.format(what="start time"), field="start_time")
    shown = {"day": day.isoformat(), "start": f"{start:%H:%M}"}
    if not allow_past:
        local_now = timezone.now().astimezone(ZoneInfo(schedule.clinic.time_zone)) - CLOCK_SKEW
        if (day, start) < (local_now.date(), local_now.time().replace(second=0, microsecond=0)):
            raise ChartdeskError(IN_THE_PAST.format(**shown), field="start_time")
    if not ScheduleRules.load(schedule).fits(day, start, visit_type.minutes):
        raise ChartdeskError(NOT_OPEN.format(**shown), field="start_time")
    taken = taken_by_day([schedule.pk], day, day, excluding=ignore).get((schedule.pk, day), [])
    if clashes(taken, minutes_of(start), visit_type.minutes, visit_type.double_booking_allowed):
        raise ChartdeskError(SLOT_TAKEN.format(visit=visit_type.name, **shown), field="start_time")


def _locked_schedule(schedule: Schedule) -> Schedule:
    # Row lock: two schedulers booking the same schedule are serialised, so both cannot pass the
    # "still free" check for one slot.
    return Schedule.objects.select_for_update().select_related("clinic").get(pk=schedule.pk)


def do_book_appointment(patient: Patient, *, schedule: Schedule, visit_type: VisitType, day: date, start_time: time,
                        acting_user: Any, note: str = "", external_id: str = "",
                        allow_past: bool = False) -> Appointment:
    """Book a visit at a wall time of the schedule's clinic.

    Refuses a time outside the template's open hours, in a block or on a holiday, in the past, or
    overlapping another visit unless both visit types allow double-booking. `allow_past` is for
    feeds that report bookings already made elsewhere.
    """
    require_permission(acting_user, BOOK, "book appointments")
    _bookable_patient(acting_user, patient)
    if not isinstance(visit_type, VisitType) or not visit_type.active:
        raise ChartdeskError(VISIT_TYPE_INACTIVE, field="visit_type")
    note = _text(note, 200, "note", "note")
    external_id = _text(external_id, 80, "outside appointment id", "external_id")
    with transaction.atomic():
        locked = _locked_schedule(schedule)
        if not locked.active:
            raise ChartdeskError(SCHEDULE_INACTIVE, field="schedule")
        _check_time(locked, visit_type, day, start_time, allow_past=allow_past)
        appointment = Appointment.objects.create(schedule=locked, patient=patient, visit_type=visit_type, day=day,
                                                 start_time=start_time, minutes=visit_type.minutes, note=note,
                                                 external_id=external_id, created_by=acting_user)
        _audit(AuditAction.CREATE, acting_user, "appointment", appointment.pk, patient, schedule_id=locked.pk,
               visit_type=visit_type.code, day=day.isoformat(), start=f"{start_time:%H:%M}",
               zone=locked.clinic.time_zone)
    return appointment


def locked_appointment(appointment: Appointment, expected_revision: int | None) -> Appointment:
    # Row lock: the desk and a feed changing one appointment at once must not both win.
    locked = Appointment.objects.select_for_update().select_related("schedule__clinic", "visit_type", "patient").get(
        pk=appointment.pk)
    if expected_revision is not None and locked.revision != expected_revision:
        raise ConcurrentChange(CHANGED)
    return locked


def do_move_appointment(appointment: Appointment, *, day: date, start_time: time, reason: str, acting_user: Any,
                        schedule: Schedule | None = None, expected_revision: int | None = None,
                        allow_past: bool = False) -> Appointment:
    """Move a booked appointment to another time (and schedule), with the reason; the old time is freed."""
    require_permission(acting_user, BOOK, "move appointments")
    require_chart(acting_user, appointment.patient)
    reason = _text(reason, 200, "reason for the move", "reason", required=True)
    with transaction.atomic():
        target = _locked_schedule(schedule or appointment.schedule)
        locked = locked_appointment(appointment, expected_revision)
        if locked.status != AppointmentStatus.BOOKED:
            raise ChartdeskError(ONLY_BOOKED.format(what="moved", status=locked.get_status_display().lower()))
        if not target.active:
            raise ChartdeskError(SCHEDULE_INACTIVE, field="schedule")
        _check_time(target, locked.visit_type, day, start_time, ignore=locked.pk, allow_past=allow_past)
        before = {"schedule_id": locked.schedule_id, "day": locked.day.isoformat(),
                  "start": f"{locked.start_time:%H:%M}"}
        locked.schedule, locked.day, locked.start_time = target, day, start_time
        locked.revision += 1
        locked.save(update_fields=["schedule", "day", "start_time", "revision"])
        _audit(AuditAction.UPDATE, acting_user, "appointment", locked.pk, locked.patient, change="move", reason=reason,
               before=before, after={"schedule_id": target.pk, "day": day.isoformat(), "start": f"{start_time:%H:%M}"})
    return locked


def do_cancel_appointment(appointment: Appointment, *, reason: str, acting_user: Any,
                          expected_revision: int | None = None) -> Appointment:
    """Cancel a booked (or arrived, not yet checked-in) appointment with its reason; its time is freed."""
    require_permission(acting_user, BOOK, "cancel appointments")
    require_chart(acting_user, appointment.patient)
    reason = _text(reason, 200, "reason for the cancellation", "reason", required=True)
    with transaction.atomic():
        locked = locked_appointment(appointment, expected_revision)
        if locked.status not in (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED):
            raise ChartdeskError(ONLY_BOOKED.format(what="cancelled", status=locked.get_status_display().lower()))
        locked.status = AppointmentStatus.CANCELLED
        locked.cancel_reason = reason
        locked.revision += 1
        locked.save(update_fields=["status", "cancel_reason", "revision"])
        _audit(AuditAction.UPDATE, acting_user, "appointment", locked.pk, locked.patient, change="cancel",
               reason=reason)
    return locked


# ----------------------------------------------------------------------------- waitlist


def do_add_to_waitlist(patient: Patient, *, visit_type: VisitType, earliest: date, acting_user: Any,
                       latest: date | None = None, schedule: Schedule | None = None, time_of_day: str = "any",
                       note: str = "") -> WaitlistEntry:
    """Put a patient on the waitlist for a visit type (any provider unless `schedule`)."""
    require_permission(acting_user, BOOK, "keep the waitlist")
    _bookable_patient(acting_user, patient)
    if not isinstance(earliest, date):
        raise ChartdeskError(REQUIRED.format(what="earliest day"), field="earliest")
    if latest is not None and latest < earliest:
        raise ChartdeskError(LATEST_BEFORE_EARLIEST.format(latest=latest, earliest=earliest), field="latest")
    if time_of_day not in TimeOfDay.values:
        raise ChartdeskError(TIME_OF_DAY_UNKNOWN, field="time_of_day")
    note = _text(note, 200, "note", "note")
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(patient=patient, visit_type=visit_type, schedule=schedule,
                                             earliest=earliest, latest=latest, time_of_day=time_of_day, note=note,
                                             created_by=acting_user)
        _audit(AuditAction.CREATE, acting_user, "waitlist_entry", entry.pk, patient, visit_type=visit_type.code,
               earliest=earliest.isoformat())
    return entry


def do_book_from_waitlist(entry: WaitlistEntry, *, schedule: Schedule, day: date, start_time: time,
                          acting_user: Any) -> Appointment:
    """Book the waiting patient into a freed slot and close the entry, in one transaction."""
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != WaitlistStatus.WAITING:
            raise ChartdeskError(WAITLIST_CLOSED.format(status=locked.get_status_display().lower()))
        appointment = do_book_appointment(locked.patient, schedule=schedule, visit_type=locked.visit_type, day=day,
                                          start_time=start_time, acting_user=acting_user, note=locked.note)
        locked.status, locked.appointment = WaitlistStatus.BOOKED, appointment
        locked.save(update_fields=["status", "appointment"])
        _audit(AuditAction.UPDATE, acting_user, "waitlist_entry", locked.pk, locked.patient, change="booked",
               appointment_id=appointment.pk)
    return appointment


def do_remove_from_waitlist(entry: WaitlistEntry, *, reason: str, acting_user: Any) -> WaitlistEntry:
    require_permission(acting_user, BOOK, "keep the waitlist")
    require_chart(acting_user, entry.patient)
    reason = _text(reason, 200, "reason for removing the entry", "reason", required=True)
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != WaitlistStatus.WAITING:
            raise ChartdeskError(WAITLIST_CLOSED.format(status=locked.get_status_display().lower()))
        locked.status = WaitlistStatus.REMOVED
        locked.save(update_fields=["status"])
        _audit(AuditAction.UPDATE, acting_user, "waitlist_entry", locked.pk, locked.patient, change="removed",
               reason=reason)
    return locked
