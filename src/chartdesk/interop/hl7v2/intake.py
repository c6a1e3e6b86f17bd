"""Receiving one HL7 v2 message: store it with its SHA-256, apply it, and build the ACK, which the
caller sends only after this returns, i.e. after the transaction has committed.

- The same control id (from the same sender) with the same bytes: a repeat; nothing changes, AA.
- The same control id with other content: AE, and an InterfaceAlert for the interface team.
- Unreadable or unsupported: AR. Readable but wrong (missing name, unknown visit): AE. Either way
  the message is stored and nothing else changes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditOutcome
from chartdesk.core.context import acting_as
from chartdesk.core.errors import ChartdeskError
from chartdesk.interop.hl7v2.ack import build_ack
from chartdesk.interop.hl7v2.adt import apply_adt
from chartdesk.interop.hl7v2.parser import Hl7Error, Message, check_content, parse_message
from chartdesk.interop.hl7v2.pid import Applied
from chartdesk.interop.hl7v2.siu import apply_siu
from chartdesk.interop.models import Hl7Message, Hl7Status, InterfaceAlert

logger = logging.getLogger("chartdesk.interop.hl7")
RECEIVE_HL7 = "interop.receive_hl7"
# Each message type taken, and what applies it: patient administration, and scheduling from an
# outside scheduling system.
APPLIERS = {"ADT": apply_adt, "SIU": apply_siu}


@dataclass
class Outcome:
    ack: str
    status: str
    code: str
    stored_id: int | None = None  # the Hl7Message row kept for this delivery


def decode(raw: bytes) -> str:
    # HL7 v2's default character set is ASCII; senders often send 8859-1. UTF-8 first, then Latin-1
    # (which decodes any byte), so that every message is stored as received rather than refused.
    # A byte-order mark some Windows senders put first is not part of the message.
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _storable(text: str) -> str:
    """PostgreSQL text cannot hold NUL: written as HL7's hex escape, so the stored message still reads
    as what came (its SHA-256 is of the bytes as received)."""
    return text.replace("\x00", "\\X00\\")


def _store(message: Message | None, text: str, digest: str, status: str, code: str, ack_text: str,
           patient: Any = None, *, error_location: str = "") -> Hl7Message:
    msh = message.msh if message is not None else None
    return Hl7Message.objects.create(
        control_id=_storable(message.control_id if message else "")[:40],
        sending_application=_storable(msh.component(3, 1) if msh else "")[:60],
        sending_facility=_storable(msh.component(4, 1) if msh else "")[:60],
        message_type=_storable(f"{message.message_code}^{message.trigger_event}" if message else "")[:20],
        version=_storable(message.version if message else "")[:10],
        sha256=digest, raw=_storable(text), status=status, ack_code=code, ack_text=_storable(ack_text)[:300],
        error_location=error_location[:20], patient=patient,
    )


def _prior(message: Message) -> Hl7Message | None:
    msh = message.msh
    return Hl7Message.objects.filter(control_id=message.control_id, sending_application=msh.component(3, 1)[:60],
                                     sending_facility=msh.component(4, 1)[:60],
                                     status=Hl7Status.ACCEPTED).first()


def _alert(kind: str, text: str, stored: Hl7Message, acting_user: Any) -> None:
    InterfaceAlert.objects.create(kind=kind, message=text, hl7_message=stored)
    record_event(AuditAction.INTEGRITY, user=acting_user, object_type="hl7_message", object_id=stored.pk,
                 outcome=AuditOutcome.FAILURE, detail={"alert": kind, "control_id": stored.control_id})
    logger.warning("HL7 alert %s: %s", kind, text)


def _repeat_or_conflict(message: Message, prior: Hl7Message, text: str, digest: str, acting_user: Any) -> Outcome:
    if prior.sha256 == digest:
        note = f"repeat of message {message.control_id} received {prior.received_at:%Y-%m-%d %H:%M:%S}; nothing changed"
        repeat = _store(message, text, digest, Hl7Status.REPEATED, "AA", note, prior.patient)
        return Outcome(build_ack("AA", message=message, text=note), Hl7Status.REPEATED, "AA", repeat.pk)
    note = (f"control id {message.control_id} was already used for a different message; "
            "nothing changed: send new content with a new control id")
    error = Hl7Error(note, segment="MSH", field_number=10, code="207")
    stored = _store(message, text, digest, Hl7Status.CONFLICT, "AE", note, error_location=error.location)
    _alert("control-id-reused", f"{note} (sender {stored.sending_application}/{stored.sending_facility})",
           stored, acting_user)
    return Outcome(build_ack("AE", message=message, text=note, error=error), Hl7Status.CONFLICT, "AE", stored.pk)


def receive_message(raw: bytes, *, acting_user: Any) -> Outcome:
    """Store and apply one message (the bytes of one MLLP frame); return the ACK to send.

    Every write happens inside a savepoint of this function's own, so that the listener's group can
    roll back one message alone (the listener relies on it and takes no savepoint of its own)."""
    if acting_user is None or not acting_user.has_perm(RECEIVE_HL7):
        raise ChartdeskError(f"The HL7 intake account needs the permission {RECEIVE_HL7}.")
    text = decode(raw)
    digest = hashlib.sha256(raw).hexdigest()
    with acting_as(channel="hl7"):
        try:
            message = parse_message(text)
        except Hl7Error as unreadable:
            with transaction.atomic():
                stored = _store(None, text, digest, Hl7Status.REJECTED, "AR", unreadable.message,
                                error_location=unreadable.location)
            return Outcome(build_ack("AR", message=None, text=unreadable.message, error=unreadable),
                           Hl7Status.REJECTED, "AR", stored.pk)
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    return _apply(message, text, digest, acting_user)
            except IntegrityError:
                # Another connection accepted the same control id between our check and our insert:
                # go round again, and this time it is a repeat or a conflict.
                continue
        raise ChartdeskError("The message could not be stored; it was not applied.")


def _apply(message: Message, text: str, digest: str, acting_user: Any) -> Outcome:
    try:
        # Before any query: a NUL in MSH-10 must be refused here, not sent to PostgreSQL (which
        # cannot hold one in text and would fail the whole group).
        check_content(message, max_repetitions=settings.HL7_MAX_REPETITIONS)
    except Hl7Error as refused:
        return _refuse(message, text, digest, refused, acting_user)
    prior = _prior(message)
    if prior is not None:
        return _repeat_or_conflict(message, prior, text, digest, acting_user)
    try:
        with transaction.atomic():  # a savepoint: a refused message leaves nothing behind but itself
            applied = _apply_by_type(message, acting_user)
    except Hl7Error as refused:
        return _refuse(message, text, digest, refused, acting_user)
    except ChartdeskError as refusal:
        error = Hl7Error(refusal.message, segment="PID", code="207")
        stored = _store(message, text, digest, Hl7Status.ERROR, "AE", refusal.message, error_location=error.location)
        return Outcome(build_ack("AE", message=message, text=refusal.message, error=error), stored.status, "AE",
                       stored.pk)
    note = "; ".join(applied.notes) or "applied"
    stored = _store(message, text, digest, Hl7Status.ACCEPTED, "AA", note, applied.patient)
    for kind, alert_text in applied.alerts:
        _alert(kind, f"{message.trigger_event} {message.control_id}: {alert_text}", stored, acting_user)
    return Outcome(build_ack("AA", message=message, text=note), Hl7Status.ACCEPTED, "AA", stored.pk)


def _apply_by_type(message: Message, acting_user: Any) -> Applied:
    applier = APPLIERS.get(message.message_code)
    if applier is None:
        raise Hl7Error(f"message type {message.message_code} is not accepted ({', '.join(APPLIERS)})",
                       segment="MSH", field_number=9, reject=True, code="200")
    return applier(message, acting_user)


def _refuse(message: Message, text: str, digest: str, refused: Hl7Error, acting_user: Any) -> Outcome:
    code = "AR" if refused.reject else "AE"
    stored = _store(message, text, digest, Hl7Status.REJECTED if refused.reject else Hl7Status.ERROR, code,
                    refused.message, error_location=refused.location)
    if message.trigger_event in ("A34", "A40"):
        _alert("merge-refused", f"{message.trigger_event} {stored.control_id}: {refused.message}", stored,
               acting_user)
    return Outcome(build_ack(code, message=message, text=refused.message, error=refused), stored.status, code,
                   stored.pk)
