"""Reads of encounters and documents: permission, restriction and retraction, each audited."""

from __future__ import annotations

import pytest

from chartdesk.audit.models import AuditAction, AuditEvent, AuditOutcome
from chartdesk.charts.access import (
    access_document_by_id,
    access_document_file,
    access_encounter_by_id,
    documents_in_chart,
)
from chartdesk.charts.actions import (
    do_add_addendum,
    do_correct_document,
    do_create_note,
    do_edit_draft,
    do_open_encounter,
    do_retract_document,
    do_sign_document,
    do_upload_document,
)
from chartdesk.charts.models import Addendum, Document, DocumentStatus, DocumentType, DocumentVersion, Encounter
from chartdesk.core.errors import NotFound, PermissionRefused
from chartdesk.patients.access import RestrictedChart
from chartdesk.patients.actions import do_break_the_glass, do_grant_chart_access
from tests.charts.conftest import fresh, pdf_bytes, upload
from tests.support import factories

READERS = ["registrar", "coder", "roi", "transcriptionist", "provider", "him_manager", "privacy_officer"]
NON_READERS = ["billing", "administrator"]


@pytest.mark.parametrize("role", READERS)
def test_roles_with_view_documents_read_a_document_and_the_view_is_audited(role, signed, users):
    document = access_document_by_id(users[role], signed.pk)
    assert document == signed
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="document").get()
    assert (event.user_id, event.patient_id, event.object_id) == (users[role].pk, signed.patient_id, str(signed.pk))


@pytest.mark.parametrize("role", NON_READERS)
def test_roles_without_view_documents_find_no_document(role, signed, users):
    with pytest.raises(NotFound):
        access_document_by_id(users[role], signed.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="document").exists()


def test_a_missing_document_and_a_malformed_id_are_not_found(users):
    for key in (999999, "abc", None):
        with pytest.raises(NotFound, match="No such document."):
            access_document_by_id(users["coder"], key)


def test_a_retracted_document_is_hidden_from_roles_without_view_retracted(signed, users):
    do_retract_document(signed, reason="Wrong patient", acting_user=users["registrar"])

    for role in ("registrar", "coder", "roi", "transcriptionist"):
        with pytest.raises(NotFound):
            access_document_by_id(users[role], signed.pk)
        assert list(documents_in_chart(users[role], signed.patient)) == []
    for role in ("provider", "him_manager", "privacy_officer"):
        assert access_document_by_id(users[role], signed.pk).status == DocumentStatus.ENTERED_IN_ERROR
        assert list(documents_in_chart(users[role], signed.patient)) == [signed]


def test_documents_in_chart_filters_by_type_encounter_status_and_dates(patient, author, encounter, signed, yesterday):
    from datetime import timedelta

    older = do_create_note(patient, document_type=DocumentType.HISTORY_AND_PHYSICAL, title="H&P", text="History.",
                           service_date=yesterday - timedelta(days=10), acting_user=author)
    user = author

    assert set(documents_in_chart(user, patient)) == {signed, older}
    assert list(documents_in_chart(user, patient, document_type=DocumentType.HISTORY_AND_PHYSICAL)) == [older]
    assert list(documents_in_chart(user, patient, encounter=encounter)) == [signed]
    assert list(documents_in_chart(user, patient, status=DocumentStatus.PRELIMINARY)) == [older]
    assert list(documents_in_chart(user, patient, date_from=yesterday - timedelta(days=1))) == [signed]
    assert list(documents_in_chart(user, patient, date_to=yesterday - timedelta(days=1))) == [older]
    assert list(documents_in_chart(user, patient)) == [signed, older]  # newest service date first


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "him_manager", "privacy_officer"])
def test_an_encounter_is_read_with_view_chart_and_audited(role, encounter, users):
    assert access_encounter_by_id(users[role], encounter.pk) == encounter
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="encounter",
                                     object_id=str(encounter.pk)).count() == 1


def test_the_administrator_reads_no_encounter(encounter, users):
    with pytest.raises(NotFound):
        access_encounter_by_id(users["administrator"], encounter.pk)


# ----------------------------------------------------------------------------- restricted charts


