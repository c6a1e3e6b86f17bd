"""`record_events` writes a batch of events into the chain exactly as one-at-a-time writing would."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from chartdesk.audit.actions import PendingEvent, record_event, record_events
from chartdesk.audit.models import AuditAction, AuditEvent, ChainHead
from chartdesk.audit.verify import verify_chain
from tests.audit.attacks import drop_triggers, sql

pytestmark = pytest.mark.django_db


def charts(count: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(pk=7000 + n, mrn=f"M{7000 + n:07d}") for n in range(count)]


def test_a_batch_of_events_names_each_patient_and_keeps_the_chain_intact():
    before = record_event(AuditAction.VIEW, username="before").sequence
    written = record_events(
        [PendingEvent(AuditAction.UPDATE, username="nightly-run", patient=chart, object_type="chart_completion",
                      object_id=n, detail={"change": "deficiency analysis"}) for n, chart in enumerate(charts(1200))],
    )
    record_event(AuditAction.VIEW, username="after")

    assert len(written) == 1200
    events = list(AuditEvent.objects.filter(sequence__gte=before).order_by("sequence"))
    assert [event.sequence for event in events] == list(range(before, before + 1202))
    assert (events[1].patient_id, events[1].patient_mrn, events[1].username) == (7000, "M0007000", "nightly-run")
    assert events[1200].patient_id == 8199
    assert events[-1].previous_hash == events[-2].entry_hash
    assert ChainHead.objects.get().last_sequence == before + 1201
    report = verify_chain()
    assert (report.intact, report.events_checked) == (True, before + 1201)


def test_a_batch_event_altered_afterwards_is_caught_by_the_verification():
    [_, _, third, *_] = record_events(
        [PendingEvent(AuditAction.UPDATE, username="nightly-run", patient=chart) for chart in charts(5)]
    )
    drop_triggers()
    sql("UPDATE audit_auditevent SET patient_mrn = 'M9999999' WHERE sequence = %s", [third.sequence])
    report = verify_chain()
    assert (report.intact, report.first_bad_sequence) == (False, third.sequence)


def test_an_empty_batch_writes_nothing():
    before = AuditEvent.objects.count()
    assert record_events([]) == []
    assert AuditEvent.objects.count() == before
