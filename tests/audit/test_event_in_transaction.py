"""An audit event written inside a caller's transaction takes no savepoint of its own: the event and
the change it records commit together or not at all, even when a careless caller swallows the error."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction, AuditEvent, ChainHead
from chartdesk.audit.verify import verify_chain

pytestmark = pytest.mark.django_db


def test_an_event_inside_a_transaction_is_three_statements_and_no_savepoint():
    record_event(AuditAction.VIEW, username="first")  # the head row exists from here on
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        record_event(AuditAction.VIEW, username="second")

    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert statements == ["SELECT", "INSERT", "UPDATE"]
    assert verify_chain().intact is True


def test_a_failed_audit_write_undoes_the_callers_change_even_if_the_caller_swallows_the_error():
    last = record_event(AuditAction.VIEW, username="before")
    # Point the head one event back: the next event claims a sequence number already taken.
    ChainHead.objects.filter(id=1).update(last_sequence=last.sequence - 1)

    with transaction.atomic():  # the caller's own savepoint
        Group.objects.create(name="changed-without-its-event")
        try:
            record_event(AuditAction.CREATE, username="careless-caller", object_type="group")
        except DatabaseError:
            pass  # carrying on as if the event had been written...
        with pytest.raises(TransactionManagementError):
            Group.objects.count()  # ...is refused: the transaction must be rolled back

    assert not Group.objects.filter(name="changed-without-its-event").exists()
    assert not AuditEvent.objects.filter(username="careless-caller").exists()
