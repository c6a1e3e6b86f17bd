"""Payments held back from 835 posting (a claim already paid in full, or paid more than it is owed):
a biller posts each one as the payer sent it, or rejects it with a reason. Both are audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.models import Claim, HeldPayment, HeldPaymentStatus, Remittance
from chartdesk.billing.remittance import RemittanceBook, bill_secondaries, require_billing
from chartdesk.billing.x12.parser835 import claim_remit_from_json
from chartdesk.core.errors import ChartdeskError

ALREADY_DECIDED = "This payment was already {status} on {when:%m/%d/%Y %H:%M}; nothing changed."
NOTE_REQUIRED = "Say why (the note): what the payer said, or why the payment is right or wrong."


def _decidable(held: HeldPayment, note: str) -> tuple[HeldPayment, str]:
    note = note.strip()
    if not note:
        raise ChartdeskError(NOTE_REQUIRED, field="note")
    # Locked so that two billers deciding the same payment at once cannot both post it.
    held = HeldPayment.objects.select_for_update().get(pk=held.pk)
    if held.status != HeldPaymentStatus.HELD:
        raise ChartdeskError(ALREADY_DECIDED.format(status=held.get_status_display().lower(),
                                                    when=timezone.localtime(held.decided_at)))
    return held, note[:2000]


def do_post_held_payment(held: HeldPayment, *, note: str, acting_user: Any) -> HeldPayment:
    """Post a held claim payment exactly as the payer sent it (payment, adjustments, patient share,
    denials), because the biller has confirmed it is owed (an overpayment the payer will recoup, a
    second payment the payer meant)."""
    require_billing(acting_user)
    with transaction.atomic():
        held, note = _decidable(held, note)
        claim = Claim.objects.select_for_update().select_related("patient").get(pk=held.claim_id)
        book = RemittanceBook(held.remittance, acting_user, [claim])
        book.post_claim(claim, claim_remit_from_json(held.claim_remit))
        book.write()
        Remittance.objects.filter(pk=held.remittance_id).update(claims_posted=F("claims_posted") + 1)
        _decide(held, HeldPaymentStatus.POSTED, note, acting_user)
        bill_secondaries(book.posted, acting_user)
    return held


def do_reject_held_payment(held: HeldPayment, *, note: str, acting_user: Any) -> HeldPayment:
    """Leave a held payment unposted for good (a duplicate the payer sent twice), with the reason."""
    require_billing(acting_user)
    with transaction.atomic():
        held, note = _decidable(held, note)
        _decide(held, HeldPaymentStatus.REJECTED, note, acting_user)
    return held


def _decide(held: HeldPayment, status: str, note: str, acting_user: Any) -> None:
    held.status = status
    held.note = note
    held.decided_at = timezone.now()
    held.decided_by = acting_user
    held.save(update_fields=["status", "note", "decided_at", "decided_by"])
    record_event(AuditAction.UPDATE, user=acting_user, patient=held.claim.patient, object_type="held_payment",
                 object_id=held.pk, detail={"claim": held.claim.claim_number, "paid": str(held.paid_amount),
                                            "decision": status, "trace": held.remittance.trace_number})
