"""Audit events are append-only: the ORM refuses changes, and so does the database itself."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from chartdesk.audit.models import AuditEvent
from chartdesk.core.errors import ImmutableRecord
from tests.audit.attacks import TABLE, write_events
from tests.support.databases import postgres_only, sqlite_only

pytestmark = pytest.mark.django_db


def test_the_orm_refuses_to_update_or_delete_an_event():
    event = write_events(1)[0]

    event.username = "changed"
    with pytest.raises(ImmutableRecord):
        event.save()
    with pytest.raises(ImmutableRecord):
        event.delete()
    with pytest.raises(ImmutableRecord):
        AuditEvent.objects.filter(pk=event.pk).update(username="changed")
    with pytest.raises(ImmutableRecord):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).username == "reader1"


def raw_refused(statement: str) -> str:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    return str(refusal.value)


@sqlite_only
def test_sqlite_triggers_refuse_raw_update_and_delete():
    before = list(AuditEvent.objects.values_list("sequence", "username"))
    write_events(2)

    assert "UPDATE on audit_auditevent" in raw_refused(f"UPDATE {TABLE} SET username = 'x'")
    assert "DELETE on audit_auditevent" in raw_refused(f"DELETE FROM {TABLE}")
    after = list(AuditEvent.objects.values_list("sequence", "username"))
    assert after[: len(before)] == before and [name for _seq, name in after[len(before) :]] == ["reader1", "reader2"]


@postgres_only
def test_postgresql_refuses_raw_update_delete_and_truncate():
    before = list(AuditEvent.objects.values_list("sequence", "username"))
    write_events(2)

    assert "UPDATE on audit_auditevent" in raw_refused(f"UPDATE {TABLE} SET username = 'x'")
    assert "DELETE on audit_auditevent" in raw_refused(f"DELETE FROM {TABLE}")
    assert "TRUNCATE on audit_auditevent is refused" in raw_refused(f"TRUNCATE {TABLE}")
    after = list(AuditEvent.objects.values_list("sequence", "username"))
    assert after[: len(before)] == before and [name for _seq, name in after[len(before) :]] == ["reader1", "reader2"]
