"""The HL7 v2 error queue of the interface analyst: failed messages (AE/AR) that no decision has taken
out of the queue yet, read through access functions (a message carries patient data), and the two
decisions, reprocess and ignore, as actions that audit themselves.

Reprocessing sends the stored text (or the analyst's latest revision of it) through `receive_message`,
the listener's own intake, as the interface account: the same checks, the same idempotency (a
control id already applied answers a repeat or a conflict), a new Hl7Message for the attempt. The
message as received is never changed; an edit is a new Hl7MessageRevision beside it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.errors import ChartdeskError, NotFound, PermissionRefused
from chartdesk.interop.hl7v2.intake import receive_message
from chartdesk.interop.hl7v2.parser import Hl7Error, Message, parse_message
from chartdesk.interop.hl7v2.pid import find_by_identifier, person_identifiers, sender_identifiers
from chartdesk.interop.models import (
    FAILED_STATUSES,
    Hl7Attempt,
    Hl7Message,
    Hl7MessageRevision,
    Hl7QueueDecision,
    Hl7Resolution,
)
from chartdesk.interop.system_user import interface_user
from chartdesk.patients.access import access_patient_by_id, restriction_allows
from chartdesk.patients.models import Patient

WORK_QUEUE = "interop.work_hl7_queue"
ERROR_FIELD = re.compile(r"^(?P<segment>[A-Z][A-Z0-9]{2})(?:[-^.](?:(?P<sequence>\d+)\^)?(?P<field>\d+))?$")
NOT_IN_QUEUE = "This message is no longer in the error queue: it was {resolution} by {user} on {when}."


@dataclass(frozen=True)
class QueueFilters:
    event: str = ""  # "A01" or "ADT^A01"
    facility: str = ""  # MSH-4
    error_field: str = ""  # "PID", "PID-5" or "PID^1^5"
    received_from: date | None = None
    received_to: date | None = None


def error_field_filter(text: str) -> tuple[str, str | None]:
    """A segment and (optionally) a field number from what an analyst types: PID, PID-5, PID^1^5."""
    match = ERROR_FIELD.match(text.strip().upper())
    if match is None:
        raise ChartdeskError("Name the error field as a segment and field number, e.g. PID-5 or PID^1^5.",
                             field="error_field")
    return match["segment"], match["field"]


def _queue() -> QuerySet[Hl7Message]:
    # Attempts made from the desk are the history of the message they retried, not queue entries.
    return Hl7Message.objects.filter(status__in=FAILED_STATUSES, attempt_of__isnull=True, decision__isnull=True)


def failed_messages(user: Any, filters: QueueFilters) -> QuerySet[Hl7Message]:
    """The error queue, newest first. The list shows the message header and the error only (no PID
    content), so it is not a view of patient data; `queue_rows` hides even that for charts the user
    may not open."""
    if not user.is_authenticated or not user.has_perm(WORK_QUEUE):
        raise NotFound("HL7 message")
    messages = _queue()
    if filters.event:
        messages = messages.filter(message_type__icontains=filters.event.strip())
    if filters.facility:
        messages = messages.filter(sending_facility__iexact=filters.facility.strip())
    if filters.error_field:
        segment, field_number = error_field_filter(filters.error_field)
        if field_number is None:
            messages = messages.filter(error_location__startswith=f"{segment}^")
        else:
            messages = messages.filter(error_location__regex=rf"^{segment}\^[0-9]+\^{int(field_number)}$")
    if filters.received_from:
        messages = messages.filter(received_at__date__gte=filters.received_from)
    if filters.received_to:
        messages = messages.filter(received_at__date__lte=filters.received_to)
    return messages.order_by("-received_at", "-id")


@dataclass
class QueueRow:
    message: Hl7Message
    restricted: bool  # names a restricted chart this user may not open: shown without its error


def queue_rows(user: Any, messages: list[Hl7Message]) -> list[QueueRow]:
    return [QueueRow(message, not all(restriction_allows(user, patient) for patient in named_patients(message)))
            for message in messages]


def _parsed(text: str) -> Message | None:
    try:
        return parse_message(text)
    except Hl7Error:
        return None


def _patients_in(text: str) -> set[Patient]:
    """The known patients a message text names in PID-3 and MRG-1 (a lookup, not a chart read)."""
    message = _parsed(text)
    if message is None:
        return set()
    found = set()
    for name, finder in (("PID", person_identifiers), ("MRG", lambda msg, seg: sender_identifiers(msg, seg, 1))):
        segment = message.segment(name, required=False)
        if segment is None:
            continue
        try:
            patient, _ = find_by_identifier(finder(message, segment))
        except Hl7Error:
            continue
        if patient is not None:
            found.add(patient)
    return found


def named_patients(message: Hl7Message) -> set[Patient]:
    """Every known patient the message or any revision of it names: the message opens only for users
    who may open all of their charts."""
    found = _patients_in(message.raw)
    for revision in message.revisions.all():
        found |= _patients_in(revision.raw)
    if message.patient is not None:
        found.add(message.patient)
    return found


def access_hl7_message_by_id(user: Any, message_id: Any) -> Hl7Message:
    """One stored message for the analyst: permission, then every chart it names (restricted charts
    as on the rest of the desk: RestrictedChart offers break-the-glass), then a VIEW audit event."""
    try:
        pk = int(message_id)
    except (TypeError, ValueError):
        raise NotFound("HL7 message") from None
    if not user.is_authenticated or not user.has_perm(WORK_QUEUE):
        raise NotFound("HL7 message")
    message = Hl7Message.objects.filter(pk=pk).first()
    if message is None:
        raise NotFound("HL7 message")
    patients = sorted(named_patients(message), key=lambda patient: patient.pk)
    for patient in patients:
        access_patient_by_id(user, patient.pk, permission=WORK_QUEUE, audit=False)
    viewed: list[Patient | None] = list(patients) or [None]  # a message naming nobody known is still viewed
    for named in viewed:
        record_event(AuditAction.VIEW, user=user, patient=named, object_type="hl7_message", object_id=message.pk)
    return message


def attempts_of(message: Hl7Message) -> list[Hl7Attempt]:
    return list(message.attempts.select_related("result", "revision", "attempted_by"))


# ----------------------------------------------------------------------------- decisions


def _locked_queue_entry(message: Hl7Message, acting_user: Any) -> Hl7Message:
    if not acting_user.has_perm(WORK_QUEUE):
        raise PermissionRefused(f"Working the HL7 error queue needs the permission {WORK_QUEUE}.")
    # Lock the message row so that two analysts deciding at once are taken one after the other: the
    # second sees the first one's decision and is refused, instead of applying the message twice.
    locked = Hl7Message.objects.select_for_update().get(pk=message.pk)
    decision = Hl7QueueDecision.objects.filter(message=locked).select_related("decided_by").first()
    if decision is not None:
        raise ChartdeskError(NOT_IN_QUEUE.format(resolution=decision.get_resolution_display().lower(),
                                                 user=decision.decided_by.username,
                                                 when=f"{decision.decided_at:%Y-%m-%d %H:%M}"))
    if locked.status not in FAILED_STATUSES or Hl7Attempt.objects.filter(result=locked).exists():
        raise ChartdeskError("Only a failed message in the error queue can be reprocessed or ignored.")
    return locked


def _normalised(text: str) -> str:
    """Segments end with CR on the wire; a browser's textarea sends CRLF."""
    segments = [line.rstrip() for line in re.split(r"\r\n|\r|\n", text)]
    return "\r".join(line for line in segments if line) + "\r"


