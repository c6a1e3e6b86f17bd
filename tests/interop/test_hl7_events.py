"""The ADT events real feeds send, v2.3 to v2.8: person-only registrations and updates, transfers,
class changes, cancellations, identifier changes; visits without a visit number; PID-3 identifiers
with their assigning authority and type; NK1 contacts, race, ethnicity, marital status, language;
and the public v2.3 A04 sample of microsoft/FHIR-Converter (tests/data/hl7/fhir-converter)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import Encounter
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.models import InterfaceAlert
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient, PatientContact, PatientIdentifier
from tests.interop.hl7_messages import adt

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parent.parent / "data" / "hl7"


@pytest.fixture
def feed(db):
    user = interface_user()

    def send(text: str | bytes):
        return receive_message(text if isinstance(text, bytes) else text.encode(), acting_user=user)

    return send


def msa_text(outcome) -> str:
    return next(segment for segment in outcome.ack.split("\r") if segment.startswith("MSA|")).split("|")[3]


def test_the_public_fhir_converter_a04_sample_registers_the_patient_with_what_it_carries(feed):
    outcome = feed((CORPUS / "fhir-converter" / "ADT04-251.hl7").read_bytes())

    assert outcome.code == "AA"
    patient = Patient.objects.get()
    assert (patient.family_name, patient.given_name, patient.birth_date, patient.race) == (
        "Doe", "Jane", date(1978, 1, 1), "White")
    assert patient.mrn != "MRN12345"  # the sender's number is a cross-reference, never our MRN
    identifier = patient.identifiers.get()
    assert (identifier.value, identifier.issuer, identifier.type) == ("MRN12345", "Special Hospital", "MR")
    encounter = Encounter.objects.get()
    # PV1-44 is 20190504181205+0700: stored in UTC as the instant it names.
    assert (encounter.account_number, encounter.admit_at) == ("123456789", datetime(2019, 5, 4, 11, 12, 5,
                                                                                     tzinfo=UTC))
    contact = patient.contacts.get()
    assert (contact.name, contact.relationship, contact.role, contact.phone) == (
        "CONWAY JOHNSON", "SPOUS", "emergency", "(130) 724-0433")


def test_a_visit_without_pv1_19_or_pid_18_gets_a_generated_number_said_in_the_ack(feed):
    outcome = feed(adt("A04", "G1", visit=""))
    assert outcome.code == "AA"
    encounter = Encounter.objects.get()
    assert encounter.account_number.startswith("V")
    assert f"no visit number in PV1-19 or PID-18: {encounter.account_number} generated here" in msa_text(outcome)


def test_pid_3_repetitions_keep_their_authority_and_type_and_the_ssn_goes_to_the_ssn(feed):
    pid = ("PID|1||A100^^^MERCY&2.16.840.1.113883.19.5&ISO^MR~P200^^^LABSYS^PI~123-45-6789^^^USSSA^SS"
           "~AC9^^^MERCY^AN~H300^^^^JHN^CITY HOSP||Nakamura^Aiko||19720514|F")
    assert feed(adt("A04", "I1", pid=pid)).code == "AA"
    patient = Patient.objects.get()
    assert set(PatientIdentifier.objects.values_list("value", "issuer", "type")) == {
        ("A100", "MERCY", "MR"), ("P200", "LABSYS", "PI"), ("H300", "CITY HOSP", "PI")}
    assert patient.ssn_last4 == "6789"


def test_a_second_message_finds_the_patient_by_any_of_its_identifiers(feed):
    feed(adt("A04", "I1", pid="PID|1||A100^^^MERCY^MR~P200^^^LABSYS^PI||Nakamura^Aiko||19720514|F"))
    outcome = feed(adt("A01", "I2", visit="V7000", pid="PID|1||P200^^^LABSYS^PI||Nakamura^Aiko||19720514|F"))
    assert outcome.code == "AA"
    assert Patient.objects.count() == 1 and Encounter.objects.count() == 2


def test_race_ethnicity_marital_status_and_language_are_kept(feed):
    pid = ("PID|1||A100^^^MERCY^MR||Nakamura^Aiko||19720514|F||2028-9^Asian^CDCREC~2106-3^^CDCREC|||||"
           "jpn^Japanese^ISO639|M||||||N^Not Hispanic or Latino^HL70189")
    assert feed(adt("A28", "D1", pid=pid)).code == "AA"
    patient = Patient.objects.get()
    assert (patient.race, patient.ethnicity, patient.marital_status, patient.preferred_language) == (
        "Asian; White", "Not Hispanic or Latino", "Married", "Japanese")


def test_a28_registers_a_person_without_a_visit_and_a31_updates_them(feed):
    assert feed(adt("A28", "P1")).code == "AA"
    assert Encounter.objects.count() == 0
    outcome = feed(adt("A31", "P2", family="Nakamura-Ito"))
    assert outcome.code == "AA" and "demographics updated" in msa_text(outcome)
    assert Patient.objects.get().family_name == "Nakamura-Ito"


def test_a05_registers_the_person_and_leaves_the_visit_to_the_admission(feed):
    outcome = feed(adt("A05", "P1"))
    assert outcome.code == "AA" and "pre-admission" in msa_text(outcome)
    assert Encounter.objects.count() == 0


def test_nk1_contacts_are_kept_once_however_often_the_feed_repeats_them(feed):
    nk1 = "NK1|1|Nakamura^Ken|SPO^Spouse|12 Elm St^^Springfield^IL^62704|(217)555-0199||EP"
    feed(adt("A04", "K1", extra=nk1))
    feed(adt("A08", "K2", extra=nk1))
    contact = PatientContact.objects.get()
    assert (contact.name, contact.relationship, contact.role, contact.phone, contact.address) == (
        "Ken Nakamura", "Spouse", "emergency", "(217)555-0199", "12 Elm St, Springfield, IL, 62704")


def test_a02_transfers_and_a12_cancels_the_transfer(feed):
    feed(adt("A01", "T1"))
    moved = adt("A02", "T2").replace("|4W^12^A|", "|5E^3^B|")
    assert feed(moved).code == "AA"
    assert Encounter.objects.get().location == "5E-3-B"
    assert feed(adt("A12", "T3")).code == "AA"
    assert Encounter.objects.get().location == "4W-12-A"
    changes = AuditEvent.objects.filter(object_type="encounter", detail__change="transfer")
    assert [event.detail["location_before"] for event in changes.order_by("id")] == ["4W-12-A", "5E-3-B"]


def test_a06_and_a07_change_the_patient_class(feed):
    feed(adt("A04", "C1", patient_class="O"))
    assert feed(adt("A06", "C2", patient_class="I")).code == "AA"
    assert Encounter.objects.get().encounter_class == "inpatient"
    assert feed(adt("A07", "C3", patient_class="O")).code == "AA"
    assert Encounter.objects.get().encounter_class == "outpatient"


def test_a11_cancels_the_admission_and_keeps_the_encounter(feed):
    feed(adt("A01", "X1"))
    assert feed(adt("A11", "X2")).code == "AA"
    assert Encounter.objects.get().status == "cancelled"
    again = feed(adt("A11", "X3"))
    assert again.code == "AA" and "already cancelled" in msa_text(again)


def test_a13_cancels_the_discharge(feed):
    feed(adt("A01", "D1"))
    feed(adt("A03", "D2", discharge="20250604110000"))
    assert feed(adt("A13", "D3")).code == "AA"
    encounter = Encounter.objects.get()
    assert (encounter.status, encounter.discharge_at, encounter.discharge_disposition) == ("in_progress", None, "")


def test_a_visit_event_without_a_visit_number_takes_the_patients_one_open_visit(feed):
    feed(adt("A01", "O1"))
    assert feed(adt("A03", "O2", visit="", discharge="20250604110000")).code == "AA"
    assert Encounter.objects.get().status == "finished"


def test_a_visit_event_without_a_visit_number_and_two_open_visits_names_pv1_19(feed):
    feed(adt("A01", "O1", visit="V1"))
    feed(adt("A01", "O2", visit="V2"))
    outcome = feed(adt("A03", "O3", visit="", discharge="20250604110000"))
    assert outcome.code == "AE" and "ERR||PV1^1^19|101" in outcome.ack
    assert Encounter.objects.filter(status="finished").count() == 0


def test_a47_replaces_the_identifier_from_the_same_issuer(feed):
    feed(adt("A04", "I1", mrn="EXT1001"))
    outcome = feed(adt("A47", "I2", mrn="EXT1002", extra="MRG|EXT1001^^^MERCY^MR"))
    assert outcome.code == "AA"
    assert set(PatientIdentifier.objects.values_list("value", "active")) == {("EXT1001", False), ("EXT1002", True)}
    assert feed(adt("A47", "I3", mrn="EXT1002", extra="MRG|EXT1001^^^MERCY^MR")).code == "AA"


def test_a34_merges_like_a40(feed):
    feed(adt("A04", "M1", mrn="EXT1001", visit="V1"))
    feed(adt("A04", "M2", mrn="EXT2002", visit="V2", given="Aiko"))
    outcome = feed(adt("A34", "M3", mrn="EXT1001", extra="MRG|EXT2002^^^MERCY^MR"))
    assert outcome.code == "AA"
    assert Patient.objects.filter(status="merged").count() == 1


def test_a29_deletes_nothing_and_raises_an_alert_for_him(feed):
    feed(adt("A28", "P1"))
    outcome = feed(adt("A29", "P2"))
    assert outcome.code == "AA"
    assert Patient.objects.get().status == "active"
    assert InterfaceAlert.objects.get().kind == "delete-requested"


@pytest.mark.parametrize("version", ["2.6", "2.7", "2.7.1", "2.8"])
def test_versions_up_to_2_8_are_accepted(feed, version):
    assert feed(adt("A04", f"V{version}", version=version)).code == "AA"


def test_an_unusable_ssn_is_left_out_with_a_note_and_the_patient_registered(feed):
    pid = "PID|1||A100^^^MERCY^MR||Nakamura^Aiko||19720514|F|||||||||||PSSN123121234"
    outcome = feed(adt("A04", "S1", pid=pid))
    assert outcome.code == "AA" and "PID-19 (SSN) not kept" in msa_text(outcome)
    assert Patient.objects.get().ssn_last4 == ""


def test_hl7_null_is_read_as_empty(feed):
    outcome = feed(adt("A04", "N1", extra='NK1|1|""|""'))
    assert outcome.code == "AA"
    assert PatientContact.objects.count() == 0
