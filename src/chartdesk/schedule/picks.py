"""The file room's pick list fills from the appointments of a day (registered from ScheduleConfig).

Each appointment still holding its time becomes an unsaved ExpectedVisit with its clinic and wall
time and provider (or resource), so the pick list shows "Internal medicine 09:00 Grace Hopper, MD" beside
the chart to pull.
"""

from __future__ import annotations

from datetime import date

from chartdesk.filing.access import PICK_PATIENT_FIELDS, register_visit_source
from chartdesk.filing.models import ExpectedVisit, VisitKind
from chartdesk.schedule.models import Appointment, AppointmentStatus

# A chart is pulled for visits still to come; one already checked out or cancelled needs none.
PULLED_FOR = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN,
              AppointmentStatus.ROOMED)


def appointments_as_visits(day: date) -> list[ExpectedVisit]:
    appointments = (Appointment.objects.filter(day=day, status__in=PULLED_FOR)
                    .select_related("patient", "schedule__clinic", "schedule__provider")
                    .only("patient_id", "day", "start_time", "schedule__clinic__name", "schedule__resource_name",
                          "schedule__provider__given_name", "schedule__provider__family_name",
                          "schedule__provider__credentials",
                          *(f"patient__{name}" for name in PICK_PATIENT_FIELDS)))
    return [ExpectedVisit(patient=appointment.patient, expected_on=day, at_time=appointment.start_time,
                          kind=VisitKind.APPOINTMENT, clinic=appointment.schedule.clinic.name,
                          provider=_booked_with(appointment))
            for appointment in appointments]


def _booked_with(appointment: Appointment) -> str:
    schedule = appointment.schedule
    return str(schedule.provider) if schedule.provider_id else schedule.resource_name


def register() -> None:
    register_visit_source("schedule", appointments_as_visits)
