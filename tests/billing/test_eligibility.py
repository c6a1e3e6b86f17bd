"""Eligibility (270/271, 005010X279A1): the guide's examples read as published; the 270 we write for the
coming days' visits or one coverage is read back by an independent parser; a 271 answering it is stored on
the coverage (active, plan dates, copay, coinsurance, deductible remaining, rejections in plain English)
and shown at registration and on the claim; a malformed file is refused with its position and changes
nothing; only billing staff may ask or import."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.actions import do_add_coverage
from chartdesk.billing.inquiries.eligibility import do_export_270_for_coverage, do_import_271
from chartdesk.billing.inquiries.models import EligibilityCheck, EligibilityResult, InquiryFile
from chartdesk.billing.x12.parser271 import parse_271
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.patients.actions import do_set_restriction
from chartdesk.schedule.actions import do_book_appointment
from tests.billing.x12_inquiry_reader import read_x12, segments
from tests.schedule.conftest import clinic, doctor, follow_up, schedule  # noqa: F401
from tests.support import factories

PUBLIC = Path(__file__).resolve().parents[1] / "data" / "x12"
TOMORROW = timezone.localdate() + timedelta(days=1)


def answer_271(trace: str, *body: str, reference: str = "1", member: str = "XJ123456789") -> bytes:
    """A payer's 271 answering one of our requests (TRN02 = our trace) with the given 2100C/2110C segments."""
    lines = ["ST*271*0001*005010X279A1", f"BHT*0022*11*{reference}*20261207*1200", "HL*1**20*1",
             "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME1", "HL*2*1*21*1",
             "NM1*1P*2*PRAIRIE FAMILY MEDICINE*****XX*1234567893", "HL*3*2*22*0", f"TRN*2*{trace}*1371234567",
             f"NM1*IL*1*GARCIA*MARIA****MI*{member}", "DMG*D8*19800315*F", *body]
    lines.append(f"SE*{len(lines) + 1}*0001")
    text = ["ISA*00*          *00*          *ZZ*ACME1          *ZZ*PFM0001        *261207*1200*^*00501*000000321*0*T*:",
            "GS*HB*ACME1*PFM0001*20261207*1200*321*X*005010X279A1", *lines, "GE*1*321", "IEA*1*000000321"]
    return ("~\n".join(text) + "~\n").encode()


ACTIVE = ("DTP*346*D8*20260101", "DTP*347*D8*20261231", "EB*1*IND*30**GOLD PPO",
          "EB*B*IND*98*HM*GOLD PPO*27*25*****Y", "EB*B*IND*98*HM*GOLD PPO*27*60*****N",
          "EB*A*IND*30*HM*GOLD PPO***.2****Y", "EB*C*IND*30*HM*GOLD PPO*23*1500*****Y",
          "EB*C*IND*30*HM*GOLD PPO*29*420.5*****Y")


@pytest.fixture
def asked(covered_patient, organisation, billing_user):
    """A 270 asking about the covered patient's primary coverage today."""
    inquiry = do_export_270_for_coverage(covered_patient.coverages.get(), acting_user=billing_user)
    return inquiry.eligibility_checks.get()


def test_the_guides_271_examples_read_as_published():
    subscriber = parse_271((PUBLIC / "271" / "subscriber-health-benefit-check.271").read_text()).answers
    assert [(a.level, a.trace_number, a.member_id) for a in subscriber] == [("22", "93175-012547", "123456789")]
    assert subscriber[0].dates["346"] == (date(2006, 1, 1), None)
    copays = [(b.amount, b.in_network) for b in subscriber[0].benefits if b.code == "B"]
    assert copays == [(Decimal("10.00"), "Y"), (Decimal("30.00"), "N")]
    dependent = parse_271((PUBLIC / "271" / "dependent-health-benefit-check.271").read_text()).answers
    assert [(a.level, a.given_name, a.birth_date) for a in dependent] == [("23", "MARY", date(1998, 10, 14))]
    # The guide's error example, as LinuxForHealth publishes it, numbers its SE 4323 under ST 4321.
    with pytest.raises(ValueError, match=r"segment 10 \(SE\): SE02 '4323' does not match its ST02 '4321'"):
        parse_271((PUBLIC / "271" / "subscriber-health-benefit-check-error.271").read_text())


