"""The ledger always balances: charges - payments - adjustments = insurance + patient balance."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chartdesk.billing import ledger
from chartdesk.billing.actions import do_create_claim
from chartdesk.billing.models import LedgerEntry, Party
from chartdesk.core.errors import ChartdeskError

pytestmark = pytest.mark.django_db
D = Decimal

amounts = st.decimals(min_value=D("0.01"), max_value=D("500.00"), places=2)
postings = st.lists(
    st.tuples(st.sampled_from(["payer_payment", "contractual", "to_patient", "patient_payment", "write_off",
                               "charge_correction"]), amounts),
    min_size=1, max_size=25,
)


def _apply(claim, kind, amount, user):
    if kind == "payer_payment":
        ledger.post_payment(claim, amount, party=Party.INSURANCE, acting_user=user)
    elif kind == "contractual":
        ledger.post_adjustment(claim, amount, party=Party.INSURANCE, group="CO", reason="45", acting_user=user)
    elif kind == "to_patient":
        ledger.do_transfer_to_patient(claim, amount, acting_user=user)
    elif kind == "patient_payment":
        ledger.do_post_patient_payment(claim, amount, acting_user=user)
    elif kind == "write_off":
        ledger.do_post_write_off(claim, amount, party=Party.PATIENT, reason="small balance", acting_user=user)
    else:
        ledger.post_charge(claim, amount, acting_user=user)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=postings)
def test_any_sequence_of_postings_keeps_the_account_balanced(charged_visit, billing_user, sequence):
    from chartdesk.billing.models import Claim

    claim = Claim.objects.filter(encounter=charged_visit).first() or do_create_claim(charged_visit,
                                                                                     acting_user=billing_user)
    for kind, amount in sequence:
        try:
            _apply(claim, kind, amount, billing_user)
        except ChartdeskError:
            pass  # an overpayment is refused and must leave the books as they were
        totals = ledger.account_totals(claim.patient)
        assert totals["charges"] - totals["payments"] - totals["adjustments"] == totals["balance"]
        assert totals["insurance_balance"] + totals["patient_balance"] == totals["balance"]
        transfers = LedgerEntry.objects.filter(patient=claim.patient, kind__startswith="transfer")
        assert sum(e.signed_amount for e in transfers) == 0
        assert ledger.claim_balance(claim, Party.PATIENT) >= 0  # desk postings never overdraw the patient


def test_a_patient_payment_above_the_balance_is_refused(charged_visit, billing_user):
    claim = do_create_claim(charged_visit, acting_user=billing_user)
    with pytest.raises(ChartdeskError) as refusal:
        ledger.do_post_patient_payment(claim, D("5.00"), acting_user=billing_user)
    assert refusal.value.message == "The amount 5.00 is more than the patient balance of this claim (0.00)."
    assert refusal.value.field == "amount"


def test_ledger_rows_are_never_deleted(charged_visit, billing_user):
    from chartdesk.core.errors import RecordNeverDeleted

    claim = do_create_claim(charged_visit, acting_user=billing_user)
    with pytest.raises(RecordNeverDeleted):
        LedgerEntry.objects.filter(claim=claim).delete()
