"""Importing 277CA claim acknowledgements: each claim of ours the file names is marked accepted into the
payer's adjudication or rejected, with the reason kept in plain English beside the codes; the rejections
are the biller's work list (`/billing/rejections/`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.actions import ALLOWED_TRANSITIONS
from chartdesk.billing.models import Claim, ClaimStatus, ClaimStatusAnswer, ClaimStatusReport
from chartdesk.billing.x12.parser277 import ClaimAnswer, Status, parse_277ca
from chartdesk.billing.x12.segments import X12Malformed
from chartdesk.billing.x12.status_codes import explain
from chartdesk.core.errors import ChartdeskError, PermissionRefused

WORK = "billing.work_claims"
REFUSED = "The 277CA was refused and nothing was recorded: {why}"


@dataclass
class StatusImport:
    report: ClaimStatusReport | None = None
    already_imported: bool = False
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # claim numbers none of our claims has
    batch_statuses: list[str] = field(default_factory=list)


def _row(status: Status, *extra: str) -> list[str]:
    return [status.category, status.code, status.entity, explain(status.category, status.code, status.entity),
            *extra]


def _statuses(answer: ClaimAnswer) -> list[list[str]]:
    rows = [_row(status) for status in answer.statuses]
    rows += [_row(status, f"line {procedure}") for procedure, status in answer.line_statuses]
    return rows


def _outcome(answer: ClaimAnswer) -> str:
    return "rejected" if answer.rejected else "accepted" if answer.accepted else "pending"


def do_import_277ca(content: bytes, *, acting_user: Any, file_name: str = "") -> StatusImport:
    """Record a 277CA: refused whole (with the segment position) when malformed; the same file twice
    changes nothing; each claim it names that we sent moves to accepted or rejected, audited."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False) or not acting_user.has_perm(WORK):
        raise PermissionRefused("You do not have permission to import claim acknowledgements.")
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError as error:
        raise ChartdeskError(REFUSED.format(why=f"byte {error.start + 1} is outside the X12 character set."),
                             field="file") from None
    try:
        report = parse_277ca(text)
    except X12Malformed as malformed:
        raise ChartdeskError(REFUSED.format(why=str(malformed)), field="file") from None
    digest = hashlib.sha256(content).hexdigest()
    result = StatusImport(batch_statuses=[explain(s.category, s.code, s.entity) for s in report.batch_statuses])
    with transaction.atomic():
        if ClaimStatusReport.objects.filter(sha256=digest).exists():
            result.already_imported = True
            return result
        stored = ClaimStatusReport.objects.create(
            file_name=file_name[:200], sha256=digest, content=text, sender=report.sender[:60],
            batch_statuses=[_row(s) for s in report.batch_statuses], imported_by=acting_user)
        result.report = stored
        claims = {c.claim_number: c for c in Claim.objects.select_for_update(of=("self",)).select_related("patient")
                  .filter(claim_number__in=[a.claim_number for a in report.claims])}
        for answer in report.claims:
            claim = claims.get(answer.claim_number)
            outcome = _outcome(answer)
            ClaimStatusAnswer.objects.create(
                report=stored, claim=claim, claim_number=answer.claim_number[:50], outcome=outcome,
                statuses=_statuses(answer), payer_claim_number=answer.payer_claim_number[:50],
                status_date=answer.status_date)
            if claim is None:
                result.unmatched.append(answer.claim_number)
                continue
            getattr(result, outcome).append(claim.claim_number)
            moved = {"rejected": ClaimStatus.REJECTED, "accepted": ClaimStatus.ACCEPTED}.get(outcome)
            # Moves only as the claim's own rules allow: an answer for a claim already paid or closed is kept
            # beside it but does not move it back.
            if moved and claim.status in ALLOWED_TRANSITIONS[moved]:
                before, claim.status = claim.status, moved
                claim.save(update_fields=["status"])
            else:
                before = claim.status
            record_event(AuditAction.UPDATE, user=acting_user, patient=claim.patient, object_type="claim",
                         object_id=claim.pk, detail={"277ca": stored.pk, "outcome": outcome,
                                                     "status": [before, claim.status]})
        record_event(AuditAction.CREATE, user=acting_user, object_type="acknowledgement", object_id=stored.pk,
                     detail={"kind": "277CA", "accepted": len(result.accepted), "rejected": result.rejected[:50],
                             "unmatched": result.unmatched[:50]})
    return result


def rejection_work_list() -> list[ClaimStatusAnswer]:
    """The latest 277CA answer of every claim still rejected, oldest first: what the biller fixes and resends."""
    latest: dict[int, ClaimStatusAnswer] = {}
    for answer in (ClaimStatusAnswer.objects.filter(claim__status=ClaimStatus.REJECTED, outcome="rejected")
                   .select_related("claim", "claim__patient", "claim__payer", "report").order_by("id")):
        latest[answer.claim_id] = answer  # type: ignore[index]
    return sorted(latest.values(), key=lambda a: a.report.imported_at)