def test_the_independent_reader_reads_the_guides_270_and_271_examples():
    for folder in ("270", "271"):
        for path in sorted((PUBLIC / folder).glob("*")):
            if path.suffix == ".md" or "error" in path.name:
                continue
            transaction = read_x12(path)[0]
            assert segments(transaction, "TRN")[0]["reference_identification_1"] == "93175-012547", path.name


@pytest.mark.django_db
def test_a_270_for_the_coming_visits_asks_about_each_booked_coverage(
        covered_patient, organisation, billing_user, schedule, follow_up, users, tmp_path):  # noqa: F811
    uninsured = factories.make_patient("Tomas", "Novak", birth_date=date(1971, 2, 3), sex="M")
    later = factories.make_patient("Ines", "Lopez")
    do_add_coverage(later, payer=covered_patient.coverages.get().payer, rank="primary", member_id="ZZ1",
                    acting_user=billing_user)
    front = users["front_desk"]
    for who, day in ((covered_patient, TOMORROW), (uninsured, TOMORROW + timedelta(days=1)),
                     (later, TOMORROW + timedelta(days=10))):
        do_book_appointment(who, schedule=schedule, visit_type=follow_up, day=day, start_time=time(9),
                            acting_user=front)
    out, report = tmp_path / "eligibility.270", StringIO()
    call_command("billing", "--as", billing_user.username, "export-270", "--days", "3", "--out", str(out),
                 stdout=report)
    check = EligibilityCheck.objects.get()
    assert (check.coverage.patient, check.service_date) == (covered_patient, TOMORROW)
    text = report.getvalue()
    assert "Wrote 1 eligibility requests" in text and f"{check.trace_number}: {covered_patient.mrn}" in text
    assert f"{uninsured.mrn} on {(TOMORROW + timedelta(days=1)).isoformat()}: no active coverage" in text
    transaction = read_x12(out)[0]
    assert [t["reference_identification_1"] for t in segments(transaction, "TRN")] == [check.trace_number]
    member = [n for n in segments(transaction, "NM1") if n["entity_identifier_code"] == "IL"]
    assert (member[0]["identification_code"], member[0]["name_last_or_organization_name"]) == ("XJ123456789",
                                                                                             "GARCIA")
    assert segments(transaction, "DTP")[0]["date_time_period"] == TOMORROW.isoformat()
    assert AuditEvent.objects.filter(action="export", object_type="eligibility_inquiry",
                                     patient_id=covered_patient.pk).count() == 1


@pytest.mark.django_db
def test_a_dependent_is_asked_about_in_the_dependent_loop_under_the_subscriber(
        patient, payer, organisation, billing_user, tmp_path):
    do_add_coverage(patient, payer=payer, rank="primary", member_id="FAM900", relationship="19",
                    subscriber_given_name="Luis", subscriber_family_name="Garcia",
                    subscriber_birth_date=date(1950, 1, 2), subscriber_sex="M", acting_user=billing_user)
    out = tmp_path / "one.270"
    call_command("billing", "--as", billing_user.username, "export-270", "--patient", patient.mrn, "--out", str(out),
                 stdout=StringIO())
    transaction = read_x12(out)[0]
    subscriber = transaction["loop_2000a"][0]["loop_2000b"][0]["loop_2000c"][0]
    assert subscriber["loop_2100c"]["nm1_segment"]["name_first"] == "LUIS"
    dependent = subscriber["loop_2000d"][0]
    assert dependent["loop_2100d"]["nm1_segment"]["name_first"] == "MARIA"
    assert dependent["trn_segment"][0]["reference_identification_1"] == EligibilityCheck.objects.get().trace_number


