"""CMS-1500 and statement PDFs read back with pypdf; A/R aging by payer and patient on fixed dates."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from chartdesk.billing.actions import ChargeInput, do_add_charge, do_create_claim
from chartdesk.billing.aging import aging_by_patient, aging_by_payer, bucket_of
from chartdesk.billing.cms1500 import box_position, cms1500_pdf
from chartdesk.billing.export import do_export_837
from chartdesk.billing.models import Claim, LedgerEntry, Statement
from chartdesk.billing.remittance import do_import_835
from chartdesk.billing.statements import do_create_statement_batch, statement_batch_pdf
from chartdesk.core.errors import ChartdeskError
from tests.billing.remits import Paid, remit_835

pytestmark = pytest.mark.django_db
D = Decimal


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def placed(pdf: bytes, wanted: str) -> tuple[float, float]:
    """Where on the first page `wanted` was drawn."""
    found: list[tuple[float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip() == wanted:
            found.append((round(tm[4], 1), round(tm[5], 1)))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    assert found, wanted
    return found[0]


@pytest.fixture
def claim(charged_visit, billing_user):
    return do_create_claim(charged_visit, acting_user=billing_user)


def test_the_red_form_pdf_puts_the_data_in_the_boxes_without_labels(claim):
    pdf = cms1500_pdf(claim, red_form=True)
    [page] = text_of(pdf)
    for expected in ("XJ123456789", "GARCIA, MARIA", "E11.9", "I10", "99213", "25", "36415", "371234567",
                     "1234567893", "1245319599", "152 00", claim.claim_number, "ACME HEALTH PLAN"):
        assert expected in page, expected
    assert "INSURED'S I.D. NUMBER" not in page
    x, y = placed(pdf, "XJ123456789")
    assert (x, y) == tuple(round(v, 1) for v in box_position("1a"))


def test_the_plain_paper_pdf_draws_the_form_and_its_labels(claim):
    [page] = text_of(cms1500_pdf(claim, red_form=False))
    assert "HEALTH INSURANCE CLAIM FORM" in page
    assert "1a. INSURED'S I.D. NUMBER" in page
    assert "33. BILLING PROVIDER INFO & PH #" in page
    assert "XJ123456789" in page


def test_a_claim_of_more_than_six_lines_continues_on_a_second_form(charged_visit, billing_user, clinician):
    for _ in range(5):
        do_add_charge(charged_visit, ChargeInput(code="93000", rendering_provider=clinician),
                      acting_user=billing_user)
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    first, second = text_of(cms1500_pdf(claim, red_form=True))
    assert "CONTINUED" in first
    assert "352 00" in second  # 140 + 12 + 5 x 40, on the last form only
    assert "352 00" not in first


@pytest.fixture
def paid_claim(claim, billing_user):
    do_export_837(acting_user=billing_user)
    do_import_835(remit_835([Paid(claim.claim_number, D("152.00"), D("100.00"),
                                  [("CO", "45", D("22.00")), ("PR", "3", D("30.00"))])]), acting_user=billing_user)
    claim.refresh_from_db()
    return claim


def test_a_statement_batch_bills_each_patient_their_share(paid_claim, billing_user):
    batch = do_create_statement_batch(acting_user=billing_user)
    statement = Statement.objects.get(batch=batch)
    assert statement.balance == D("30.00")
    [page] = text_of(statement_batch_pdf(batch))
    assert "PATIENT STATEMENT" in page
    assert "Maria Garcia" in page
    assert "Amount due: $30.00" in page
    assert paid_claim.claim_number in page


def test_no_statement_when_nobody_owes(claim, billing_user):
    with pytest.raises(ChartdeskError) as refusal:
        do_create_statement_batch(acting_user=billing_user)
    assert refusal.value.message == "No patient has a balance to bill."


@pytest.mark.parametrize(("days", "bucket"), [(0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"),
                                              (61, "61-90"), (90, "61-90"), (91, "91-120"), (120, "91-120"),
                                              (121, "over 120")])
def test_bucket_edges(days, bucket):
    assert bucket_of(days) == bucket


def test_payer_aging_moves_a_claim_through_the_buckets_as_the_clock_runs(claim, billing_user):
    do_export_837(acting_user=billing_user)
    sent = timezone.make_aware(datetime(2026, 1, 10, 12))
    Claim.objects.filter(pk=claim.pk).update(submitted_at=sent)
    for as_of, bucket in ((date(2026, 1, 20), "0-30"), (date(2026, 3, 1), "31-60"), (date(2026, 4, 5), "61-90"),
                          (date(2026, 5, 1), "91-120"), (date(2026, 6, 1), "over 120")):
        [row], total = aging_by_payer(as_of)
        assert row.name == "Acme Health Plan"
        assert row.buckets[bucket] == D("152.00"), as_of
        assert total.total == D("152.00")


def test_patient_aging_starts_when_the_share_became_the_patients(paid_claim):
    moved = timezone.make_aware(datetime(2026, 2, 1, 9))
    LedgerEntry.objects.filter(claim=paid_claim, kind="transfer_in").update(posted_at=moved)
    [row], total = aging_by_patient(date(2026, 3, 15))  # 42 days later
    assert row.name == "Garcia, Maria"
    assert row.buckets["31-60"] == D("30.00")
    assert total.total == D("30.00")
    assert aging_by_payer(date(2026, 3, 15))[0] == []  # the payer owes nothing more


def test_aging_ignores_settled_claims(paid_claim, billing_user):
    from chartdesk.billing.ledger import do_post_patient_payment

    do_post_patient_payment(paid_claim, D("30.00"), acting_user=billing_user)
    assert aging_by_patient(timezone.localdate() + timedelta(days=1))[0] == []
