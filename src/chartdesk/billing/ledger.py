"""The patient account ledger: every amount that moves a balance is one LedgerEntry row.

Two parties owe on each claim: the insurance (what payers still owe) and the patient. Charges add
to a party, payments and adjustments take away, and a transfer takes from one party and gives to the
other in two rows that net to zero. So for any patient, at any moment:

    charges - payments - adjustments = insurance balance + patient balance

and nothing but these rows defines a balance (no stored running totals to drift).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.models import (
    LEDGER_SIGN,
    Claim,
    CoverageRank,
    LedgerEntry,
    LedgerKind,
    Party,
    Remittance,
)
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.patients.models import Patient

ZERO = Decimal("0.00")
AMOUNT_INVALID = "The amount must be above zero."
OVERPAYMENT = "The amount {amount} is more than the {party} balance of this claim ({balance})."


def unsaved_entry(claim: Claim, kind: str, party: str, amount: Decimal, acting_user: Any,
                  **fields: Any) -> LedgerEntry:
    """A ledger row not yet written: remittance posting collects a whole file's rows and writes them at once."""
    return LedgerEntry(patient_id=claim.patient_id, claim=claim, kind=kind, party=party, amount=amount,
                       posted_by=acting_user, **fields)


def _entry(claim: Claim, kind: str, party: str, amount: Decimal, acting_user: Any, **fields: Any) -> LedgerEntry:
    entry = unsaved_entry(claim, kind, party, amount, acting_user, **fields)
    entry.save(force_insert=True)
    return entry


def post_charge(claim: Claim, amount: Decimal, *, acting_user: Any) -> LedgerEntry:
    return _entry(claim, LedgerKind.CHARGE, Party.INSURANCE, amount, acting_user, description="Claim charges")


def sync_claim_charges(claim: Claim, acting_user: Any) -> None:
    """After a claim's lines were corrected before sending, post the difference of its charges."""
    if claim.rank != CoverageRank.PRIMARY:
        return
    # Summed in Python: SQLite's SUM over decimals is a float and would drift by fractions of a cent.
    posted = sum(LedgerEntry.objects.filter(claim=claim, kind=LedgerKind.CHARGE).values_list("amount", flat=True),
                 ZERO)
    delta = claim.total_charge - posted
    if delta:
        _entry(claim, LedgerKind.CHARGE, Party.INSURANCE, delta, acting_user, description="Charge correction")


def post_payment(claim: Claim, amount: Decimal, *, party: str, acting_user: Any,
                 remittance: Remittance | None = None, description: str = "") -> LedgerEntry:
    return _entry(claim, LedgerKind.PAYMENT, party, amount, acting_user, remittance=remittance,
                  description=description or ("Payer payment" if party == Party.INSURANCE else "Patient payment"))


def post_adjustment(claim: Claim, amount: Decimal, *, party: str, group: str, reason: str, acting_user: Any,
                    remittance: Remittance | None = None, description: str = "") -> LedgerEntry:
    return _entry(claim, LedgerKind.ADJUSTMENT, party, amount, acting_user, group_code=group, reason_code=reason,
                  remittance=remittance, description=description[:200])


def transfer(source: Claim, target: Claim, amount: Decimal, *, from_party: str, to_party: str, acting_user: Any,
             remittance: Remittance | None = None, group: str = "", reason: str = "",
             description: str = "") -> None:
    """Move `amount` from one party (on `source`) to another (on `target`): two rows, net zero."""
    _entry(source, LedgerKind.TRANSFER_OUT, from_party, amount, acting_user, remittance=remittance,
           group_code=group, reason_code=reason, description=description[:200])
    _entry(target, LedgerKind.TRANSFER_IN, to_party, amount, acting_user, remittance=remittance,
           group_code=group, reason_code=reason, description=description[:200])


def transfer_patient_share_to_secondary(primary: Claim, secondary: Claim, *, acting_user: Any) -> Decimal:
    """The patient's share the primary left becomes the secondary payer's to pay (until it answers)."""
    share = claim_balance(primary, Party.PATIENT)
    if share > 0:
        transfer(primary, secondary, share, from_party=Party.PATIENT, to_party=Party.INSURANCE,
                 acting_user=acting_user, description="Billed to the secondary payer")
    return share


def _signed_total(entries: Any) -> Decimal:
    total = ZERO
    for kind, amount in entries.values_list("kind", "amount"):
        total += LEDGER_SIGN[LedgerKind(kind)] * amount
    return total


def claim_balance(claim: Claim, party: str) -> Decimal:
    return _signed_total(LedgerEntry.objects.filter(claim=claim, party=party))


def claim_balances(claim_ids: list[int], party: str) -> dict[int, Decimal]:
    """The balance of each claim for one party, in one query (claims without rows are absent)."""
    balances: dict[int, Decimal] = {}
    rows = LedgerEntry.objects.filter(claim_id__in=claim_ids, party=party).values_list("claim_id", "kind", "amount")
    for claim_id, kind, amount in rows.iterator(chunk_size=5000):
        balances[claim_id] = balances.get(claim_id, ZERO) + LEDGER_SIGN[LedgerKind(kind)] * amount
    return balances


def patient_balance(patient: Patient, party: str | None = None) -> Decimal:
    entries = LedgerEntry.objects.filter(patient=patient)
    return _signed_total(entries.filter(party=party) if party else entries)