@pytest.mark.django_db
def test_a_271_answering_our_270_is_stored_on_the_coverage_and_reported(asked, billing_user, tmp_path):
    path = tmp_path / "answer.271"
    path.write_bytes(answer_271(asked.trace_number, *ACTIVE))
    report = StringIO()
    call_command("billing", "--as", billing_user.username, "import-271", str(path), stdout=report)
    result = EligibilityResult.objects.get()
    assert (result.coverage, result.check_request) == (asked.coverage, asked)
    assert (result.status, result.plan_name, result.plan_begin, result.plan_end) == (
        "active", "GOLD PPO", date(2026, 1, 1), date(2026, 12, 31))
    # In-network office visit copay, not the out-of-network 60; the remaining deductible, not the annual 1500.
    assert (result.copay, result.coinsurance, result.deductible_remaining) == (
        Decimal("25.00"), Decimal("0.2000"), Decimal("420.50"))
    assert result.coinsurance_percent == "20%"
    assert "1 answers matched to our requests, 0 not matched" in report.getvalue()
    assert "Active coverage, GOLD PPO, plan 2026-01-01 to 2026-12-31, copay 25.00, coinsurance 20%, deductible " \
           "remaining 420.50" in report.getvalue()
    again = StringIO()
    call_command("billing", "--as", billing_user.username, "import-271", str(path), stdout=again)
    assert "recorded before: nothing changed" in again.getvalue() and EligibilityResult.objects.count() == 1


@pytest.mark.django_db
def test_a_rejected_request_is_kept_with_the_reason_in_plain_english(asked, billing_user):
    result = do_import_271(answer_271(asked.trace_number, "AAA*N**72*C"), acting_user=billing_user)
    stored = result.matched[0]
    assert stored.status == "rejected"
    assert stored.rejections == [["72", "C", "Invalid or missing subscriber (insured) ID; please correct and resubmit"]]


@pytest.mark.django_db
def test_a_271_rejecting_the_whole_request_set_answers_each_request_of_it(asked, billing_user):
    reference = asked.transaction_reference
    lines = ["ST*271*0001*005010X279A1", f"BHT*0022*11*{reference}*20261207*1200", "HL*1**20*1",
             "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME1", "HL*2*1*21*0",
             "NM1*1P*2*PRAIRIE FAMILY MEDICINE*****XX*1234567893", "AAA*Y**50*N", "SE*8*0001"]
    text = ["ISA*00*          *00*          *ZZ*ACME1          *ZZ*PFM0001        *261207*1200*^*00501*000000322*0*T*:",
            "GS*HB*ACME1*PFM0001*20261207*1200*322*X*005010X279A1", *lines, "GE*1*322", "IEA*1*000000322"]
    result = do_import_271(("~".join(text) + "~").encode(), acting_user=billing_user)
    assert [(r.check_request, r.status) for r in result.matched] == [(asked, "rejected")]
    assert result.matched[0].rejections[0][2] == "Provider ineligible for inquiries; resubmission not allowed"


@pytest.mark.django_db
@pytest.mark.parametrize(("broken", "why"), [
    (answer_271("T1", "DTP*346*D8*20261350"), "segment 13 (DTP): '20261350' is not a date"),
    (answer_271("T1", "EB*B*IND*98**PLAN*27*ten"), "segment 13 (EB): EB07 'ten' is not an amount"),
    (answer_271("T1", "EB*1").replace(b"SE*12*", b"SE*11*"),
     "segment 14 (SE): SE01 says '11' segments, the set has 12"),
    (answer_271("T1").replace(b"GS*HB", b"GS*HN"), "this is not a 271 eligibility response"),
    (b"ISA*00*nonsense", "does not start with an ISA interchange header"),
    ("ISA café".encode(), "outside the X12 character set"),
])
def test_a_malformed_271_is_refused_with_its_position_and_changes_nothing(asked, billing_user, tmp_path, broken, why):
    path = tmp_path / "broken.271"
    path.write_bytes(broken)
    with pytest.raises(CommandError, match="The 271 was refused and nothing was recorded") as refused:
        call_command("billing", "--as", billing_user.username, "import-271", str(path), stdout=StringIO())
    assert why in str(refused.value)
    assert (EligibilityResult.objects.count(), InquiryFile.objects.filter(kind="271").count()) == (0, 0)


