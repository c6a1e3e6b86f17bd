"""ADT messages applied to the MPI and encounters: ACK codes, repeats, reused control ids, merges,
malformed content. Each message is stored with its SHA-256."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from chartdesk.charts.models import Encounter
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.models import Hl7Message, InterfaceAlert
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient
from tests.interop.hl7_messages import adt
from tests.support import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(db):
    user = interface_user()

    def send(text: str):
        return receive_message(text.encode(), acting_user=user)

    return send


def msa(outcome):
    return next(segment for segment in outcome.ack.split("\r") if segment.startswith("MSA|")).split("|")


def test_a04_registers_the_patient_and_an_outpatient_visit(feed):
    outcome = feed(adt("A04", "M1", patient_class="O"))
    assert msa(outcome)[:3] == ["MSA", "AA", "M1"]
    patient = Patient.objects.get()
    assert (patient.family_name, patient.given_name, patient.birth_date, patient.sex) == (
        "Nakamura", "Aiko", date(1972, 5, 14), "F")
    assert patient.identifiers.get().value == "EXT1001"
    encounter = Encounter.objects.get()
    assert (encounter.account_number, encounter.encounter_class, encounter.location) == ("V5001", "outpatient",
                                                                                          "4W-12-A")


def test_a01_then_a03_admits_and_discharges(feed):
    assert feed(adt("A01", "M1")).code == "AA"
    assert feed(adt("A03", "M2", discharge="20250604110000")).code == "AA"
    encounter = Encounter.objects.get()
    assert (encounter.encounter_class, encounter.status, encounter.discharge_disposition) == (
        "inpatient", "finished", "01")
    assert Patient.objects.count() == 1


def test_a08_updates_demographics_of_the_known_patient(feed):
    feed(adt("A04", "M1"))
    outcome = feed(adt("A08", "M2", family="Nakamura-Smith"))
    assert outcome.code == "AA"
    patient = Patient.objects.get()
    assert (patient.family_name, patient.revision) == ("Nakamura-Smith", 2)


def test_a_repeated_message_changes_nothing_and_is_acknowledged(feed):
    message = adt("A01", "M1")
    feed(message)
    before = (Patient.objects.count(), Encounter.objects.count())
    again = feed(message)
    assert msa(again)[:3] == ["MSA", "AA", "M1"]
    assert "nothing changed" in msa(again)[3]
    assert (Patient.objects.count(), Encounter.objects.count()) == before
    assert list(Hl7Message.objects.order_by("id").values_list("status", flat=True)) == ["accepted", "repeated"]


def test_the_same_control_id_with_other_content_gets_ae_and_an_alert(feed):
    feed(adt("A01", "M1"))
    outcome = feed(adt("A01", "M1", visit="V9999"))
    assert msa(outcome)[:3] == ["MSA", "AE", "M1"]
    assert Encounter.objects.count() == 1
    alert = InterfaceAlert.objects.get()
    assert alert.kind == "control-id-reused"
    assert Hl7Message.objects.filter(status="conflict").count() == 1


def test_a40_merges_the_mrg_patient_into_the_pid_patient_and_a_repeat_changes_nothing(feed):
    feed(adt("A04", "M1", mrn="EXT1001", visit="V5001"))
    feed(adt("A04", "M2", mrn="EXT0999", visit="V5002", given="Aiko", born="19720514"))
    survivor, retired = (Patient.objects.get(identifiers__value=value) for value in ("EXT1001", "EXT0999"))
    assert survivor.pk != retired.pk

    outcome = feed(adt("A40", "M3", mrn="EXT1001", extra="MRG|EXT0999^^^MERCY^MR"))

    assert msa(outcome)[:3] == ["MSA", "AA", "M3"]
    assert f"MRN {retired.mrn} merged into MRN {survivor.mrn}" in msa(outcome)[3]
    retired.refresh_from_db()
    assert retired.merged_into_id == survivor.pk
    assert set(Encounter.objects.values_list("account_number", "patient_id")) == {
        ("V5001", survivor.pk), ("V5002", survivor.pk)}

    again = feed(adt("A40", "M4", mrn="EXT1001", extra="MRG|EXT0999^^^MERCY^MR"))
    assert msa(again)[:2] == ["MSA", "AA"]
    assert "already merged" in msa(again)[3]
    assert InterfaceAlert.objects.count() == 0


def test_a40_naming_an_unknown_prior_record_gets_ae_naming_mrg_1_and_an_alert(feed):
    feed(adt("A04", "M1"))
    outcome = feed(adt("A40", "M9", extra="MRG|EXT4040^^^MERCY^MR"))
    assert msa(outcome)[:3] == ["MSA", "AE", "M9"]
    assert "ERR||MRG^1^1|204" in outcome.ack
    assert InterfaceAlert.objects.get().kind == "merge-refused"
    assert Patient.objects.filter(status="merged").count() == 0


def test_a40_without_an_mrg_segment_is_refused_and_changes_nothing(feed):
    feed(adt("A04", "M1"))
    outcome = feed(adt("A40", "M9"))
    assert outcome.code == "AE"
    assert "MRG segment" in msa(outcome)[3]
    assert Patient.objects.count() == 1


def test_missing_patient_name_gets_ae_naming_pid_5_and_changes_nothing(feed):
    outcome = feed(adt("A01", "M1", pid="PID|1||EXT1001^^^MERCY^MR||||19720514|F"))
    assert outcome.code == "AE"
    assert "ERR||PID^1^5|101" in outcome.ack
    assert Patient.objects.count() == 0 and Encounter.objects.count() == 0


def test_bad_birth_date_gets_ae_naming_pid_7(feed):
    outcome = feed(adt("A04", "M1", born="19721345"))
    assert outcome.code == "AE"
    assert "ERR||PID^1^7|102" in outcome.ack


@pytest.mark.parametrize(("message", "location"), [
    (adt("A01", "M1", version="2.2"), "MSH^1^12"),
    (adt("A09", "M1"), "MSH^1^9"),
    ("garbage that is not HL7", "MSH^1"),
])
def test_unsupported_or_unreadable_messages_get_ar(feed, message, location):
    outcome = feed(message)
    assert outcome.code == "AR"
    assert f"ERR||{location}" in outcome.ack
    assert Patient.objects.count() == 0


def test_a03_for_an_unknown_visit_gets_ae(feed):
    feed(adt("A04", "M1"))
    outcome = feed(adt("A03", "M2", visit="NOPE1"))
    assert outcome.code == "AE"
    assert "no visit NOPE1" in outcome.ack


def test_every_message_is_stored_with_its_sha256(feed):
    text = adt("A04", "M1")
    feed(text)
    feed("junk")
    stored = list(Hl7Message.objects.order_by("id"))
    assert stored[0].sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert stored[0].raw == text
    assert stored[1].status == "rejected"


def test_a_known_patient_is_matched_through_the_mpi(feed):
    existing = factories.make_patient("Aiko", "Nakamura", birth_date=date(1972, 5, 14), sex="F",
                                      phones=(("home", "217-555-0142"),))
    outcome = feed(adt("A04", "M1"))
    assert outcome.code == "AA"
    assert Patient.objects.count() == 1
    assert Encounter.objects.get().patient_id == existing.pk
    assert existing.identifiers.get().value == "EXT1001"


def test_a_restricted_chart_refuses_the_feed_with_a_reason(feed):
    from chartdesk.patients.actions import do_set_restriction

    feed(adt("A04", "M1"))
    do_set_restriction(Patient.objects.get(), restriction="vip", note="", acting_user=factories.make_user(
        "him_manager"))
    outcome = feed(adt("A01", "M2", visit="V6000"))
    assert outcome.code == "AE"
    assert "restricted" in outcome.ack
    assert Encounter.objects.count() == 1


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1"])
def test_every_supported_version_is_accepted(feed, version):
    assert feed(adt("A04", f"V{version}", version=version)).code == "AA"


def test_a_lookalike_with_another_number_from_the_same_sender_is_not_overlaid(feed):
    feed(adt("A04", "M1", mrn="EXT1001"))
    outcome = feed(adt("A04", "M2", mrn="EXT2002", visit="V5002"))  # same name, birth date, phone, address
    assert outcome.code == "AA"
    assert "possible duplicate" in outcome.ack
    assert Patient.objects.count() == 2
    assert sorted(Patient.objects.values_list("identifiers__value", flat=True)) == ["EXT1001", "EXT2002"]
