"""The transcription queue, assignment, sending the draft to its author, the author's queue, and the
signature on charts' own signing screen that finishes the dictation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.actions import do_edit_draft
from chartdesk.charts.models import DocumentStatus, DocumentType
from chartdesk.core.errors import ChartdeskError, PermissionRefused
from chartdesk.patients.actions import do_set_restriction
from chartdesk.transcription.actions import do_assign_dictation, do_transcribe_dictation, do_upload_dictation
from chartdesk.transcription.models import Dictation, DictationStatus
from tests.support import factories

NOT_IN_QUEUE = ["registrar", "coder", "billing", "roi", "provider", "privacy_officer", "administrator"]


def test_the_queue_lists_open_dictations_and_flags_the_overdue(dictation, users, client_for):
    Dictation.objects.filter(pk=dictation.pk).update(due_at=timezone.now() - timedelta(hours=1))
    page = client_for(users["transcriptionist"]).get("/transcription/queue/")
    assert page.status_code == 200
    assert b"Garcia" in page.content and b"History and physical" in page.content
    assert b"1 overdue" in page.content
    assert AuditEvent.objects.filter(object_type="transcription_queue", user=users["transcriptionist"]).exists()


def test_a_transcriptionist_takes_edits_and_sends_the_draft_to_its_author(dictation, users, dictating_provider,
                                                                          client_for):
    transcriptionist = users["transcriptionist"]
    client = client_for(transcriptionist)
    url = f"/transcription/dictation/{dictation.pk}/"
    assert client.post(url, {"action": "take", "revision": dictation.revision}).status_code == 302
    dictation.refresh_from_db()
    assert dictation.assigned_to == transcriptionist
    assert b"Show only mine" in client.get("/transcription/queue/").content
    assert b"Garcia" in client.get("/transcription/queue/?mine=1").content

    document = dictation.document
    do_edit_draft(document, text="Chest pain for two days, worse on exertion.", acting_user=transcriptionist,
                  expected_revision=document.revision)
    assert client.post(url, {"action": "send", "revision": dictation.revision}).status_code == 302
    dictation.refresh_from_db()
    assert dictation.status == DictationStatus.WITH_AUTHOR

    author = client_for(dictating_provider)
    drafts = author.get("/transcription/drafts/")
    assert b"With author" in drafts.content
    assert f"/charts/document/{document.pk}/".encode() in drafts.content
    document.refresh_from_db()
    signed = author.post(f"/charts/document/{document.pk}/sign/", {"revision": document.revision, "confirm": "on"})
    assert signed.status_code == 302
    document.refresh_from_db()
    dictation.refresh_from_db()
    assert document.status == DocumentStatus.FINAL
    assert document.current_version.text == "Chest pain for two days, worse on exertion."
    assert dictation.status == DictationStatus.SIGNED
    assert AuditEvent.objects.filter(object_type="dictation", object_id=str(dictation.pk), action="sign").exists()
    # Signed, it leaves the open queue; it stays in the transcriptionist's own productivity table.
    queue = client.get("/transcription/queue/").content.decode()
    assert "No dictation is waiting." in queue
    assert "My productivity" in queue and "<td>Signed</td>" in queue


def test_a_stale_revision_answers_409_and_changes_nothing(dictation, users, client_for):
    response = client_for(users["transcriptionist"]).post(f"/transcription/dictation/{dictation.pk}/",
                                                           {"action": "take", "revision": dictation.revision + 5})
    assert response.status_code == 409
    dictation.refresh_from_db()
    assert dictation.assigned_to is None


def test_the_him_manager_assigns_but_only_to_a_transcriptionist(dictation, users, client_for):
    client = client_for(users["him_manager"])
    url = f"/transcription/dictation/{dictation.pk}/"
    refused = client.post(url, {"action": "assign", "assignee": users["coder"].pk, "revision": dictation.revision})
    assert refused.status_code == 400
    assert b"Choose the transcriptionist" in refused.content
    assigned = client.post(url, {"action": "assign", "assignee": users["transcriptionist"].pk,
                                 "revision": dictation.revision})
    assert assigned.status_code == 302
    dictation.refresh_from_db()
    assert dictation.assigned_to == users["transcriptionist"]


def test_a_transcriptionist_cannot_assign_to_someone_else(dictation, users):
    other = factories.make_user("transcriptionist")
    with pytest.raises(PermissionRefused):
        do_assign_dictation(dictation, assignee=other, acting_user=users["transcriptionist"])
    with pytest.raises(ChartdeskError, match="cannot transcribe"):
        do_assign_dictation(dictation, assignee=users["coder"], acting_user=users["him_manager"])
    dictation.refresh_from_db()
    assert dictation.assigned_to is None


def test_a_draft_is_sent_to_the_author_only_once(dictation, users, client_for):
    client = client_for(users["transcriptionist"])
    url = f"/transcription/dictation/{dictation.pk}/"
    client.post(url, {"action": "send", "revision": dictation.revision})
    again = client.post(url, {"action": "send", "revision": dictation.revision + 1})
    assert again.status_code == 400
    assert b"only a draft ready for review is sent to the author" in again.content


def test_a_failed_recognition_leaves_the_dictation_uploaded_with_the_reason(speak, settings, patient, encounter,
                                                                            dictating_provider):
    from chartdesk.transcription import engines

    class Broken:
        name = "broken"

        def recognise(self, pcm_chunks: Any) -> engines.Recognition:
            raise RuntimeError("model files missing")

    uploaded = do_upload_dictation(patient, encounter=encounter, document_type=DocumentType.PROGRESS_NOTE,
                                   priority="routine", author=dictating_provider.provider,
                                   upload=SimpleUploadedFile("n.wav", speak().read_bytes()),
                                   acting_user=dictating_provider)
    with pytest.raises(ChartdeskError, match="Speech recognition failed: model files missing"):
        do_transcribe_dictation(uploaded, acting_user=dictating_provider, engine=Broken())
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.recognition_error, uploaded.document) == ("uploaded", "model files missing",
                                                                               None)


def test_a_restricted_patients_dictation_is_hidden_from_the_queue_and_not_found(dictation, users, client_for):
    do_set_restriction(dictation.patient, restriction="vip", note="board member", acting_user=users["him_manager"])
    client = client_for(users["transcriptionist"])
    assert b"Garcia" not in client.get("/transcription/queue/").content
    assert client.get(f"/transcription/dictation/{dictation.pk}/").status_code == 404
    assert client.get(f"/transcription/dictation/{dictation.pk}/audio/").status_code == 404
    assert client.post(f"/transcription/dictation/{dictation.pk}/", {"action": "take", "revision": 1}).status_code \
        == 404


def test_the_audio_is_served_to_the_queue_and_its_hearing_audited(dictation, users, client_for):
    response = client_for(users["transcriptionist"]).get(f"/transcription/dictation/{dictation.pk}/audio/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    assert AuditEvent.objects.filter(object_type="dictation_audio", object_id=str(dictation.pk)).exists()


@pytest.mark.parametrize("role", NOT_IN_QUEUE)
def test_roles_outside_transcription_cannot_open_the_queue_or_a_dictation(role, dictation, users, client_for):
    client = client_for(users[role])
    assert client.get("/transcription/queue/").status_code == 403
    assert client.get(f"/transcription/dictation/{dictation.pk}/").status_code == 403
    assert client.post(f"/transcription/dictation/{dictation.pk}/", {"action": "take"}).status_code == 403
    assert client.get(f"/transcription/dictation/{dictation.pk}/audio/").status_code == 403


@pytest.mark.parametrize("role", ["registrar", "coder", "billing", "roi", "him_manager", "privacy_officer",
                                  "administrator"])
def test_only_dictating_roles_have_an_authors_queue(role, users, client_for):
    assert client_for(users[role]).get("/transcription/drafts/").status_code == 403


def test_a_dictation_is_never_deleted_by_the_orm_or_raw_sql(dictation):
    from django.db import DatabaseError, connection, transaction

    from chartdesk.core.errors import RecordNeverDeleted

    with pytest.raises(RecordNeverDeleted):
        dictation.delete()
    with pytest.raises(DatabaseError, match="refused"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM transcription_dictation WHERE id = %s", [dictation.pk])
    assert Dictation.objects.filter(pk=dictation.pk).exists()
