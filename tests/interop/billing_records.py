"""A small synthetic billing world for the Claim and ExplanationOfBenefit tests: a covered patient,
a charged visit, its claim sent in an 837P batch and paid by an 835, all through billing's actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from chartdesk.billing.actions import (
    do_add_coverage,
    do_create_charges,
    do_create_claim,
    do_save_organisation,
    do_save_payer,
    do_set_fee,
)
from chartdesk.billing.export import do_export_837
from chartdesk.billing.models import BillingOrganisation, Payer
from chartdesk.billing.remittance import do_import_835
from tests.billing.conftest import FEES, coded, visit_on
from tests.billing.remits import Paid, remit_835
from tests.support import factories


@dataclass
class Billed:
    claim: Any
    payment: Any  # the ClaimPayment the 835 posted (None until paid)
    billing_user: Any


def _billing_setup(billing_user: Any) -> Payer:
    if not BillingOrganisation.objects.exists():
        do_save_organisation(
            acting_user=billing_user, name="Prairie Family Medicine", npi="1234567893", tax_id="371234567",
            taxonomy="207Q00000X", address_line="100 Main Street", city="Springfield", state="IL",
            zip_code="62701-1234", phone="217-555-0100", contact_name="Billing Office", submitter_id="PFM0001",
            receiver_id="CLEARHOUSE1", receiver_name="Example Clearinghouse",
        )
        for code, charge in FEES.items():
            do_set_fee(code, charge, acting_user=billing_user)
        do_set_fee("99213", "140.00", modifier="25", acting_user=billing_user)
    payer = Payer.objects.filter(payer_id="ACME1").first()
    return payer or do_save_payer(acting_user=billing_user, name="Acme Health Plan", payer_id="ACME1",
                                  claim_filing_indicator="CI", timely_filing_days=90)


def make_claim(patient: Any, *, billing_user: Any = None, paid: bool = True, trace: str = "TRACE001") -> Billed:
    """A claim of 152.00 (99213-25 and 36415) for `patient`; sent and paid 90.00 when `paid`."""
    billing_user = billing_user or factories.make_user("billing")
    payer = _billing_setup(billing_user)
    do_add_coverage(patient, payer=payer, rank="primary", member_id="XJ123456789", group_number="GRP-77",
                    subscriber_address_line="12 Elm Street", subscriber_city="Springfield", subscriber_state="IL",
                    subscriber_zip="62704", acting_user=billing_user)
    day = timezone.localdate() - timedelta(days=10)
    clinician = factories.make_provider("Ada", "Lovelace", npi="1245319599")
    encounter = visit_on(patient, day)
    do_create_charges(encounter, coded(clinician, day, procedures=(("99213", ("25",), 1), ("36415", (), 1))),
                      acting_user=billing_user)
    billed = Billed(do_create_claim(encounter, acting_user=billing_user), None, billing_user)
    if paid:
        send_claim(billed)
        pay_claim(billed, trace=trace)
    billed.claim.refresh_from_db()
    return billed


def send_claim(billed: Billed) -> None:
    """Send the claim in an 837P batch (it becomes submitted)."""
    do_export_837(acting_user=billed.billing_user, claims=[billed.claim])
    billed.claim.refresh_from_db()


def pay_claim(billed: Billed, *, trace: str = "TRACE001") -> None:
    """Post an 835 paying 90.00 of the 152.00: CO-45 32.00, and the patient's share PR-2 20.00 and PR-3 10.00."""
    content = remit_835([Paid(billed.claim.claim_number, Decimal("152.00"), Decimal("90.00"),
                              [("CO", "45", Decimal("32.00")), ("PR", "2", Decimal("20.00")),
                               ("PR", "3", Decimal("10.00"))])], trace=trace)
    do_import_835(content, acting_user=billed.billing_user, file_name="acme.835")
    billed.payment = billed.claim.payments.get()
    billed.claim.refresh_from_db()
