"""Writing audit events. Every other app calls `record_event`; nothing writes AuditEvent directly."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from chartdesk.audit.chain import entry_hash, head_seal
from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome, ChainHead
from chartdesk.core.context import current_actor


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
    from chartdesk.accounts.roles import role_of

    actor = current_actor()
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    with transaction.atomic():
        # Lock the head row so that two writers cannot both chain onto the same previous hash.
        # (SQLite serialises writers anyway; PostgreSQL needs the row lock.)
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        fields: dict[str, Any] = {
            "sequence": head.last_sequence + 1,
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
        sealed = entry_hash(fields, head.last_hash)
        event = AuditEvent.objects.create(previous_hash=head.last_hash, entry_hash=sealed, **fields)
        head.last_sequence = event.sequence
        head.last_hash = sealed
        head.seal = head_seal(head.last_sequence, head.last_hash)
        head.save(update_fields=["last_sequence", "last_hash", "seal"])
    return event
