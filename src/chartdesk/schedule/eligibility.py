"""Billing's eligibility inquiry (270) asks about the patients booked in the coming days: registered
from ScheduleConfig, so billing reads the schedule without importing it."""

from __future__ import annotations

from datetime import date

from chartdesk.billing.inquiries.eligibility import register_visit_source
from chartdesk.schedule.models import Appointment, AppointmentStatus

# A visit still to come; one cancelled or already missed needs no eligibility answer.
ASKED_FOR = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN)


def booked_visits(first: date, last: date) -> list[tuple[int, date]]:
    return list(Appointment.objects.filter(day__range=(first, last), status__in=ASKED_FOR)
                .values_list("patient_id", "day").distinct())


def register() -> None:
    register_visit_source("schedule", booked_visits)
