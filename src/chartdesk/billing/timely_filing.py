"""Timely filing: each payer's limit as data with the date it took effect, the deadline of each claim not yet
accepted by the payer, the work list of claims nearing it, and the scrubber's finding once it has passed.

The clock starts on the date of service: the first line's date on a professional claim, the statement's
last ("through") day on an institutional one, as Medicare counts it. A claim is held to the limit in
effect on that day. A replacement or void (frequency 7/8) answers a claim the payer already received in
time, so the original filing limit does not apply to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.corrections import next_submission
from chartdesk.billing.models import Claim, ClaimKind, ClaimStatus, Payer, TimelyFilingLimit
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission

SETUP = "billing.manage_billing_setup"
WARN_DAYS = 30  # the claim page warns, and the work list shows, a claim this close to its deadline
NOT_YET_WITH_PAYER = (ClaimStatus.DRAFT, ClaimStatus.SCRUBBED, ClaimStatus.READY, ClaimStatus.REJECTED)
DAYS_INVALID = "The limit must be a whole number of days between 1 and 3650."
DATE_MISSING = "Give the date the limit takes effect."


def limit_days(payer: Payer, on: date) -> int:
    """The payer's limit in days for a service on `on`: the newest limit in effect then, else the payer's own."""
    limit = (TimelyFilingLimit.objects.filter(payer=payer, effective_from__lte=on)
             .order_by("-effective_from", "-id").values_list("days", flat=True).first())
    return limit if limit is not None else payer.timely_filing_days


def service_day(claim: Claim) -> date | None:
    """The day the clock starts for `claim`."""
    if claim.kind == ClaimKind.INSTITUTIONAL:
        detail = getattr(claim, "institutional", None)
        if detail is not None:
            return detail.statement_to  # type: ignore[no-any-return]
    return claim.lines.filter(superseded=False).order_by("service_date").values_list("service_date", flat=True).first()


@dataclass(frozen=True)
class Deadline:
    claim: Claim
    service_day: date
    days: int
    deadline: date

    def days_left(self, today: date) -> int:
        return (self.deadline - today).days


def deadline_of(claim: Claim) -> Deadline | None:
    """The claim's filing deadline; None for a replacement or void, or a claim without a service date."""
    if next_submission(claim)[0] != "1":
        return None
    day = service_day(claim)
    if day is None:
        return None
    days = limit_days(claim.payer, day)
    return Deadline(claim, day, days, day + timedelta(days=days))


def finding_text(found: Deadline, today: date) -> str | None:
    """The scrubber's sentence for a claim past its deadline, else None."""
    if today <= found.deadline:
        return None
    return (f"{found.claim.payer.name} takes claims within {found.days} days of service; the deadline for the "
            f"service on {found.service_day:%m/%d/%Y} was {found.deadline:%m/%d/%Y}. Send it only with proof of "
            f"timely filing, or write it off.")


def claims_nearing_deadline(today: date, *, within: int = WARN_DAYS) -> list[tuple[Deadline, int]]:
    """Claims not yet with the payer (draft, scrubbed, ready, rejected) whose deadline is within `within`
    days or past: (deadline, days left), the most urgent first."""
    found = []
    for claim in (Claim.objects.filter(status__in=NOT_YET_WITH_PAYER)
                  .select_related("patient", "payer", "institutional").order_by("id")):
        deadline = deadline_of(claim)
        if deadline is not None and deadline.days_left(today) <= within:
            found.append((deadline, deadline.days_left(today)))
    return sorted(found, key=lambda row: (row[1], row[0].claim.pk))


def do_add_filing_limit(payer: Payer, *, days: Any, effective_from: date | None, note: str = "",
                        acting_user: Any) -> TimelyFilingLimit:
    """Record a payer's timely-filing limit from a date on (kept with the earlier ones, which still hold for
    services before it)."""
    require_permission(acting_user, SETUP, "maintain billing set-up")
    try:
        count = int(days)
    except (TypeError, ValueError):
        raise ChartdeskError(DAYS_INVALID, field="days") from None
    if not 1 <= count <= 3650:
        raise ChartdeskError(DAYS_INVALID, field="days")
    if not isinstance(effective_from, date):
        raise ChartdeskError(DATE_MISSING, field="effective_from")
    with transaction.atomic():
        limit = TimelyFilingLimit.objects.create(payer=payer, days=count, effective_from=effective_from,
                                                 note=(note or "").strip()[:200], created_by=acting_user)
        record_event(AuditAction.CREATE, user=acting_user, object_type="timely_filing_limit", object_id=limit.pk,
                     detail={"payer": payer.payer_id, "days": count, "effective_from": effective_from.isoformat()})
    return limit
