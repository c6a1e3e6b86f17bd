"""The front desk's day: arrival, check-in, rooming, check-out, and no-shows at the end of the day.

Check-in confirms demographics and insurance, records the signed forms and the copay (as a patient
payment, through billing's action) and opens the visit's encounter through charts' action; check-out
finishes it through charts' action, and that is what puts the chart in completion's analysis and
the coding queue (both follow finished encounters by themselves). Each step is one transaction with
its audit event: a refused copay leaves no encounter open, a refused encounter no copay recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from chartdesk.audit.models import AuditAction
from chartdesk.billing.ledger import do_record_copay
from chartdesk.charts.actions import do_finish_encounter, do_open_encounter
from chartdesk.charts.models import EncounterClass
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission
from chartdesk.schedule.actions import _audit, _text, locked_appointment, require_chart
from chartdesk.schedule.models import Appointment, AppointmentStatus, Clinic, Schedule

WORK = "schedule.work_day_sheet"

WRONG_STEP = "This appointment is {status}; it cannot be {what} now."
NOT_TODAY = "Only today's appointments can be {what} (this one is on {day})."
CONFIRM_DEMOGRAPHICS = "Confirm the patient's name, date of birth, address and phone before check-in."
CONFIRM_INSURANCE = "Confirm the patient's insurance (or that they pay themselves) before check-in."
FUTURE_DAY = "{day} has not ended yet; no-shows are marked once the day is over."
NOT_YET_DUE = "The appointment on {day} at {start} has not begun yet; it cannot be a no-show."
# The forms a patient signs at the desk (HIPAA notice of privacy practices, consent to treat...).
FORMS = {
    "privacy_notice": "Notice of privacy practices acknowledged",
    "consent_to_treat": "Consent to treat",
    "financial_policy": "Financial policy",
    "release_of_information": "Release of information authorization",
}


def clinic_today(clinic: Clinic) -> date:
    return timezone.now().astimezone(ZoneInfo(clinic.time_zone)).date()


def _step(appointment: Appointment, allowed: tuple[str, ...], what: str, expected_revision: int | None,
          acting_user: Any) -> Appointment:
    require_permission(acting_user, WORK, "work the day sheet")
    require_chart(acting_user, appointment.patient)
    locked = locked_appointment(appointment, expected_revision)
    if locked.status not in allowed:
        raise ChartdeskError(WRONG_STEP.format(status=locked.get_status_display().lower(), what=what))
    today = clinic_today(locked.schedule.clinic)
    if locked.day != today:
        raise ChartdeskError(NOT_TODAY.format(what=what, day=locked.day.isoformat()))
    return locked


def _save(appointment: Appointment, acting_user: Any, change: str, *fields: str, **detail: Any) -> None:
    appointment.revision += 1
    appointment.save(update_fields=[*fields, "status", "revision"])
    _audit(AuditAction.UPDATE, acting_user, "appointment", appointment.pk, appointment.patient, change=change, **detail)


def do_mark_arrived(appointment: Appointment, *, acting_user: Any, expected_revision: int | None = None) -> Appointment:
    with transaction.atomic():
        locked = _step(appointment, (AppointmentStatus.BOOKED,), "marked arrived", expected_revision, acting_user)
        locked.status, locked.arrived_at = AppointmentStatus.ARRIVED, timezone.now()
        _save(locked, acting_user, "arrived", "arrived_at")
    return locked


@dataclass(frozen=True)
class CheckIn:
    demographics_confirmed: bool
    insurance_confirmed: bool
    forms_signed: tuple[str, ...] = ()
    copay: Decimal | None = None


def do_check_in(appointment: Appointment, check_in: CheckIn, *, acting_user: Any,
                expected_revision: int | None = None) -> Appointment:
    """Check the patient in: confirmations, forms, copay (billing) and the visit's encounter (charts)."""
    if not check_in.demographics_confirmed:
        raise ChartdeskError(CONFIRM_DEMOGRAPHICS, field="demographics_confirmed")
    if not check_in.insurance_confirmed:
        raise ChartdeskError(CONFIRM_INSURANCE, field="insurance_confirmed")
    unknown = sorted(set(check_in.forms_signed) - FORMS.keys())
    if unknown:
        raise ChartdeskError(f"Unknown form: {', '.join(unknown)}.", field="forms_signed")
    with transaction.atomic():
        locked = _step(appointment, (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED), "checked in",
                       expected_revision, acting_user)
        now = timezone.now()
        schedule: Schedule = locked.schedule
        provider = schedule.provider
        encounter = do_open_encounter(
            locked.patient, encounter_class=EncounterClass.OUTPATIENT, admit_at=now, acting_user=acting_user,
            attending=provider if provider is not None and provider.active else None,
            service=locked.visit_type.name[:80], location=schedule.clinic.name[:80],
        )
        if check_in.copay is not None and check_in.copay != 0:
            locked.copay_entry = do_record_copay(locked.patient, check_in.copay, acting_user=acting_user,
                                                 description=f"Copay, visit {encounter.account_number}")
        locked.encounter = encounter
        locked.demographics_confirmed = locked.insurance_confirmed = True
        locked.forms_signed = ",".join(sorted(set(check_in.forms_signed)))
        locked.status, locked.checked_in_at = AppointmentStatus.CHECKED_IN, now
        locked.arrived_at = locked.arrived_at or now
        _save(locked, acting_user, "check_in", "encounter", "demographics_confirmed", "insurance_confirmed",
              "forms_signed", "copay_entry", "checked_in_at", "arrived_at", encounter_id=encounter.pk,
              copay=str(locked.copay_entry.amount) if locked.copay_entry else None, forms=locked.forms_signed)
    return locked