@pytest.mark.django_db
def test_an_answer_to_a_request_we_never_sent_is_kept_with_the_file_and_reported(asked, billing_user):
    result = do_import_271(answer_271("SOMEONE-ELSES-1", *ACTIVE), acting_user=billing_user)
    assert (result.matched, result.unmatched) == ([], ["SOMEONE-ELSES-1"])
    assert EligibilityResult.objects.get().coverage is None


@pytest.mark.django_db
def test_only_billing_staff_may_ask_or_import(covered_patient, organisation, users):
    coverage = covered_patient.coverages.get()
    for role in ("coder", "front_desk", "registrar", "him_manager"):
        with pytest.raises(PermissionRefused):
            do_export_270_for_coverage(coverage, acting_user=users[role])
        with pytest.raises(PermissionRefused):
            do_import_271(answer_271("T1"), acting_user=users[role])
    assert InquiryFile.objects.count() == 0


@pytest.mark.django_db
def test_an_ended_coverage_or_a_missing_set_up_is_refused_by_name(covered_patient, billing_user, organisation):
    from chartdesk.billing.actions import do_end_coverage

    coverage = covered_patient.coverages.get()
    do_end_coverage(coverage, acting_user=billing_user)
    with pytest.raises(ChartdeskError, match="This coverage has ended"):
        do_export_270_for_coverage(coverage, acting_user=billing_user)


@pytest.mark.django_db
def test_eligibility_shows_at_registration_and_on_the_claim_and_the_desk_checks_it(
        covered_patient, organisation, billing_user, client_for, charged_visit):
    from chartdesk.billing.actions import do_create_claim

    desk = client_for(billing_user)
    coverage = covered_patient.coverages.get()
    response = desk.post(f"/billing/patient/{covered_patient.pk}/eligibility/", {"coverage": coverage.pk})
    assert response.status_code == 302
    check = EligibilityCheck.objects.get()
    do_import_271(answer_271(check.trace_number, *ACTIVE), acting_user=billing_user)
    account = desk.get(f"/billing/patient/{covered_patient.pk}/").content.decode()
    assert "Active coverage" in account and "$25.00" in account and "20%" in account and "$420.50" in account
    assert "Check eligibility" in account
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    page = desk.get(f"/billing/claim/{claim.pk}/").content.decode()
    assert "Eligibility of this coverage (271)" in page and "$25.00" in page
    listing = desk.get("/billing/eligibility/").content.decode()
    assert "Download 270" in listing and "Download 271" in listing
    download = desk.get(f"/billing/inquiry/{check.inquiry_id}/")
    assert download.status_code == 200 and check.trace_number in download.content.decode()
    assert AuditEvent.objects.filter(action="download", object_type="x12_inquiry",
                                     patient_id=covered_patient.pk).exists()


@pytest.mark.django_db
def test_the_eligibility_desk_is_closed_to_other_roles_and_restricted_charts_stay_hidden(
        asked, users, client_for, billing_user):
    for role in ("coder", "front_desk", "registrar", "him_manager"):
        desk = client_for(users[role])
        assert desk.get("/billing/eligibility/").status_code == 403, role
        assert desk.post(f"/billing/patient/{asked.coverage.patient_id}/eligibility/",
                         {"coverage": asked.coverage_id}).status_code == 403, role
        assert desk.get(f"/billing/inquiry/{asked.inquiry_id}/").status_code == 403, role
    do_set_restriction(asked.coverage.patient, restriction="vip", note="board member",
                       acting_user=users["privacy_officer"])
    billing = client_for(billing_user)
    assert billing.get(f"/billing/inquiry/{asked.inquiry_id}/").status_code == 404
    assert billing.post(f"/billing/patient/{asked.coverage.patient_id}/eligibility/",
                        {"coverage": asked.coverage_id}).status_code == 404
    assert billing.post(f"/billing/patient/{asked.coverage.patient_id}/eligibility/",
                        {"coverage": "x"}).status_code == 404


