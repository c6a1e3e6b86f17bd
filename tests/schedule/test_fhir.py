"""FHIR R4 Schedule, Slot and Appointment: read and search by date, actor, patient and status; create
and cancel for a client with the write scope, through the schedule's actions."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from chartdesk.interop.fhir.validation import validate_resource
from chartdesk.patients.actions import do_set_restriction
from chartdesk.schedule.actions import do_book_appointment
from chartdesk.schedule.models import Appointment, AppointmentStatus
from tests.support import factories

DAY = timezone.localdate() + timedelta(days=20)


@pytest.fixture
def booked(schedule, follow_up, patient, users):
    return do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=DAY, start_time=time(9),
                               acting_user=users["front_desk"])


def test_an_appointment_reads_as_valid_fhir_with_the_clinics_offset(booked, fhir_as, patient, doctor):
    api = fhir_as("front_desk")
    response = api.get(f"/fhir/Appointment/{booked.pk}")
    assert response.status_code == 200, response.content
    resource = response.json()
    validate_resource(resource, expected_type="Appointment")
    assert resource["status"] == "booked"
    assert resource["start"].startswith(f"{DAY.isoformat()}T09:00:00")
    assert resource["start"][-6:] in ("-05:00", "-04:00")  # New York, whatever the server's zone
    assert resource["appointmentType"]["coding"][0]["code"] == "FU"
    actors = {participant["actor"].get("reference") for participant in resource["participant"]}
    assert actors == {f"Patient/{patient.pk}", f"Practitioner/{doctor.pk}"}


def test_search_by_patient_date_actor_and_status(booked, fhir_as, patient, doctor, schedule, follow_up, users):
    other = factories.make_patient("Ola", "Nordmann", date(1990, 1, 2))
    later = do_book_appointment(other, schedule=schedule, visit_type=follow_up, day=DAY + timedelta(days=1),
                                start_time=time(10), acting_user=users["front_desk"])
    api = fhir_as("front_desk")

    def ids(query: str) -> list[str]:
        response = api.get(f"/fhir/Appointment?{query}")
        assert response.status_code == 200, response.content
        return [item["resource"]["id"] for item in response.json().get("entry", [])]

    assert ids(f"patient=Patient/{patient.pk}") == [str(booked.pk)]
    assert ids(f"actor=Practitioner/{doctor.pk}") == [str(booked.pk), str(later.pk)]
    assert ids(f"actor=Practitioner/{doctor.pk}&date={(DAY + timedelta(days=1)).isoformat()}") == [str(later.pk)]
    assert ids(f"date=ge{DAY.isoformat()}&status=booked") == [str(booked.pk), str(later.pk)]
    assert ids(f"date=ge{DAY.isoformat()}&status=cancelled") == []
    bad = api.get("/fhir/Appointment?date=ge2030-01-01&status=maybe")
    assert bad.status_code == 400 and "status" in bad.content.decode()


def test_a_restricted_patients_appointment_is_not_found_or_listed(booked, fhir_as, patient, users, doctor):
    do_set_restriction(patient, restriction="vip", note="board member", acting_user=users["him_manager"])
    api = fhir_as("front_desk")
    assert api.get(f"/fhir/Appointment/{booked.pk}").status_code == 404
    listed = api.get(f"/fhir/Appointment?actor=Practitioner/{doctor.pk}").json()
    assert listed["total"] == 0


def test_roles_without_schedule_permissions_read_no_appointments(booked, fhir_as):
    api = fhir_as("coder")
    assert api.get(f"/fhir/Appointment/{booked.pk}").status_code == 404


def test_schedule_and_free_slots_search(schedule, booked, fhir_as, doctor):
    api = fhir_as("front_desk")
    found = api.get(f"/fhir/Schedule?actor=Practitioner/{doctor.pk}").json()
    assert [item["resource"]["id"] for item in found["entry"]] == [str(schedule.pk)]
    slots = api.get(f"/fhir/Slot?schedule=Schedule/{schedule.pk}&start=ge{DAY.isoformat()}"
                    f"&start=le{DAY.isoformat()}").json()
    by_start = {item["resource"]["start"][11:16]: item["resource"]["status"] for item in slots["entry"]}
    assert by_start["09:00"] == "busy" and by_start["09:15"] == "free" and "12:00" not in by_start
    free = api.get(f"/fhir/Slot?schedule=Schedule/{schedule.pk}&start=ge{DAY.isoformat()}"
                   f"&start=le{DAY.isoformat()}&status=free").json()
    assert free["total"] == 31
    validate_resource(free["entry"][0]["resource"], expected_type="Slot")
    assert api.get(f"/fhir/Slot?start=ge{DAY.isoformat()}").json()["total"] == 0  # slots are a schedule's
    month = api.get(f"/fhir/Slot?schedule=Schedule/{schedule.pk}&start=ge{DAY.isoformat()}&start=le2099-12-31")
    assert month.json()["total"] == 31 * 32  # at most a month a search: 31 days of 32 quarter hours


def test_create_books_through_a_slot_and_cancel_needs_the_write_scope(schedule, follow_up, fhir_as, patient):
    resource = {"resourceType": "Appointment", "status": "booked",
                "appointmentType": {"coding": [{"system": "urn:chartdesk:visit-type", "code": "FU"}]},
                "slot": [{"reference": f"Slot/{schedule.pk}-{DAY:%Y%m%d}-1030-15"}],
                "participant": [{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"}]}
    reader = fhir_as("front_desk")
    assert reader.post("/fhir/Appointment", resource).status_code == 403
    writer = fhir_as("front_desk", scopes=("user/Appointment.read", "user/Appointment.write"))
    created = writer.post("/fhir/Appointment", resource)
    assert created.status_code == 201, created.content
    appointment = Appointment.objects.get()
    assert (appointment.day, appointment.start_time) == (DAY, time(10, 30))
    clash = writer.post("/fhir/Appointment", resource)
    assert clash.status_code == 400 and "already booked" in clash.content.decode()
    body = created.json()
    body["status"] = "cancelled"
    body["cancelationReason"] = {"text": "Patient called to cancel"}
    cancelled = writer.put(f"/fhir/Appointment/{appointment.pk}", body, **{"If-Match": 'W/"1"'})
    assert cancelled.status_code == 200, cancelled.content
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (AppointmentStatus.CANCELLED, "Patient called to cancel")
    assert cancelled.json()["status"] == "cancelled"


def test_create_by_practitioner_and_start_converts_to_the_clinics_wall_time(schedule, follow_up, fhir_as, patient,
                                                                            doctor):
    writer = fhir_as("front_desk", scopes=("user/*.read", "user/*.write"))
    resource = {"resourceType": "Appointment", "status": "booked", "start": f"{DAY.isoformat()}T14:00:00Z",
                "end": f"{DAY.isoformat()}T14:15:00Z",
                "appointmentType": {"coding": [{"code": "FU"}]},
                "participant": [{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"},
                                {"actor": {"reference": f"Practitioner/{doctor.pk}"}, "status": "accepted"}]}
    response = writer.post("/fhir/Appointment", resource)
    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get()
    assert appointment.start_time in (time(9), time(10))  # 14:00 UTC is 09:00 EST or 10:00 EDT
    assert appointment.starts_at.isoformat().endswith(("-05:00", "-04:00"))
