"""Every read of appointments: one by id, a schedule's day or week, a day sheet, a patient's visits.

Schedule pages are for the people who book and work the desk (and HIM managers who set schedules
up). Lists leave out restricted charts the user may not open; opening one by id answers NotFound
like a missing one. Each read is recorded in the audit log with the patients it showed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import NotFound
from chartdesk.patients.access import charts_open_to, require_open_chart
from chartdesk.patients.models import Patient
from chartdesk.schedule.models import Appointment, Schedule

READERS = ("schedule.book_appointments", "schedule.work_day_sheet", "schedule.manage_schedules")


def may_read_schedules(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and any(user.has_perm(name) for name in READERS))


def _allowed(user: Any) -> None:
    if not may_read_schedules(user):
        raise NotFound("appointment")


def _audit_list(user: Any, what: str, appointments: list[Appointment], **detail: Any) -> None:
    record_event(AuditAction.VIEW, user=user, object_type=what,
                 detail={"patient_ids": sorted({row.patient_id for row in appointments}), "count": len(appointments),
                         **detail})


def visible_appointments(user: Any) -> QuerySet[Appointment]:
    """Appointments of charts this user may open, with what a page shows of them."""
    return (Appointment.objects.filter(patient__in=Patient.objects.filter(charts_open_to(user)))
            .select_related("patient", "visit_type", "schedule__clinic", "schedule__provider"))


def access_appointment_by_id(user: Any, appointment_id: Any) -> Appointment:
    """One appointment, if the user works the schedule and may open the patient's chart; the view is audited."""
    _allowed(user)
    try:
        key = int(appointment_id)
    except (TypeError, ValueError):
        raise NotFound("appointment") from None
    appointment = (Appointment.objects.select_related("patient", "visit_type", "schedule__clinic",
                                                      "schedule__provider", "encounter")
                   .filter(pk=key).first())
    if appointment is None:
        raise NotFound("appointment")
    require_open_chart(user, appointment.patient, object_type="appointment", object_id=key)
    record_event(AuditAction.VIEW, user=user, patient=appointment.patient, object_type="appointment", object_id=key)
    return appointment


def access_schedule_days(user: Any, schedule: Schedule, first: date, last: date) -> list[Appointment]:
    """A schedule's appointments from `first` to `last` (a day or a week of its calendar), audited."""
    _allowed(user)
    rows = list(visible_appointments(user).filter(schedule=schedule, day__gte=first, day__lte=last))
    _audit_list(user, "schedule_calendar", rows, schedule_id=schedule.pk, first=first.isoformat(),
                last=last.isoformat())
    return rows


def access_day_sheet(user: Any, day: date, *, clinic_id: int | None = None) -> list[Appointment]:
    """Every appointment of a day (in one clinic, or all), by time: the front desk's day sheet, audited."""
    _allowed(user)
    found = visible_appointments(user).filter(day=day)
    if clinic_id is not None:
        found = found.filter(schedule__clinic_id=clinic_id)
    rows = list(found.order_by("start_time", "schedule__provider__family_name", "pk"))
    _audit_list(user, "day_sheet", rows, day=day.isoformat())
    return rows
