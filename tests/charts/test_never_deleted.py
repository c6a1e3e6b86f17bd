"""Nothing in the legal record is deleted, and a signed version never changes: the ORM refuses, and so does
the database itself when the ORM is bypassed."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from chartdesk.charts.actions import do_add_addendum, do_add_care_team_member
from chartdesk.charts.models import Addendum, CareRole, Document, DocumentVersion, Encounter, EncounterProvider
from chartdesk.core.errors import RecordNeverDeleted

SIGNED_TEXT = "Afebrile.\nAmbulating.\nPlan: continue antibiotics."


@pytest.fixture
def record(signed, author, encounter, users):
    do_add_care_team_member(encounter, author.provider, CareRole.ATTENDING, acting_user=users["registrar"])
    do_add_addendum(signed, text="Addendum text", acting_user=author)
    return signed


@pytest.mark.parametrize("model", [Encounter, EncounterProvider, Document, DocumentVersion, Addendum])
def test_the_orm_refuses_to_delete_a_row_or_a_queryset(record, model):
    row = model.objects.first()
    assert row is not None
    with pytest.raises(RecordNeverDeleted, match="rows belong to the legal record and are never deleted"):
        row.delete()
    with pytest.raises(RecordNeverDeleted):
        model.objects.all().delete()
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize(
    "table", ["charts_encounter", "charts_encounterprovider", "charts_document", "charts_documentversion",
              "charts_addendum"],
)
def test_the_database_refuses_a_raw_delete(record, table):
    before = _count(table)
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names from the parametrize list
    assert _count(table) == before > 0


def test_the_database_refuses_a_raw_update_of_a_signed_version(record):
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE charts_documentversion SET text = 'Rewritten' WHERE signed_at IS NOT NULL")
    assert DocumentVersion.objects.get(pk=record.current_version_id).text == SIGNED_TEXT


def test_a_queryset_update_of_a_signed_version_is_refused_by_the_database(record):
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic():
        DocumentVersion.objects.filter(pk=record.current_version_id).update(text="Rewritten")
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic():
        Addendum.objects.filter(document=record).update(text="Rewritten")
    assert DocumentVersion.objects.get(pk=record.current_version_id).text == SIGNED_TEXT
    assert Addendum.objects.get(document=record).text == "Addendum text"


def test_an_unsigned_draft_version_is_still_updatable_by_the_database(draft):
    # Signing is itself an update of the draft's row; the trigger must let that through.
    DocumentVersion.objects.filter(pk=draft.current_version_id).update(file_name="")
    assert DocumentVersion.objects.get(pk=draft.current_version_id).signed_at is None


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed table names
        return cursor.fetchone()[0]
