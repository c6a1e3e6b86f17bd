"""Writing audit events. Every other app calls `record_event` (or `record_events` for many at once);
nothing writes AuditEvent directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit import checkpoints
from chartdesk.audit.chain import entry_hash, head_seal
from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome, ChainHead
from chartdesk.core.context import current_actor


@dataclass(frozen=True)
class PendingEvent:
    """One event for `record_events`: the arguments `record_event` takes, held until written."""

    action: AuditAction | str
    user: Any = None
    patient: Any = None
    object_type: str = ""
    object_id: Any = ""
    outcome: AuditOutcome | str = AuditOutcome.SUCCESS
    detail: dict[str, Any] | None = None
    username: str = ""
    break_the_glass_reason: str | None = None


def _fields(event: PendingEvent, sequence: int, role: str) -> dict[str, Any]:
    actor = current_actor()
    authenticated = event.user is not None and getattr(event.user, "is_authenticated", False)
    patient = event.patient
    return {
        "sequence": sequence,
        "occurred_at": timezone.now(),
        "user_id": event.user.pk if authenticated else None,
        "username": event.user.get_username() if authenticated else event.username,
        "role": role if authenticated else "",
        "patient_id": patient.pk if patient is not None else None,
        "patient_mrn": getattr(patient, "mrn", "") if patient is not None else "",
        "object_type": event.object_type,
        "object_id": str(event.object_id) if event.object_id not in (None, "") else "",
        "action": str(event.action),
        "outcome": str(event.outcome),
        "client_address": actor.client_address,
        "channel": actor.channel,
        "break_the_glass_reason": (
            event.break_the_glass_reason if event.break_the_glass_reason is not None
            else actor.break_the_glass_reason
        ),
        "detail": event.detail or {},
    }


def _role(user: Any) -> str:
    from chartdesk.accounts.roles import role_of

    return role_of(user) if user is not None and getattr(user, "is_authenticated", False) else ""


def record_event(
    action: AuditAction | str,
    *,
    user: Any = None,
    patient: Any = None,
    object_type: str = "",
    object_id: Any = "",
    outcome: AuditOutcome | str = AuditOutcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    username: str = "",
    break_the_glass_reason: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction when there is one.

    `patient` is anything with `pk` and `mrn`; the role, client address and break-the-glass reason
    come from the actor context that the request middleware sets.
    """
    pending = PendingEvent(action, user=user, patient=patient, object_type=object_type, object_id=object_id,
                           outcome=outcome, detail=detail, username=username,
                           break_the_glass_reason=break_the_glass_reason)
    return record_events([pending])[0]


def record_events(events: Sequence[PendingEvent], *, batch_size: int = 1000) -> list[AuditEvent]:
    """Append many events to the chain in order, in one locked step (posting a large file writes one
    event per record it changes). Each event is sealed onto the one before it exactly as
    `record_event` seals it, so the chain verifies the same; the head moves once, at the end."""
    if not events:
        return []
    roles: dict[Any, str] = {}
    # No savepoint of our own (savepoint=False): inside a caller's transaction, a failed audit write
    # must abort the caller's change as well (a change without its event must never commit). Django
    # marks the transaction for rollback, so the caller's nearest savepoint or the outermost block
    # undoes the change with the event; nobody can carry on as if the event had been written.
    # Outside any transaction this block is the transaction. Saves two statements per event.
    with transaction.atomic(savepoint=False):
        # Lock the head row so that two writers cannot both chain onto the same previous hash.
        # (SQLite serialises writers anyway; PostgreSQL needs the row lock.)
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        sequence, previous = head.last_sequence, head.last_hash
        rows: list[AuditEvent] = []
        for event in events:
            user_key = getattr(event.user, "pk", None)
            if user_key not in roles:
                roles[user_key] = _role(event.user)
            sequence += 1
            fields = _fields(event, sequence, roles[user_key])
            sealed = entry_hash(fields, previous)
            rows.append(AuditEvent(previous_hash=previous, entry_hash=sealed, **fields))
            previous = sealed
        if len(rows) == 1:
            rows[0].save(force_insert=True)
        else:
            AuditEvent.objects.bulk_create(rows, batch_size=batch_size)
        head.last_sequence = sequence
        head.last_hash = previous
        head.seal = head_seal(head.last_sequence, head.last_hash)
        head.save(update_fields=["last_sequence", "last_hash", "seal"])
        checkpoints.note_head(sequence, previous)
    return rows
