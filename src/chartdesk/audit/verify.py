"""Reading the whole chain for `chartdesk audit verify`, in sequence order and in bounded chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chartdesk.audit.chain import SEALED_FIELDS, ChainReport, verify_rows
from chartdesk.audit.models import AuditEvent, ChainHead

CHUNK = 5000
ROW_FIELDS = (*SEALED_FIELDS, "previous_hash", "entry_hash")


def chain_rows(chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """Every event as a dict, by ascending sequence. Keyset paging (sequence > last seen) keeps each
    query cheap on an index however long the chain is, where OFFSET would rescan from the start."""
    last = None
    while True:
        events = AuditEvent.objects.order_by("sequence")
        if last is not None:
            events = events.filter(sequence__gt=last)
        batch = list(events.values(*ROW_FIELDS)[:chunk])
        if not batch:
            return
        yield from batch
        last = batch[-1]["sequence"]


def chain_head() -> dict[str, Any] | None:
    head = ChainHead.objects.filter(id=1).values("last_sequence", "last_hash", "seal").first()
    return dict(head) if head is not None else None


def verify_chain(chunk: int = CHUNK) -> ChainReport:
    return verify_rows(chain_rows(chunk), chain_head())
