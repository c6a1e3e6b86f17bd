"""PD1 (primary care provider), DG1 (diagnoses as reported, on the encounter), IN1 (insurance into
billing's coverage) and A35 (a visit's new account number): from the public corpus where its messages
carry these segments, and from small messages written here for the edges."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.urls import reverse

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.models import Coverage, Payer
from chartdesk.charts.models import Encounter, ReportedDiagnosis
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.models import Hl7Message
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.models import Patient
from tests.interop.hl7_messages import adt

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parent.parent / "data" / "hl7"
PID = "PID|1||EXT1001^^^MERCY^MR||Nakamura^Aiko^Q||19720514|F|||12 Elm St^^Springfield^IL^62704||(217)555-0142"


@pytest.fixture
def feed(db):
    user = interface_user()

    def send(text: str | bytes):
        return receive_message(text if isinstance(text, bytes) else text.encode(), acting_user=user)

    return send


def error_location(outcome) -> str:
    return Hl7Message.objects.get(pk=outcome.stored_id).error_location


def msa_text(outcome) -> str:
    return next(segment for segment in outcome.ack.split("\r") if segment.startswith("MSA|")).split("|")[3]


def in1(set_id: str = "1", *, payer_id: str = "BCBS01", name: str = "Blue Shield", member: str = "MEM77",
        group: str = "G-1", effective: str = "20250101", expiration: str = "20251231", relationship: str = "SEL",
        insured: str = "Nakamura^Aiko", born: str = "19720514", sex: str = "F", priority: str = "") -> str:
    fields = [""] * 50
    fields[0], fields[1], fields[3], fields[4], fields[8] = "IN1", set_id, payer_id, name, group
    fields[12], fields[13], fields[15], fields[16], fields[17] = effective, expiration, "HMO", insured, relationship
    fields[18], fields[19], fields[22] = born, "9 Oak Rd^^Peoria^IL^61602", priority
    fields[36], fields[43] = member, sex
    return "|".join(fields)


# ----------------------------------------------------------------------------- the public corpus


def test_the_public_v28_a01_keeps_pd1_dg1_and_in1_as_sent(feed):
    outcome = feed((CORPUS / "fhir-converter" / "ADT-A01-01.hl7").read_bytes())

    assert outcome.code == "AA", outcome.ack
    patient = Patient.objects.get()
    assert patient.primary_care_provider == "rold Hippo (88)"  # PD1-4: 88^Hippo^rold
    diagnosis = ReportedDiagnosis.objects.get()
    assert diagnosis.encounter.account_number == "40007716"
    assert (diagnosis.code, diagnosis.coding_system, diagnosis.description, diagnosis.diagnosis_type) == (
        "422504002", "SCT", "Ischemic stroke(disorder)", "admitting")
    # DG1-5 20040125114025+0420, its own offset.
    assert diagnosis.diagnosed_at == datetime(2004, 1, 25, 7, 20, 25, tzinfo=UTC)
    assert diagnosis.source == "HL7 A01 from GHHSFacility, message MSG00001"
    coverage = Coverage.objects.get(patient=patient)
    assert (coverage.payer.payer_id, coverage.payer.name, coverage.payer.claim_filing_indicator) == (
        "IC-1.31", "Blue Cross Blue Shield of Texas", "HM")
    assert (coverage.rank, coverage.member_id, coverage.group_number) == ("primary", "PN-145", "PUBSUMB")
    assert (coverage.effective_date, coverage.expiration_date) == (date(1989, 10, 1), date(2050, 10, 1))
    assert (coverage.relationship, coverage.subscriber_family_name, coverage.subscriber_given_name) == (
        "01", "Doe", "Rosallie")
    assert (coverage.subscriber_birth_date, coverage.subscriber_sex) == (date(1975, 2, 28), "F")
    assert (coverage.subscriber_address_line, coverage.subscriber_city, coverage.subscriber_state,
            coverage.subscriber_zip) == ("3857 Velvet Treasure Terrace", "Midnight", "NC", "27878")


def test_the_public_a04_with_in1_lacking_payer_and_policy_is_applied_without_coverage(feed):
    outcome = feed((CORPUS / "fhir-converter" / "ADT04-23.hl7").read_bytes())

    assert outcome.code == "AA"
    assert Patient.objects.count() == 1
    assert not Coverage.objects.exists() and not Payer.objects.exists()


# ----------------------------------------------------------------------------- PD1


def test_an_update_brings_the_new_primary_care_provider(feed):
    feed(adt("A04", "P1", extra="PD1|||Mercy Clinic|1234567893^Lister^Joseph"))
    assert Patient.objects.get().primary_care_provider == "Joseph Lister (1234567893)"

    outcome = feed(adt("A08", "P2", extra="PD1|||Mercy Clinic|^Curie^Marie"))

    assert outcome.code == "AA"
    assert Patient.objects.get().primary_care_provider == "Marie Curie"
    update = AuditEvent.objects.filter(object_type="patient", action="update").latest("id")
    assert "primary_care_provider" in update.detail["fields"]


# ----------------------------------------------------------------------------- DG1


def test_diagnoses_repeated_in_an_update_are_kept_once(feed):
    dg1 = "DG1|1||R07.9^Chest pain, unspecified^I10||20250601090000|A\rDG1|2||^Rule out MI|||W"
    feed(adt("A01", "D1", extra=dg1))
    outcome = feed(adt("A08", "D2", extra=dg1 + "\rDG1|3||I21.4^NSTEMI^I10|||F"))

    assert outcome.code == "AA"
    rows = list(ReportedDiagnosis.objects.order_by("id").values_list("code", "description", "diagnosis_type"))
    assert rows == [("R07.9", "Chest pain, unspecified", "admitting"), ("", "Rule out MI", "working"),
                    ("I21.4", "NSTEMI", "final")]
    assert "2 reported diagnosis(es) already on file" in msa_text(outcome)


def test_a_dg1_with_neither_code_nor_text_is_refused_naming_it_and_nothing_is_kept(feed):
    outcome = feed(adt("A01", "D1", extra="DG1|1||R07.9^Chest pain^I10\rDG1|2||||20250601|A"))

    assert outcome.code == "AE"
    assert error_location(outcome) == "DG1^2^3"
    assert not ReportedDiagnosis.objects.exists() and not Encounter.objects.exists()


def test_a_dg1_with_an_impossible_date_is_refused_naming_its_sequence(feed):
    dg1 = "DG1|1||R07.9^Chest pain^I10||20250601|A\rDG1|2||I21.4^NSTEMI^I10||20251345|F"
    outcome = feed(adt("A01", "D1", extra=dg1))

    assert outcome.code == "AE"
    assert error_location(outcome) == "DG1^2^5"
    assert not ReportedDiagnosis.objects.exists()


def test_an_update_naming_no_visit_on_file_leaves_its_diagnoses_out_and_says_so(feed):
    feed(adt("A28", "D0", visit=""))
    outcome = feed(adt("A08", "D1", visit="V404", extra="DG1|1||R07.9^Chest pain^I10|||A"))

    assert outcome.code == "AA"
    assert "1 DG1 segment(s) left out: the message names no visit on file" in msa_text(outcome)
    assert not ReportedDiagnosis.objects.exists()


def test_the_encounter_page_shows_the_reported_diagnoses_to_chart_readers(feed, users, client_for):
    feed(adt("A01", "D1", extra="DG1|1||R07.9^Chest pain, unspecified^I10|||A"))
    encounter = Encounter.objects.get()
    url = reverse("charts-encounter", kwargs={"encounter_id": encounter.pk})

    body = client_for(users["coder"]).get(url).content.decode()

    assert "Diagnoses reported by the registration system" in body
    assert "R07.9" in body and "Chest pain, unspecified" in body and "HL7 A01 from MERCY, message D1" in body
    refused = client_for(users["administrator"]).get(url)
    assert refused.status_code in (403, 404)
    assert "R07.9" not in refused.content.decode()


# ----------------------------------------------------------------------------- IN1


def test_insurance_becomes_coverage_and_a_different_plan_replaces_it(feed):
    feed(adt("A04", "I1", extra=in1()))
    first = Coverage.objects.get()
    assert (first.payer.payer_id, first.member_id, first.relationship, first.active) == ("BCBS01", "MEM77", "18", True)
    assert (first.subscriber_family_name, first.subscriber_birth_date) == ("Nakamura", date(1972, 5, 14))

    repeat = feed(adt("A08", "I2", extra=in1()))
    assert "primary coverage BCBS01 MEM77 already on file" in msa_text(repeat)
    assert Coverage.objects.count() == 1

    changed = feed(adt("A08", "I3", extra=in1(member="MEM99") + "\r" + in1("2", payer_id="AETNA", name="Aetna",
                                                                           member="A-5")))
    assert changed.code == "AA"
    ranks = {c.rank: (c.payer.payer_id, c.member_id, c.active) for c in Coverage.objects.filter(active=True)}
    assert ranks == {"primary": ("BCBS01", "MEM99", True), "secondary": ("AETNA", "A-5", True)}
    first.refresh_from_db()
    assert first.active is False  # ended, never deleted
    assert Payer.objects.filter(payer_id="BCBS01").count() == 1  # the payer on file is matched, not duplicated


def test_an_in1_without_payer_id_or_policy_number_is_left_out_and_said_in_the_ack(feed):
    outcome = feed(adt("A04", "I1", extra=in1(payer_id="") + "\r" + in1("2", member="")))

    assert outcome.code == "AA"
    assert "IN1 1 left out: no insurance company ID (IN1-3)" in msa_text(outcome)
    assert "IN1 2 left out: no policy number (IN1-36)" in msa_text(outcome)
    assert not Coverage.objects.exists()


def test_an_insured_spouse_without_a_birth_date_is_left_out_with_nothing_created(feed):
    outcome = feed(adt("A04", "I1", extra=in1(relationship="SPO", insured="Nakamura^Kenji", born="")))

    assert outcome.code == "AA"
    assert "IN1 1 left out (IN1-18)" in msa_text(outcome)
    assert not Coverage.objects.exists() and not Payer.objects.exists()  # the payer went back with it


def test_an_impossible_plan_date_is_refused_naming_the_field_and_nothing_is_kept(feed):
    outcome = feed(adt("A04", "I1", extra=in1(effective="20250230")))

    assert outcome.code == "AE"
    assert error_location(outcome) == "IN1^1^12"
    assert not Patient.objects.exists() and not Coverage.objects.exists()


# ----------------------------------------------------------------------------- A35


def a35(control_id: str, *, before: str = "V5001", after: str = "V7001") -> str:
    return (f"MSH|^~\\&|EPICADT|MERCY|CHARTDESK|HIM|20250601090000||ADT^A35^ADT_A30|{control_id}|P|2.5.1\r"
            f"EVN|A35|20250601090000\r{PID}{'|' * 5}{after}\rMRG|EXT1001^^^MERCY^MR||{before}\r")


def test_a35_gives_the_visit_its_new_account_number_and_a_repeat_changes_nothing(feed):
    feed(adt("A01", "N1"))

    outcome = feed(a35("N2"))

    assert outcome.code == "AA", outcome.ack
    encounter = Encounter.objects.get()
    assert encounter.account_number == "V7001"
    event = AuditEvent.objects.filter(object_type="encounter", object_id=str(encounter.pk)).latest("id")
    assert (event.detail["account_number_before"], event.detail["account_number"]) == ("V5001", "V7001")
    assert "visit V5001 is now V7001" in msa_text(outcome)
    again = feed(a35("N3"))
    assert again.code == "AA" and "already renumbered" in msa_text(again)


@pytest.mark.parametrize(("message", "location"), [
    (a35("N2", before=""), "MRG^1^3"),
    (a35("N2", after=""), "PID^1^18"),
    (a35("N2", after="V 7"), "PID^1^18"),
    (a35("N2", before="V404"), "MRG^1^3"),
    (a35("N2", after="V6001"), "PID^1^18"),  # another visit holds it
])
def test_a35_that_cannot_be_applied_is_refused_naming_the_field(feed, message, location):
    feed(adt("A01", "N0"))
    feed(adt("A01", "N1", visit="V6001", admit="20250602083000"))

    outcome = feed(message)

    assert outcome.code == "AE"
    assert error_location(outcome) == location
    assert set(Encounter.objects.values_list("account_number", flat=True)) == {"V5001", "V6001"}


def test_a_plan_that_expires_before_it_starts_is_left_out_naming_in1_13(feed):
    outcome = feed(adt("A04", "I1", extra=in1(effective="20250601", expiration="20250101")))

    assert outcome.code == "AA"
    assert "IN1 1 left out (IN1-13): The plan's expiration date 2025-01-01 is before its effective date" \
        in msa_text(outcome)
    assert not Coverage.objects.exists()
