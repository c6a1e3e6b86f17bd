"""`events_gathered`: events recorded in one transaction join the chain together when the block ends,
in the order and with the times they were recorded; those of a savepoint rolled back are dropped."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import transaction

from chartdesk.audit.actions import PendingEvent, events_gathered, record_event, record_events
from chartdesk.audit.models import AuditAction, AuditEvent, ChainHead
from chartdesk.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def chart(number: int) -> SimpleNamespace:
    return SimpleNamespace(pk=8000 + number, mrn=f"M{8000 + number:07d}")


def test_gathered_events_are_written_in_order_when_the_block_ends_and_a_rolled_back_one_is_dropped():
    before = record_event(AuditAction.VIEW, username="before").sequence
    with transaction.atomic(), events_gathered():
        first = record_event(AuditAction.UPDATE, username="feed", patient=chart(1), object_id="first")
        try:
            with transaction.atomic():
                record_event(AuditAction.UPDATE, username="feed", patient=chart(2), object_id="undone")
                raise ValueError("the message failed")
        except ValueError:
            pass
        with transaction.atomic():
            kept = record_events([PendingEvent(AuditAction.CREATE, username="feed", patient=chart(3),
                                               object_id="kept")])
        assert first.pk is None and AuditEvent.objects.filter(sequence__gt=before).count() == 0  # held
        assert ChainHead.objects.get().last_sequence == before

    assert (first.sequence, kept[0].sequence) == (before + 1, before + 2)  # filled in when written
    events = list(AuditEvent.objects.filter(sequence__gt=before).order_by("sequence"))
    assert [event.object_id for event in events] == ["first", "kept"]
    assert events[0].occurred_at <= events[1].occurred_at
    assert events[1].previous_hash == events[0].entry_hash
    assert ChainHead.objects.get().last_sequence == before + 2
    assert verify_chain().intact


def test_a_block_that_fails_writes_none_of_its_events():
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError), transaction.atomic(), events_gathered():
        record_event(AuditAction.UPDATE, username="feed", patient=chart(4))
        raise ValueError("the group failed")
    assert AuditEvent.objects.count() == before

