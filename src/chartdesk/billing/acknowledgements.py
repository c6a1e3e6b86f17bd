"""What comes back after a batch leaves: 999 implementation acknowledgements (`do_import_999`).

A 999 is matched to the batch whose functional group it answers (AK1-02 = our GS06, unique in
X12Batch) and each AK2 to our transaction set (ST02). The claims of a rejected set are rejected
(the clearinghouse will not pass any of them on); those of an accepted set stay submitted until the
payer's 277CA. Errors (IK3/IK4) are placed in the claim they fell in, by their segment position
inside our stored 837P text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.billing.models import Acknowledgement, Claim, ClaimStatus, X12Batch
from chartdesk.billing.x12.ack_codes import ACK_STATUS, explain
from chartdesk.billing.x12.parser999 import GroupAck, SetAck, group_error_text, parse_999, set_error_text
from chartdesk.billing.x12.segments import X12Malformed, split
from chartdesk.core.errors import ChartdeskError, PermissionRefused

WORK = "billing.work_claims"


@dataclass
class AckResult:
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    already_imported: list[int] = field(default_factory=list)  # batch interchange numbers
    unmatched_groups: list[int] = field(default_factory=list)
    claims_rejected: int = 0
    claims_accepted: int = 0


def _claims_by_set(content: str) -> dict[str, list[tuple[int, str]]]:
    """Our ST02 -> [(where the claim's segments start, counted from ST = 1, CLM01)] in the 837P we sent.

    Each claim sits under its own subscriber level (see writer837), so its segments start at that HL
    (HL03 = 22): an error in the subscriber's or patient's loops belongs to the claim below them."""
    _, segments = split(content)
    sets: dict[str, list[tuple[int, str]]] = {}
    start, control, level = 0, "", 0
    for segment in segments:
        if segment.id == "ST":
            start, control = segment.position, segment.get(2)
            sets[control] = []
        elif segment.id == "HL" and segment.get(3) == "22":
            level = segment.position - start + 1
        elif segment.id == "CLM" and control:
            sets[control].append((level, segment.get(1)))
    return sets


def _claim_at(claims: list[tuple[int, str]], position: int) -> str:
    found = ""
    for start, number in claims:
        if start <= position:
            found = number
    return found


def _set_record(answer: SetAck, claims: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "control": answer.control, "status": answer.status, "status_text": explain(ACK_STATUS, answer.status),
        "errors": set_error_text(answer.codes), "claims": [number for _, number in claims],
        "segments": [
            {"segment": error.segment_id, "position": error.position, "loop": error.loop, "code": error.code,
             "text": error.text, "claim": _claim_at(claims, error.position),
             "elements": [{"position": e.position, "data_element": e.data_element, "code": e.code, "text": e.text,
                           "value": e.bad_value} for e in error.elements]}
            for error in answer.segments
        ],
    }


def _record_group(group: GroupAck, batch: X12Batch, *, digest: str, file_name: str, interchange: str,
                  acting_user: Any, result: AckResult) -> None:
    by_set = _claims_by_set(batch.content)
    unknown = [answer.control for answer in group.sets if answer.control not in by_set]
    if unknown:
        raise ChartdeskError(f"The 999 was refused and nothing was recorded: transaction set {unknown[0]} was not "
                             f"sent in batch {batch.interchange_control:09d}.", field="file")
    records = [_set_record(answer, by_set[answer.control]) for answer in group.sets]
    acknowledgement = Acknowledgement.objects.create(
        batch=batch, status=group.status, sets_received=group.sets_received, sets_accepted=group.sets_accepted,
        group_errors=group_error_text(group.codes), sets=records, interchange_control=interchange[:9],
        file_name=file_name[:200], file_sha256=digest, imported_by=acting_user,
    )
    rejected = [n for answer, record in zip(group.sets, records, strict=True) if not answer.accepted
                for n in record["claims"]]
    # A group rejected whole (AK9 R with no AK2) rejects every claim of the batch.
    if not group.sets and group.status not in {"A", "E"}:
        rejected = [n for claims in by_set.values() for _, n in claims]
    accepted = sum(len(r["claims"]) for answer, r in zip(group.sets, records, strict=True) if answer.accepted)
    for claim in (Claim.objects.select_for_update(of=("self",)).filter(batch=batch, claim_number__in=rejected,
                                                                       status=ClaimStatus.SUBMITTED)
                  .select_related("patient")):
        claim.status = ClaimStatus.REJECTED
        claim.save(update_fields=["status"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=claim.patient, object_type="claim",
                     object_id=claim.pk, detail={"status": claim.status, "acknowledgement": acknowledgement.pk})
        result.claims_rejected += 1
    result.claims_accepted += accepted
    record_event(AuditAction.CREATE, user=acting_user, object_type="acknowledgement", object_id=acknowledgement.pk,
                 detail={"kind": "999", "batch": batch.interchange_control, "status": group.status,
                         "rejected_claims": rejected[:50]})
    result.acknowledgements.append(acknowledgement)


def do_import_999(content: bytes, *, acting_user: Any, file_name: str = "") -> AckResult:
    """Record a 999: refused whole (with the segment position) when malformed or naming a set we did not
    send; a group already recorded from this same file changes nothing."""
    if acting_user is None or not getattr(acting_user, "is_authenticated", False) or not acting_user.has_perm(WORK):
        raise PermissionRefused("You do not have permission to import acknowledgements.")
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError as error:
        raise ChartdeskError(f"The 999 was refused and nothing was recorded: byte {error.start + 1} is outside the "
                             f"X12 character set.", field="file") from None
    try:
        ack = parse_999(text)
    except X12Malformed as malformed:
        raise ChartdeskError(f"The 999 was refused and nothing was recorded: {malformed}", field="file") from None
    digest = hashlib.sha256(content).hexdigest()
    result = AckResult()
    with transaction.atomic():
        batches = {b.group_control: b for b in X12Batch.objects.select_for_update().filter(
            group_control__in=[group.group_control for group in ack.groups])}
        for group in ack.groups:
            batch = batches.get(group.group_control)
            if batch is None:
                result.unmatched_groups.append(group.group_control)
                continue
            if Acknowledgement.objects.filter(batch=batch, file_sha256=digest).exists():
                result.already_imported.append(batch.interchange_control)
                continue
            _record_group(group, batch, digest=digest, file_name=file_name, interchange=ack.interchange_control,
                          acting_user=acting_user, result=result)
    return result


def segment_error_lines(error: dict[str, Any]) -> list[str]:
    """An IK3 and its IK4s as the biller reads them (the command and the batch page)."""
    where = f"claim {error['claim']}, " if error["claim"] else ""
    lines = [f"{where}segment {error['segment']} at position {error['position']}"
             + (f" (loop {error['loop']})" if error["loop"] else "") + f": IK3 {error['code']} {error['text']}"]
    lines += [f"element {e['position']} (data element {e['data_element']}): IK4 {e['code']} {e['text']}"
              + (f", value {e['value']!r}" if e["value"] else "") for e in error["elements"]]
    return lines
