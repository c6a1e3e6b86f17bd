"""Retention dates for adults and minors (with the clock frozen by an explicit `as_of`), the report of
records due, legal holds that block destruction, and destruction that keeps the index and the trail."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.actions import do_create_note, do_sign_document
from chartdesk.charts.models import Document, DocumentVersion
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.filing import retention
from chartdesk.filing.actions import do_create_paper_chart
from chartdesk.filing.models import ChartStatus, DestroyedRecord, PaperChart, RetentionRule
from tests.support import factories


def visit(patient: Any, on: date, user: Any, encounter_class: str = "outpatient") -> Any:
    from chartdesk.charts.actions import do_discharge_encounter, do_finish_encounter

    admit = datetime(on.year, on.month, on.day, 14, 0, tzinfo=UTC)
    encounter = factories.make_encounter(patient, encounter_class, admit_at=admit, acting_user=user)
    if encounter_class == "outpatient":
        return do_finish_encounter(encounter, acting_user=user, finished_at=admit.replace(hour=15))
    return do_discharge_encounter(encounter, discharge_at=admit.replace(hour=20), disposition="01", acting_user=user)


def test_an_adults_record_is_kept_ten_years_after_the_last_encounter(users):
    adult = factories.make_patient("Ann", "Adult", birth_date=date(1970, 6, 1))
    visit(adult, date(2009, 3, 1), users["registrar"])
    visit(adult, date(2011, 4, 2), users["registrar"], "inpatient")
    [status] = retention.retention_statuses([adult.pk])
    assert (status.last_encounter_on, status.retain_until) == (date(2011, 4, 2), date(2021, 4, 2))
    assert status.eligible(date(2021, 4, 2)) and not status.eligible(date(2021, 4, 1))


def test_a_minors_record_is_kept_until_majority_plus_three_years_when_that_is_later(users):
    child = factories.make_patient("Cory", "Child", birth_date=date(2008, 2, 29))
    visit(child, date(2012, 5, 5), users["registrar"])
    [status] = retention.retention_statuses([child.pk])
    # Adult rule: 2022-05-05; majority (18) + 3 years from a 29 February birthday: 2029-02-28.
    assert status.retain_until == date(2029, 2, 28)


def test_a_teenager_seen_near_majority_keeps_the_ten_year_rule(users):
    teen = factories.make_patient("Tess", "Teen", birth_date=date(1995, 1, 10))
    visit(teen, date(2012, 1, 9), users["registrar"])  # 16 at the visit
    assert retention.retention_statuses([teen.pk])[0].retain_until == date(2022, 1, 9)


def test_rules_are_per_jurisdiction_and_record_type(users):
    from chartdesk.filing.models import RetentionPolicy

    RetentionRule.objects.create(jurisdiction="XX", record_type="outpatient", adult_years=7, age_of_majority=21,
                                 years_after_majority=1)
    RetentionPolicy.objects.update_or_create(id=1, defaults={"jurisdiction": "XX"})
    adult = factories.make_patient("Ann", "Adult", birth_date=date(1970, 6, 1))
    visit(adult, date(2010, 3, 1), users["registrar"])
    assert retention.retention_statuses([adult.pk])[0].retain_until == date(2017, 3, 1)
    visit(adult, date(2011, 3, 1), users["registrar"], "inpatient")  # no inpatient rule in XX
    assert retention.retention_statuses([adult.pk])[0].retain_until is None


@pytest.fixture
def old_record(users: dict[str, Any]) -> Any:
    """An adult last seen in 2010 with a signed note and a paper volume; due since 2020."""
    him = users["him_manager"]
    factories.make_provider("Ada", "Lovelace", user=users["provider"])
    author = type(users["provider"]).objects.get(pk=users["provider"].pk)
    patient = factories.make_patient("Olga", "Old", birth_date=date(1950, 1, 1))
    encounter = visit(patient, date(2010, 1, 5), users["registrar"])
    note = do_create_note(patient, document_type="11506-3", title="Visit", text="Synthetic old note.",
                          service_date=date(2010, 1, 5), acting_user=author, encounter=encounter,
                          author=author.provider)
    do_sign_document(note, acting_user=author)
    from chartdesk.charts.actions import do_upload_document
    from tests.filing.scans import pdf_batch, upload

    do_upload_document(patient, upload=upload("old-letter.pdf", pdf_batch("Old letter")), document_type="51852-2",
                       title="Old letter", service_date=date(2010, 1, 6), acting_user=users["registrar"])
    room = factories_room(him)
    do_create_paper_chart(patient, file_room=room, acting_user=users["registrar"])
    return patient


def factories_room(him: Any) -> Any:
    from chartdesk.filing.actions import do_create_file_room

    return do_create_file_room(facility="General", name="Main", filing_system="terminal-digit", acting_user=him)


def test_the_due_report_lists_records_past_retention_with_their_holds(old_record, users):
    him = users["him_manager"]
    assert [s.patient for s in retention.access_due_for_destruction(him, date(2020, 1, 4))] == []
    retention.do_place_legal_hold(matter="Smith v. General Hospital", patients=[old_record], acting_user=him)
    [due] = retention.access_due_for_destruction(him, date(2020, 1, 5))
    assert (due.patient, due.holds) == (old_record, ("Smith v. General Hospital",))
    with pytest.raises(PermissionRefused):
        retention.access_due_for_destruction(users["registrar"], date(2020, 1, 5))


def test_a_legal_hold_blocks_destruction_until_released(old_record, users):
    him = users["him_manager"]
    hold = retention.do_place_legal_hold(matter="Subpoena 2024-17", patients=[old_record], acting_user=him)
    with pytest.raises(ChartdeskError, match="under legal hold \\(Subpoena 2024-17\\)"):
        retention.do_destroy_records([old_record], method="shredding", witness="W. Witness", acting_user=him,
                                     as_of=date(2024, 1, 1))
    assert not DestroyedRecord.objects.exists()
    assert Document.objects.get(patient=old_record, title="Visit").current_version.text == "Synthetic old note."
    retention.do_release_legal_hold(hold, reason="Case settled", acting_user=him)
    certificate = retention.do_destroy_records([old_record], method="shredding", witness="W. Witness",
                                               acting_user=him, as_of=date(2024, 1, 1))
    assert certificate.records.get().patient == old_record


def test_a_record_not_yet_due_is_not_destroyed(old_record, users):
    with pytest.raises(ChartdeskError, match="kept until 2020-01-05"):
        retention.do_destroy_records([old_record], method="shredding", witness="W", acting_user=users["him_manager"],
                                     as_of=date(2019, 12, 31))


def test_destruction_removes_content_and_keeps_the_index_certificate_and_trail(old_record, users,
                                                                               django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    him = users["him_manager"]
    letter = DocumentVersion.objects.get(document__title="Old letter")
    stored_name = letter.file.name
    assert default_storage.exists(stored_name)
    with django_capture_on_commit_callbacks(execute=True):
        certificate = retention.do_destroy_records([old_record], method="shredding", witness="W. Witness",
                                                   acting_user=him, as_of=date(2024, 1, 1), note="Annual purge")
    assert (certificate.number, certificate.method, certificate.witness, certificate.performed_by) == (
        "D000001", "shredding", "W. Witness", him)
    record = certificate.records.get()
    assert (record.paper_volumes, record.document_versions, record.retain_until) == (1, 2, date(2020, 1, 5))
    letter.refresh_from_db()
    assert (bool(letter.file), letter.file_sha256 != "", default_storage.exists(stored_name)) == (False, True, False)
    document = Document.objects.get(patient=old_record, title="Visit")
    version = document.current_version
    assert (document.title, version.text, version.signed_at is not None, version.destruction_reference) == (
        "Visit", "", True, "D000001")
    assert PaperChart.objects.get(patient=old_record).status == ChartStatus.DESTROYED
    assert AuditEvent.objects.filter(object_type="destroyed_record", patient_id=old_record.pk).exists()
    with pytest.raises(ChartdeskError, match="already destroyed"):
        retention.do_destroy_records([old_record], method="shredding", witness="W", acting_user=him,
                                     as_of=date(2024, 1, 1))


def test_the_database_lets_through_only_the_purge_of_a_signed_version(old_record):
    version = DocumentVersion.objects.get(document__patient=old_record, document__title="Visit")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE charts_documentversion SET text = %s WHERE id = %s", ["rewritten", version.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        # Emptying the text without recording the destruction is still refused.
        cursor.execute("UPDATE charts_documentversion SET text = '' WHERE id = %s", [version.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        # A purge that also changes the signature is refused.
        cursor.execute("UPDATE charts_documentversion SET text = '', content_destroyed_at = %s, attestation = 'x' "
                       "WHERE id = %s", [datetime(2024, 1, 1, tzinfo=UTC), version.pk])
    assert DocumentVersion.objects.get(pk=version.pk).text == "Synthetic old note."


def test_only_him_with_the_charts_permission_can_destroy(old_record, users):
    with pytest.raises(PermissionRefused):
        retention.do_destroy_records([old_record], method="shredding", witness="W", acting_user=users["registrar"],
                                     as_of=date(2024, 1, 1))
