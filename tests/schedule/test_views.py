"""The front-office desk: book from the calendar, check in and out on the appointment page, find the
next free slot; roles without the permissions are refused."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from chartdesk.billing.models import LedgerEntry
from chartdesk.charts.models import EncounterStatus
from chartdesk.schedule.actions import do_book_appointment
from chartdesk.schedule.day_sheet import clinic_today
from chartdesk.schedule.models import Appointment, AppointmentStatus


def test_a_scheduler_books_from_the_calendar_and_the_day_sheet_lists_it(schedule, follow_up, patient, users,
                                                                         client_for):
    client = client_for(users["front_desk"])
    day = timezone.localdate() + timedelta(days=7)
    calendar = client.get(f"/schedule/calendar/{schedule.pk}/?day={day.isoformat()}&view=week")
    assert calendar.status_code == 200
    link = f"/schedule/book/?schedule={schedule.pk}&amp;day={day.isoformat()}&amp;start=09:00"
    assert link.encode() in calendar.content and b"data-slot" in calendar.content
    path = f"/schedule/book/?schedule={schedule.pk}&day={day.isoformat()}&start=09:00"
    assert client.get(path).status_code == 200
    response = client.post(path, {"mrn": patient.mrn, "visit_type": follow_up.pk})
    assert response.status_code == 302, response.content
    appointment = Appointment.objects.get()
    assert (appointment.day, appointment.start_time, appointment.patient) == (day, time(9), patient)
    sheet = client.get(f"/schedule/?day={day.isoformat()}")
    assert sheet.status_code == 200 and patient.mrn.encode() in sheet.content
    again = client.post(path, {"mrn": patient.mrn, "visit_type": follow_up.pk})
    assert again.status_code == 400 and b"already booked" in again.content


def test_booking_an_unknown_mrn_names_the_field_and_books_nothing(schedule, follow_up, users, client_for):
    day = timezone.localdate() + timedelta(days=7)
    response = client_for(users["front_desk"]).post(
        f"/schedule/book/?schedule={schedule.pk}&day={day.isoformat()}&start=09:00",
        {"mrn": "NOPE", "visit_type": follow_up.pk})
    assert response.status_code == 400 and b"No patient has the MRN NOPE" in response.content
    assert Appointment.objects.count() == 0


def test_check_in_and_check_out_on_the_appointment_page(schedule, follow_up, patient, users, client_for):
    appointment = do_book_appointment(patient, schedule=schedule, visit_type=follow_up,
                                      day=clinic_today(schedule.clinic), start_time=time(8),
                                      acting_user=users["front_desk"], allow_past=True)
    client = client_for(users["front_desk"])
    page = f"/schedule/appointment/{appointment.pk}/"
    refused = client.post(page, {"step": "check_in", "in-demographics_confirmed": "on"})
    assert refused.status_code == 400 and b"Confirm the patient&#x27;s insurance" in refused.content
    checked_in = client.post(page, {"step": "check_in", "in-demographics_confirmed": "on",
                                    "in-insurance_confirmed": "on", "in-forms_signed": ["privacy_notice"],
                                    "in-copay": "20.00"})
    assert checked_in.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_IN
    assert LedgerEntry.objects.get(patient=patient).amount == 20
    assert client.post(page, {"step": "check_out"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CHECKED_OUT
    assert appointment.encounter.status == EncounterStatus.FINISHED
    assert b"Checked out" in client.get(page).content


def test_next_free_slot_search_lists_bookable_slots(schedule, follow_up, users, client_for):
    day = timezone.localdate() + timedelta(days=3)
    response = client_for(users["front_desk"]).get(
        f"/schedule/next-free/?visit_type={follow_up.pk}&time_of_day=afternoon&from_day={day.isoformat()}")
    assert response.status_code == 200
    assert f"day={day.isoformat()}&amp;start=13:00".encode() in response.content
    bad = client_for(users["front_desk"]).get("/schedule/next-free/?visit_type=999999")
    assert bad.status_code == 400


@pytest.mark.parametrize("role", ["coder", "billing", "roi", "transcriptionist", "provider", "privacy_officer",
                                  "administrator", "registrar"])
def test_roles_without_front_office_permissions_are_refused(role, schedule, follow_up, patient, users, client_for):
    appointment = do_book_appointment(patient, schedule=schedule, visit_type=follow_up,
                                      day=timezone.localdate() + timedelta(days=2), start_time=time(9),
                                      acting_user=users["front_desk"])
    client = client_for(users[role])
    for path in ("/schedule/", f"/schedule/appointment/{appointment.pk}/", f"/schedule/calendar/{schedule.pk}/",
                 "/schedule/next-free/"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/schedule/appointment/{appointment.pk}/",
                       {"step": "cancel", "cancel-reason": "x"}).status_code == 403
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.BOOKED


def test_the_him_manager_works_the_desk_too(schedule, users, client_for):
    assert client_for(users["him_manager"]).get("/schedule/").status_code == 200
