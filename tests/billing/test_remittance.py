"""835 posting: payments, adjustments, patient responsibility, denials, idempotence and refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from chartdesk.billing.actions import do_add_coverage, do_create_claim
from chartdesk.billing.export import do_export_837
from chartdesk.billing.ledger import account_totals, claim_balance
from chartdesk.billing.models import Claim, ClaimStatus, Denial, LedgerEntry, Party, Remittance
from chartdesk.billing.remittance import do_import_835, do_work_denial
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from tests.billing.remits import Paid, remit_835

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def sent_claim(charged_visit, billing_user):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    do_export_837(acting_user=billing_user)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    return claim


def test_a_payment_with_contractual_and_patient_share_posts_to_both_balances(sent_claim, billing_user):
    content = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("90.00"),
                              [("CO", "45", D("32.00")), ("PR", "2", D("20.00")), ("PR", "3", D("10.00"))])])
    result = do_import_835(content, acting_user=billing_user, file_name="acme.835")
    sent_claim.refresh_from_db()
    assert result.claims_posted == 1
    assert sent_claim.status == ClaimStatus.PAID
    assert claim_balance(sent_claim, Party.INSURANCE) == D("0.00")
    assert claim_balance(sent_claim, Party.PATIENT) == D("30.00")
    totals = account_totals(sent_claim.patient)
    assert (totals["charges"], totals["payments"], totals["adjustments"]) == (D("152.00"), D("90.00"), D("32.00"))
    assert totals["balance"] == D("30.00")
    co = LedgerEntry.objects.get(kind="adjustment", claim=sent_claim)
    assert co.description.startswith("CO-45: Charge exceeds fee schedule")


def test_a_claim_that_does_not_balance_is_refused_at_its_clp(sent_claim, billing_user):
    content = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("50.00"), [("CO", "45", D("2.00"))])],
                        trace="UNBALANCED")
    # charge 152 - paid 50 = 102 must equal the adjustments; this file says 2: refused.
    with pytest.raises(ChartdeskError) as refusal:
        do_import_835(content, acting_user=billing_user)
    assert "segment 10 (CLP): claim CD" in refusal.value.message
    assert "does not balance: charge 152.00 - paid 50.00 != adjustments 2.00" in refusal.value.message
    assert LedgerEntry.objects.filter(kind="payment").count() == 0


def test_a_partial_payment_leaves_the_rest_with_the_payer(sent_claim, billing_user):
    content = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("50.00"), [("CO", "45", D("2.00")),
                                                                                 ("OA", "23", D("100.00"))])],
                        trace="PARTIAL")
    do_import_835(content, acting_user=billing_user)
    sent_claim.refresh_from_db()
    assert sent_claim.status == ClaimStatus.PAID  # the adjustments took the balance to zero
    assert claim_balance(sent_claim, Party.INSURANCE) == D("0.00")


def test_a_payment_short_of_the_balance_leaves_the_claim_partially_paid(sent_claim, billing_user):
    services = [("99213", D("140.00"), D("110.00"), [("CO", "45", D("20.00")), ("PR", "3", D("10.00"))]),
                ("36415", D("12.00"), D("0"), [("CO", "97", D("12.00"))])]
    content = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("110.00"), services=services)], trace="LINE")
    result = do_import_835(content, acting_user=billing_user)
    sent_claim.refresh_from_db()
    assert sent_claim.status == ClaimStatus.PARTIALLY_PAID
    assert claim_balance(sent_claim, Party.INSURANCE) == D("12.00")  # the denied line, waiting in the queue
    assert claim_balance(sent_claim, Party.PATIENT) == D("10.00")
    assert result.denials == 1
    assert Denial.objects.get().reason_text.startswith("CO-97: The benefit for this service is included")


def test_the_same_835_twice_changes_nothing_the_second_time(sent_claim, billing_user):
    content = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("120.00"), [("CO", "45", D("32.00"))])])
    do_import_835(content, acting_user=billing_user)
    entries = LedgerEntry.objects.count()
    again = do_import_835(content, acting_user=billing_user)
    assert again.already_imported == ["TRACE001"]
    assert again.claims_posted == 0
    assert LedgerEntry.objects.count() == entries
    assert Remittance.objects.count() == 1


def test_a_denial_goes_to_the_work_queue_with_its_reason_and_keeps_the_balance(sent_claim, billing_user):
    content = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("0"), [("CO", "197", D("152.00"))],
                              status="4")], trace="DENY1")
    result = do_import_835(content, acting_user=billing_user)
    sent_claim.refresh_from_db()
    assert result.denials == 1
    assert sent_claim.status == ClaimStatus.DENIED
    denial = Denial.objects.get()
    assert denial.reason_text.startswith("CO-197: Precertification/authorization/notification/pre-treatment absent.")
    assert claim_balance(sent_claim, Party.INSURANCE) == D("152.00")
    do_work_denial(denial, status="appealed", note="Authorization found, appeal sent", acting_user=billing_user)
    sent_claim.refresh_from_db()
    assert sent_claim.status == ClaimStatus.APPEALED


def test_an_unknown_claim_number_is_listed_not_posted(sent_claim, billing_user):
    content = remit_835([Paid("NOSUCHCLAIM", D("10.00"), D("10.00"))], trace="UNK")
    result = do_import_835(content, acting_user=billing_user)
    assert result.unmatched == ["NOSUCHCLAIM: no such claim"]
    assert result.claims_posted == 0


@pytest.mark.parametrize(("damage", "where"), [
    (lambda text: text.replace("CLP*CD", "CLP*CD", 1).replace("*152.00*120.00*", "*152.00*1X0.00*"),
     "(CLP): claim payment (CLP04) '1X0.00' is not an amount"),
    (lambda text: text.replace("CAS*CO*", "CAS*ZZ*"), "segment 11 (CAS): adjustment group 'ZZ'"),
    (lambda text: text.replace("IEA*1*000000101", "IEA*1*000000999"), "(IEA): control number 000000999"),
    (lambda text: text.replace("GE*1*101", "GE*2*101"), "(GE): count or control number"),
    (lambda text: text.replace("SE*11*0001", "SE*12*0001"), "(SE): says 12 segments, the set has 11"),
    (lambda text: text.replace("ISA*", "XSA*", 1), "segment 1 (ISA)"),
])
def test_a_malformed_835_is_refused_with_its_segment_and_posts_nothing(sent_claim, billing_user, damage, where):
    good = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("120.00"), [("CO", "45", D("32.00"))])]).decode()
    damaged = damage(good)
    assert damaged != good
    entries = LedgerEntry.objects.count()
    with pytest.raises(ChartdeskError) as refusal:
        do_import_835(damaged.encode(), acting_user=billing_user)
    assert where in refusal.value.message
    assert refusal.value.message.startswith("The 835 was refused and nothing was posted: segment ")
    assert LedgerEntry.objects.count() == entries
    assert Remittance.objects.count() == 0


def test_the_untouched_fixture_balances_and_imports(sent_claim, billing_user):
    good = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("120.00"), [("CO", "45", D("32.00"))])])
    assert do_import_835(good, acting_user=billing_user).claims_posted == 1


def test_a_primary_payment_creates_the_secondary_claim_with_the_patient_share(sent_claim, billing_user, medicare):
    do_add_coverage(sent_claim.patient, payer=medicare, rank="secondary", member_id="1EG4TE5MK73",
                    acting_user=billing_user)
    content = remit_835([Paid(sent_claim.claim_number, D("152.00"), D("100.00"),
                              [("CO", "45", D("22.00")), ("PR", "2", D("30.00"))])])
    result = do_import_835(content, acting_user=billing_user)
    [secondary] = result.secondary_claims
    assert secondary.primary_claim == sent_claim
    assert secondary.payer == medicare
    assert secondary.status == ClaimStatus.READY
    assert claim_balance(secondary, Party.INSURANCE) == D("30.00")
    assert claim_balance(sent_claim, Party.PATIENT) == D("0.00")
    assert account_totals(sent_claim.patient)["balance"] == D("30.00")


def test_a_coder_cannot_import_a_remittance(users):
    with pytest.raises(PermissionRefused):
        do_import_835(b"ISA", acting_user=users["coder"])


def test_a_binary_file_is_refused_by_byte(billing_user):
    with pytest.raises(ChartdeskError) as refusal:
        do_import_835(b"ISA\xff\xfe", acting_user=billing_user)
    assert refusal.value.message == "The file is not X12 text: byte 3 is not ASCII."


def test_a_file_of_many_claims_posts_each_once_with_one_sealed_audit_event_per_claim(
        covered_patient, organisation, fees, clinician, billing_user, service_day):
    from chartdesk.audit.models import AuditEvent
    from chartdesk.audit.verify import verify_chain
    from chartdesk.billing.actions import do_create_charges
    from tests.billing.conftest import coded, visit_on

    claims = []
    for days in range(5):  # different days: the same service on the same day would be a duplicate claim
        day = service_day - timedelta(days=days)
        visit = visit_on(covered_patient, day)
        do_create_charges(visit, coded(clinician, day), acting_user=billing_user)
        claims.append(do_create_claim(visit, acting_user=billing_user))
    do_export_837(acting_user=billing_user)
    paid = [Paid(claim.claim_number, D("125.00"), D("100.00"), [("CO", "45", D("15.00")), ("PR", "2", D("10.00"))])
            for claim in claims[:4]]
    paid.append(Paid(claims[4].claim_number, D("125.00"), D("0"), [("CO", "50", D("125.00"))], status="4"))
    events_before = AuditEvent.objects.filter(object_type="claim").count()
    result = do_import_835(remit_835(paid, trace="MANY"), acting_user=billing_user)
    assert result.claims_posted == 5
    assert result.denials == 1
    updates = AuditEvent.objects.filter(object_type="claim").order_by("sequence")[events_before:]
    assert [(e.object_id, e.detail["status"]) for e in updates] == [
        *[(str(c.pk), ["submitted", "paid"]) for c in claims[:4]], (str(claims[4].pk), ["submitted", "denied"])]
    assert verify_chain().intact
    assert account_totals(covered_patient)["patient_balance"] == D("40.00")
    assert [c.status for c in sorted(Claim.objects.filter(pk__in=[c.pk for c in claims]), key=lambda c: c.pk)] == [
        "paid", "paid", "paid", "paid", "denied"]
    entries = LedgerEntry.objects.count()
    assert do_import_835(remit_835(paid, trace="MANY"), acting_user=billing_user).already_imported == ["MANY"]
    assert LedgerEntry.objects.count() == entries


def test_a_claim_reversed_and_paid_again_in_one_file_ends_with_the_last_answer(sent_claim, billing_user):
    content = remit_835([
        Paid(sent_claim.claim_number, D("152.00"), D("0"), [("CO", "16", D("152.00"))], status="4"),
        Paid(sent_claim.claim_number, D("152.00"), D("120.00"), [("CO", "45", D("32.00"))]),
    ], trace="TWICE")
    result = do_import_835(content, acting_user=billing_user)
    sent_claim.refresh_from_db()
    assert result.claims_posted == 2
    assert sent_claim.status == ClaimStatus.PAID
    assert sent_claim.payments.count() == 2
    assert Denial.objects.get().reason_code == "16"
