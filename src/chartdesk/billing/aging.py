"""A/R aging: what payers and patients still owe, in 0-30, 31-60, 61-90, 91-120 and over 120 days, by payer,
by patient and (for denied claims) by the cause of the denial, with the days in A/R weighted by amount.

A payer's balance ages from the day the claim was sent (or created, if not yet sent); a patient's
from the day the amount became theirs (the latest transfer to the patient on that claim).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from chartdesk.billing.models import LEDGER_SIGN, Claim, LedgerEntry, LedgerKind, Party

BUCKETS = ("0-30", "31-60", "61-90", "91-120", "over 120")
ZERO = Decimal("0.00")


def bucket_of(days: int) -> str:
    for limit, name in ((30, "0-30"), (60, "31-60"), (90, "61-90"), (120, "91-120")):
        if days <= limit:
            return name
    return "over 120"


@dataclass
class AgingRow:
    name: str
    key: str
    patient: Any = None
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    dollar_days: Decimal = ZERO  # each balance times its age: the average days in A/R weighs by amount

    def add(self, days: int, balance: Decimal) -> None:
        self.buckets[bucket_of(days)] += balance
        self.dollar_days += balance * days

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def average_days(self) -> int | None:
        """Days in A/R: the age of the money owed, weighted by amount (None with nothing owed)."""
        total = self.total
        return round(self.dollar_days / total) if total > 0 else None

    @property
    def amounts(self) -> list[Decimal]:
        return [self.buckets[name] for name in BUCKETS]


def _balances(party: str) -> tuple[dict[int, Decimal], dict[int, date]]:
    balances: dict[int, Decimal] = defaultdict(lambda: ZERO)
    became_due: dict[int, date] = {}
    for claim_id, kind, amount, posted_at in LedgerEntry.objects.filter(party=party, claim__isnull=False).values_list(
        "claim_id", "kind", "amount", "posted_at"
    ):
        balances[claim_id] += LEDGER_SIGN[LedgerKind(kind)] * amount
        if kind == LedgerKind.TRANSFER_IN:
            day = timezone.localtime(posted_at).date()
            became_due[claim_id] = max(day, became_due.get(claim_id, day))
    return {k: v for k, v in balances.items() if v != 0}, became_due


def _total_row(rows: list[AgingRow]) -> AgingRow:
    total = AgingRow("Total", "")
    for row in rows:
        for name in BUCKETS:
            total.buckets[name] += row.buckets[name]
        total.dollar_days += row.dollar_days
    return total


def aging_by_payer(as_of: date) -> tuple[list[AgingRow], AgingRow]:
    balances, _ = _balances(Party.INSURANCE)
    rows: dict[int, AgingRow] = {}
    for claim in Claim.objects.filter(pk__in=balances).select_related("payer"):
        sent = timezone.localtime(claim.submitted_at or claim.created_at).date()
        row = rows.setdefault(claim.payer_id, AgingRow(claim.payer.name, claim.payer.payer_id))
        row.add((as_of - sent).days, balances[claim.pk])
    ordered = sorted(rows.values(), key=lambda row: row.name)
    return ordered, _total_row(ordered)


def aging_by_patient(as_of: date) -> tuple[list[AgingRow], AgingRow]:
    balances, became_due = _balances(Party.PATIENT)
    rows: dict[int, AgingRow] = {}
    for claim in Claim.objects.filter(pk__in=balances).select_related("patient"):
        since = became_due.get(claim.pk) or timezone.localtime(claim.created_at).date()
        patient = claim.patient
        row = rows.setdefault(patient.pk, AgingRow(f"{patient.family_name}, {patient.given_name}", patient.mrn,
                                                      patient))
        row.add((as_of - since).days, balances[claim.pk])
    ordered = sorted(rows.values(), key=lambda row: (row.name, row.key))
    return ordered, _total_row(ordered)


def aging_by_reason(as_of: date) -> tuple[list[AgingRow], AgingRow]:
    """What payers owe on denied claims, by the cause of the denial (carc.CAUSES), aged from the day the claim
    was sent. A claim denied for several causes is counted under the one with the most denied money still
    open, so each claim's balance is counted once."""
    from chartdesk.billing.carc import CAUSES
    from chartdesk.billing.models import Denial, DenialStatus

    denied: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for claim_id, cause, amount in Denial.objects.filter(
            status__in=(DenialStatus.OPEN, DenialStatus.APPEALED)).values_list("claim_id", "cause", "amount"):
        denied[claim_id][cause] += amount
    balances, _ = _balances(Party.INSURANCE)
    rows: dict[str, AgingRow] = {}
    for claim in Claim.objects.filter(pk__in=[pk for pk in denied if pk in balances]):
        causes = denied[claim.pk]
        cause = max(causes, key=lambda key: (causes[key], key))
        label = CAUSES.get(cause, CAUSES["other"])[0]
        sent = timezone.localtime(claim.submitted_at or claim.created_at).date()
        rows.setdefault(cause, AgingRow(label, cause)).add((as_of - sent).days, balances[claim.pk])
    ordered = [rows[key] for key in CAUSES if key in rows]
    return ordered, _total_row(ordered)
