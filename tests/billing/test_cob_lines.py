"""Line-level coordination of benefits: the primary's SVC adjudication rides on the secondary claim (2430)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chartdesk.billing.actions import do_add_coverage, do_create_claim
from chartdesk.billing.cob import primary_adjudication
from chartdesk.billing.export import do_export_837
from chartdesk.billing.models import Claim, ClaimStatus, LedgerEntry, Remittance, ServiceLinePayment
from chartdesk.billing.remittance import do_import_835
from chartdesk.core.errors import ChartdeskError
from tests.billing.remits import Paid, remit_835
from tests.support.pyx12_check import pyx12_validate
from tests.support.reader837 import read_837

pytestmark = pytest.mark.django_db
D = Decimal
ADJUDICATED = date(2026, 11, 20)  # BPR16 of the test remittances


@pytest.fixture
def sent_primary(charged_visit, billing_user, medicare):
    """A primary claim of two lines (99213-25 at 140.00, 36415 at 12.00), sent, with a secondary coverage."""
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    do_export_837(acting_user=billing_user)
    do_add_coverage(claim.patient, payer=medicare, rank="secondary", member_id="1EG4TE5MK73",
                    acting_user=billing_user)
    return claim


def line_by_line(claim_number: str) -> bytes:
    return remit_835([Paid(claim_number, D("152.00"), D("108.00"), services=[
        ("99213:25", D("140.00"), D("100.00"), [("CO", "45", D("20.00")), ("PR", "2", D("20.00"))]),
        ("36415", D("12.00"), D("8.00"), [("CO", "45", D("2.00")), ("PR", "3", D("2.00"))]),
    ])], trace="LINES1")


def test_posting_keeps_each_service_line_with_the_claim_line_it_paid(sent_primary, billing_user):
    do_import_835(line_by_line(sent_primary.claim_number), acting_user=billing_user)
    first, second = ServiceLinePayment.objects.order_by("position")
    lines = {line.code: line for line in sent_primary.lines.all()}
    assert (first.code, first.modifiers, first.claim_line, first.charge_amount, first.paid_amount) == (
        "99213", ["25"], lines["99213"], D("140.00"), D("100.00"))
    assert first.adjustments == [["CO", "45", "20.00"], ["PR", "2", "20.00"]]
    assert first.service_date == date(2026, 11, 17)
    assert (second.code, second.claim_line, second.paid_amount) == ("36415", lines["36415"], D("8.00"))


def test_the_secondary_claim_carries_each_lines_primary_adjudication_and_passes_pyx12(sent_primary, billing_user):
    [secondary] = do_import_835(line_by_line(sent_primary.claim_number), acting_user=billing_user).secondary_claims
    assert secondary.status == ClaimStatus.READY
    batch = do_export_837(acting_user=billing_user)
    check = pyx12_validate(batch.content)
    assert check.valid, check.errors
    assert "SVD*ACME1*100*HC:99213:25**1~\nCAS*CO*45*20~\nCAS*PR*2*20~\nDTP*573*D8*20261120~" in batch.content
    assert "SVD*ACME1*8*HC:36415**1~\nCAS*CO*45*2~\nCAS*PR*3*2~\nDTP*573*D8*20261120~" in batch.content


def test_the_secondary_reads_back_with_line_amounts_that_reconcile(sent_primary, billing_user):
    [secondary] = do_import_835(line_by_line(sent_primary.claim_number), acting_user=billing_user).secondary_claims
    [back] = read_837(do_export_837(acting_user=billing_user).content).claims
    assert back.claim_number == secondary.claim_number
    assert back.other_payer_paid == D("108")
    assert back.other_payer_adjustments == []  # every adjustment travels with its line
    assert [(x.code, x.prior_payer_id, x.prior_paid, x.prior_units, x.prior_adjustments, x.prior_adjudication_date)
            for x in back.lines] == [
        ("99213", "ACME1", D("100"), D("1"), [("CO", "45", D("20")), ("PR", "2", D("20"))], ADJUDICATED),
        ("36415", "ACME1", D("8"), D("1"), [("CO", "45", D("2")), ("PR", "3", D("2"))], ADJUDICATED),
    ]
    for line in back.lines:
        assert line.prior_paid is not None
        assert line.prior_paid + sum(amount for _, _, amount in line.prior_adjustments) == line.amount
    assert sum(line.prior_paid or 0 for line in back.lines) == back.other_payer_paid


def test_a_remittance_that_skips_a_line_leaves_the_secondary_at_the_claim_level(sent_primary, billing_user):
    content = remit_835([Paid(sent_primary.claim_number, D("152.00"), D("100.00"), [("CO", "97", D("12.00"))],
                              services=[("99213", D("140.00"), D("100.00"), [("CO", "45", D("20.00")),
                                                                           ("PR", "2", D("20.00"))])])],
                        trace="ONELINE")
    [secondary] = do_import_835(content, acting_user=billing_user).secondary_claims
    adjudication = primary_adjudication(secondary)
    assert adjudication is not None
    assert not adjudication.line_level
    assert [row.service is not None for row in adjudication.lines] == [True, False]
    batch = do_export_837(acting_user=billing_user)
    assert pyx12_validate(batch.content).valid
    assert "SVD*" not in batch.content
    [back] = read_837(batch.content).claims
    assert back.other_payer_adjustments == [("CO", "97", D("12")), ("CO", "45", D("20")), ("PR", "2", D("20"))]


def test_a_service_line_that_does_not_balance_is_refused_at_its_svc(sent_primary, billing_user):
    content = remit_835([Paid(sent_primary.claim_number, D("152.00"), D("108.00"), [("CO", "45", D("4.00"))],
                              services=[("99213", D("140.00"), D("100.00"), [("PR", "2", D("20.00"))]),
                                        ("36415", D("12.00"), D("8.00"), [("PR", "3", D("20.00"))])])],
                        trace="UNBALANCEDLINE")
    with pytest.raises(ChartdeskError) as refusal:
        do_import_835(content, acting_user=billing_user)
    assert "(SVC): the 99213 line of claim" in refusal.value.message
    assert "does not balance: charge 140.00 - paid 100.00 != adjustments 20.00" in refusal.value.message
    assert (Remittance.objects.count(), ServiceLinePayment.objects.count()) == (0, 0)
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_the_secondary_claim_page_shows_the_primarys_line_adjudication(sent_primary, billing_user, client_for):
    [secondary] = do_import_835(line_by_line(sent_primary.claim_number), acting_user=billing_user).secondary_claims
    page = client_for(billing_user).get(f"/billing/claim/{secondary.pk}/").content.decode()
    assert "Primary payer's adjudication" in page
    assert "Acme Health Plan paid $108.00 of $152.00" in page
    assert ("<td>1</td><td>99213</td><td>$140.00</td><td>$100.00</td><td>1.00</td>"
            "<td>CO-45 $20.00; PR-2 $20.00</td>") in page
    assert "<td>2</td><td>36415</td><td>$12.00</td><td>$8.00</td><td>1.00</td><td>CO-45 $2.00; PR-3 $2.00</td>" in page
    assert "Claim-level adjustments: none." in page
    primary_page = client_for(billing_user).get(f"/billing/claim/{sent_primary.pk}/").content.decode()
    assert "Primary payer's adjudication" not in primary_page
    assert Claim.objects.get(pk=sent_primary.pk).status == ClaimStatus.PAID
