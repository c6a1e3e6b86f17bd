"""Reading one record's history from the audit trail goes through an index, never a scan of the trail."""

from __future__ import annotations

import pytest
from django.db import connection

from chartdesk.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def plan_of(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {'QUERY PLAN ' if connection.vendor == 'sqlite' else ''}{sql}", params)
        return " ".join(str(part) for row in cursor.fetchall() for part in row)


def test_the_events_of_one_record_are_found_through_the_object_index():
    plan = plan_of(AuditEvent.objects.filter(object_type="encounter", object_id__in=["1", "2"]))
    if connection.vendor == "sqlite":
        assert "USING INDEX audit_audit_object__0e78a5_idx" in plan
    else:
        # PostgreSQL plans a small table as a scan whatever its indexes; the index must exist.
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, AuditEvent._meta.db_table)
        assert any(spec["index"] and spec["columns"] == ["object_type", "object_id"] for spec in indexes.values())
