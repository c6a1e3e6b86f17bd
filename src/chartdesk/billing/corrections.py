"""Sending a claim again: a replacement (frequency 7, the corrected claim), a void (8), or, after a 277CA
rejection, the fixed claim as an original once more.

A claim the payer adjudicated is known to the payer by its own claim number (835 CLP07, or 277CA REF*1K):
a replacement or void names it (REF*F8) and carries the frequency in CLM05-3 (837P) or the bill type's
third digit (837I). A claim rejected at the front door was never adjudicated, so it goes out as an
original again. Either way the claim keeps its number (CLM01), so the payer's answers post to it, and is
reopened: back to draft, scrubbed, and sent in the next batch. Each reopening is a `ClaimCorrection` row
(never changed or deleted); the newest tells the writers what the next submission is.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction

# The module, not its names: the export (which the scrubber in actions imports) reads `next_submission` here.
from chartdesk.billing import actions
from chartdesk.billing.models import (
    Claim,
    ClaimCorrection,
    ClaimFrequency,
    ClaimPayment,
    ClaimStatus,
    ClaimStatusAnswer,
)
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission

ADJUDICATED = {ClaimStatus.ACCEPTED, ClaimStatus.PAID, ClaimStatus.PARTIALLY_PAID, ClaimStatus.DENIED,
               ClaimStatus.APPEALED}
NO_REASON = "Say what is corrected and why (the reason)."
FREQUENCY_UNKNOWN = "Choose a replacement (7) or a void (8)."
NOT_ADJUDICATED = ("A {status} claim was not adjudicated by the payer: there is nothing to replace or void. "
                   "Correct it and send it as an original.")
NO_PAYER_NUMBER = ("The payer's claim number of {number} is not known (it comes with the 835 or the 277CA "
                   "acceptance): a replacement or void must name it.")
NOT_REJECTED = "Only a rejected claim is resent as an original; a {status} claim is replaced or voided."


def payer_claim_number(claim: Claim) -> str:
    """The payer's own number for the claim: from its latest 835 payment, else its latest 277CA acceptance."""
    paid = (ClaimPayment.objects.filter(claim=claim).exclude(payer_claim_number="").order_by("-id")
            .values_list("payer_claim_number", flat=True).first())
    if paid:
        return paid
    return (ClaimStatusAnswer.objects.filter(claim=claim).exclude(payer_claim_number="").order_by("-id")
            .values_list("payer_claim_number", flat=True).first()) or ""


def next_submission(claim: Claim) -> tuple[str, str]:
    """(frequency, payer claim number) the claim's next (or last) submission carries: its newest correction,
    else an original."""
    latest = claim.corrections.order_by("-id").first() if claim.pk else None
    if latest is None:
        return ClaimFrequency.ORIGINAL.value, ""
    return latest.frequency, latest.payer_claim_number


def _reopen(claim: Claim, frequency: str, number: str, reason: str, acting_user: Any) -> ClaimCorrection:
    before = claim.status
    correction = ClaimCorrection.objects.create(claim=claim, frequency=frequency, payer_claim_number=number,
                                                reason=reason, status_before=before, created_by=acting_user)
    claim.status = ClaimStatus.DRAFT
    claim.save(update_fields=["status"])
    record_event(AuditAction.UPDATE, user=acting_user, patient=claim.patient, object_type="claim", object_id=claim.pk,
                 detail={"correction": correction.pk, "frequency": frequency, "payer_claim_number": number,
                         "status": [before, ClaimStatus.DRAFT], "reason": reason[:200]})
    actions.do_scrub_claim(claim, acting_user=acting_user)
    return correction


def _reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ChartdeskError(NO_REASON, field="reason")
    return cleaned[:300]


def do_correct_claim(claim: Claim, *, frequency: str, reason: str, acting_user: Any) -> ClaimCorrection:
    """Reopen an adjudicated claim as a replacement (7) or a void (8) of the payer's claim: refused, with
    nothing changed, for a claim the payer never adjudicated or whose payer claim number is unknown."""
    require_permission(acting_user, actions.WORK, "correct claims")
    actions._require_chart(acting_user, claim.patient)
    if frequency not in (ClaimFrequency.REPLACEMENT, ClaimFrequency.VOID):
        raise ChartdeskError(FREQUENCY_UNKNOWN, field="frequency")
    why = _reason(reason)
    with transaction.atomic():
        claim = lock_row(claim, "patient", only_self=True)  # two billers reopening one claim: one wins
        if claim.status not in ADJUDICATED:
            raise ChartdeskError(NOT_ADJUDICATED.format(status=claim.get_status_display().lower()),
                                 field="frequency")
        number = payer_claim_number(claim)
        if not number:
            raise ChartdeskError(NO_PAYER_NUMBER.format(number=claim.claim_number), field="frequency")
        return _reopen(claim, frequency, number, why, acting_user)


def do_resend_rejected_claim(claim: Claim, *, reason: str, acting_user: Any) -> ClaimCorrection:
    """Work a 277CA rejection: record what was fixed, scrub the claim again and, when clean, queue it for the
    next batch as an original (the payer never adjudicated it, so it replaces nothing)."""
    require_permission(acting_user, actions.WORK, "correct claims")
    actions._require_chart(acting_user, claim.patient)
    why = _reason(reason)
    with transaction.atomic():
        claim = lock_row(claim, "patient", only_self=True)
        if claim.status != ClaimStatus.REJECTED:
            raise ChartdeskError(NOT_REJECTED.format(status=claim.get_status_display().lower()))
        return _reopen(claim, ClaimFrequency.ORIGINAL, "", why, acting_user)
