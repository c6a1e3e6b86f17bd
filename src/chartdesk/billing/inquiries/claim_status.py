"""Claim status: a 276 for claims sent more than N days ago that no 835 has paid or denied, and the 277
(005010X212) the payer answers with, each answer stored on its claim with the statuses in plain English
(`x12/status_codes.py`). A 277 records what the payer says; it does not move the claim: the 835 posts the
money and the 277CA already recorded acceptance or rejection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from chartdesk.audit.actions import PendingEvent, record_event, record_events
from chartdesk.audit.models import AuditAction
from chartdesk.billing.export import x12_text
from chartdesk.billing.inquiries.common import digest_of, envelope, organisation, people, read_inbound
from chartdesk.billing.inquiries.models import ClaimStatusCheck, ClaimStatusResult, InquiryFile, InquiryKind
from chartdesk.billing.models import Claim, ClaimPayment, ClaimStatus, ClaimStatusAnswer
from chartdesk.billing.x12.parser277 import Status
from chartdesk.billing.x12.parser277status import Response277, StatusAnswer, parse_277_status
from chartdesk.billing.x12.status_codes import explain
from chartdesk.billing.x12.writer276 import Provider, StatusRequest, build_276
from chartdesk.core.errors import ChartdeskError
from chartdesk.core.permissions import require_permission
from chartdesk.patients.access import restriction_allows

WORK = "billing.work_claims"
MAX_DAYS = 365
DAYS_RANGE = f"Ask about claims sent 1 to {MAX_DAYS} days ago."
NOTHING_WAITING = "No claim sent more than {days} days ago is still waiting for the payer: no 276 was written."
AWAITING = (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED)


def claims_awaiting_answer(days: int) -> QuerySet[Claim]:
    """Claims sent more than `days` days ago that no 835 has answered and that we have not asked about in
    those days (asking again every `days` days, not every run)."""
    cutoff = timezone.now() - timedelta(days=days)
    return (Claim.objects.filter(status__in=AWAITING, submitted_at__lte=cutoff)
            .exclude(Exists(ClaimPayment.objects.filter(claim=OuterRef("pk"))))
            .exclude(Exists(ClaimStatusCheck.objects.filter(claim=OuterRef("pk"), created_at__gt=cutoff)))
            .select_related("patient", "payer", "coverage", "coverage__patient").order_by("submitted_at", "id"))


def _payer_claim_number(claim: Claim) -> str:
    answer = (ClaimStatusAnswer.objects.filter(claim=claim).exclude(payer_claim_number="").order_by("-id")
              .values_list("payer_claim_number", flat=True).first())
    return answer or ""


def _request(claim: Claim, trace: str) -> StatusRequest:
    subscriber, dependent = people(claim.coverage)
    lines = list(claim.lines.filter(superseded=False).values_list("service_date", flat=True))
    first, last = (min(lines), max(lines)) if lines else (claim.created_at.date(), claim.created_at.date())
    return StatusRequest(trace_number=trace, claim_number=claim.claim_number,
                         payer_claim_number=x12_text(_payer_claim_number(claim)), payer_name=x12_text(claim.payer.name),
                         payer_id=claim.payer.payer_id, member_id=x12_text(claim.coverage.member_id),
                         subscriber=subscriber, dependent=dependent, total_charge=claim.total_charge,
                         service_from=first, service_to=last)


@dataclass
class StatusInquiry:
    inquiry: InquiryFile
    claims: list[Claim]


def do_export_276(*, days: int, acting_user: Any) -> StatusInquiry:
    """A 276 asking about every claim `claims_awaiting_answer(days)` finds (charts the user may not open
    are left out)."""
    require_permission(acting_user, WORK, "ask about claim status")
    if not 1 <= days <= MAX_DAYS:
        raise ChartdeskError(DAYS_RANGE, field="days")
    billing = organisation()
    provider = Provider(name=x12_text(billing.name), npi=billing.npi, submitter_id=billing.submitter_id,
                        receiver_id=billing.receiver_id, production=billing.production)
    with transaction.atomic():
        claims = [c for c in claims_awaiting_answer(days) if restriction_allows(acting_user, c.patient)]
        if not claims:
            raise ChartdeskError(NOTHING_WAITING.format(days=days))
        numbers = envelope()
        requests = [_request(claim, f"{numbers.interchange_control:09d}-{n}")
                    for n, claim in enumerate(claims, start=1)]
        text = build_276(provider, requests, numbers)
        stored = InquiryFile.objects.create(
            kind=InquiryKind.STATUS_INQUIRY, file_name=f"276-{numbers.interchange_control:09d}.x12",
            sha256=digest_of(text), content=text,
            interchange_control=f"{numbers.interchange_control:09d}", line_count=len(requests),
            created_by=acting_user)
        ClaimStatusCheck.objects.bulk_create([ClaimStatusCheck(inquiry=stored, claim=claim, trace_number=r.trace_number)
                                              for claim, r in zip(claims, requests, strict=True)])
        record_events([PendingEvent(AuditAction.EXPORT, user=acting_user, patient=claim.patient,
                                    object_type="claim_status_inquiry", object_id=stored.pk,
                                    detail={"kind": "276", "claim": claim.claim_number}) for claim in claims])
    return StatusInquiry(inquiry=stored, claims=claims)


def _rows(answer: StatusAnswer) -> list[list[str]]:
    def row(status: Status, *extra: str) -> list[str]:
        return [status.category, status.code, status.entity, explain(status.category, status.code, status.entity),
                *extra]

    return [row(s) for s in answer.statuses] + [row(s, f"line {line}") for line, s in answer.line_statuses]


@dataclass
class StatusImport:
    response: InquiryFile | None = None
    already_imported: bool = False
    matched: list[ClaimStatusResult] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def do_import_277(content: bytes, *, acting_user: Any, file_name: str = "") -> StatusImport:
    """Record a 277 claim status response: refused whole (with the segment position) when malformed; the
    same file twice changes nothing; each answer finds its claim by our trace number, else by REF*EJ."""
    require_permission(acting_user, WORK, "import claim status responses")
    text, digest, response = read_inbound(content, parse_277_status, "277")
    try:
        return _record_277(text, digest, response, acting_user=acting_user, file_name=file_name)
    except IntegrityError:
        # The same file imported twice at once: the second finds the first's row by its digest.
        if InquiryFile.objects.filter(kind=InquiryKind.STATUS_RESPONSE, sha256=digest).exists():
            return StatusImport(already_imported=True)
        raise


def _record_277(text: str, digest: str, response: Response277, *, acting_user: Any, file_name: str) -> StatusImport:
    result = StatusImport()
    with transaction.atomic():
        if InquiryFile.objects.filter(kind=InquiryKind.STATUS_RESPONSE, sha256=digest).exists():
            result.already_imported = True
            return result
        stored = InquiryFile.objects.create(
            kind=InquiryKind.STATUS_RESPONSE, file_name=file_name[:200], sha256=digest, content=text,
            interchange_control=response.interchange_control[:9], line_count=len(response.answers),
            created_by=acting_user)
        result.response = stored
        checks = {c.trace_number: c for c in ClaimStatusCheck.objects.select_related("claim__patient").filter(
            trace_number__in=[a.trace_number for a in response.answers])}
        by_number = {c.claim_number: c for c in Claim.objects.select_related("patient").filter(
            claim_number__in=[a.claim_number for a in response.answers if a.claim_number])}
        rows = []
        for answer in response.answers:
            check = checks.get(answer.trace_number)
            claim = check.claim if check else by_number.get(answer.claim_number)
            rows.append(ClaimStatusResult(
                response=stored, check_request=check, claim=claim, trace_number=answer.trace_number[:50],
                claim_number=answer.claim_number[:50], statuses=_rows(answer), status_date=answer.status_date,
                charge_amount=answer.charge, paid_amount=answer.paid,
                payer_claim_number=answer.payer_claim_number[:50]))
        ClaimStatusResult.objects.bulk_create(rows)
        result.matched = [row for row in rows if row.claim is not None]
        result.unmatched = [row.trace_number for row in rows if row.claim is None]
        record_events([PendingEvent(AuditAction.CREATE, user=acting_user, patient=row.claim.patient,
                                    object_type="claim", object_id=row.claim.pk,
                                    detail={"277": stored.pk, "statuses": [s[:3] for s in row.statuses][:10]})
                       for row in result.matched if row.claim is not None])
        record_event(AuditAction.CREATE, user=acting_user, object_type="claim_status_response", object_id=stored.pk,
                     detail={"kind": "277", "matched": len(result.matched), "unmatched": result.unmatched[:50]})
    return result


def describe(result: ClaimStatusResult) -> str:
    return "; ".join(row[3] + (f" ({row[4]})" if len(row) > 4 else "") for row in result.statuses)
