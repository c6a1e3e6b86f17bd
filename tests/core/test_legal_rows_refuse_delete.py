"""Every table of the legal record refuses DELETE in the database itself, whatever migrations did to it
since: SQLite drops a table's triggers when it rebuilds the table to add or alter a column, so a rebuild
without its triggers restored would quietly let rows be erased."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from chartdesk.core.models import LegalRecordModel

pytestmark = pytest.mark.django_db


def _triggers() -> dict[str, set[str]]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT event_object_table, trigger_name FROM information_schema.triggers")
        found: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            found.setdefault(table, set()).add(name)
    return found


def test_every_legal_record_table_has_its_refuse_delete_trigger():
    triggers = _triggers()
    legal = sorted(model._meta.db_table for model in apps.get_models() if issubclass(model, LegalRecordModel))
    assert len(legal) > 40
    missing = [table for table in legal if f"{table}_refuse_delete" not in triggers.get(table, set())]
    assert missing == []