def do_room_patient(appointment: Appointment, *, room: str, acting_user: Any,
                    expected_revision: int | None = None) -> Appointment:
    room = _text(room, 40, "room", "room", required=True)
    with transaction.atomic():
        locked = _step(appointment, (AppointmentStatus.CHECKED_IN,), "roomed", expected_revision, acting_user)
        locked.status, locked.room, locked.roomed_at = AppointmentStatus.ROOMED, room, timezone.now()
        _save(locked, acting_user, "roomed", "room", "roomed_at", room=room)
    return locked


def do_check_out(appointment: Appointment, *, acting_user: Any, expected_revision: int | None = None) -> Appointment:
    """Check the patient out and finish the visit's encounter (which starts completion and coding)."""
    with transaction.atomic():
        locked = _step(appointment, (AppointmentStatus.CHECKED_IN, AppointmentStatus.ROOMED), "checked out",
                       expected_revision, acting_user)
        now = timezone.now()
        if locked.encounter is not None:
            do_finish_encounter(locked.encounter, acting_user=acting_user, finished_at=now)
        locked.status, locked.checked_out_at = AppointmentStatus.CHECKED_OUT, now
        _save(locked, acting_user, "check_out", "checked_out_at", encounter_id=locked.encounter_id)
    return locked


def do_mark_no_show(appointment: Appointment, *, acting_user: Any,
                    expected_revision: int | None = None) -> Appointment:
    """Mark one booked appointment a no-show once its time has come (an outside system's SIU S26, or the
    desk before the end-of-day run)."""
    require_permission(acting_user, WORK, "mark no-shows")
    require_chart(acting_user, appointment.patient)
    with transaction.atomic():
        locked = locked_appointment(appointment, expected_revision)
        if locked.status != AppointmentStatus.BOOKED:
            raise ChartdeskError(WRONG_STEP.format(status=locked.get_status_display().lower(),
                                                   what="marked a no-show"))
        if locked.starts_at > timezone.now():
            raise ChartdeskError(NOT_YET_DUE.format(day=locked.day.isoformat(), start=f"{locked.start_time:%H:%M}"))
        locked.status = AppointmentStatus.NO_SHOW
        _save(locked, acting_user, "no_show")
    return locked


def do_mark_no_shows(day: date, *, acting_user: Any, clinic: Clinic | None = None) -> int:
    """Mark the still-booked appointments of a finished day as no-shows; returns how many.

    The day must have ended in each clinic's own zone (a clinic in Honolulu is still open when one in
    New York has closed). Running it twice marks nothing the second time.
    """
    require_permission(acting_user, WORK, "mark no-shows")
    clinics = [clinic] if clinic is not None else list(Clinic.objects.filter(active=True))
    marked = 0
    with transaction.atomic():
        for place in clinics:
            if day >= clinic_today(place):
                if clinic is not None:
                    raise ChartdeskError(FUTURE_DAY.format(day=day.isoformat()), field="day")
                continue
            missed = (Appointment.objects.select_for_update().select_related("patient")
                      .filter(day=day, schedule__clinic=place, status=AppointmentStatus.BOOKED))
            for appointment in missed:
                appointment.status = AppointmentStatus.NO_SHOW
                _save(appointment, acting_user, "no_show")
                marked += 1
    return marked


@dataclass(frozen=True)
class NoShowRate:
    schedule: Schedule
    due: int  # appointments whose time came: kept or missed (cancelled ones are not counted)
    no_shows: int

    @property
    def rate(self) -> float:
        return self.no_shows / self.due if self.due else 0.0


KEPT_OR_MISSED = (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN, AppointmentStatus.ROOMED,
                  AppointmentStatus.CHECKED_OUT, AppointmentStatus.NO_SHOW)


def no_show_rates(first: date, last: date) -> list[NoShowRate]:
    """No-shows over appointments kept or missed, per provider schedule, from `first` to `last`."""
    counts = (Appointment.objects.filter(day__gte=first, day__lte=last, status__in=KEPT_OR_MISSED)
              .values("schedule").annotate(due=Count("id"),
                                           missed=Count("id", filter=Q(status=AppointmentStatus.NO_SHOW))))
    by_schedule = {row["schedule"]: row for row in counts}
    schedules = Schedule.objects.filter(pk__in=by_schedule.keys()).select_related("provider", "clinic")
    return sorted((NoShowRate(schedule, by_schedule[schedule.pk]["due"], by_schedule[schedule.pk]["missed"])
                   for schedule in schedules), key=lambda line: (-line.rate, str(line.schedule)))
