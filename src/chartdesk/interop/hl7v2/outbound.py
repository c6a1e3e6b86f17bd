"""Outbound ADT: registrations (A28 person, A04 visit), updates (A31 person, A08 visit) and merges
(A40) told to the configured destinations over MLLP.

The outbox row is written by the action that made the change, in its transaction (the listener of
core.notices below), so a change and its notifications commit or roll back together; the message is
built then, as the record stood. `send_outbound` delivers what is due, in order per destination, and
reads each ACK back: AA (or CA) sent; AE/CE (the content is refused: resending the same bytes cannot
help) a dead letter at once; AR/CR, a timeout, a refused or broken connection, an ACK that answers
another message: tried again after a wait that doubles each time, and a dead letter after
HL7_OUTBOUND_MAX_ATTEMPTS tries. A destination's later messages wait behind its first undelivered one,
so an update never overtakes its registration."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.core.errors import ChartdeskError, NotFound
from chartdesk.core.notices import Change, ChangeNotice
from chartdesk.core.permissions import require_permission
from chartdesk.interop.hl7v2.ack import RECEIVING_APPLICATION, RECEIVING_FACILITY
from chartdesk.interop.hl7v2.client import read_ack
from chartdesk.interop.hl7v2.mllp import MllpFramer, frame
from chartdesk.interop.models import OUTBOUND_EVENTS, Hl7Destination, Hl7Outbound, OutboundStatus
from chartdesk.patients.models import Patient

WORK_QUEUE = "interop.work_hl7_queue"
MANAGE_DESTINATIONS = "interop.manage_hl7_destinations"
MAX_BACKOFF = timedelta(hours=1)
# The event each change is told as, and the HL7 v2.5.1 message structure it travels in.
EVENTS = {Change.PERSON_REGISTERED: "A28", Change.PERSON_UPDATED: "A31", Change.VISIT_REGISTERED: "A04",
          Change.VISIT_UPDATED: "A08", Change.PATIENTS_MERGED: "A40"}
STRUCTURES = {"A04": "ADT_A01", "A08": "ADT_A01", "A28": "ADT_A05", "A31": "ADT_A05", "A40": "ADT_A39"}
CLASS_CODES = {"inpatient": "I", "emergency": "E", "outpatient": "O", "observation": "O"}
DELIVERED = {"AA", "CA"}
REFUSED = {"AE", "CE"}


# ----------------------------------------------------------------------------- building messages


def escape(value: Any) -> str:
    """A value inside an HL7 field: the delimiters as HL7's escape sequences, line breaks as spaces."""
    text = " ".join(str(value or "").split())
    for raw, escaped in (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\")):
        text = text.replace(raw, escaped)
    return text


def _stamp(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d%H%M%S%z") if moment else ""


def _pid(patient: Any, *, account_number: str = "") -> str:
    fields = [""] * 30
    fields[0], fields[1] = "PID", "1"
    fields[3] = f"{escape(patient.mrn)}^^^{RECEIVING_APPLICATION}^MR"
    fields[5] = "^".join(escape(part) for part in (patient.family_name, patient.given_name, patient.middle_name,
                                                  patient.suffix, patient.prefix)).rstrip("^")
    fields[7] = patient.birth_date.strftime("%Y%m%d") if patient.birth_date else ""
    fields[8] = {"X": "O"}.get(patient.sex, patient.sex)
    fields[18] = escape(account_number)
    fields[29] = _stamp(patient.deceased_at)
    return "|".join(fields).rstrip("|")


def _pv1(encounter: Any) -> str:
    if encounter is None:
        return "PV1|1|N"  # not applicable: a person without a visit (ADT_A05 carries PV1 all the same)
    fields = [""] * 46
    fields[0], fields[1] = "PV1", "1"
    fields[2] = CLASS_CODES.get(encounter.encounter_class, "U")
    fields[3] = escape(encounter.location)
    fields[10] = escape(encounter.service)
    fields[19] = escape(encounter.account_number)
    fields[44], fields[45] = _stamp(encounter.admit_at), _stamp(encounter.discharge_at)
    return "|".join(fields).rstrip("|")


def build_message(event: str, notice: ChangeNotice, destination: Hl7Destination, control_id: str) -> str:
    now = _stamp(timezone.now())
    encounter = notice.encounter
    segments = [
        f"MSH|^~\\&|{RECEIVING_APPLICATION}|{RECEIVING_FACILITY}|{escape(destination.name)}||{now}||"
        f"ADT^{event}^{STRUCTURES[event]}|{control_id}|P|2.5.1",
        f"EVN|{event}|{now}",
        _pid(notice.patient, account_number=encounter.account_number if encounter is not None else ""),
    ]
    if event == "A40":
        segments.append(f"MRG|{escape(notice.retired.mrn)}^^^{RECEIVING_APPLICATION}^MR")
    else:
        segments.append(_pv1(encounter))
    return "\r".join(segments) + "\r"


_cache = threading.local()


@contextmanager
def destinations_cached() -> Iterator[None]:
    """Within this block (one HL7 listener group, one transaction) the active destinations are read
    once instead of once per change; a destination added meanwhile counts from the next block."""
    _cache.destinations = list(Hl7Destination.objects.filter(active=True))
    try:
        yield
    finally:
        _cache.destinations = None


def _active_destinations() -> list[Hl7Destination]:
    cached: list[Hl7Destination] | None = getattr(_cache, "destinations", None)
    return cached if cached is not None else list(Hl7Destination.objects.filter(active=True))


def queue_notice(notice: ChangeNotice) -> None:
    """core.notices listener: one outbox row per active destination that takes the event, in the
    transaction of the action that announced the change."""
    event = EVENTS.get(notice.kind)
    if event is None:
        return
    for destination in _active_destinations():
        if event not in destination.event_list:
            continue
        control_id = f"CD{secrets.token_hex(8).upper()}"
        Hl7Outbound.objects.create(destination=destination, event=event, patient_id=notice.patient.pk,
                                   control_id=control_id,
                                   message=build_message(event, notice, destination, control_id))


# ----------------------------------------------------------------------------- sending


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lines: list[str] = field(default_factory=list)


def _msa(ack: str) -> tuple[str, str, str]:
    msa = next((segment for segment in ack.split("\r") if segment.startswith("MSA|")), "")
    parts = msa.split("|") + ["", "", ""]
    return parts[1], parts[2], parts[3]


class _Connection:
    """One MLLP connection to a destination, opened when first needed and dropped on any failure."""

    def __init__(self, destination: Hl7Destination, timeout: float) -> None:
        self.destination, self.timeout = destination, timeout
        self.socket: socket.socket | None = None
        self.framer = MllpFramer()

    def exchange(self, message: str) -> str:
        if self.socket is None:
            self.socket = socket.create_connection((self.destination.host, self.destination.port),
                                                   timeout=self.timeout)
            self.framer = MllpFramer()
        self.socket.sendall(frame(message))
        return read_ack(self.socket, self.framer)

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            self.socket = None


def _deliver(connection: _Connection, row: Hl7Outbound) -> tuple[str, str]:
    """("sent" | "refused" | "retry", what happened)."""
    try:
        ack = connection.exchange(row.message)
    except TimeoutError:
        connection.close()
        return "retry", f"no ACK within {connection.timeout:g} s"
    except OSError as failure:  # refused, reset, unreachable, closed before answering
        connection.close()
        return "retry", f"{type(failure).__name__}: {failure}"[:300]
    code, answered, text = _msa(ack)
    row.ack_code, row.ack_text = code[:2], text[:300]
    if answered != row.control_id:
        connection.close()
        return "retry", f"the ACK answers {answered or 'no message'!r}, not {row.control_id}"
    if code in DELIVERED:
        return "sent", text
    if code in REFUSED:
        return "refused", f"{code}: {text}"[:300]
    return "retry", f"{code or 'no MSA-1'}: {text}"[:300]


def _record(row: Hl7Outbound, outcome: str, what: str, now: datetime, report: SendReport) -> None:
    row.attempts += 1
    row.last_error = "" if outcome == "sent" else what[:300]
    if outcome == "sent":
        row.status, row.sent_at = OutboundStatus.SENT, now
        report.sent += 1
    elif outcome == "refused" or row.attempts >= settings.HL7_OUTBOUND_MAX_ATTEMPTS:
        row.status, row.dead_at = OutboundStatus.DEAD, now
        report.dead += 1
    else:
        wait = min(timedelta(seconds=settings.HL7_OUTBOUND_BACKOFF_S * 2 ** (row.attempts - 1)), MAX_BACKOFF)
        row.next_attempt_at = now + wait
        report.retried += 1
    with transaction.atomic():
        row.save(update_fields=["attempts", "last_error", "status", "sent_at", "dead_at", "next_attempt_at",
                                "ack_code", "ack_text"])
        if outcome == "sent":
            # Patient data left for another system: the audit trail says what, where and when.
            patient = Patient.objects.filter(pk=row.patient_id).first()
            record_event(AuditAction.EXPORT, patient=patient, object_type="hl7_outbound", object_id=row.pk,
                         detail={"event": row.event, "destination": row.destination.name,
                                 "control_id": row.control_id, "patient_id": row.patient_id})
    report.lines.append(f"{row.control_id} ADT^{row.event} to {row.destination.name}: {row.get_status_display()}"
                        + (f" ({what})" if outcome != "sent" else ""))


def send_outbound(*, now: datetime | None = None) -> SendReport:
    """Deliver every due message once, in order per destination; an undelivered one stops its
    destination until its next try."""
    report = SendReport()
    timeout = float(settings.HL7_OUTBOUND_TIMEOUT_S)
    for destination in Hl7Destination.objects.filter(active=True).order_by("id"):
        connection = _Connection(destination, timeout)
        try:
            while True:
                row = (Hl7Outbound.objects.filter(destination=destination, status=OutboundStatus.PENDING)
                       .select_related("destination").order_by("id").first())
                moment = now or timezone.now()
                if row is None or row.next_attempt_at > moment:
                    break
                outcome, what = _deliver(connection, row)
                _record(row, outcome, what, moment, report)
                if outcome != "sent":
                    break
        finally:
            connection.close()
    return report


# ----------------------------------------------------------------------------- dead letters


def dead_letters(user: Any) -> Any:
    """The messages no destination took, newest first. They carry patient data only in `message`,
    which the list does not show."""
    require_permission(user, WORK_QUEUE, "see HL7 dead letters")
    return (Hl7Outbound.objects.filter(status=OutboundStatus.DEAD).select_related("destination")
            .defer("message").order_by("-dead_at", "-id"))


def do_resend_outbound(row_id: Any, *, acting_user: Any) -> Hl7Outbound:
    """A dead letter goes back to the outbox, due now, its tries counted afresh (audited). Only a dead
    letter can be resent; the row is locked so that two analysts resending at once resend it once."""
    require_permission(acting_user, WORK_QUEUE, "resend HL7 messages")
    from chartdesk.core.forms import whole_number

    key = whole_number(str(row_id))
    with transaction.atomic():
        row = Hl7Outbound.objects.select_for_update().filter(pk=key).first() if key is not None else None
        if row is None:
            raise NotFound("outbound message")
        if row.status != OutboundStatus.DEAD:
            raise ChartdeskError(f"Message {row.control_id} is not a dead letter ({row.get_status_display().lower()})"
                                 ": only a dead letter can be resent.")
        before = {"attempts": row.attempts, "last_error": row.last_error}
        row.status, row.attempts, row.next_attempt_at, row.dead_at = OutboundStatus.PENDING, 0, timezone.now(), None
        row.save(update_fields=["status", "attempts", "next_attempt_at", "dead_at"])
        record_event(AuditAction.UPDATE, user=acting_user, object_type="hl7_outbound", object_id=row.pk,
                     detail={"change": "resend", "control_id": row.control_id, **before})
    return row


# ----------------------------------------------------------------------------- destinations


def do_save_destination(name: str, *, host: str, port: int, acting_user: Any, events: str = "",
                        active: bool = True) -> Hl7Destination:
    """Add a destination, or change the one of that name (audited)."""
    require_permission(acting_user, MANAGE_DESTINATIONS, "manage HL7 destinations")
    name, host = (name or "").strip(), (host or "").strip()
    if not name or len(name) > 60:
        raise ChartdeskError("Give the destination a name (at most 60 characters).", field="name")
    if not host or len(host) > 255 or any(ch.isspace() for ch in host):
        raise ChartdeskError("Give the destination's host name or address.", field="host")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ChartdeskError(f"The port {port!r} is not between 1 and 65535.", field="port")
    chosen = [event.strip().upper() for event in (events or ",".join(OUTBOUND_EVENTS)).split(",") if event.strip()]
    unknown = sorted(set(chosen) - set(OUTBOUND_EVENTS))
    if unknown or not chosen:
        raise ChartdeskError(f"Events must be among {', '.join(OUTBOUND_EVENTS)}"
                             + (f": {', '.join(unknown)} is not" if unknown else "."), field="events")
    with transaction.atomic():
        destination = Hl7Destination.objects.select_for_update().filter(name=name).first()
        created = destination is None
        destination = destination or Hl7Destination(name=name)
        destination.host, destination.port, destination.active = host, port, active
        destination.events = ",".join(event for event in OUTBOUND_EVENTS if event in chosen)
        destination.save()
        record_event(AuditAction.CREATE if created else AuditAction.UPDATE, user=acting_user,
                     object_type="hl7_destination", object_id=destination.pk,
                     detail={"name": name, "host": host, "port": port, "events": destination.events,
                             "active": active})
    return destination
