"""Coordination of benefits: the primary payer's adjudication, as a secondary claim carries it.

The primary's last posted 835 for the claim (ClaimPayment) gives the claim-level loops 2320/2330:
what it paid and why not the rest. When the 835 adjudicated each line (SVC), every line of the
secondary claim also carries the primary's decision on it (loop 2430: SVD, CAS, DTP*573), taken
from the ServiceLinePayment that paid the same charge. The 837P asks these to reconcile, so the
line loops are sent only when they do, for every line:

    line paid + line adjustments = line charge      (each line)
    sum of the lines paid = the claim paid          (AMT*D in 2320)

and the claim-level CAS then carries only what the 835 adjusted at the claim level. Otherwise the
secondary claim carries the claim level alone, with every adjustment in 2320 (as a payer that paid
by claim answers).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from chartdesk.billing.models import Claim, ClaimLine, ClaimPayment, ServiceLinePayment

Adjustments = tuple[tuple[str, str, Decimal], ...]


def _adjustments(stored: list[list[str]]) -> Adjustments:
    return tuple((group, reason, Decimal(str(value))) for group, reason, value in stored)


@dataclass(frozen=True)
class PrimaryLine:
    """A line of the secondary claim and the primary's adjudication of it (None when the 835 said nothing)."""

    line: ClaimLine
    service: ServiceLinePayment | None

    @property
    def adjustments(self) -> Adjustments:
        return _adjustments(self.service.adjustments) if self.service is not None else ()


@dataclass(frozen=True)
class PrimaryAdjudication:
    payment: ClaimPayment
    adjudication_date: date
    lines: list[PrimaryLine]
    line_level: bool  # every line reconciles: the 837P carries a 2430 loop per line

    @property
    def claim_adjustments(self) -> Adjustments:
        """The adjustments the 2320 CAS carries: the claim-level ones when the lines carry theirs."""
        every = _adjustments(self.payment.adjustments)
        if not self.line_level:
            return every
        left = Counter(every)
        left.subtract(a for row in self.lines for a in row.adjustments)
        kept: list[tuple[str, str, Decimal]] = []
        for adjustment in every:
            if left[adjustment] > 0:
                left[adjustment] -= 1
                kept.append(adjustment)
        return tuple(kept)


def _reconciles(payment: ClaimPayment, lines: list[PrimaryLine]) -> bool:
    paid = Decimal("0")
    for row in lines:
        service = row.service
        if service is None or service.charge_amount != row.line.amount:
            return False
        adjusted = sum((value for _, _, value in row.adjustments), Decimal("0"))
        if service.paid_amount + adjusted != service.charge_amount:
            return False
        paid += service.paid_amount
    return bool(lines) and paid == payment.paid_amount


def primary_adjudication(claim: Claim) -> PrimaryAdjudication | None:
    """What the primary payer decided on the claim a secondary `claim` follows; None before it answered."""
    primary = claim.primary_claim
    if primary is None:
        return None
    payment = ClaimPayment.objects.filter(claim=primary).select_related("remittance").order_by("-id").first()
    if payment is None:
        return None
    # The secondary's lines are copies of the primary's, on the same charges.
    by_charge = {service.claim_line.charge_id: service
                 for service in payment.service_lines.select_related("claim_line").order_by("position")
                 if service.claim_line is not None}
    lines = [PrimaryLine(line, by_charge.get(line.charge_id))
             for line in claim.lines.filter(superseded=False).select_related("rendering_provider")
             .order_by("line_number")]
    remittance = payment.remittance
    adjudicated = remittance.payment_date or remittance.imported_at.date()
    return PrimaryAdjudication(payment=payment, adjudication_date=adjudicated, lines=lines,
                               line_level=_reconciles(payment, lines))
