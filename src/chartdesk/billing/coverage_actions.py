"""Correcting a coverage against the insurance card: the member ID, group number and payer as the card
shows them, the commonest reason a claim bounces (a member ID mistyped or left out at registration, a plan
entered under a payer record without its payer ID).

Coverage rows are corrected in place (they are not legal-record rows; the audit event keeps the values
before and after), and the claims not yet sent that bill it follow: their payer is the coverage's, and
they are scrubbed again. A claim already sent keeps the payer it went to; it is corrected with a
corrected claim (corrections.py).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.actions import EDITABLE_CLAIM, WORK, _require_chart, _text, do_scrub_claim
from chartdesk.billing.models import Claim, Coverage, Payer
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission

COVERAGE_ENDED = "This coverage has ended; add the patient's current coverage instead."
PAYER_INACTIVE = "Choose an active payer."


def do_correct_coverage(coverage: Coverage, *, member_id: str, group_number: str = "", payer: Payer,
                        acting_user: Any) -> Coverage:
    """Correct a coverage's member ID, group number and payer from the card; the open claims on it follow
    (payer) and are scrubbed again. Work on claims (billing.work_claims) holds it: fixing a rejected
    claim's subscriber fields is the biller's daily work, not set-up."""
    require_permission(acting_user, WORK, "correct coverage")
    _require_chart(acting_user, coverage.patient)
    member = _text(member_id, "member ID", "member_id", limit=30)
    group = _text(group_number, "group number", "group_number", limit=30, required=False)
    if not payer.active:
        raise ChartdeskError(PAYER_INACTIVE, field="payer")
    with transaction.atomic():
        # Locked: two billers fixing one card at once must not each keep half of their correction.
        coverage = lock_row(coverage, "patient", "payer")
        if not coverage.active:
            raise ChartdeskError(COVERAGE_ENDED)
        before = {"member_id": coverage.member_id, "group_number": coverage.group_number,
                  "payer": coverage.payer.payer_id}
        coverage.member_id, coverage.group_number, coverage.payer = member, group, payer
        coverage.save(update_fields=["member_id", "group_number", "payer"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=coverage.patient, object_type="coverage",
                     object_id=coverage.pk, detail={"before": before, "after": {
                         "member_id": member, "group_number": group, "payer": payer.payer_id}})
        for claim in Claim.objects.filter(coverage=coverage, status__in=EDITABLE_CLAIM).order_by("id"):
            if claim.payer_id != payer.pk:
                claim.payer = payer
                claim.save(update_fields=["payer"])
            do_scrub_claim(claim, acting_user=acting_user)
    return coverage