def _received_bytes(message: Hl7Message) -> bytes:
    """The bytes as the sender sent them, so intake's repeat check (by SHA-256) sees the same message."""
    for encoding in ("utf-8", "latin-1"):
        try:
            candidate = message.raw.encode(encoding)
        except UnicodeEncodeError:
            continue
        if hashlib.sha256(candidate).hexdigest() == message.sha256:
            return candidate
    return message.raw.encode("utf-8")


def _new_revision(message: Hl7Message, text: str, acting_user: Any) -> Hl7MessageRevision | None:
    edited = _normalised(text)
    if not edited.strip():
        raise ChartdeskError("The message text is empty.", field="text")
    latest = message.revisions.order_by("-number").first()
    if edited == (latest.raw if latest else _normalised(message.raw)):
        return latest
    number = (latest.number if latest else 0) + 1
    return Hl7MessageRevision.objects.create(message=message, number=number, raw=edited,
                                             sha256=hashlib.sha256(edited.encode("utf-8")).hexdigest(),
                                             edited_by=acting_user)


def do_reprocess_hl7_message(message: Hl7Message, *, text: str | None = None, acting_user: Any) -> Hl7Attempt:
    """Send a failed message through intake again, as received or as the analyst edited it (`text`,
    kept as a new revision). Accepted (AA): the message leaves the queue. Refused again: the attempt
    is recorded with its error and the message stays."""
    if text is not None:
        # An edit may name another patient (a corrected PID-3): the analyst must be allowed to open that
        # chart too, checked before the transaction so that a refused open stays in the audit log.
        for patient in sorted(_patients_in(_normalised(text)), key=lambda named: named.pk):
            access_patient_by_id(acting_user, patient.pk, permission=WORK_QUEUE, audit=False)
    with transaction.atomic():
        locked = _locked_queue_entry(message, acting_user)
        if text is not None:
            revision = _new_revision(locked, text, acting_user)
        else:
            revision = locked.revisions.order_by("-number").first()
        payload = revision.raw.encode("utf-8") if revision else _received_bytes(locked)
        outcome = receive_message(payload, acting_user=interface_user())
        assert outcome.stored_id is not None  # intake stores every message it answers
        result = Hl7Message.objects.get(pk=outcome.stored_id)
        attempt = Hl7Attempt.objects.create(message=locked, revision=revision, result=result,
                                            attempted_by=acting_user)
        if outcome.code == "AA":  # accepted, or a repeat of what is already applied
            Hl7QueueDecision.objects.create(message=locked, resolution=Hl7Resolution.REPROCESSED, attempt=attempt,
                                            decided_by=acting_user)
        applied = outcome.code == "AA"
        record_event(AuditAction.UPDATE, user=acting_user, patient=result.patient, object_type="hl7_message",
                     object_id=locked.pk, outcome=AuditOutcome.SUCCESS if applied else AuditOutcome.FAILURE,
                     detail={"decision": "reprocess", "revision": revision.number if revision else 0,
                             "ack_code": outcome.code, "result_message": result.pk, "answer": result.ack_text})
    return attempt


def do_ignore_hl7_message(message: Hl7Message, *, reason: str, acting_user: Any) -> Hl7QueueDecision:
    """Take a failed message out of the queue without applying it; the reason is required and kept."""
    reason = reason.strip()
    if not reason:
        raise ChartdeskError("Say why this message is ignored.", field="reason")
    with transaction.atomic():
        locked = _locked_queue_entry(message, acting_user)
        decision = Hl7QueueDecision.objects.create(message=locked, resolution=Hl7Resolution.IGNORED, reason=reason,
                                                   decided_by=acting_user)
        record_event(AuditAction.UPDATE, user=acting_user, object_type="hl7_message", object_id=locked.pk,
                     detail={"decision": "ignore", "reason": reason})
    return decision
