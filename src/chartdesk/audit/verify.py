"""Reading the whole chain for `chartdesk audit verify`, in sequence order and in bounded chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.conf import settings

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


# Tables whose rows are never written without an audit event (registering a patient, creating a
# user, filing a document). Named by label: the audit app sits below the apps that own them.
RECORD_TABLES = ("patients.Patient", "charts.Document")
WIPED = ("the audit trail is empty but the database holds {what}: every event and the chain head "
         "were removed")


def records_without_trail() -> list[str]:
    """What the database holds that could only have been written with audit events ("" when nothing)."""
    held = []
    for label in (settings.AUTH_USER_MODEL, *RECORD_TABLES):
        model = apps.get_model(label)
        if model.objects.exists():
            held.append(str(model._meta.verbose_name_plural))
    return held


def verify_chain(chunk: int = CHUNK) -> ChainReport:
    """Walk the chain; an empty chain passes only in a database that holds no records either, since
    deleting every event and the head row leaves nothing for the walk itself to catch."""
    report = verify_rows(chain_rows(chunk), chain_head())
    if report.intact and report.events_checked == 0:
        held = records_without_trail()
        if held:
            return ChainReport(False, 0, WIPED.format(what=", ".join(held)), 1)
    return report
