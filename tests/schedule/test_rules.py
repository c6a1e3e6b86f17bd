"""Templates, blocks, holidays and visit types make the slots; booking, moving and cancelling keep to them."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

import pytest
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ChartdeskError, ConcurrentChange, NotFound, PermissionRefused
from chartdesk.patients.actions import do_set_restriction
from chartdesk.schedule.actions import (
    do_add_block,
    do_add_holiday,
    do_add_to_waitlist,
    do_book_appointment,
    do_book_from_waitlist,
    do_cancel_appointment,
    do_create_clinic,
    do_move_appointment,
)
from chartdesk.schedule.models import Appointment, AppointmentStatus, WaitlistStatus
from chartdesk.schedule.slots import ScheduleRules, day_slots, next_free_slots
from tests.support import factories

FUTURE = timezone.localdate() + timedelta(days=30)


def test_slots_follow_the_template_less_lunch(schedule, follow_up):
    slots = day_slots(ScheduleRules.load(schedule), FUTURE, follow_up)
    starts = [slot.start for slot in slots]
    assert starts[0] == time(8, 0) and starts[-1] == time(16, 45)
    assert time(12, 0) not in starts and time(12, 45) not in starts and time(13, 0) in starts
    assert len(starts) == 8 * 4  # 08:00-12:00 and 13:00-17:00 in quarter hours


def test_a_thirty_minute_visit_does_not_start_into_lunch(schedule, new_patient_visit):
    starts = [slot.start for slot in day_slots(ScheduleRules.load(schedule), FUTURE, new_patient_visit)]
    assert time(11, 30) in starts and time(11, 45) not in starts


def test_a_holiday_and_leave_close_the_day(schedule, clinic, follow_up, users):
    him = users["him_manager"]
    do_add_holiday(clinic, on_date=FUTURE, name="Founders' day", acting_user=him)
    do_add_block(schedule, kind="leave", starts_on=FUTURE + timedelta(days=1), ends_on=FUTURE + timedelta(days=2),
                 acting_user=him)
    rules = ScheduleRules.load(schedule)
    assert [rules.open_intervals(FUTURE + timedelta(days=n)) for n in range(4)][:3] == [[], [], []]
    assert rules.open_intervals(FUTURE + timedelta(days=3)) == [(480, 720), (780, 1020)]


def test_booking_a_taken_slot_is_refused_unless_both_visits_allow_double_booking(
        schedule, follow_up, vaccine, patient, users):
    desk = users["front_desk"]
    other = factories.make_patient("Ola", "Nordmann", date(1990, 1, 2))
    do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=time(9),
                        acting_user=desk)
    with pytest.raises(ChartdeskError, match="already booked, and Follow-up cannot be double-booked"):
        do_book_appointment(other, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=time(9),
                            acting_user=desk)
    with pytest.raises(ChartdeskError, match="already booked"):
        do_book_appointment(other, schedule=schedule, visit_type=vaccine, day=FUTURE, start_time=time(9),
                            acting_user=desk)
    do_book_appointment(other, schedule=schedule, visit_type=vaccine, day=FUTURE, start_time=time(10),
                        acting_user=desk)
    do_book_appointment(patient, schedule=schedule, visit_type=vaccine, day=FUTURE, start_time=time(10),
                        acting_user=desk)
    assert Appointment.objects.filter(day=FUTURE, start_time=time(10)).count() == 2


def test_booking_outside_hours_in_lunch_or_in_the_past_names_the_problem(schedule, follow_up, patient, users):
    desk = users["front_desk"]
    for start, message in ((time(7, 45), "is not open"), (time(12, 15), "is not open"), (time(16, 50), "is not open")):
        with pytest.raises(ChartdeskError, match=message) as refusal:
            do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=start,
                                acting_user=desk)
        assert refusal.value.field == "start_time"
    with pytest.raises(ChartdeskError, match="has already passed"):
        do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE - timedelta(days=60),
                            start_time=time(9), acting_user=desk)
    assert Appointment.objects.count() == 0


def test_a_nine_oclock_visit_stays_at_nine_local_across_the_dst_change(users, doctor, follow_up, patient):
    """2030-03-10 is the US spring-forward Sunday: 09:00 New York is 14:00 UTC before it, 13:00 UTC after."""
    from chartdesk.schedule.actions import do_add_template_hours, do_create_schedule

    him, desk = users["him_manager"], users["front_desk"]
    clinic = do_create_clinic(name="Uptown", time_zone="America/New_York", acting_user=him)
    schedule = do_create_schedule(clinic, provider=doctor, acting_user=him)
    for weekday in range(7):
        do_add_template_hours(schedule, weekday=weekday, start_time=time(9), end_time=time(12), acting_user=him)
    before = do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=date(2030, 3, 9),
                                 start_time=time(9), acting_user=desk)
    after = do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=date(2030, 3, 11),
                                start_time=time(9), acting_user=desk)
    assert before.starts_at.astimezone(UTC).hour == 14
    assert after.starts_at.astimezone(UTC).hour == 13
    rules = ScheduleRules.load(schedule)
    for day in (date(2030, 3, 9), date(2030, 3, 11)):
        assert day_slots(rules, day, follow_up)[0].start == time(9)
    stored = Appointment.objects.get(pk=after.pk)
    assert (stored.day, stored.start_time) == (date(2030, 3, 11), time(9))


def test_moving_needs_a_reason_frees_the_old_time_and_is_audited(schedule, follow_up, patient, users):
    desk = users["front_desk"]
    booked = do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=time(9),
                                 acting_user=desk)
    with pytest.raises(ChartdeskError, match="Give the reason for the move"):
        do_move_appointment(booked, day=FUTURE, start_time=time(10), reason=" ", acting_user=desk)
    moved = do_move_appointment(booked, day=FUTURE, start_time=time(9, 15), reason="Patient asked",
                                acting_user=desk, expected_revision=1)
    assert (moved.start_time, moved.revision) == (time(9, 15), 2)
    free = {slot.start for slot in day_slots(ScheduleRules.load(schedule), FUTURE, follow_up) if slot.free}
    assert time(9) in free and time(9, 15) not in free
    event = AuditEvent.objects.filter(object_type="appointment", object_id=str(booked.pk)).order_by("-id").first()
    assert event.detail["change"] == "move" and event.detail["before"]["start"] == "09:00"
    with pytest.raises(ConcurrentChange):
        do_move_appointment(booked, day=FUTURE, start_time=time(10), reason="again", acting_user=desk,
                            expected_revision=1)


def test_cancelling_keeps_the_row_with_its_reason_and_frees_the_slot(schedule, follow_up, patient, users):
    desk = users["front_desk"]
    booked = do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=time(9),
                                 acting_user=desk)
    with pytest.raises(ChartdeskError, match="Give the reason for the cancellation"):
        do_cancel_appointment(booked, reason="", acting_user=desk)
    cancelled = do_cancel_appointment(booked, reason="Feeling better", acting_user=desk)
    assert (cancelled.status, cancelled.cancel_reason) == (AppointmentStatus.CANCELLED, "Feeling better")
    again = do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=time(9),
                                acting_user=desk)
    assert again.pk != booked.pk
    with pytest.raises(ChartdeskError, match="Only a booked appointment can be cancelled"):
        do_cancel_appointment(cancelled, reason="twice", acting_user=desk)


def test_next_free_slot_skips_taken_time_and_honours_time_of_day(schedule, follow_up, patient, users):
    desk = users["front_desk"]
    do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=time(8),
                        acting_user=desk)
    [first] = next_free_slots(follow_up, [schedule], from_day=FUTURE, limit=1)
    assert (first.day, first.start) == (FUTURE, time(8, 15))
    [afternoon] = next_free_slots(follow_up, [schedule], from_day=FUTURE, time_of_day="afternoon", limit=1)
    assert afternoon.start == time(13)
    [evening] = next_free_slots(follow_up, [schedule], from_day=FUTURE, time_of_day="evening", limit=1) or [None]
    assert evening is None  # the schedule closes at 17:00


def test_a_search_no_template_can_satisfy_ends_without_reading_appointments(schedule, follow_up,
                                                                             django_assert_max_num_queries):
    # Open 08:00-17:00: an evening slot can never exist, so the year ahead is not read window by window.
    with django_assert_max_num_queries(3):  # template hours, blocks, holidays
        assert next_free_slots(follow_up, [schedule], from_day=FUTURE, time_of_day="evening") == []


def test_a_slot_weeks_ahead_is_found_past_the_growing_windows(schedule, follow_up, patient, users):
    him = users["him_manager"]
    # Leave for the next 40 days: the first free slot is on day 40, beyond the 1-, 3-, 7- and 14-day windows.
    do_add_block(schedule, kind="leave", starts_on=FUTURE, ends_on=FUTURE + timedelta(days=39), acting_user=him)
    found = next_free_slots(follow_up, [schedule], from_day=FUTURE, limit=3)
    assert [(slot.day, slot.start) for slot in found] == [
        (FUTURE + timedelta(days=40), time(8)), (FUTURE + timedelta(days=40), time(8, 15)),
        (FUTURE + timedelta(days=40), time(8, 30))]


def test_the_waitlist_books_into_a_freed_slot_once(schedule, follow_up, patient, users):
    desk = users["front_desk"]
    entry = do_add_to_waitlist(patient, visit_type=follow_up, earliest=FUTURE, time_of_day="morning",
                               acting_user=desk)
    appointment = do_book_from_waitlist(entry, schedule=schedule, day=FUTURE, start_time=time(10), acting_user=desk)
    entry.refresh_from_db()
    assert (entry.status, entry.appointment_id) == (WaitlistStatus.BOOKED, appointment.pk)
    with pytest.raises(ChartdeskError, match="already booked"):
        do_book_from_waitlist(entry, schedule=schedule, day=FUTURE, start_time=time(11), acting_user=desk)


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "transcriptionist", "provider", "privacy_officer",
                                  "administrator", "registrar"])
def test_roles_without_booking_permission_are_refused(role, schedule, follow_up, patient, users):
    with pytest.raises(PermissionRefused):
        do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=time(9),
                            acting_user=users[role])
    assert Appointment.objects.count() == 0


def test_a_restricted_chart_is_not_booked_without_access(schedule, follow_up, patient, users):
    do_set_restriction(patient, restriction="vip", note="board member", acting_user=users["him_manager"])
    patient.refresh_from_db()
    with pytest.raises(NotFound):
        do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=FUTURE, start_time=time(9),
                            acting_user=users["front_desk"])
    assert Appointment.objects.count() == 0


def test_only_schedule_managers_set_up_clinics(users):
    with pytest.raises(PermissionRefused):
        do_create_clinic(name="X", time_zone="UTC", acting_user=users["front_desk"])
    with pytest.raises(ChartdeskError, match="is not a time zone name"):
        do_create_clinic(name="X", time_zone="Mars/Olympus", acting_user=users["him_manager"])
