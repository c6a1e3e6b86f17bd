"""The denial work lists: every denied claim or line from posted 835s, filed under the cause a biller acts
on (carc.CAUSES), filtered by payer, cause and age and paged; and what the biller did about each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing import actions, ledger
from chartdesk.billing.carc import CAUSES, remark_text
from chartdesk.billing.corrections import do_correct_claim
from chartdesk.billing.models import (
    ClaimFrequency,
    ClaimStatus,
    Denial,
    DenialAction,
    DenialStatus,
    Party,
)
from chartdesk.core import clock
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import charts_open_to, record_list_view
from chartdesk.patients.models import Patient

PAGE_SIZE = 50
AGES = {"0-30": (0, 30), "31-60": (31, 60), "61-90": (61, 90), "over 90": (91, None)}
ACTION_UNKNOWN = "Choose what was done: appeal, corrected claim, write-off, bill the secondary or the patient."
NO_NOTE = "Say what was done and why (for an appeal, the argument the letter makes)."
ALREADY_WORKED = "This denial was already worked ({action}) on {when:%m/%d/%Y}."
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class WorkListFilter:
    payer: int | None = None
    cause: str = ""
    age: str = ""
    show: str = "open"

    @classmethod
    def from_query(cls, query: Any) -> WorkListFilter:
        """From the page's query string; a value that is not one of the choices is no filter."""
        payer = query.get("payer", "")
        cause = query.get("cause", "")
        age = query.get("age", "")
        return cls(payer=int(payer) if payer.isdecimal() else None, cause=cause if cause in CAUSES else "",
                   age=age if age in AGES else "", show="all" if query.get("show") == "all" else "open")


def _visible(user: Any) -> QuerySet[Denial]:
    # Restricted charts the user may not open are left out before counting and paging, so a total never
    # reveals them.
    return Denial.objects.filter(claim__patient__in=Patient.objects.filter(charts_open_to(user)))


def _filtered(user: Any, chosen: WorkListFilter, today: date) -> QuerySet[Denial]:
    rows = _visible(user)
    if chosen.show == "open":
        rows = rows.filter(status=DenialStatus.OPEN)
    if chosen.payer is not None:
        rows = rows.filter(claim__payer_id=chosen.payer)
    if chosen.cause:
        rows = rows.filter(cause=chosen.cause)
    if chosen.age:
        youngest, oldest = AGES[chosen.age]
        rows = rows.filter(created_at__date__lte=today - timedelta(days=youngest))
        if oldest is not None:
            rows = rows.filter(created_at__date__gte=today - timedelta(days=oldest))
    return rows


@dataclass(frozen=True)
class CauseTotal:
    cause: str
    label: str
    advice: str
    count: int
    amount: Decimal


def denial_work_list(user: Any, chosen: WorkListFilter, *, page: Any = 1,
                     today: date | None = None) -> tuple[Page[Denial], list[CauseTotal]]:
    """One page of the denials `chosen` selects (oldest first) and, for the same payer and age, the count
    and amount under each cause; the page's patients are audited as one list view."""
    today = today or clock.localdate()
    rows = (_filtered(user, chosen, today).select_related("claim", "claim__patient", "claim__payer",
                                                           "service_line", "remittance")
            .order_by("created_at", "id"))
    shown = Paginator(rows, PAGE_SIZE).get_page(page)
    every_cause = _filtered(user, WorkListFilter(payer=chosen.payer, age=chosen.age, show=chosen.show), today)
    sums = {row["cause"]: row for row in every_cause.values("cause").annotate(count=Count("id"), amount=Sum("amount"))}
    totals = [CauseTotal(key, label, advice, sums.get(key, {}).get("count", 0),
                         Decimal(str(sums.get(key, {}).get("amount") or ZERO)).quantize(Decimal("0.01")))
              for key, (label, advice) in CAUSES.items()]
    record_list_view(user, "denial_work_list", [denial.claim for denial in shown.object_list],
                     cause=chosen.cause, payer=chosen.payer, age=chosen.age)
    return shown, totals


def remark_texts(denial: Denial) -> list[str]:
    return [remark_text(remark) for remark in denial.remarks]


def _act(denial: Denial, action: str, note: str, acting_user: Any) -> None:
    claim = denial.claim
    why = f"{denial.group_code}-{denial.reason_code} denial: {note}"
    if action == DenialAction.APPEAL:
        if claim.status in actions.ALLOWED_TRANSITIONS[ClaimStatus.APPEALED]:
            actions.do_set_claim_status(claim, ClaimStatus.APPEALED, acting_user=acting_user, note=note[:200])
    elif action == DenialAction.CORRECTED_CLAIM:
        reopened = claim.status in actions.EDITABLE_CLAIM and claim.corrections.exists()
        if not reopened:  # another denial of the same claim may have reopened it already
            do_correct_claim(claim, frequency=ClaimFrequency.REPLACEMENT, reason=why, acting_user=acting_user)
    elif action == DenialAction.WRITE_OFF:
        ledger.do_post_write_off(claim, denial.amount, party=Party.INSURANCE, reason=why, acting_user=acting_user)
    elif action == DenialAction.PATIENT_RESPONSIBILITY:
        ledger.do_transfer_to_patient(claim, denial.amount, reason=why, acting_user=acting_user)
    elif action == DenialAction.REBILL_SECONDARY:
        actions.do_create_secondary_claim(claim, acting_user=acting_user)


def do_work_denial_action(denial: Denial, *, action: str, note: str, acting_user: Any) -> Denial:
    """Record and carry out what the biller decided about an open denial: an appeal (the claim goes to
    appealed; the letter is printed from the denial), a corrected claim (the claim reopens as a replacement,
    frequency 7), a write-off or a move to the patient of the denied amount, or the secondary claim. Each
    runs through its own action (audited there); a refusal from any changes nothing."""
    require_permission(acting_user, actions.WORK, "work denials")
    actions._require_chart(acting_user, denial.claim.patient)
    if action not in DenialAction.values:
        raise ChartdeskError(ACTION_UNKNOWN, field="action")
    cleaned = (note or "").strip()
    if not cleaned:
        raise ChartdeskError(NO_NOTE, field="note")
    with transaction.atomic():
        denial = lock_row(denial, "claim", "claim__patient", only_self=True)  # two billers, one denial
        if denial.status != DenialStatus.OPEN:
            raise ChartdeskError(ALREADY_WORKED.format(action=denial.get_action_display() or denial.status,
                                                       when=timezone.localtime(denial.worked_at or denial.created_at)))
        _act(denial, action, cleaned, acting_user)
        denial.action = action
        denial.status = DenialStatus.APPEALED if action == DenialAction.APPEAL else DenialStatus.RESOLVED
        denial.note = cleaned[:2000]
        denial.worked_at = clock.now()
        denial.worked_by = acting_user
        denial.save(update_fields=["action", "status", "note", "worked_at", "worked_by"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=denial.claim.patient, object_type="denial",
                     object_id=denial.pk, detail={"action": action, "status": denial.status,
                                                  "cause": denial.cause, "amount": str(denial.amount)})
    return denial
