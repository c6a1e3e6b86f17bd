"""Denial work lists: each denied claim or line of a posted 835 is filed under the cause a biller acts on, with
its line and remark codes; the desk lists them by cause, payer and age a page at a time; the biller records
what was done (appeal with its letter, corrected claim, write-off, the patient, the secondary), each through
an audited action; bad input changes nothing; only billing staff work them."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from chartdesk.audit.models import AuditEvent
from chartdesk.billing import denials as denial_lists
from chartdesk.billing.actions import do_create_charges, do_create_claim
from chartdesk.billing.carc import cause_of
from chartdesk.billing.export import do_export_837
from chartdesk.billing.ledger import claim_balance
from chartdesk.billing.models import ClaimCorrection, ClaimStatus, Denial, DenialStatus, LedgerEntry
from chartdesk.billing.remittance import do_import_835
from tests.billing.conftest import coded, visit_on
from tests.billing.remits import Paid, remit_835
from tests.support import factories

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def desk(client_for, billing_user):
    return client_for(billing_user)


@pytest.fixture
def sent(charged_visit, billing_user):
    """A claim of two lines (99213-25 at 140.00, 36415 at 12.00), sent."""
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    do_export_837(acting_user=billing_user)
    claim.refresh_from_db()
    return claim


def line_denied(claim_number: str, *, trace: str = "DENY1") -> bytes:
    """The office visit paid, the venipuncture denied for a missing procedure code (CO-16 with M51)."""
    return remit_835([Paid(claim_number, D("152.00"), D("100.00"), services=[
        ("99213:25", D("140.00"), D("100.00"), [("CO", "45", D("20.00")), ("PR", "2", D("20.00"))]),
        ("36415", D("12.00"), D("0"), [("CO", "16", D("12.00"))]),
    ], remarks={"36415": ["M51"]})], trace=trace)


@pytest.fixture
def denied_line(sent, billing_user):
    do_import_835(line_denied(sent.claim_number), acting_user=billing_user, file_name="era.835")
    return Denial.objects.get()


@pytest.mark.parametrize(("reason", "remarks", "cause"), [
    ("27", (), "eligibility"), ("31", (), "eligibility"), ("4", (), "coding"), ("97", (), "coding"),
    ("197", (), "authorization"), ("15", (), "authorization"), ("29", (), "timely_filing"),
    ("18", (), "duplicate"), ("50", (), "medical_necessity"), ("167", (), "medical_necessity"),
    ("16", ("M51",), "coding"), ("16", ("N30",), "eligibility"), ("96", ("N386",), "medical_necessity"),
    ("A1", ("N54",), "authorization"), ("45", (), "other"), ("16", (), "coding"), ("ZZ9", (), "other"),
    ("50", ("M51",), "medical_necessity"),  # a specific reason code is not overridden by a remark
])
def test_each_reason_and_remark_is_filed_under_the_cause_a_biller_acts_on(reason, remarks, cause):
    assert cause_of(reason, remarks) == cause


def test_a_denied_line_is_queued_with_its_line_its_remark_and_its_cause(denied_line, sent):
    denial = denied_line
    assert (denial.group_code, denial.reason_code, denial.amount) == ("CO", "16", D("12.00"))
    assert denial.cause == "coding" and denial.remarks == ["M51"]
    assert denial.service_line is not None and denial.service_line.code == "36415"
    assert denial.service_line.claim_line.code == "36415"
    sent.refresh_from_db()
    assert sent.status == ClaimStatus.PARTIALLY_PAID and claim_balance(sent, "insurance") == D("12.00")


def test_the_work_list_shows_the_cause_with_the_code_texts_and_filters_by_cause(denied_line, desk):
    page = desk.get("/billing/denials/?cause=coding").content.decode()
    assert denied_line.claim.claim_number in page
    assert "CO-16: Claim/service lacks information or has submission/billing error(s)." in page
    assert "Coding and billing errors" in page and "M51" in page
    assert denied_line.claim.claim_number not in desk.get("/billing/denials/?cause=eligibility").content.decode()
    coding_view, eligibility_view = AuditEvent.objects.filter(object_type="denial_work_list").order_by("id")
    assert coding_view.detail["patient_ids"] == [denied_line.claim.patient_id]
    assert eligibility_view.detail["patient_ids"] == []
    # a value that is not a choice is no filter, not an error
    assert desk.get("/billing/denials/?cause=nonsense&age=forever&payer=x").status_code == 200


def test_the_work_list_filters_by_payer_and_age_and_pages(denied_line, sent, desk, medicare, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    other = Denial.objects.create(claim=sent, remittance=denied_line.remittance, group_code="CO", reason_code="29",
                                  reason_text="CO-29: The time limit for filing has expired.", cause="timely_filing",
                                  amount=D("5.00"), created_at=timezone.now() - timedelta(days=45))
    monkeypatch.setattr(denial_lists, "PAGE_SIZE", 1)
    first = desk.get("/billing/denials/").content.decode()
    assert "Page 1 of 2" in first and f"/billing/denial/{other.pk}/" in first  # the oldest first
    second = desk.get("/billing/denials/?page=2").content.decode()
    assert f"/billing/denial/{denied_line.pk}/" in second and f"/billing/denial/{other.pk}/" not in second
    aged = desk.get("/billing/denials/?age=31-60").content.decode()
    assert f"/billing/denial/{other.pk}/" in aged and f"/billing/denial/{denied_line.pk}/" not in aged
    assert "No denials to work." in desk.get(f"/billing/denials/?payer={medicare.pk}").content.decode()


def test_writing_off_a_denial_adjusts_the_payers_balance_and_is_audited(denied_line, desk):
    answer = desk.post(f"/billing/denial/{denied_line.pk}/",
                       {"action": "write_off", "note": "Below the appeal threshold"})
    assert answer.status_code == 302
    denied_line.refresh_from_db()
    assert (denied_line.status, denied_line.action) == (DenialStatus.RESOLVED, "write_off")
    claim = denied_line.claim
    assert claim_balance(claim, "insurance") == D("0.00")
    assert LedgerEntry.objects.filter(claim=claim, kind="adjustment", amount=D("12.00"),
                                      description__startswith="Write-off: CO-16 denial").exists()
    assert AuditEvent.objects.filter(object_type="denial", object_id=str(denied_line.pk),
                                     detail__action="write_off").exists()
    assert "Written off" in desk.get("/billing/denials/?show=all").content.decode()


def test_a_denial_moved_to_the_patient_becomes_the_patients_balance(denied_line, desk):
    desk.post(f"/billing/denial/{denied_line.pk}/", {"action": "patient_responsibility",
                                                    "note": "Non-covered; the patient signed a waiver"})
    claim = denied_line.claim
    assert claim_balance(claim, "insurance") == D("0.00") and claim_balance(claim, "patient") == D("32.00")


def test_an_appeal_moves_the_claim_to_appealed_and_prints_the_letter_with_the_argument(denied_line, desk):
    refused = desk.get(f"/billing/denial/{denied_line.pk}/appeal.pdf")
    assert refused.status_code == 302  # no letter before the appeal and its argument are recorded
    argument = "The venipuncture was ordered for the metabolic panel drawn the same day; CPT 36415 is valid."
    desk.post(f"/billing/denial/{denied_line.pk}/", {"action": "appeal", "note": argument})
    claim = denied_line.claim
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPEALED
    letter = desk.get(f"/billing/denial/{denied_line.pk}/appeal.pdf")
    assert letter["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(letter.content)).pages)
    text = " ".join(text.split())
    assert argument in text
    assert claim.claim_number in text and f"PCN{claim.claim_number}" in text  # ours and the payer's number
    assert "CO-16: Claim/service lacks information" in text and "M51: Missing/incomplete/invalid procedure" in text
    assert "Acme Health Plan" in text and "12.00 on line 36415" in text
    assert AuditEvent.objects.filter(object_type="appeal_letter", object_id=str(denied_line.pk),
                                     action="print").exists()


def test_a_corrected_claim_from_a_denial_reopens_the_claim_as_a_replacement(denied_line, desk):
    desk.post(f"/billing/denial/{denied_line.pk}/", {"action": "corrected_claim", "note": "Procedure code fixed"})
    claim = denied_line.claim
    claim.refresh_from_db()
    correction = ClaimCorrection.objects.get(claim=claim)
    assert (correction.frequency, correction.payer_claim_number) == ("7", f"PCN{claim.claim_number}")
    assert claim.status == ClaimStatus.READY
    batch = do_export_837(acting_user=denied_line.claim.created_by)
    assert f"CLM*{claim.claim_number}*152*** 11:B:7*Y*A*Y*Y~".replace(" ", "") in batch.content
    assert f"REF*F8*PCN{claim.claim_number}~" in batch.content


@pytest.mark.parametrize(("posted", "field_error"), [
    ({"action": "shred", "note": "gone"}, "Select a valid choice"),
    ({"action": "appeal", "note": "   "}, "Say what was done and why."),
    ({"note": "no action"}, "Choose what was done about the denial."),
])
def test_bad_input_is_refused_by_name_and_changes_nothing(denied_line, desk, posted, field_error):
    events = AuditEvent.objects.exclude(action="view").count()
    answer = desk.post(f"/billing/denial/{denied_line.pk}/", posted)
    assert answer.status_code == 400 and field_error in answer.content.decode()
    denied_line.refresh_from_db()
    assert denied_line.status == DenialStatus.OPEN and denied_line.action == ""
    assert AuditEvent.objects.exclude(action="view").count() == events


def test_a_denial_is_worked_once(denied_line, desk):
    desk.post(f"/billing/denial/{denied_line.pk}/", {"action": "write_off", "note": "Small balance"})
    again = desk.post(f"/billing/denial/{denied_line.pk}/", {"action": "patient_responsibility", "note": "Twice"})
    assert again.status_code == 400 and "This denial was already worked (Written off)" in again.content.decode()
    assert claim_balance(denied_line.claim, "patient") == D("20.00")  # only the 835's PR-2


def test_a_write_off_larger_than_the_balance_is_refused_and_nothing_changes(denied_line, desk, billing_user):
    desk.post(f"/billing/denial/{denied_line.pk}/", {"action": "patient_responsibility", "note": "Patient pays"})
    second = Denial.objects.create(claim=denied_line.claim, remittance=denied_line.remittance, group_code="CO",
                                   reason_code="97", reason_text="CO-97", cause="coding", amount=D("12.00"))
    answer = desk.post(f"/billing/denial/{second.pk}/", {"action": "write_off", "note": "Again"})
    assert answer.status_code == 400
    second.refresh_from_db()
    assert second.status == DenialStatus.OPEN and second.action == ""


@pytest.mark.parametrize("role", ["coder", "registrar", "roi"])
def test_other_roles_get_no_denial_page_list_or_letter(role, denied_line, client_for):
    client = client_for(factories.make_user(role, username=f"desk-{role}"))
    assert client.get("/billing/denials/").status_code == 403
    assert client.get(f"/billing/denial/{denied_line.pk}/").status_code == 403
    assert client.post(f"/billing/denial/{denied_line.pk}/", {"action": "write_off", "note": "x"}).status_code == 403
    assert client.get(f"/billing/denial/{denied_line.pk}/appeal.pdf").status_code == 403
    denied_line.refresh_from_db()
    assert denied_line.status == DenialStatus.OPEN


def test_a_manager_reads_the_work_lists_but_does_not_work_them(denied_line, client_for):
    manager = client_for(factories.make_user("him_manager", username="manager-1"))
    assert denied_line.claim.claim_number in manager.get("/billing/denials/").content.decode()
    assert manager.post(f"/billing/denial/{denied_line.pk}/", {"action": "write_off", "note": "x"}).status_code == 403
    with pytest.raises(Exception, match="permission"):
        denial_lists.do_work_denial_action(denied_line, action="write_off", note="x",
                                           acting_user=factories.make_user("him_manager", username="manager-2"))


def test_a_restricted_chart_is_left_out_of_the_list_and_its_count(denied_line, client_for):
    patient = denied_line.claim.patient
    patient.restriction = "vip"
    patient.save(update_fields=["restriction"])
    manager = client_for(factories.make_user("him_manager", username="manager-3"))
    page = manager.get("/billing/denials/").content.decode()
    assert denied_line.claim.claim_number not in page and "No denials to work." in page


def test_days_in_ar_by_payer_and_by_cause_on_the_aging_page(denied_line, desk, covered_patient, clinician,
                                                              billing_user, service_day):
    second_visit = visit_on(covered_patient, service_day)
    do_create_charges(second_visit, coded(clinician, service_day, procedures=(("99214", (), 1),)),
                      acting_user=billing_user)
    other = do_create_claim(second_visit, acting_user=billing_user)
    do_export_837(acting_user=billing_user)
    do_import_835(remit_835([Paid(other.claim_number, D("180.00"), D("0"), [("CO", "29", D("180.00"))], status="4")],
                            trace="DENY2"), acting_user=billing_user)
    from django.utils import timezone

    from chartdesk.billing.aging import aging_by_reason

    rows, total = aging_by_reason(timezone.localdate())
    assert [(row.key, row.total, row.average_days) for row in rows] == [
        ("coding", D("12.00"), 0), ("timely_filing", D("180.00"), 0)]
    assert total.total == D("192.00")
    page = desk.get("/billing/aging/").content.decode()
    assert "Denied claims by cause" in page and 'data-cause="timely_filing"' in page and "Days in A/R" in page


def test_the_835_parser_keeps_each_lines_remark_codes_and_a_held_payment_keeps_them_too():
    from chartdesk.billing.x12.parser835 import claim_remit_from_json, claim_remit_to_json, parse_835

    [remit] = parse_835(line_denied("CD0000000042").decode())
    [claim] = remit.claims
    assert [service.remarks for service in claim.services] == [[], ["M51"]]
    assert claim_remit_from_json(claim_remit_to_json(claim)).services[1].remarks == ["M51"]