@pytest.fixture
def secret_note(restricted_patient, users, yesterday):
    """A signed note on a VIP chart, written by a provider the privacy officer granted access."""
    writer = factories.make_user("provider")
    factories.make_provider("Lise", "Meitner", user=writer, npi="1679576722")
    do_grant_chart_access(restricted_patient, writer, reason="attending physician",
                          acting_user=users["privacy_officer"])
    writer = fresh(writer)
    document = do_create_note(restricted_patient, document_type=DocumentType.PROGRESS_NOTE, title="Visit",
                              text="Confidential text", service_date=yesterday, acting_user=writer)
    return do_sign_document(document, acting_user=writer)


def _snapshot():
    return {
        "documents": list(Document.objects.values_list("id", "status", "revision")),
        "versions": DocumentVersion.objects.count(),
        "addenda": Addendum.objects.count(),
        "encounters": Encounter.objects.count(),
    }


@pytest.mark.parametrize("role", READERS)
def test_no_role_reads_a_restricted_patients_document_without_a_grant(role, secret_note, users):
    with pytest.raises(NotFound) as refused:
        access_document_by_id(users[role], secret_note.pk)
    # Those who may break the glass are told the chart is restricted, so the desk can offer it.
    assert isinstance(refused.value, RestrictedChart) == users[role].has_perm("accounts.break_the_glass")
    denied = AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, patient_id=secret_note.patient_id).get()
    assert (denied.user_id, denied.outcome) == (users[role].pk, AuditOutcome.DENIED)
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="document").exists()


def test_no_role_changes_a_restricted_patients_record_without_a_grant(secret_note, users, yesterday):
    patient = secret_note.patient
    before = _snapshot()
    attempts = [
        lambda user: do_open_encounter(patient, encounter_class="outpatient", admit_at=secret_note.created_at,
                                       acting_user=user),
        lambda user: do_create_note(patient, document_type=DocumentType.PROGRESS_NOTE, title="x", text="x",
                                    service_date=yesterday, acting_user=user),
        lambda user: do_upload_document(patient, upload=upload("a.pdf", pdf_bytes()), title="x",
                                        document_type=DocumentType.SCANNED_PAPER, service_date=yesterday,
                                        acting_user=user),
        lambda user: do_edit_draft(secret_note, text="x", acting_user=user, expected_revision=secret_note.revision),
        lambda user: do_correct_document(secret_note, reason="x", text="x", acting_user=user,
                                         expected_revision=secret_note.revision),
        lambda user: do_add_addendum(secret_note, text="x", acting_user=user),
        lambda user: do_retract_document(secret_note, reason="x", acting_user=user),
    ]
    for role in ("registrar", "transcriptionist", "provider", "him_manager"):
        for attempt in attempts:
            with pytest.raises((PermissionRefused, NotFound)):
                attempt(users[role])
    assert _snapshot() == before


def test_a_granted_user_reads_the_restricted_document(secret_note, users):
    do_grant_chart_access(secret_note.patient, users["roi"], reason="records request",
                          acting_user=users["privacy_officer"])
    assert access_document_by_id(fresh(users["roi"]), secret_note.pk) == secret_note


def test_reading_after_breaking_the_glass_is_audited_with_the_reason(secret_note, users):
    reason = "Patient unconscious in the emergency department"
    do_break_the_glass(secret_note.patient, reason=reason, acting_user=users["provider"])

    access_document_by_id(users["provider"], secret_note.pk)

    event = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="document").get()
    assert event.break_the_glass_reason == reason


def test_a_restricted_patients_file_is_not_served_without_access(restricted_patient, users, yesterday):
    do_grant_chart_access(restricted_patient, users["registrar"], reason="scanning", acting_user=users["him_manager"])
    registrar = fresh(users["registrar"])
    document = do_upload_document(restricted_patient, upload=upload("a.pdf", pdf_bytes()), title="Scan",
                                  document_type=DocumentType.SCANNED_PAPER, service_date=yesterday,
                                  acting_user=registrar)
    with pytest.raises(NotFound):
        access_document_file(users["coder"], document.current_version_id)
    assert access_document_file(registrar, document.current_version_id)[1] == pdf_bytes()