def account_totals(patient: Patient) -> dict[str, Decimal]:
    """Charges, payments, adjustments and the balances of a patient account."""
    sums: dict[str, Decimal] = {}
    for kind, amount in LedgerEntry.objects.filter(patient=patient).values_list("kind", "amount"):
        sums[kind] = sums.get(kind, ZERO) + amount
    return {
        "charges": sums.get(LedgerKind.CHARGE, ZERO),
        "payments": sums.get(LedgerKind.PAYMENT, ZERO),
        "adjustments": sums.get(LedgerKind.ADJUSTMENT, ZERO),
        "insurance_balance": patient_balance(patient, Party.INSURANCE),
        "patient_balance": patient_balance(patient, Party.PATIENT),
        "balance": patient_balance(patient),
    }


# ----------------------------------------------------------------------------- desk postings


def _require_work(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_perm("billing.work_claims"):
        raise PermissionRefused("You do not have permission to post to patient accounts.")


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise ChartdeskError(AMOUNT_INVALID, field="amount")
    return amount.quantize(Decimal("0.01"))


def do_post_patient_payment(claim: Claim, amount: Decimal, *, acting_user: Any) -> LedgerEntry:
    """Post a payment the patient made toward a claim's patient balance."""
    _require_work(acting_user)
    amount = _positive(amount)
    with transaction.atomic():
        balance = claim_balance(claim, Party.PATIENT)
        if amount > balance:
            raise ChartdeskError(OVERPAYMENT.format(amount=amount, party="patient", balance=balance), field="amount")
        entry = post_payment(claim, amount, party=Party.PATIENT, acting_user=acting_user)
        record_event(AuditAction.CREATE, user=acting_user, patient=claim.patient, object_type="ledger_entry",
                     object_id=entry.pk, detail={"kind": "patient payment", "amount": str(amount)})
    return entry


def do_post_write_off(claim: Claim, amount: Decimal, *, party: str, reason: str, acting_user: Any) -> LedgerEntry:
    """Write off part of a party's balance on a claim (small balance, charity, bad debt)."""
    _require_work(acting_user)
    amount = _positive(amount)
    if party not in Party.values:
        raise ChartdeskError("Choose whose balance to write off.", field="party")
    with transaction.atomic():
        balance = claim_balance(claim, party)
        if amount > balance:
            raise ChartdeskError(OVERPAYMENT.format(amount=amount, party=party, balance=balance), field="amount")
        entry = post_adjustment(claim, amount, party=party, group="OA", reason="", acting_user=acting_user,
                                description=f"Write-off: {reason}"[:200])
        record_event(AuditAction.CREATE, user=acting_user, patient=claim.patient, object_type="ledger_entry",
                     object_id=entry.pk, detail={"kind": "write-off", "party": party, "amount": str(amount)})
    return entry


def do_transfer_to_patient(claim: Claim, amount: Decimal, *, acting_user: Any, reason: str = "") -> None:
    """Move part of the insurance balance to the patient (e.g. the payer will not pay the rest)."""
    _require_work(acting_user)
    amount = _positive(amount)
    with transaction.atomic():
        balance = claim_balance(claim, Party.INSURANCE)
        if amount > balance:
            raise ChartdeskError(OVERPAYMENT.format(amount=amount, party="insurance", balance=balance),
                                 field="amount")
        transfer(claim, claim, amount, from_party=Party.INSURANCE, to_party=Party.PATIENT, acting_user=acting_user,
                 description=f"Moved to patient: {reason}"[:200])
        record_event(AuditAction.CREATE, user=acting_user, patient=claim.patient, object_type="ledger_entry",
                     object_id=claim.pk, detail={"kind": "transfer to patient", "amount": str(amount)})


COPAY_TOO_LARGE = "A copay of {amount} is more than the desk takes ({limit}); post larger payments in billing."
COPAY_LIMIT = Decimal("10000.00")


def do_record_copay(patient: Patient, amount: Decimal, *, acting_user: Any, description: str = "Copay") -> LedgerEntry:
    """Record a copay the patient paid at the front desk: a patient payment not yet applied to a claim.

    It lowers the patient's balance at once (a credit until the visit's claim is billed), so the
    statement run and the account page see it without the desk knowing about claims.
    """
    if acting_user is None or not getattr(acting_user, "is_authenticated", False) or not (
            acting_user.has_perm("billing.collect_copay") or acting_user.has_perm("billing.work_claims")):
        raise PermissionRefused("You do not have permission to record copays.")
    if not isinstance(amount, Decimal):
        raise ChartdeskError("Give the copay as an amount of money.", field="copay")
    if amount <= 0:
        raise ChartdeskError(AMOUNT_INVALID, field="copay")
    amount = amount.quantize(Decimal("0.01"))
    if amount > COPAY_LIMIT:
        raise ChartdeskError(COPAY_TOO_LARGE.format(amount=amount, limit=COPAY_LIMIT), field="copay")
    with transaction.atomic():
        entry = LedgerEntry(patient=patient, claim=None, kind=LedgerKind.PAYMENT, party=Party.PATIENT, amount=amount,
                            posted_by=acting_user, description=description[:200])
        entry.save(force_insert=True)
        record_event(AuditAction.CREATE, user=acting_user, patient=patient, object_type="ledger_entry",
                     object_id=entry.pk, detail={"kind": "copay", "amount": str(amount)})
    return entry
