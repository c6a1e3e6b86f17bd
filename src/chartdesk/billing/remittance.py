"""Posting an 835: match each claim by CLP01, post payments and adjustments, queue the denials.

The whole file is parsed and checked before anything is written, and it is posted in one
transaction: a malformed file changes nothing. A remittance is known by its payer and trace number
(TRN), so the same 835 imported again is recognised and changes nothing the second time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing import ledger
from chartdesk.billing.carc import reason_text
from chartdesk.billing.models import (
    Claim,
    ClaimPayment,
    ClaimStatus,
    Coverage,
    CoverageRank,
    Denial,
    Party,
    Remittance,
)
from chartdesk.billing.x12.parser835 import ClaimRemit, Remit, parse_835
from chartdesk.billing.x12.segments import X12Malformed
from chartdesk.core.errors import ChartdeskError, PermissionRefused

PAYABLE = {
    ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, ClaimStatus.PARTIALLY_PAID, ClaimStatus.PAID, ClaimStatus.DENIED,
    ClaimStatus.APPEALED,
}
DENIED_STATUS = "4"
REVERSAL_STATUS = "22"
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class ImportResult:
    remittances: list[Remittance] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)  # trace numbers seen before
    claims_posted: int = 0
    unmatched: list[str] = field(default_factory=list)  # "CLP01: why"
    denials: int = 0
    secondary_claims: list[Claim] = field(default_factory=list)


def _require(user: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_perm("billing.work_claims"):
        raise PermissionRefused("You do not have permission to post remittances.")


def decode_835(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise ChartdeskError("The file is larger than 20 MB; split the remittance.", field="file")
    try:
        return content.decode("ascii")
    except UnicodeDecodeError as error:
        raise ChartdeskError(f"The file is not X12 text: byte {error.start} is not ASCII.", field="file") from None


def do_import_835(content: bytes, *, acting_user: Any, file_name: str = "") -> ImportResult:
    """Import an 835 file: refused whole (with the segment position) when malformed, posted whole otherwise."""
    _require(acting_user)
    text = decode_835(content)
    try:
        remits = parse_835(text)
    except X12Malformed as malformed:
        raise ChartdeskError(f"The 835 was refused and nothing was posted: {malformed}", field="file") from None
    digest = hashlib.sha256(content).hexdigest()
    result = ImportResult()
    with transaction.atomic():
        for remit in remits:
            if Remittance.objects.filter(payer_identifier=remit.payer_identifier,
                                         trace_number=remit.trace_number).exists():
                result.already_imported.append(remit.trace_number)
                continue
            result.remittances.append(_post_remit(remit, digest, file_name, acting_user, result))
        record_event(AuditAction.CREATE, user=acting_user, object_type="remittance_file", object_id=digest[:16],
                     detail={"file": file_name[:100], "posted": result.claims_posted,
                             "unmatched": result.unmatched[:50], "already_imported": result.already_imported})
    return result


def _post_remit(remit: Remit, digest: str, file_name: str, acting_user: Any, result: ImportResult) -> Remittance:
    remittance = Remittance.objects.create(
        payer_name=remit.payer_name[:60], payer_identifier=remit.payer_identifier[:20],
        trace_number=remit.trace_number[:50], payment_amount=remit.payment_amount, payment_date=remit.payment_date,
        file_name=file_name[:200], file_sha256=digest, imported_by=acting_user,
    )
    unmatched: list[str] = []
    posted = 0
    numbers = [c.claim_number for c in remit.claims]
    claims = {c.claim_number: c for c in Claim.objects.select_for_update(of=("self",)).filter(claim_number__in=numbers)
              .select_related("patient")}
    for claim_remit in remit.claims:
        claim = claims.get(claim_remit.claim_number)
        if claim is None:
            unmatched.append(f"{claim_remit.claim_number}: no such claim")
        elif claim.status not in PAYABLE:
            unmatched.append(f"{claim_remit.claim_number}: the claim is {claim.get_status_display().lower()}, not sent")
        else:
            _post_claim(claim, claim_remit, remittance, acting_user, result)
            posted += 1
    remittance.claims_posted = posted
    remittance.claims_unmatched = unmatched
    remittance.save(update_fields=["claims_posted", "claims_unmatched"])
    result.claims_posted += posted
    result.unmatched += unmatched
    return remittance


def _post_claim(claim: Claim, remit: ClaimRemit, remittance: Remittance, acting_user: Any,
                result: ImportResult) -> None:
    adjustments = remit.all_adjustments()
    ClaimPayment.objects.create(
        remittance=remittance, claim=claim, status_code=remit.status_code, charge_amount=remit.charge,
        paid_amount=remit.paid, patient_responsibility=remit.patient_responsibility,
        payer_claim_number=remit.payer_claim_number[:50],
        adjustments=[[a.group, a.reason, str(a.amount)] for a in adjustments],
    )
    if remit.paid:
        ledger.post_payment(claim, remit.paid, party=Party.INSURANCE, acting_user=acting_user, remittance=remittance,
                            description=f"{remittance.payer_name} payment, trace {remittance.trace_number}"[:200])
    denied = remit.status_code == DENIED_STATUS or (remit.paid == 0 and any(a.group != "PR" for a in adjustments))
    # A denied claim, or a line paid nothing, is worked, not written off: its balance stays with the
    # payer and each reason goes to the denial queue until someone decides.
    denied_lines = {id(a) for s in remit.services if s.paid == 0 for a in s.adjustments}
    for adjustment in adjustments:
        text = reason_text(adjustment.group, adjustment.reason)
        if adjustment.group == "PR":
            ledger.transfer(claim, claim, adjustment.amount, from_party=Party.INSURANCE, to_party=Party.PATIENT,
                            acting_user=acting_user, remittance=remittance, group="PR", reason=adjustment.reason,
                            description=text)
        elif denied or id(adjustment) in denied_lines:
            Denial.objects.create(claim=claim, remittance=remittance, group_code=adjustment.group,
                                  reason_code=adjustment.reason, reason_text=text[:300], amount=adjustment.amount)
            result.denials += 1
        else:
            ledger.post_adjustment(claim, adjustment.amount, party=Party.INSURANCE, group=adjustment.group,
                                   reason=adjustment.reason, acting_user=acting_user, remittance=remittance,
                                   description=text)
    if denied and not any(a.group != "PR" for a in adjustments):
        Denial.objects.create(claim=claim, remittance=remittance, group_code="", reason_code="",
                              reason_text="Denied without an adjustment reason.", amount=remit.charge - remit.paid)
        result.denials += 1
    before = claim.status
    if denied:
        claim.status = ClaimStatus.DENIED
    elif ledger.claim_balance(claim, Party.INSURANCE) > 0:
        claim.status = ClaimStatus.PARTIALLY_PAID
    else:
        claim.status = ClaimStatus.PAID
    claim.save(update_fields=["status"])
    record_event(AuditAction.UPDATE, user=acting_user, patient=claim.patient, object_type="claim", object_id=claim.pk,
                 detail={"remittance": remittance.trace_number, "paid": str(remit.paid),
                         "status": [before, claim.status]})
    if (claim.rank == CoverageRank.PRIMARY and claim.status in {ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID}
            and not claim.secondary_claims.exists()
            and Coverage.objects.filter(patient=claim.patient, rank=CoverageRank.SECONDARY, active=True).exists()):
        from chartdesk.billing.actions import do_create_secondary_claim

        result.secondary_claims.append(do_create_secondary_claim(claim, acting_user=acting_user))


def do_work_denial(denial: Denial, *, status: str, note: str, acting_user: Any) -> Denial:
    """Record what was done about a denial: appealed (the claim goes to appealed) or resolved."""
    from django.utils import timezone

    from chartdesk.billing.models import DenialStatus

    _require(acting_user)
    if status not in {DenialStatus.APPEALED, DenialStatus.RESOLVED}:
        raise ChartdeskError("Choose appealed or resolved.", field="status")
    if not note.strip():
        raise ChartdeskError("Say what was done (the note).", field="note")
    with transaction.atomic():
        denial.status = status
        denial.note = note.strip()[:2000]
        denial.worked_at = timezone.now()
        denial.worked_by = acting_user
        denial.save()
        claim = denial.claim
        if status == DenialStatus.APPEALED and claim.status in {ClaimStatus.DENIED, ClaimStatus.PARTIALLY_PAID}:
            claim.status = ClaimStatus.APPEALED
            claim.save(update_fields=["status"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=claim.patient, object_type="denial",
                     object_id=denial.pk, detail={"status": status})
    return denial


def remittance_total(remittance: Remittance) -> Decimal:
    return sum((p.paid_amount for p in remittance.claim_payments.all()), Decimal("0.00"))
