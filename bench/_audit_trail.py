"""A long, real audit trail for the audit benchmarks, written fast: events sealed in Python by the
product's own chaining (chain.seal_onto, as record_events seals) and loaded with PostgreSQL's COPY in
large batches, each batch committed with the chain head moved onto its last event. Ten million events
go in within minutes where ORM inserts (or one row at a time through COPY's row writer) took an hour.

PostgreSQL only: the benchmarks that use it measure the partitioned production table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

COLUMNS = ("sequence", "occurred_at", "user_id", "username", "role", "patient_id", "patient_mrn", "object_type",
           "object_id", "action", "outcome", "client_address", "channel", "break_the_glass_reason", "detail",
           "previous_hash", "entry_hash")
BATCH = 250_000  # events per COPY and per transaction
WRITE_LINES = 10_000  # lines handed to COPY at a time
REBUILD_INDEXES_FROM = 1_000_000
EVENTS_PER_SECOND = 2  # the generated trail's pace: ten million events reach back about two months
ACTIONS = ("view", "view", "view", "search", "update", "create", "export")


def _event(sequence: int, first_at: datetime) -> dict[str, Any]:
    """A plausible event (a coder reading documents of many patients). The time is kept as the string
    isoformat() spells, which is what the seal is computed over (chain.canonical) and what COPY reads."""
    return {
        "sequence": sequence,
        "occurred_at": (first_at + timedelta(seconds=sequence / EVENTS_PER_SECOND)).isoformat(),
        "user_id": 1 + sequence % 400, "username": f"user{sequence % 400}", "role": "coder",
        "patient_id": 1 + sequence % 250_000, "patient_mrn": f"M{1 + sequence % 250_000:07d}",
        "object_type": "document", "object_id": str(sequence % 900_000),
        "action": ACTIONS[sequence % len(ACTIONS)], "outcome": "success",
        "client_address": "10.0.0.7", "channel": "desk", "break_the_glass_reason": "",
        "detail": {},
    }


def _line(fields: dict[str, Any], previous: str, entry: str) -> str:
    # COPY's text format, written directly: every generated value is free of tabs, newlines and
    # backslashes (nothing to escape), and the detail is always the empty object.
    return (f"{fields['sequence']}\t{fields['occurred_at']}\t{fields['user_id']}\t{fields['username']}\t"
            f"{fields['role']}\t{fields['patient_id']}\t{fields['patient_mrn']}\t{fields['object_type']}\t"
            f"{fields['object_id']}\t{fields['action']}\t{fields['outcome']}\t{fields['client_address']}\t"
            f"{fields['channel']}\t{fields['break_the_glass_reason']}\t{{}}\t{previous}\t{entry}\n")


def append_events(count: int, *, batch: int = BATCH, end_at: datetime | None = None,
                  progress: Callable[[int], None] | None = None) -> int:
    """Append `count` sealed events after the chain head (on the default database, PostgreSQL), spread
    two a second and ending at `end_at` (now); create the monthly partitions they fall in first, as the
    periodic job would have. Returns the sequence of the last event written.

    From a million events on, the trail's secondary indexes (patient, user, object: no constraint's)
    are dropped for the load and built again from their own definitions after it, as pg_restore
    does: inserting millions of scattered keys one by one into indexes far larger than the cluster's
    buffers was most of the load's time. The sequence and primary-key constraints stay throughout."""
    from django.db import connection

    from chartdesk.audit.partitions import TABLE, index_definitions

    if count < REBUILD_INDEXES_FROM:
        return _append(count, batch, end_at, progress)
    with connection.cursor() as cursor:
        indexes = index_definitions(cursor, TABLE)
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    last = _append(count, batch, end_at, progress)
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
    return last


def _append(count: int, batch: int, end_at: datetime | None, progress: Callable[[int], None] | None) -> int:
    from django.db import connection, transaction

    from chartdesk.audit.chain import GENESIS_HASH, head_seal, seal_onto
    from chartdesk.audit.models import ChainHead
    from chartdesk.audit.partitions import ensure_partitions

    head, _ = ChainHead.objects.get_or_create(id=1)
    start = head.last_sequence + 1
    previous = head.last_hash if head.last_sequence else GENESIS_HASH
    end_at = end_at or datetime.now(UTC)
    first_at = end_at - timedelta(seconds=(count + start) / EVENTS_PER_SECOND)
    months = (end_at.year - first_at.year) * 12 + end_at.month - first_at.month
    ensure_partitions(months + 3, today=first_at.date())
    statement = f"COPY audit_auditevent ({', '.join(COLUMNS)}) FROM STDIN"
    last = start - 1
    for batch_start in range(start, start + count, batch):
        batch_end = min(batch_start + batch, start + count)
        events = (_event(sequence, first_at) for sequence in range(batch_start, batch_end))
        # One transaction per batch, the head moved with it: an interrupted fill leaves a chain that verifies.
        with transaction.atomic(), connection.cursor() as cursor:
            # The row triggers are set aside for the load, as pg_restore does (the throwaway cluster's
            # user is a superuser): the one that checks a new event's number is not taken yet probes
            # the partitions once per row, and its plan, made while they were empty, scans them whole,
            # so each row cost more than the last and ten million took about an hour. The numbers here
            # are the head's successors, taken by nobody; the walk would name a duplicate anyway.
            cursor.execute("SET LOCAL session_replication_role = replica")
            with cursor.connection.cursor().copy(statement) as copy:
                lines: list[str] = []
                for fields, linked, sealed in seal_onto(previous, events):
                    lines.append(_line(fields, linked, sealed))
                    previous = sealed
                    if len(lines) == WRITE_LINES:
                        copy.write("".join(lines))
                        lines.clear()
                copy.write("".join(lines))
            last = batch_end - 1
            ChainHead.objects.filter(id=1).update(last_sequence=last, last_hash=previous,
                                                  seal=head_seal(last, previous))
        if progress is not None:
            progress(last)
    return last
