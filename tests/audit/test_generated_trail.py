"""The audit benchmark's generated trail (bench/_audit_trail.py) is sealed exactly as the product seals:
the product's own verification passes it, and names the one row altered afterwards."""

from __future__ import annotations

import pytest
from bench import _audit_trail
from bench._audit_trail import append_events
from django.db import connection

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditEvent, ChainHead
from chartdesk.audit.partitions import TABLE, index_definitions, partitions
from chartdesk.audit.verify import verify_chain
from tests.audit.attacks import drop_triggers, sql
from tests.support.databases import postgres_only

pytestmark = [pytest.mark.django_db, postgres_only]


def secondary_indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        return index_definitions(cursor, TABLE)


def test_a_generated_trail_verifies_and_the_product_chains_on_after_it(monkeypatch):
    # Small batches and a low threshold: several COPY batches, and the drop-and-rebuild of the indexes.
    monkeypatch.setattr(_audit_trail, "REBUILD_INDEXES_FROM", 1000)
    indexes = secondary_indexes()
    before = record_event(AuditAction.VIEW, username="before").sequence

    last = append_events(2000, batch=700)
    after = record_event(AuditAction.VIEW, username="after")

    assert last == before + 2000
    assert after.sequence == last + 1
    assert ChainHead.objects.get().last_sequence == last + 1
    assert secondary_indexes() == indexes and len(indexes) >= 4
    generated = AuditEvent.objects.get(sequence=before + 1000)
    assert (generated.username, generated.role, generated.detail) == (f"user{(before + 1000) % 400}", "coder", {})
    # Two a second, ending now: the events lie in the months' partitions, none in the default one.
    assert AuditEvent.objects.filter(sequence__gt=before).count() == 2001
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{partitions(connection)[-1]}"')  # noqa: S608  (a partition's name)
        assert cursor.fetchone()[0] == 0
    report = verify_chain()
    assert (report.intact, report.events_checked, report.problem) == (True, last + 1, "")


def test_one_altered_generated_event_is_named_by_the_verification():
    before = record_event(AuditAction.VIEW, username="before").sequence
    append_events(2000, batch=700)
    altered = before + 1234
    drop_triggers()
    sql(f"UPDATE {TABLE} SET object_id = 'someone else' WHERE sequence = %s", [altered])

    report = verify_chain()

    assert (report.intact, report.first_bad_sequence, report.events_checked) == (False, altered, altered - 1)
    assert report.problem == (f"event #{altered} was altered after it was written, or forged: "
                              "its seal does not match")
