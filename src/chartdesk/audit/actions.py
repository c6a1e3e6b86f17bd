"""Writing audit events. Every other app calls `record_event` (or `record_events` for a batch);
nothing writes AuditEvent directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.chain import entry_hash, head_seal
from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome, ChainHead
from chartdesk.core.context import current_actor


@dataclass(frozen=True)
class PlannedEvent:
    """One event of a `record_events` batch: what `record_event` takes, less the user (shared)."""

    action: AuditAction | str
    patient: Any = None
    object_type: str = ""
    object_id: Any = ""
    outcome: AuditOutcome | str = AuditOutcome.SUCCESS
    detail: dict[str, Any] = field(default_factory=dict)


def _fields(action: Any, *, user: Any, patient: Any, object_type: str, object_id: Any, outcome: Any,
            detail: dict[str, Any] | None, username: str, break_the_glass_reason: str | None) -> dict[str, Any]:
    from chartdesk.accounts.roles import role_of

    actor = current_actor()
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return {
        "occurred_at": timezone.now(),
        "user_id": user.pk if authenticated else None,
        "username": user.get_username() if authenticated else username,
        "role": role_of(user) if authenticated else "",
        "patient_id": patient.pk if patient is not None else None,
        "patient_mrn": getattr(patient, "mrn", "") if patient is not None else "",
        "object_type": object_type,
        "object_id": str(object_id) if object_id not in (None, "") else "",
        "action": str(action),
        "outcome": str(outcome),
        "client_address": actor.client_address,
        "channel": actor.channel,
        "break_the_glass_reason": (
            break_the_glass_reason if break_the_glass_reason is not None else actor.break_the_glass_reason
        ),
        "detail": detail or {},
    }


def _append(rows: list[dict[str, Any]]) -> list[AuditEvent]:
    """Chain `rows` onto the head in order and insert them; the caller holds no lock, this takes it."""
    with transaction.atomic():
        # Lock the head row so that two writers cannot both chain onto the same previous hash.
        # (SQLite serialises writers anyway; PostgreSQL needs the row lock.)
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        events = []
        sequence, previous = head.last_sequence, head.last_hash
        for fields in rows:
            sequence += 1
            fields["sequence"] = sequence
            sealed = entry_hash(fields, previous)
            events.append(AuditEvent(previous_hash=previous, entry_hash=sealed, **fields))
            previous = sealed
        if len(events) == 1:
            events[0].save()
        else:
            AuditEvent.objects.bulk_create(events, batch_size=500)
        head.last_sequence = sequence
        head.last_hash = previous
        head.seal = head_seal(head.last_sequence, head.last_hash)
        head.save(update_fields=["last_sequence", "last_hash", "seal"])
    return events


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
    fields = _fields(action, user=user, patient=patient, object_type=object_type, object_id=object_id,
                     outcome=outcome, detail=detail, username=username,
                     break_the_glass_reason=break_the_glass_reason)
    [event] = _append([fields])
    return event


def record_events(planned: Sequence[PlannedEvent], *, user: Any = None, username: str = "") -> list[AuditEvent]:
    """Append many events by one actor in one go (a bulk run that changed many patients' records).

    Each event is a full event of its own, with its patient, sealed into the chain exactly as
    `record_event` would seal it one after the other; only the writing is batched (one head lock,
    bulk inserts), so a nightly run can give every patient its own trail entry without taking hours.
    """
    if not planned:
        return []
    rows = [
        _fields(event.action, user=user, patient=event.patient, object_type=event.object_type,
                object_id=event.object_id, outcome=event.outcome, detail=event.detail, username=username,
                break_the_glass_reason=None)
        for event in planned
    ]
    return _append(rows)
