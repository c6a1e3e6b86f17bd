"""`insert_rows` stores exactly what `bulk_create` stores, hands the database's keys back to the right
rows, and falls back to `bulk_create` where it cannot build the statement itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chartdesk.audit.models import AuditAction, AuditEvent
from chartdesk.core.bulk import insert_rows
from chartdesk.interop.models import SourceRecord
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)


def events(first_sequence: int, count: int, user: object = None) -> list[AuditEvent]:
    return [AuditEvent(sequence=first_sequence + n, occurred_at=WHEN, user=user, username=f"clerk{n}",
                       patient_id=None if n % 2 else 40 + n, object_type="encounter", object_id=str(n),
                       action=AuditAction.CREATE, detail={"note": "café ✓", "nested": {"list": [n, None, 1.5]}},
                       previous_hash="p" * 64, entry_hash=f"{n:064d}")
            for n in range(count)]


def stored(sequences: range) -> list[dict[str, object]]:
    rows = AuditEvent.objects.filter(sequence__in=sequences).order_by("sequence").values()
    return [{key: value for key, value in row.items() if key not in ("id", "sequence")} for row in rows]


def test_rows_inserted_read_back_as_the_same_rows_bulk_create_stores():
    user = make_user("coder")
    insert_rows(AuditEvent, events(1_000_000, 5, user))
    AuditEvent.objects.bulk_create(events(2_000_000, 5, user))

    mine, django = stored(range(1_000_000, 1_000_005)), stored(range(2_000_000, 2_000_005))
    assert mine == django
    assert mine[0]["occurred_at"] == WHEN and mine[0]["user_id"] == user.pk
    assert mine[1]["detail"] == {"note": "café ✓", "nested": {"list": [1, None, 1.5]}}
    assert (mine[0]["patient_id"], mine[1]["patient_id"]) == (40, None)


def test_each_row_gets_its_own_key_across_several_statements():
    rows = events(3_000_000, 1200)  # past SQLite's 999 parameters: several INSERTs
    with CaptureQueriesContext(connection) as queries:
        inserted = insert_rows(AuditEvent, rows)

    inserts = [query for query in queries.captured_queries if query["sql"].startswith("INSERT")]
    assert 1 < len(inserts) < 1200
    assert inserted is not rows and [row.pk for row in inserted] == [row.pk for row in rows]
    assert len({row.pk for row in rows}) == 1200
    by_key = dict(AuditEvent.objects.filter(pk__in=[row.pk for row in rows]).values_list("pk", "object_id"))
    assert all(by_key[row.pk] == row.object_id for row in rows)
    assert not rows[0]._state.adding and rows[0]._state.db == "default"


def test_rows_without_returning_go_in_with_one_statement_and_their_defaults():
    rows = [SourceRecord(source_system="synthea", resource_type="Encounter", source_id=f"e{n}",
                         local_type="Encounter", local_id=n, content_sha256="a" * 64) for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(SourceRecord, rows, returning=False)

    # executemany is captured once, as "3 times: INSERT ..."
    assert [query["sql"].partition(": ")[0] for query in queries.captured_queries] == ["3 times"]
    kept = list(SourceRecord.objects.filter(source_system="synthea").order_by("local_id"))
    assert [(record.source_id, record.local_id) for record in kept] == [("e0", 0), ("e1", 1), ("e2", 2)]
    assert all(record.imported_at is not None for record in kept)


def test_a_row_with_its_key_already_set_goes_through_bulk_create():
    row = events(4_000_000, 1)[0]
    row.pk = 987_654
    insert_rows(AuditEvent, [row])

    assert AuditEvent.objects.get(pk=987_654).sequence == 4_000_000


def test_nothing_to_insert_runs_no_statement():
    with CaptureQueriesContext(connection) as queries:
        assert insert_rows(AuditEvent, []) == []
    assert queries.captured_queries == []