@pytest.mark.django_db
def test_the_desk_writes_the_coming_days_270_and_refuses_a_bad_upload(asked, billing_user, client_for):
    desk = client_for(billing_user)
    response = desk.post("/billing/eligibility/", {"days": "3"}, follow=True)
    assert "No visit in the next 3 days has active coverage" in response.content.decode()
    response = desk.post("/billing/eligibility/", {"days": "many"}, follow=True)
    assert "whole number" in response.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = desk.post("/billing/eligibility/", {"file": SimpleUploadedFile("x.271", b"ISA*broken")})
    assert bad.status_code == 400 and "does not start with an ISA" in bad.content.decode()
    good = desk.post("/billing/eligibility/", {"file": SimpleUploadedFile("a.271", answer_271(asked.trace_number,
                                                                                              *ACTIVE))}, follow=True)
    assert "1 answers matched to our requests" in good.content.decode()


@pytest.mark.django_db
def test_the_front_desk_sees_the_last_answer_and_its_copay_at_check_in(
        asked, billing_user, users, client_for, schedule, follow_up):  # noqa: F811
    appointment = do_book_appointment(asked.coverage.patient, schedule=schedule, visit_type=follow_up, day=TOMORROW,
                                      start_time=time(10), acting_user=users["front_desk"])
    desk = client_for(users["front_desk"])
    before = desk.get(f"/schedule/appointment/{appointment.pk}/").content.decode()
    assert "No eligibility answer (271) on file." in before
    do_import_271(answer_271(asked.trace_number, *ACTIVE), acting_user=billing_user)
    page = desk.get(f"/schedule/appointment/{appointment.pk}/").content.decode()
    assert "Active coverage" in page and "$25.00" in page and "$420.50" in page


@pytest.mark.django_db
def test_a_270_that_cannot_be_written_leaves_no_request_on_record(covered_patient, organisation, billing_user,
                                                                   tmp_path):
    with pytest.raises(CommandError, match="Cannot write .*nothing was recorded"):
        call_command("billing", "--as", billing_user.username, "export-270", "--patient", covered_patient.mrn,
                     "--out", str(tmp_path / "no-such-folder" / "x.270"), stdout=StringIO())
    with pytest.raises(CommandError, match="No patient with MRN 'NOPE'"):
        call_command("billing", "--as", billing_user.username, "export-270", "--patient", "NOPE",
                     "--out", str(tmp_path / "y.270"), stdout=StringIO())
    with pytest.raises(CommandError, match="Ask about 1 to 31 days ahead"):
        call_command("billing", "--as", billing_user.username, "export-270", "--days", "0",
                     "--out", str(tmp_path / "z.270"), stdout=StringIO())
    assert (EligibilityCheck.objects.count(), InquiryFile.objects.count()) == (0, 0)
    assert not AuditEvent.objects.filter(object_type="eligibility_inquiry").exists()


@pytest.mark.django_db
def test_a_merge_of_two_charts_takes_the_eligibility_answers_along_with_the_coverage(
        asked, billing_user, users, client_for):
    from chartdesk.patients.merge_actions import do_merge_patients

    do_import_271(answer_271(asked.trace_number, *ACTIVE), acting_user=billing_user)
    retired = asked.coverage.patient
    survivor = factories.make_patient("Maria", "Garcia-Lopez")
    do_merge_patients(survivor, retired, reason="Same person", acting_user=users["him_manager"])
    asked.coverage.refresh_from_db()
    assert asked.coverage.patient_id == survivor.pk
    account = client_for(billing_user).get(f"/billing/patient/{survivor.pk}/").content.decode()
    assert "Active coverage" in account and "$25.00" in account
