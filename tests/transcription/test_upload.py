"""Uploading a dictation on the desk: the recording is checked by its content, stored by its SHA-256,
recognised into a preliminary document on the encounter, and due by its turnaround target."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from chartdesk.audit.models import AuditEvent
from chartdesk.charts.models import Document, DocumentStatus, DocumentType
from chartdesk.transcription.models import Dictation, DictationStatus
from tests.support import factories

H_AND_P = DocumentType.HISTORY_AND_PHYSICAL.value
OTHER_ROLES = ["registrar", "coder", "billing", "roi", "him_manager", "privacy_officer", "administrator"]


def post_recording(client: Any, patient: Any, encounter: Any, author: Any, path: Path, *, name: str | None = None,
                   priority: str = "routine", document_type: str = H_AND_P) -> Any:
    recording = SimpleUploadedFile(name or path.name, path.read_bytes())
    return client.post(f"/transcription/patient/{patient.pk}/dictate/", {
        "audio": recording, "document_type": document_type, "priority": priority,
        "encounter": encounter.pk, "author": author.pk,
    })


def stored_files() -> list[str]:
    _, folders = default_storage.listdir("")
    return folders


def test_a_provider_uploads_a_wav_and_pocketsphinx_drafts_a_preliminary_document(
        speak, patient, encounter, dictating_provider, client_for):
    recording = speak()
    response = post_recording(client_for(dictating_provider), patient, encounter, dictating_provider.provider,
                              recording)
    assert response.status_code == 302
    assert response["Location"] == "/transcription/drafts/"
    dictation = Dictation.objects.get()
    assert dictation.status == DictationStatus.DRAFT_READY
    assert dictation.engine == "pocketsphinx"
    assert dictation.audio_sha256 == hashlib.sha256(recording.read_bytes()).hexdigest()
    assert dictation.audio.name == f"dictation/sha256/{dictation.audio_sha256[:2]}/{dictation.audio_sha256[2:4]}/" \
                                   f"{dictation.audio_sha256}.wav"
    assert 2.5 < dictation.duration_seconds < 5
    assert dictation.due_at - dictation.dictated_at == timedelta(hours=24)
    document = dictation.document
    assert document.status == DocumentStatus.PRELIMINARY
    assert (document.encounter, document.author, document.document_type) == (encounter, dictating_provider.provider,
                                                                              H_AND_P)
    assert document.current_version.text.strip() != ""
    assert dictation.words, "the draft keeps its word timings"
    for word in dictation.words:
        assert 0 <= word["start"] < word["end"] <= dictation.duration_seconds + 0.1
    assert " ".join(w["word"] for w in dictation.words) == document.current_version.text
    created = AuditEvent.objects.get(object_type="dictation", action="create")
    assert created.detail["sha256"] == dictation.audio_sha256


@pytest.mark.parametrize(("extension", "found"), [("mp3", "MP3 (mp3)"), ("m4a", "M4A (aac)"), ("ogg", "OGG (opus)"),
                                                  ("opus", "OGG (opus)"), ("webm", "WebM (opus)")])
def test_mp3_m4a_ogg_and_webm_recordings_are_accepted(extension, found, speak, scripted_engine, patient, encounter,
                                                     dictating_provider, users, client_for):
    response = post_recording(client_for(users["transcriptionist"]), patient, encounter,
                              dictating_provider.provider, speak(extension=extension))
    dictation = Dictation.objects.get()
    assert response["Location"] == f"/transcription/dictation/{dictation.pk}/"
    assert dictation.audio_format == found
    assert dictation.status == DictationStatus.DRAFT_READY
    assert dictation.document.current_version.text == "Chest pain for two days."


def test_a_streamed_webm_that_states_no_duration_is_measured_by_decoding(speak, scripted_engine, patient, encounter,
                                                                         dictating_provider, users, client_for,
                                                                         tmp_path):
    # Written to a pipe, as a browser's MediaRecorder writes it: the WebM header holds no duration.
    streamed = subprocess.run(["ffmpeg", "-v", "error", "-i", str(speak()), "-c:a", "libopus", "-f", "webm", "pipe:1"],
                              check=True, capture_output=True).stdout
    recording = tmp_path / "recorded.webm"
    recording.write_bytes(streamed)
    probed = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json",
                             str(recording)], check=True, capture_output=True).stdout
    assert "duration" not in json.loads(probed)["format"]
    response = post_recording(client_for(users["transcriptionist"]), patient, encounter, dictating_provider.provider,
                              recording)
    assert response.status_code == 302
    dictation = Dictation.objects.get()
    wav_seconds = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                        str(speak())], check=True, capture_output=True).stdout)
    assert abs(dictation.duration_seconds - wav_seconds) < 0.1
    assert dictation.status == DictationStatus.DRAFT_READY


def test_a_stat_dictation_is_due_in_two_hours(speak, scripted_engine, patient, encounter, dictating_provider,
                                               client_for):
    post_recording(client_for(dictating_provider), patient, encounter, dictating_provider.provider, speak(),
                   priority="stat", document_type=DocumentType.DISCHARGE_SUMMARY.value)
    dictation = Dictation.objects.get()
    assert dictation.due_at - dictation.dictated_at == timedelta(hours=2)


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"Dictation notes typed instead", "notes.wav", b"is not a recording ffmpeg can read"),
    (b"", "empty.wav", b"The submitted file is empty."),
    (b"%PDF-1.4 not audio", "scan.pdf",
     b"not a WAV, MP3, M4A/AAC, OGG/Opus or WebM/Opus recording (its name ends in .pdf)"),
])
def test_a_file_that_is_not_an_accepted_recording_is_refused_and_nothing_is_stored(
        content, name, message, tmp_path, speak, patient, encounter, dictating_provider, client_for):
    path = tmp_path / name
    path.write_bytes(content)
    response = post_recording(client_for(dictating_provider), patient, encounter, dictating_provider.provider, path)
    assert response.status_code == 400
    assert message in response.content
    assert not Dictation.objects.exists()
    assert "dictation" not in stored_files()


def test_a_recording_named_as_another_format_is_refused(speak, patient, encounter, dictating_provider, client_for):
    response = post_recording(client_for(dictating_provider), patient, encounter, dictating_provider.provider,
                              speak(extension="mp3"), name="dictation.wav")
    assert response.status_code == 400
    assert b"named as .wav but holds MP3 (mp3)" in response.content
    assert not Dictation.objects.exists()


def test_a_recording_over_the_size_limit_is_refused(speak, settings, patient, encounter, dictating_provider,
                                                    client_for):
    settings.MAX_DICTATION_BYTES = 10_000
    response = post_recording(client_for(dictating_provider), patient, encounter, dictating_provider.provider,
                              speak())
    assert response.status_code == 400
    assert b"is over 10 KB, the largest dictation accepted" in response.content
    assert not Dictation.objects.exists()


def test_another_patients_encounter_is_refused(speak, patient, encounter, dictating_provider, users, client_for):
    other = factories.make_patient("Ola", "Other")
    response = post_recording(client_for(dictating_provider), other, encounter, dictating_provider.provider, speak())
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content  # the form offers only this patient's encounters
    assert not Dictation.objects.exists()


def test_a_long_dictation_is_drafted_by_a_background_job_with_progress(speak, scripted_engine, settings, patient,
                                                                       encounter, dictating_provider, client_for,
                                                                       run_jobs):
    from chartdesk.jobs.models import Job

    settings.DICTATION_SYNC_SECONDS = 1
    client = client_for(dictating_provider)
    response = post_recording(client, patient, encounter, dictating_provider.provider, speak())
    dictation = Dictation.objects.get()
    assert dictation.status == DictationStatus.UPLOADED and dictation.document is None
    job = Job.objects.get()
    assert (job.title, job.status, job.about_type, job.about_id, job.started_by) == (
        f"Draft of dictation {dictation.pk}", "queued", "dictation", str(dictation.pk), dictating_provider)
    assert "jobs page" in client.get(response["Location"]).content.decode()
    assert run_jobs() == 1
    dictation.refresh_from_db()
    assert dictation.status == DictationStatus.DRAFT_READY
    assert Document.objects.get(pk=dictation.document_id).created_by == dictating_provider
    job.refresh_from_db()
    assert (job.status, job.percent, job.attempts, job.message) == ("succeeded", 100, 1, "Draft ready: 5 words")


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_roles_that_do_not_dictate_cannot_open_the_upload_page(role, patient, users, client_for):
    client = client_for(users[role])
    assert client.get(f"/transcription/patient/{patient.pk}/dictate/").status_code == 403
    assert client.post(f"/transcription/patient/{patient.pk}/dictate/").status_code == 403
    assert not Dictation.objects.exists()


@pytest.mark.parametrize("role", ["provider", "transcriptionist"])
def test_dictating_roles_see_the_upload_form(role, patient, users, client_for):
    response = client_for(users[role]).get(f"/transcription/patient/{patient.pk}/dictate/")
    assert response.status_code == 200
    assert b"Upload a dictation" in response.content


def test_only_the_upload_page_may_use_the_microphone(patient, users, client_for):
    client = client_for(users["transcriptionist"])
    upload = client.get(f"/transcription/patient/{patient.pk}/dictate/")
    assert upload["Permissions-Policy"] == "camera=(), microphone=(self), geolocation=()"
    assert "/static/transcription/recorder.js" in upload.content.decode()
    assert client.get("/transcription/queue/")["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
