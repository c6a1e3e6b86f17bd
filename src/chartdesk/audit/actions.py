"""Writing audit events. Every other app calls `record_event` (or `record_events` for many at once);
nothing writes AuditEvent directly."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from chartdesk.audit import checkpoints
from chartdesk.audit.chain import SEALED_FIELDS, head_seal, seal_onto
from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome, ChainHead
from chartdesk.core import clock
from chartdesk.core.bulk import insert_rows
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
        "occurred_at": clock.now(),
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


class _Gathered:
    """Events held by `events_gathered`: each with its fields as they were when it was recorded, and
    the marker that tells whether the savepoint it was recorded in was rolled back."""

    def __init__(self) -> None:
        self.rows: list[tuple[AuditEvent, Any]] = []
        self.roles: dict[Any, str] = {}


_gathering = threading.local()


def _held() -> _Gathered | None:
    return getattr(_gathering, "current", None)


@contextmanager
def events_gathered() -> Iterator[None]:
    """Within this block (itself inside a transaction), `record_event` and `record_events` hold their
    events and the block's end appends them all to the chain in one locked step, in the order they
    were recorded, before the transaction commits: for a caller that applies many changes in one
    transaction (the HL7 listener's group), which would otherwise lock and move the chain head once
    per event. Each event keeps the time and actor of its recording.

    An event recorded inside a savepoint that is rolled back is dropped with it, as a written event
    would be: each is paired with an on-commit marker, which Django forgets when that savepoint
    rolls back (the same rule that keeps a rolled-back change's side effects from running). When
    the block ends with an exception nothing is written; the caller's transaction is failing."""
    if not connection.in_atomic_block:
        raise RuntimeError("events_gathered() needs a transaction: events are written before its commit")
    if _held() is not None:  # nested: the outer block writes them
        yield
        return
    gathered = _Gathered()
    _gathering.current = gathered
    try:
        yield
    finally:
        _gathering.current = None
    _write_gathered(gathered)


def _write_gathered(gathered: _Gathered) -> None:
    live = {id(entry[1]) for entry in connection.run_on_commit}
    kept = [row for row, marker in gathered.rows if id(marker) in live]
    if kept:
        _append(kept)


def _hold(events: Sequence[PendingEvent], gathered: _Gathered) -> list[AuditEvent]:
    rows = []
    for event in events:
        user_key = getattr(event.user, "pk", None)
        if user_key not in gathered.roles:
            gathered.roles[user_key] = _role(event.user)
        row = AuditEvent(**_fields(event, 0, gathered.roles[user_key]))

        def marker() -> None:
            """Runs (doing nothing) on commit; its presence until then says the event still stands."""

        transaction.on_commit(marker)
        gathered.rows.append((row, marker))
        rows.append(row)
    return rows


def record_events(events: Sequence[PendingEvent], *, batch_size: int = 1000) -> list[AuditEvent]:
    """Append many events to the chain in order, in one locked step (posting a large file writes one
    event per record it changes). Each event is sealed onto the one before it exactly as
    `record_event` seals it, so the chain verifies the same; the head moves once, at the end.

    Inside `events_gathered` the events are held and written when that block ends: the rows returned
    get their sequence, seal and primary key then."""
    if not events:
        return []
    gathered = _held()
    if gathered is not None and connection.in_atomic_block:
        return _hold(events, gathered)
    roles: dict[Any, str] = {}
    rows: list[AuditEvent] = []
    for event in events:
        user_key = getattr(event.user, "pk", None)
        if user_key not in roles:
            roles[user_key] = _role(event.user)
        rows.append(AuditEvent(**_fields(event, 0, roles[user_key])))
    return _append(rows, batch_size=batch_size)


def _append(rows: list[AuditEvent], *, batch_size: int = 1000) -> list[AuditEvent]:
    """Seal `rows` (fields filled, sequence and hashes not yet) onto the chain in order and insert them."""
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
        for row in rows:
            sequence += 1
            row.sequence = sequence
        sealed = seal_onto(previous, ({name: getattr(row, name) for name in SEALED_FIELDS} for row in rows))
        for row, (_fields, row_previous, row_sealed) in zip(rows, sealed, strict=True):
            row.previous_hash, row.entry_hash = row_previous, row_sealed
            previous = row_sealed
        if len(rows) == 1:
            rows[0].save(force_insert=True)
        else:
            insert_rows(AuditEvent, rows, batch_size=batch_size)  # SQL built once per batch size, not per event
        head.last_sequence = sequence
        head.last_hash = previous
        head.seal = head_seal(head.last_sequence, head.last_hash)
        head.save(update_fields=["last_sequence", "last_hash", "seal"])
        checkpoints.note_head(sequence, previous)
    return rows
