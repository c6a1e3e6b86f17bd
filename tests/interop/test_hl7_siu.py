"""SIU from an outside scheduling system: the public samples of microsoft/FHIR-Converter
(tests/data/hl7/fhir-converter, MIT; S12, S13, S14, S15 and S26 in two story lines that share one
filler appointment id) booked, moved, cancelled and missed through the schedule's own actions, and
what a feed gets wrong answered AE naming the field, changing nothing.

Every sample's patient is recorded as deceased in 2008 (PID-29 and PID-30): sent as published, the
booking is refused (the first test). The story tests send them with those two fields emptied, the
only change made to them."""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.interop.hl7v2.ack import RECEIVING_APPLICATION
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.models import Hl7Message
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient
from chartdesk.schedule.actions import (
    do_add_template_hours,
    do_create_clinic,
    do_create_schedule,
    do_save_visit_type,
)
from chartdesk.schedule.models import Appointment
from tests.support import factories

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "hl7" / "fhir-converter"
OUTSIDE_ID = "GHHSFacility:36996"  # SCH-2 of every sample, scoped by the sender (MSH-4)


@pytest.fixture
def feed(db: Any):
    user = interface_user()

    def send(message: str | bytes):
        raw = message if isinstance(message, bytes) else message.encode()
        return receive_message(raw, acting_user=user)

    return send


@pytest.fixture
def front_office(users: dict[str, Any]) -> dict[str, Any]:
    """A clinic in Berlin (the samples carry +0215 offsets: a start is moved to the clinic's wall time),
    the samples' gastroenterologist (AIP "1210^GE^Robert") and phlebotomist ("400^PB^Tim") with
    schedules open 08:00-17:00 every day, and their two visit types (SCH-7 EMERGENCY and CHECKUP)."""
    him = users["him_manager"]
    clinic = do_create_clinic(name="GH Clinic", time_zone="Europe/Berlin", acting_user=him)
    made = {}
    for key, given, family in (("gastro", "Robert", "GE"), ("phlebotomy", "Tim", "PB")):
        schedule = do_create_schedule(clinic, provider=factories.make_provider(given, family), acting_user=him)
        for weekday in range(7):
            do_add_template_hours(schedule, weekday=weekday, start_time=time(8), end_time=time(17), acting_user=him)
        made[key] = schedule
    made["emergency"] = do_save_visit_type(code="EMERGENCY", name="Urgent procedure", minutes=50, acting_user=him)
    made["checkup"] = do_save_visit_type(code="CHECKUP", name="Check-up", minutes=60, acting_user=him)
    return made


