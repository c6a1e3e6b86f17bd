"""HL7 intake keeps the PID each visit came with; an A08 whose PID describes someone else puts the
chart on the overlay list at once (and the ACK says so), while the same person's update does not."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from chartdesk.charts.models import Encounter, OverlayCase, OverlayStatus, StatedDemographics
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.system_user import interface_user
from tests.interop.hl7_messages import adt
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(db):
    user = interface_user()

    def send(text: str):
        outcome = receive_message(text.encode(), acting_user=user)
        assert outcome.code == "AA", outcome.ack
        return outcome

    return send


def test_an_a08_with_a_conflicting_pid_puts_the_chart_on_the_overlay_list(feed):
    feed(adt("A04", "C1", visit="V7001", patient_class="O"))
    stated = StatedDemographics.objects.get()
    assert (stated.given_name, stated.birth_date.isoformat(), stated.sex) == ("Aiko", "1972-05-14", "F")
    assert stated.identifiers == [{"type": "MR", "issuer": "MERCY", "value": "EXT1001"}]
    assert stated.reference == "ADT^A04 C1 from MERCY"
    assert not OverlayCase.objects.exists()
    # The registration system reused the MRN for another person on a later visit.
    feed(adt("A04", "C2", visit="V7002", patient_class="O", admit="20250701083000"))
    outcome = feed(adt("A08", "C3", visit="V7002", given="Kenji", born="19490102", sex="M",
                       admit="20250701083000"))
    case = OverlayCase.objects.get()
    assert case.status == OverlayStatus.OPEN and case.fields == ["Date of birth", "Sex"]
    assert f"possible overlay: MRN {case.patient.mrn} is on the HIM overlay list" in outcome.ack
    sides = {side["value"] for conflict in case.conflicts for side in conflict["sides"]}
    assert {"1972-05-14", "1949-01-02", "F", "M"} <= sides
    assert Encounter.objects.filter(patient=case.patient).count() == 2


def test_an_a08_correcting_a_typo_in_the_birth_date_is_not_an_overlay(feed):
    feed(adt("A04", "D1", visit="V8001", patient_class="O"))
    outcome = feed(adt("A08", "D2", visit="V8001", born="19720515"))
    assert StatedDemographics.objects.count() == 2
    assert not OverlayCase.objects.exists() and "overlay" not in outcome.ack


def test_the_scan_command_prints_the_overlays_as_json(feed):
    factories.make_user("him_manager", username="hannah")
    feed(adt("A04", "E1", visit="V9001", patient_class="O"))
    feed(adt("A08", "E2", visit="V9001", given="Kenji", born="19490102", sex="M"))
    out = StringIO()
    call_command("patients", "overlays", "scan", "--json", "--user", "hannah", stdout=out)
    found = json.loads(out.getvalue())
    case = OverlayCase.objects.get()
    assert found["summary"] == {"charts_checked": 1, "to_review": 1, "open_cases": 1}
    assert [item["mrn"] for item in found["overlays"]] == [case.patient.mrn]
    assert found["overlays"][0]["fields"] == ["Date of birth", "Sex"]
    birth = next(c for c in found["overlays"][0]["conflicts"] if c["field"] == "birth_date")
    assert birth["level"] == "different" and {s["value"] for s in birth["sides"]} == {"1972-05-14", "1949-01-02"}
