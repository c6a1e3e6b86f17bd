"""Demo data of the front office: one clinic in the site's time zone, the demo provider's schedule
(weekdays 08:00-17:00, lunch at noon), four visit types, and appointments booked for the coming
days, so the day sheet, the calendars and tomorrow's pick list have something on them.

Called from core's demo loader inside its transaction; everything goes through the actions.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from chartdesk.core.errors import ChartdeskError
from chartdesk.patients.models import Patient, Restriction
from chartdesk.schedule.actions import (
    do_add_block,
    do_add_template_hours,
    do_book_appointment,
    do_create_clinic,
    do_create_schedule,
    do_save_visit_type,
)

DAYS_AHEAD = 5


def load_schedule_demo(staff: dict[str, Any], patients: list[Patient]) -> int:
    """Set up the clinic and book the coming weekdays; returns how many appointments were booked."""
    him, desk = staff["him_manager"], staff["front_desk"]
    clinic = do_create_clinic(name="Internal medicine", time_zone=settings.TIME_ZONE, acting_user=him)
    schedule = do_create_schedule(clinic, provider=staff["provider"].provider, acting_user=him)
    for weekday in range(5):
        do_add_template_hours(schedule, weekday=weekday, start_time=time(8), end_time=time(17), acting_user=him)
        do_add_block(schedule, kind="lunch", weekday=weekday, start_time=time(12), end_time=time(13), acting_user=him)
    visit_types = [
        do_save_visit_type(code="FU", name="Follow-up", minutes=15, acting_user=him),
        do_save_visit_type(code="NEW", name="New patient", minutes=30, acting_user=him),
        do_save_visit_type(code="PHYS", name="Annual physical", minutes=30, acting_user=him),
        do_save_visit_type(code="SHOT", name="Vaccination", minutes=15, double_booking_allowed=True,
                           acting_user=him),
    ]
    open_charts = [patient for patient in patients if patient.restriction == Restriction.NONE
                   and patient.deceased_at is None and patient.merged_into_id is None]
    booked = 0
    today = timezone.localdate()
    for offset in range(1, DAYS_AHEAD + 1):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for index, patient in enumerate(open_charts[offset::3][:8]):
            start = time(8 + index // 2, 30 * (index % 2)) if index < 8 else time(14)
            try:
                do_book_appointment(patient, schedule=schedule, visit_type=visit_types[index % 3], day=day,
                                    start_time=start, acting_user=desk)
            except ChartdeskError:
                continue  # a 30-minute visit after another at the same half hour: the demo skips it
            booked += 1
    return booked


def schedule_demo_stage(run: Any) -> None:
    """The schedule's stage of `chartdesk demo-data`: the coming days' appointments (and so the pick list)."""
    load_schedule_demo(run.staff, list(run.patients.values()))
