"""FHIR R4 Schedule and Slot checked against public examples written by others: the SMART Scheduling
Links examples (tests/data/fhir/scheduling, origin and licence in its README.md). Each example must
validate as R4, and what our API serves must have the same shape: the elements the examples fill,
references of the form `Type/id`, instants with a UTC offset and an end after the start."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from chartdesk.interop.fhir.validation import validate_resource
from chartdesk.schedule.actions import do_book_appointment
from chartdesk.schedule.models import Appointment

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "fhir" / "scheduling"
DAY = timezone.localdate() + timedelta(days=20)
REFERENCE = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")  # FHIR's relative reference


def _examples(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (EXAMPLES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


SCHEDULES = _examples("schedules.ndjson")
SLOTS = _examples("slots-2021-W09.ndjson")


def _instant(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    assert moment.tzinfo is not None, f"{raw} has no UTC offset"
    return moment


def test_the_public_examples_are_the_files_listed_in_the_readme():
    assert (len(SCHEDULES), len(SLOTS)) == (10, 70)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in ("schedules.ndjson", "slots-2021-W09.ndjson"):
        assert name in readme


@pytest.mark.parametrize("resource", SCHEDULES + SLOTS, ids=lambda item: f"{item['resourceType']}-{item['id']}")
def test_each_public_example_is_valid_r4(resource):
    model = validate_resource(resource, expected_type=resource["resourceType"])
    assert model.id == resource["id"]


@pytest.fixture
def booked(schedule, follow_up, patient, users):
    return do_book_appointment(patient, schedule=schedule, visit_type=follow_up, day=DAY, start_time=time(9),
                               acting_user=users["front_desk"])


def test_our_schedule_has_the_shape_of_the_public_schedules(schedule, fhir_as):
    ours = fhir_as("front_desk").get(f"/fhir/Schedule/{schedule.pk}").json()
    validate_resource(ours, expected_type="Schedule")
    for public in SCHEDULES:
        # actor is the one element R4 requires; the examples name it by reference, as we do.
        assert {"resourceType", "id", "actor"} <= public.keys() & ours.keys()
        assert all(REFERENCE.match(actor["reference"]) for actor in public["actor"])
    assert [REFERENCE.match(actor["reference"]) is not None for actor in ours["actor"]] == [True]
    assert ours["actor"][0]["reference"] == f"Practitioner/{schedule.provider_id}"


def test_our_slots_have_the_shape_of_the_public_slots(schedule, booked, fhir_as):
    api = fhir_as("front_desk")
    found = api.get(f"/fhir/Slot?schedule=Schedule/{schedule.pk}&start=ge{DAY.isoformat()}"
                    f"&start=le{DAY.isoformat()}").json()
    ours = [item["resource"] for item in found["entry"]]
    assert {slot["status"] for slot in ours} == {"free", "busy"}
    core = {"resourceType", "id", "schedule", "status", "start", "end"}
    for slot in ours[:3] + SLOTS:
        validate_resource(slot, expected_type="Slot")
        assert core <= slot.keys(), slot
        assert REFERENCE.match(slot["schedule"]["reference"]) and slot["schedule"]["reference"].startswith("Schedule/")
        assert slot["status"] in ("free", "busy")  # the public examples use the same two codes
        assert _instant(slot["end"]) > _instant(slot["start"])
    public_statuses = {slot["status"] for slot in SLOTS}
    assert public_statuses <= {"free", "busy"}
    busy = next(slot for slot in ours if slot["status"] == "busy")
    assert busy["start"].startswith(f"{DAY.isoformat()}T09:00:00") and busy["start"][-6:] in ("-05:00", "-04:00")
    # A slot read by its id answers the same resource the search listed.
    assert api.get(f"/fhir/Slot/{busy['id']}").json()["start"] == busy["start"]


def test_a_public_slot_start_reads_as_the_same_instant_in_our_clinics_zone(schedule, fhir_as):
    """The public slots start at 14:00Z with milliseconds; a slot search by that instant's day finds our
    slots of that day in the clinic's own offset, which compare equal to the public UTC instants."""
    public = SLOTS[0]
    day = _instant(public["start"]).date()
    found = fhir_as("front_desk").get(f"/fhir/Slot?schedule=Schedule/{schedule.pk}&start={day.isoformat()}").json()
    by_instant = {_instant(item["resource"]["start"]): item["resource"] for item in found["entry"]}
    # 14:00Z on 1 March 2021 is 09:00 in New York (EST, -05:00): the clinic's 09:00 slot.
    match = by_instant[_instant(public["start"])]
    assert match["start"] == f"{day.isoformat()}T09:00:00-05:00"


def _booking(patient: Any, slot_reference: str) -> dict[str, Any]:
    return {"resourceType": "Appointment", "status": "booked",
            "appointmentType": {"coding": [{"system": "urn:chartdesk:visit-type", "code": "FU"}]},
            "slot": [{"reference": slot_reference}],
            "participant": [{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"}]}


def test_a_booking_on_a_public_slot_id_is_a_400_naming_the_slot(schedule, follow_up, fhir_as, patient):
    """The public slots have ids such as "20", another server's: booking on one is a fault in the body
    (400 naming Appointment.slot), not a missing endpoint (it was a bare 404 "No such slot")."""
    writer = fhir_as("front_desk", scopes=("user/*.read", "user/*.write"))
    for public in SLOTS[:3]:
        refused = writer.post("/fhir/Appointment", _booking(patient, f"Slot/{public['id']}"))
        assert refused.status_code == 400, refused.content
        outcome = refused.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["expression"] == ["Appointment.slot"]
    assert not Appointment.objects.exists()


def test_a_public_slots_time_refused_by_the_booking_rules_names_the_slot_element(schedule, follow_up, fhir_as,
                                                                                  patient):
    """Our slot at the public example's instant (1 March 2021, 09:00 in New York) has passed: the refusal
    names Appointment.slot, the element the client sent, not the desk form's field start_time."""
    writer = fhir_as("front_desk", scopes=("user/*.read", "user/*.write"))
    refused = writer.post("/fhir/Appointment", _booking(patient, f"Slot/{schedule.pk}-20210301-0900-15"))
    assert refused.status_code == 400, refused.content
    issue = refused.json()["issue"][0]
    assert issue["expression"] == ["Appointment.slot"] and "already passed" in issue["diagnostics"]
    by_start = {**_booking(patient, ""), "start": SLOTS[0]["start"]}
    del by_start["slot"]
    by_start["participant"].append({"actor": {"reference": f"Practitioner/{schedule.provider_id}"},
                                    "status": "accepted"})
    refused = writer.post("/fhir/Appointment", by_start)
    assert refused.status_code == 400 and refused.json()["issue"][0]["expression"] == ["Appointment.start"]
    assert not Appointment.objects.exists()