def published(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sample(name: str) -> bytes:
    """The public sample with PID-29 (death date) and PID-30 (death indicator) emptied."""
    segments = re.split(r"\r\n|\r|\n", published(name).decode().strip())
    for index, segment in enumerate(segments):
        if segment.startswith("PID|"):
            fields = segment.split("|")
            fields[29:31] = ["", ""]
            segments[index] = "|".join(fields)
    return "\r".join(segments).encode()


def msa(outcome: Any) -> tuple[str, str]:
    fields = next(segment for segment in outcome.ack.split("\r") if segment.startswith("MSA|")).split("|")
    return fields[1], fields[3]


def err_location(outcome: Any) -> str:
    err = next((segment for segment in outcome.ack.split("\r") if segment.startswith("ERR|")), "")
    return err.split("|")[2] if err else ""


def test_the_published_s12_for_a_patient_recorded_as_deceased_books_nothing(feed, front_office):
    outcome = feed(published("SIU-S12-01.hl7"))
    assert msa(outcome)[0] == "AE" and err_location(outcome) == "PID^1^29"
    assert "deceased (2008-08-25)" in msa(outcome)[1]
    assert Appointment.objects.count() == 0 and Patient.objects.count() == 0


def test_the_public_s12_books_the_visit_at_the_clinics_wall_time_for_the_patient_it_registers(feed, front_office):
    outcome = feed(sample("SIU-S12-01.hl7"))
    code, text = msa(outcome)
    assert code == "AA", text
    appointment = Appointment.objects.get()
    # TQ1-7 20210924093000+0215 is 07:15 UTC, 09:15 in Berlin's summer time.
    assert (appointment.day, appointment.start_time) == (date(2021, 9, 24), time(9, 15))
    assert appointment.schedule == front_office["gastro"] and appointment.visit_type == front_office["emergency"]
    assert appointment.external_id == OUTSIDE_ID and appointment.status == "booked"
    assert appointment.patient.family_name.upper() == "EVERYMAN"
    assert "booked" in text and "09:15" in text
    stored = Hl7Message.objects.get()
    assert stored.status == "accepted" and stored.patient == appointment.patient
    booking = AuditEvent.objects.get(object_type="appointment", object_id=str(appointment.pk), action="create")
    assert booking.user == interface_user() and booking.patient_id == appointment.patient_id


def test_the_first_story_line_reschedules_modifies_and_cancels_the_same_visit(feed, front_office):
    assert msa(feed(sample("SIU-S12-01.hl7")))[0] == "AA"
    code, text = msa(feed(sample("SIU-S13-01.hl7")))  # the same time again: nothing to move
    assert code == "AA" and "nothing changed" in text
    code, text = msa(feed(sample("SIU-S14-01.hl7")))  # another room, same provider and time
    assert code == "AA" and "nothing changed" in text
    code, text = msa(feed(sample("SIU-S15-01.hl7")))
    assert code == "AA", text
    appointment = Appointment.objects.get()
    assert appointment.status == "cancelled"
    assert appointment.cancel_reason.startswith("Cancelled by GHHSFacility (SIU S15)")
    assert Patient.objects.count() == 1  # every later event found the chart the booking registered
    again = feed(sample("SIU-S15-01.hl7"))  # the same bytes again: a repeat, acknowledged, nothing changed
    assert msa(again)[0] == "AA" and Hl7Message.objects.filter(status="repeated").count() == 1


def test_the_second_story_line_moves_the_visit_there_and_back_then_marks_it_missed(feed, front_office):
    assert msa(feed(sample("SIU-S12-02.hl7")))[0] == "AA"
    appointment = Appointment.objects.get()
    assert appointment.schedule == front_office["phlebotomy"] and appointment.visit_type == front_office["checkup"]
    assert (appointment.day, appointment.start_time) == (date(2021, 8, 18), time(11, 15))

    code, text = msa(feed(sample("SIU-S13-02.hl7")))
    assert code == "AA" and "moved to 2021-08-20 at 11:15" in text
    code, _ = msa(feed(sample("SIU-S14-02.hl7")))
    assert code == "AA"
    appointment.refresh_from_db()
    assert (appointment.day, appointment.start_time, appointment.revision) == (date(2021, 8, 18), time(11, 15), 3)
    moves = AuditEvent.objects.filter(object_type="appointment", object_id=str(appointment.pk), action="update")
    assert [event.detail["reason"].split(":")[0] for event in moves.order_by("pk")] == [
        "Rescheduled by GHHSFacility (SIU S13)", "Modified by GHHSFacility (SIU S14)"]

    code, _ = msa(feed(sample("SIU-S26-02.hl7")))
    assert code == "AA"
    appointment.refresh_from_db()
    assert appointment.status == "no_show"
    # A visit already missed cannot then be cancelled: AE on SCH-25 (filler status), nothing changed.
    outcome = feed(sample("SIU-S15-02.hl7"))
    assert msa(outcome)[0] == "AE" and err_location(outcome) == "SCH^1^25"
    assert "no-show" in msa(outcome)[1]
    appointment.refresh_from_db()
    assert appointment.status == "no_show"


def test_a_booking_nobody_here_can_take_changes_nothing_and_names_the_field(feed, front_office):
    # S12_1's AIP names "Tim G" and "Robert C" (family name first): no provider of ours.
    outcome = feed(sample("SIU-S12_1.hl7"))
    assert msa(outcome)[0] == "AE" and err_location(outcome) == "AIP^1^3"
    assert Appointment.objects.count() == 0 and Patient.objects.count() == 0


def test_events_other_than_s12_to_s15_and_s26_are_rejected(feed, front_office):
    for name in ("SIU-S16-01.hl7", "SIU-S17-01.hl7"):
        outcome = feed(sample(name))
        assert msa(outcome)[0] == "AR" and err_location(outcome) == "MSH^1^9"
    assert Appointment.objects.count() == 0


# ----------------------------------------------------------------------------- what a feed gets wrong
# Variations on the public S12-01, changed one field at a time.

BASE = sample("SIU-S12-01.hl7").decode()


def varied(control_id: str, **changes: str) -> str:
    """S12-01 with segments replaced (name -> whole new segment, "" to drop it) and a new MSH-10."""
    segments = BASE.split("\r")
    out: list[str] = []
    for segment in segments:
        name = segment[:3]
        if name in changes:
            if changes[name]:
                out.append(changes[name])
            continue
        out.append(segment)
    text = "\r".join(out)
    return text.replace("|MSG00012|", f"|{control_id}|", 1)


def test_a_time_outside_the_schedules_hours_is_refused_naming_tq1_7(feed, front_office):
    late = "TQ1|||||||20210924213000+0200|20210924222000+0200|A"
    outcome = feed(varied("LATE1", TQ1=late))
    assert msa(outcome)[0] == "AE" and err_location(outcome) == "TQ1^1^7"
    assert "21:30 is not open" in msa(outcome)[1]
    assert Appointment.objects.count() == 0 and Patient.objects.count() == 0


def test_a_start_without_an_offset_is_the_clinics_wall_time(feed, front_office):
    wall = "TQ1|||||||20210924093000|20210924102000|A"
    message = varied("WALL1", TQ1=wall).replace("|202109141120+0215|", "|20210914112000|", 1)
    assert msa(feed(message))[0] == "AA"
    assert Appointment.objects.get().start_time == time(9, 30)


def test_an_unknown_visit_type_is_refused_naming_sch_8(feed, front_office):
    sch = BASE.split("\r")[1].replace("|Add|EMERGENCY|Normal|", "|Add|WELLNESS|ANNUAL|", 1)
    outcome = feed(varied("TYPE1", SCH=sch))
    assert msa(outcome)[0] == "AE" and err_location(outcome) == "SCH^1^8"
    assert "WELLNESS" in msa(outcome)[1]
    assert Appointment.objects.count() == 0


def test_a_booking_without_pid_or_without_an_appointment_id_is_refused(feed, front_office):
    no_pid = feed(varied("NOPID", PID=""))
    assert msa(no_pid)[0] in ("AE", "AR") and err_location(no_pid).startswith("PID")
    sch = BASE.split("\r")[1].replace("SCH|12345|36996|", "SCH|||", 1)
    no_id = feed(varied("NOID1", SCH=sch))
    assert msa(no_id)[0] == "AE" and err_location(no_id) == "SCH^1^2"
    assert Appointment.objects.count() == 0 and Patient.objects.count() == 0


def test_the_same_appointment_booked_twice_is_refused_the_second_time(feed, front_office):
    assert msa(feed(sample("SIU-S12-01.hl7")))[0] == "AA"
    outcome = feed(varied("TWICE", TQ1="TQ1|||||||20210924110000+0200|20210924115000+0200|A"))
    assert msa(outcome)[0] == "AE" and "already booked" in msa(outcome)[1]
    assert Appointment.objects.count() == 1


def test_a_later_event_naming_another_patient_is_refused(feed, front_office):
    assert msa(feed(sample("SIU-S12-01.hl7")))[0] == "AA"
    other = factories.make_patient(given_name="Otto", family_name="Other")
    pid = f"PID|1||{other.mrn}^^^{RECEIVING_APPLICATION}^MR||Other^Otto||19800315|F"  # our own MRN
    cancel = sample("SIU-S15-01.hl7").decode()  # segments joined by CR, as sample() returns them
    cancel = "\r".join(pid if segment.startswith("PID|") else segment for segment in cancel.split("\r"))
    outcome = feed(cancel)
    assert msa(outcome)[0] == "AE" and err_location(outcome) == "PID^1^3"
    assert Appointment.objects.get().status == "booked"


def test_a_no_show_before_the_visit_has_begun_is_refused(feed, front_office, users):
    future = "TQ1|||||||20990924093000+0200|20990924102000+0200|A"
    assert msa(feed(varied("FUT01", TQ1=future)))[0] == "AA"
    missed = sample("SIU-S26-01.hl7").decode()
    outcome = feed(missed)
    assert msa(outcome)[0] == "AE" and "has not begun" in msa(outcome)[1]
    assert Appointment.objects.get().status == "booked"
