"""The day sheet: check-in opens the encounter and records the copay in billing, check-out finishes it
(so the chart reaches completion and the coding queue), no-shows are marked after the day, and the
file room's pick list fills from the appointments."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from chartdesk.billing.ledger import patient_balance
from chartdesk.billing.models import LedgerEntry, LedgerKind, Party
from chartdesk.charts.models import Encounter, EncounterStatus
from chartdesk.coding.workflow.queue import QueueFilters, coding_queue
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.filing.access import build_pick_list
from chartdesk.filing.actions import do_create_paper_chart
from chartdesk.schedule.actions import do_book_appointment, do_cancel_appointment
from chartdesk.schedule.day_sheet import (
    CheckIn,
    clinic_today,
    do_check_in,
    do_check_out,
    do_mark_arrived,
    do_mark_no_shows,
    do_room_patient,
    no_show_rates,
)
from chartdesk.schedule.models import Appointment, AppointmentStatus
from tests.support import factories

CONFIRMED = CheckIn(demographics_confirmed=True, insurance_confirmed=True,
                    forms_signed=("privacy_notice", "consent_to_treat"), copay=Decimal("25.00"))


def book_today(schedule, visit_type, patient, users, start=time(8)):
    return do_book_appointment(patient, schedule=schedule, visit_type=visit_type, day=clinic_today(schedule.clinic),
                               start_time=start, acting_user=users["front_desk"], allow_past=True)


def test_check_in_opens_the_visit_and_records_the_copay_as_a_patient_payment(schedule, follow_up, patient, users):
    desk = users["front_desk"]
    appointment = book_today(schedule, follow_up, patient, users)
    do_mark_arrived(appointment, acting_user=desk)
    checked_in = do_check_in(appointment, CONFIRMED, acting_user=desk)
    assert checked_in.status == AppointmentStatus.CHECKED_IN
    encounter = Encounter.objects.get(pk=checked_in.encounter_id)
    assert (encounter.status, encounter.encounter_class, encounter.attending) == (
        EncounterStatus.IN_PROGRESS, "outpatient", schedule.provider)
    copay = LedgerEntry.objects.get(patient=patient)
    assert (copay.kind, copay.party, copay.amount, copay.claim_id) == (
        LedgerKind.PAYMENT, Party.PATIENT, Decimal("25.00"), None)
    assert patient_balance(patient, Party.PATIENT) == Decimal("-25.00")  # a credit until the claim is billed
    assert checked_in.forms_signed == "consent_to_treat,privacy_notice"


def test_check_in_without_confirming_insurance_changes_nothing(schedule, follow_up, patient, users):
    appointment = book_today(schedule, follow_up, patient, users)
    unconfirmed = CheckIn(demographics_confirmed=True, insurance_confirmed=False, copay=Decimal("25.00"))
    with pytest.raises(ChartdeskError, match="Confirm the patient's insurance") as refusal:
        do_check_in(appointment, unconfirmed, acting_user=users["front_desk"])
    assert refusal.value.field == "insurance_confirmed"
    assert (Encounter.objects.count(), LedgerEntry.objects.count()) == (0, 0)
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED


def test_a_refused_copay_leaves_no_encounter_open(schedule, follow_up, patient, users):
    appointment = book_today(schedule, follow_up, patient, users)
    with pytest.raises(ChartdeskError, match="above zero"):
        do_check_in(appointment, CheckIn(True, True, copay=Decimal("-5")), acting_user=users["front_desk"])
    assert (Encounter.objects.count(), LedgerEntry.objects.count()) == (0, 0)


def test_only_todays_visits_are_checked_in(schedule, follow_up, patient, users):
    later = do_book_appointment(patient, schedule=schedule, visit_type=follow_up,
                                day=clinic_today(schedule.clinic) + timedelta(days=3), start_time=time(9),
                                acting_user=users["front_desk"])
    with pytest.raises(ChartdeskError, match="Only today's appointments can be checked in"):
        do_check_in(later, CONFIRMED, acting_user=users["front_desk"])


def test_check_out_finishes_the_encounter_and_it_reaches_the_coding_queue_and_completion(
        schedule, follow_up, patient, users, django_capture_on_commit_callbacks):
    from chartdesk.completion.models import Deficiency, DeficiencyRule

    DeficiencyRule.objects.create(code="visit-note", name="Progress note", kind="required_document",
                                  document_type="11506-3", anchor="discharge", hours_after=24)
    desk = users["front_desk"]
    appointment = book_today(schedule, follow_up, patient, users)
    do_check_in(appointment, CONFIRMED, acting_user=desk)
    do_room_patient(appointment, room="Exam 3", acting_user=desk)
    assert coding_queue(QueueFilters()) == []
    with django_capture_on_commit_callbacks(execute=True):
        done = do_check_out(appointment, acting_user=desk)
    assert done.status == AppointmentStatus.CHECKED_OUT and done.room == "Exam 3"
    encounter = Encounter.objects.get(pk=done.encounter_id)
    assert encounter.status == EncounterStatus.FINISHED
    assert [row.pk for row in coding_queue(QueueFilters())] == [encounter.pk]
    assert Deficiency.objects.filter(encounter=encounter, rule__code="visit-note").exists()


def test_steps_out_of_order_are_refused(schedule, follow_up, patient, users):
    appointment = book_today(schedule, follow_up, patient, users)
    with pytest.raises(ChartdeskError, match="This appointment is booked; it cannot be checked out now"):
        do_check_out(appointment, acting_user=users["front_desk"])
    with pytest.raises(ChartdeskError, match="cannot be roomed now"):
        do_room_patient(appointment, room="1", acting_user=users["front_desk"])


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "provider", "registrar", "administrator"])
def test_roles_without_the_day_sheet_cannot_check_in(role, schedule, follow_up, patient, users):
    appointment = book_today(schedule, follow_up, patient, users)
    with pytest.raises(PermissionRefused):
        do_check_in(appointment, CONFIRMED, acting_user=users[role])
    assert Encounter.objects.count() == 0


def test_no_shows_are_marked_after_the_day_by_the_command_and_make_the_rate(schedule, follow_up, users):
    desk = users["front_desk"]
    yesterday = clinic_today(schedule.clinic) - timedelta(days=1)
    people = [factories.make_patient("Pat", f"Person{n}") for n in range(4)]
    made = [do_book_appointment(person, schedule=schedule, visit_type=follow_up, day=yesterday,
                                start_time=time(9, 15 * n), acting_user=desk, allow_past=True)
            for n, person in enumerate(people)]
    do_cancel_appointment(made[3], reason="Moved away", acting_user=desk)
    Appointment.objects.filter(pk=made[0].pk).update(status=AppointmentStatus.CHECKED_OUT)
    call_command("schedule", "no-shows", "--date", yesterday.isoformat(), "--as", desk.username)
    statuses = [Appointment.objects.get(pk=row.pk).status for row in made]
    assert statuses == ["checked_out", "no_show", "no_show", "cancelled"]
    [line] = no_show_rates(yesterday, yesterday)
    assert (line.schedule, line.due, line.no_shows, round(line.rate, 3)) == (schedule, 3, 2, 0.667)
    assert do_mark_no_shows(yesterday, acting_user=desk) == 0  # a second run marks nothing


def test_no_shows_are_not_marked_before_the_day_ends(schedule, users):
    with pytest.raises(ChartdeskError, match="has not ended yet"):
        do_mark_no_shows(clinic_today(schedule.clinic), acting_user=users["front_desk"], clinic=schedule.clinic)


def test_the_pick_list_fills_from_tomorrows_appointments_with_clinic_and_time(
        schedule, follow_up, patient, users):
    from chartdesk.filing.actions import do_create_file_room

    room = do_create_file_room(facility="General", name="Main", filing_system="terminal-digit",
                               acting_user=users["him_manager"])
    chart = do_create_paper_chart(patient, file_room=room, acting_user=users["him_manager"])
    tomorrow = timezone.localdate() + timedelta(days=1)
    booked = do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=tomorrow, start_time=time(10),
                                 acting_user=users["front_desk"])
    picks = build_pick_list(tomorrow)
    [line] = picks.to_pull
    assert line.chart == chart
    assert [(visit.at_time, visit.clinic) for visit in line.visits] == [(time(10), "Internal medicine")]
    do_cancel_appointment(booked, reason="Rescheduled", acting_user=users["front_desk"])
    assert build_pick_list(tomorrow).lines == []


def test_reminders_go_once_by_email_and_say_nothing_clinical(schedule, follow_up, users, mailoutbox, settings,
                                                              django_capture_on_commit_callbacks):
    from chartdesk.schedule.actions import do_save_visit_type
    from chartdesk.schedule.models import Reminder

    settings.TEXT_GATEWAY = "tests.schedule.test_day_sheet.record_text"
    RECORDED_TEXTS.clear()
    chemo = do_save_visit_type(code="CHEMO", name="Chemotherapy infusion", minutes=15, acting_user=users["him_manager"])
    person = factories.make_patient("Rosa", "Parks", email="rosa@example.org")
    tomorrow = clinic_today(schedule.clinic) + timedelta(days=1)
    do_book_appointment(person, schedule=schedule, visit_type=chemo, day=tomorrow, start_time=time(9, 30),
                        note="Breast cancer C50.911, cycle 3", acting_user=users["front_desk"])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("schedule", "send-reminders", "--date", tomorrow.isoformat(), "--as", users["front_desk"].username)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("schedule", "send-reminders", "--date", tomorrow.isoformat(), "--as", users["front_desk"].username)
    [message] = mailoutbox
    assert message.to == ["rosa@example.org"] and message.subject == "Appointment reminder"
    assert "Internal medicine with Grace Hopper" in message.body and "at 09:30 (E" in message.body
    for clinical in ("Chemo", "chemo", "cancer", "C50", "cycle", "Infusion", "infusion"):
        assert clinical not in message.body
    assert Reminder.objects.filter(channel="email").count() == 1
    assert RECORDED_TEXTS == []  # no mobile number on file: no text


RECORDED_TEXTS: list[tuple[str, str]] = []


def record_text(number: str, message: str) -> None:
    RECORDED_TEXTS.append((number, message))


def test_reminders_are_refused_to_roles_without_the_permission(users):
    from chartdesk.schedule.reminders import do_send_reminders

    with pytest.raises(PermissionRefused):
        do_send_reminders(timezone.localdate(), acting_user=users["coder"])
