"""A claim is never paid twice silently: payments for a claim already paid in full, or for more than
the payer owes, are held for a biller to post or reject; a trace number reused by another file is
reported; and 835 refusals name the real problem."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chartdesk.audit.models import AuditEvent
from chartdesk.billing.ledger import claim_balance
from chartdesk.billing.models import (
    Claim,
    ClaimPayment,
    ClaimStatus,
    HeldPayment,
    HeldPaymentStatus,
    LedgerEntry,
    Party,
    Remittance,
)
from tests.billing.remits import Paid, remit_835
from tests.support.factories import MAIN_ROLES

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def desk(client_for, billing_user):
    return client_for(billing_user)


@pytest.fixture
def claim(desk, charged_visit, run_jobs):
    desk.post("/billing/claims/create/")
    run_jobs()
    desk.post("/billing/batches/")
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.SUBMITTED
    return claim


def upload(desk, content: bytes, name: str = "era.835"):
    return desk.post("/billing/remittances/", {"file": SimpleUploadedFile(name, content)}, follow=True)


def full_payment(claim: Claim, trace: str) -> bytes:
    return remit_835([Paid(claim.claim_number, D("152.00"), D("120.00"), [("CO", "45", D("32.00"))])], trace=trace)


def payments_total(claim: Claim) -> Decimal:
    return sum((entry.amount for entry in LedgerEntry.objects.filter(claim=claim, kind="payment")), D("0"))


def test_ten_files_paying_one_claim_post_one_payment_and_hold_nine_for_review(desk, claim):
    pages = [upload(desk, full_payment(claim, f"TRACE{n}"), f"era{n}.835") for n in range(10)]

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert ClaimPayment.objects.filter(claim=claim).count() == 1
    assert payments_total(claim) == D("120.00")
    assert claim_balance(claim, Party.INSURANCE) == D("0.00")
    held = HeldPayment.objects.filter(claim=claim)
    assert held.count() == 9
    assert {h.reason for h in held} == {
        "the claim is already paid in full (insurance balance 0.00); this would pay 120.00 again"}
    assert f"Held for review: {claim.claim_number}: the claim is already paid in full" in pages[1].content.decode()
    review = desk.get("/billing/held/").content.decode()
    assert review.count(f">{claim.claim_number}</a>") == 9


def test_two_payments_for_one_claim_in_one_file_post_the_first_and_hold_the_second(desk, claim):
    content = remit_835([Paid(claim.claim_number, D("152.00"), D("120.00"), [("CO", "45", D("32.00"))]),
                         Paid(claim.claim_number, D("152.00"), D("120.00"), [("CO", "45", D("32.00"))])],
                        trace="DOUBLE")
    upload(desk, content)

    assert payments_total(claim) == D("120.00")
    assert HeldPayment.objects.get().paid_amount == D("120.00")
    assert Remittance.objects.get().claims_posted == 1


def test_a_payment_more_than_the_open_balance_of_a_partly_paid_claim_is_held(desk, claim):
    services = [("99213", D("140.00"), D("110.00"), [("CO", "45", D("30.00"))]),
                ("36415", D("12.00"), D("0"), [("CO", "97", D("12.00"))])]
    upload(desk, remit_835([Paid(claim.claim_number, D("152.00"), D("110.00"), services=services)], trace="PART"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PARTIALLY_PAID
    assert claim_balance(claim, Party.INSURANCE) == D("12.00")

    upload(desk, remit_835([Paid(claim.claim_number, D("152.00"), D("110.00"), [("CO", "45", D("42.00"))])],
                           trace="AGAIN"))

    assert payments_total(claim) == D("110.00")
    assert HeldPayment.objects.get().reason == (
        "the payment 110.00 is more than the 12.00 the payer still owes on the claim")


def test_a_reversal_and_its_correction_are_posted_not_held(desk, claim):
    upload(desk, full_payment(claim, "ORIGINAL"))
    content = remit_835([
        Paid(claim.claim_number, D("-152.00"), D("-120.00"), [("CO", "45", D("-32.00"))], status="22"),
        Paid(claim.claim_number, D("152.00"), D("130.00"), [("CO", "45", D("22.00"))]),
    ], trace="CORRECTED")

    upload(desk, content)

    assert not HeldPayment.objects.exists()
    assert payments_total(claim) == D("130.00")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_a_trace_number_reused_by_another_file_is_reported_and_not_posted(desk, claim, charged_visit):
    upload(desk, full_payment(claim, "SAMETRACE"), "monday.835")
    other = remit_835([Paid(claim.claim_number, D("152.00"), D("100.00"), [("CO", "45", D("52.00"))])],
                      trace="SAMETRACE")

    page = upload(desk, other, "tuesday.835").content.decode()

    assert "Remittance SAMETRACE from ACME HEALTH PLAN was not posted: that trace number was already posted " \
           "from monday.835 on" in page
    assert "(payment 120.00), and this file is a different one" in page
    assert payments_total(claim) == D("120.00")
    assert Remittance.objects.count() == 1
    audit = AuditEvent.objects.filter(object_type="remittance_file").order_by("sequence").last()
    assert audit.detail["trace_reused"][0].startswith("Remittance SAMETRACE")
    # The very same file again is the harmless case, and says so.
    again = upload(desk, full_payment(claim, "SAMETRACE"), "monday.835").content.decode()
    assert "Remittance SAMETRACE was imported before: nothing changed." in again


def test_the_biller_posts_one_held_payment_and_rejects_another_each_audited(desk, claim, billing_user):
    for n in range(3):
        upload(desk, full_payment(claim, f"T{n}"))
    first, second = HeldPayment.objects.order_by("id")

    posted = desk.post(f"/billing/held/{first.pk}/", {"decision": "post", "note": "Payer confirms a second payment"})
    rejected = desk.post(f"/billing/held/{second.pk}/", {"decision": "reject", "note": "Duplicate file from payer"})

    assert (posted.status_code, rejected.status_code) == (302, 302)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.decided_by, first.note) == (HeldPaymentStatus.POSTED, billing_user,
                                                            "Payer confirms a second payment")
    assert second.status == HeldPaymentStatus.REJECTED
    assert payments_total(claim) == D("240.00")
    assert ClaimPayment.objects.filter(claim=claim).count() == 2
    assert first.remittance.claim_payments.count() == 1
    decisions = AuditEvent.objects.filter(object_type="held_payment", action="update").order_by("sequence")
    assert [(e.detail["decision"], e.username, e.patient_id) for e in decisions] == [
        ("posted", billing_user.username, claim.patient_id), ("rejected", billing_user.username, claim.patient_id)]
    # A decision is made once: posting it again changes nothing.
    again = desk.post(f"/billing/held/{first.pk}/", {"decision": "post", "note": "again"})
    assert again.status_code == 400
    assert "This payment was already posted" in again.content.decode()
    assert payments_total(claim) == D("240.00")


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(desk, claim):
    upload(desk, full_payment(claim, "A"))
    upload(desk, full_payment(claim, "B"))
    held = HeldPayment.objects.get()

    refused = desk.post(f"/billing/held/{held.pk}/", {"decision": "post", "note": ""})
    unknown = desk.post(f"/billing/held/{held.pk}/", {"decision": "pay twice", "note": "x"})

    assert (refused.status_code, unknown.status_code) == (400, 400)
    assert "Say why" in refused.content.decode()
    held.refresh_from_db()
    assert held.status == HeldPaymentStatus.HELD
    assert payments_total(claim) == D("120.00")


@pytest.mark.parametrize("role", [role.slug for role in MAIN_ROLES if role.slug not in {"billing", "interface"}])
def test_only_the_billing_specialist_reaches_the_held_payments(role, users, client_for, desk, claim):
    upload(desk, full_payment(claim, "A"))
    upload(desk, full_payment(claim, "B"))
    held = HeldPayment.objects.get()
    other = client_for(users[role])

    answers = [other.get("/billing/held/").status_code, other.get(f"/billing/held/{held.pk}/").status_code,
               other.post(f"/billing/held/{held.pk}/", {"decision": "post", "note": "x"}).status_code]

    assert answers == [403, 403, 403]
    held.refresh_from_db()
    assert held.status == HeldPaymentStatus.HELD
    assert desk.get(f"/billing/held/{held.pk}/").status_code == 200
    assert desk.get("/billing/held/999999/").status_code == 404


@pytest.mark.parametrize(("damage", "problem"), [
    ("SVC**140*110", "segment 12 (SVC): a service line of claim {claim} has no procedure code (SVC01 is empty)"),
    ("SVC*HC:*140*110", "segment 12 (SVC): a service line of claim {claim} has no procedure code (SVC01-2 is empty)"),
    ("SVC*HC*140*110", "segment 12 (SVC): a service line of claim {claim} has no procedure code (SVC01-2 is empty)"),
    ("SVC*99213*140*110", "has &#x27;99213&#x27; where the code qualifier (SVC01-1"),
])
def test_an_835_service_line_without_its_procedure_code_is_refused_as_that(desk, claim, damage, problem):
    services = [("99213", D("140.00"), D("110.00"), [("CO", "45", D("30.00"))]),
                ("36415", D("12.00"), D("12.00"), [])]
    content = remit_835([Paid(claim.claim_number, D("152.00"), D("122.00"), services=services)]).decode()
    content = content.replace("SVC*HC:99213*140.00*110.00", damage.replace("140", "140.00").replace("110", "110.00"))

    refused = desk.post("/billing/remittances/", {"file": SimpleUploadedFile("era.835", content.encode())})

    assert refused.status_code == 400
    assert problem.format(claim=claim.claim_number) in refused.content.decode()
    assert "does not balance" not in refused.content.decode()
    assert not LedgerEntry.objects.filter(kind="payment").exists()


def test_a_line_that_does_not_balance_is_named_rather_than_its_claim(desk, claim):
    services = [("99213", D("140.00"), D("110.00"), [("CO", "45", D("20.00"))]),  # 10.00 short
                ("36415", D("12.00"), D("12.00"), [])]
    content = remit_835([Paid(claim.claim_number, D("152.00"), D("122.00"), services=services)])

    refused = desk.post("/billing/remittances/", {"file": SimpleUploadedFile("era.835", content)})

    assert refused.status_code == 400
    assert f"the 99213 line of claim {claim.claim_number} does not balance: charge 140.00 - paid 110.00 " \
           "!= adjustments 20.00" in refused.content.decode()


def test_the_import_command_reports_held_payments_and_a_reused_trace(desk, claim, billing_user, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    def run(content: bytes, name: str) -> str:
        path = tmp_path / name
        path.write_bytes(content)
        out = StringIO()
        call_command("billing", "--as", billing_user.username, "import-835", str(path), stdout=out)
        return out.getvalue()

    run(full_payment(claim, "ONE"), "one.835")
    second = run(full_payment(claim, "TWO"), "two.835")
    reused = run(remit_835([Paid(claim.claim_number, D("152.00"), D("90.00"), [("CO", "45", D("62.00"))])],
                           trace="ONE"), "three.835")

    assert f"held for review (billing desk, Held payments): {claim.claim_number}: the claim is already paid in full" \
        in second
    assert "Remittance ONE from ACME HEALTH PLAN was not posted: that trace number was already posted from one.835" \
        in reused
    assert payments_total(claim) == D("120.00")
