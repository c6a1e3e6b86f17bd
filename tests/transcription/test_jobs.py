"""Dictation drafts as background jobs: progress while the engine listens, a failed engine tried again,
a refusal (the chart was restricted meanwhile) not retried, and "Recognise again" queueing one job."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chartdesk.charts.models import DocumentType
from chartdesk.core.errors import ChartdeskError
from chartdesk.jobs.models import Job
from chartdesk.patients.actions import do_set_restriction
from chartdesk.transcription import engines
from chartdesk.transcription.actions import do_queue_recognition, do_transcribe_dictation, do_upload_dictation
from chartdesk.transcription.models import Dictation, DictationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploaded(speak, scripted_engine, settings, patient, encounter, dictating_provider) -> Dictation:
    """A dictation too long to recognise while the uploader waits: its upload queued a job."""
    settings.DICTATION_SYNC_SECONDS = 0.5
    recording = SimpleUploadedFile("note.wav", speak().read_bytes())
    return do_upload_dictation(patient, encounter=encounter, document_type=DocumentType.PROGRESS_NOTE,
                               priority="routine", author=dictating_provider.provider, upload=recording,
                               acting_user=dictating_provider)


class FailsOnce:
    """An engine whose first run fails (a model file not yet readable) and whose next run works."""

    name = "fails-once"
    runs = 0

    def recognise(self, pcm_chunks: Any) -> engines.Recognition:
        type(self).runs += 1
        if type(self).runs == 1:
            raise RuntimeError("acoustic model not readable")
        list(pcm_chunks)
        return engines.Recognition("Better now.", [], self.name)


def test_progress_is_reported_as_the_engine_hears_the_recording(uploaded, dictating_provider):
    reports: list[tuple[float, str]] = []
    do_transcribe_dictation(uploaded, acting_user=dictating_provider,
                            progress=lambda percent, message: reports.append((percent, message)))
    percents = [percent for percent, _ in reports]
    assert percents == sorted(percents) and 0 < percents[0] and percents[-1] <= 95
    seconds = round(uploaded.duration_seconds)
    assert reports[-1][1] == f"{seconds} of {seconds} seconds recognised"


def test_a_failed_engine_is_tried_again_and_the_draft_follows(uploaded, settings, run_jobs):
    engines.register_engine("fails-once", FailsOnce)
    settings.SPEECH_ENGINE = "fails-once"
    FailsOnce.runs = 0
    assert run_jobs() == 1
    job = Job.objects.get()
    uploaded.refresh_from_db()
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.failure_reason == "Speech recognition failed: acoustic model not readable"
    assert (uploaded.status, uploaded.recognition_error) == ("uploaded", "acoustic model not readable")
    assert run_jobs() == 1
    job.refresh_from_db()
    uploaded.refresh_from_db()
    assert (job.status, job.attempts, job.result["document_id"]) == ("succeeded", 2, uploaded.document_id)
    assert uploaded.status == DictationStatus.DRAFT_READY


def test_a_chart_restricted_before_the_job_runs_fails_it_without_retrying(uploaded, users, run_jobs):
    do_set_restriction(uploaded.patient, restriction="vip", note="board member", acting_user=users["him_manager"])
    assert run_jobs() == 1
    assert run_jobs() == 0
    job = Job.objects.get()
    assert (job.status, job.attempts, job.failure_reason) == ("failed", 1, "No such patient.")
    uploaded.refresh_from_db()
    assert uploaded.status == DictationStatus.UPLOADED and uploaded.document is None


def test_recognise_again_queues_one_job_and_refuses_a_second(uploaded, users, client_for):
    client = client_for(users["transcriptionist"])
    queued_twice = client.post(f"/transcription/dictation/{uploaded.pk}/",
                               {"action": "recognise", "revision": uploaded.revision})
    assert queued_twice.status_code == 400
    assert "already queued or running" in queued_twice.content.decode()
    Job.objects.update(status="failed")
    response = client.post(f"/transcription/dictation/{uploaded.pk}/",
                           {"action": "recognise", "revision": uploaded.revision})
    assert response.status_code == 302
    newest = Job.objects.order_by("-pk").first()
    assert (Job.objects.count(), newest.status, newest.started_by) == (2, "queued", users["transcriptionist"])
    with pytest.raises(ChartdeskError, match="already queued"):
        do_queue_recognition(uploaded, acting_user=users["transcriptionist"])


def test_a_job_whose_worker_died_mid_recognition_is_retried_and_drafts(uploaded, users, settings, run_jobs,
                                                                       client_for):
    from datetime import timedelta

    from django.utils import timezone

    job = Job.objects.get()
    # What a worker killed during recognition leaves: the job running, the recording claimed.
    silent_since = timezone.now() - timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    Job.objects.filter(pk=job.pk).update(status="running", attempts=1, updated_at=silent_since,
                                         task_result_id="00000000-0000-0000-0000-000000000003")
    Dictation.objects.filter(pk=uploaded.pk).update(status=DictationStatus.TRANSCRIBING)
    assert client_for(users["him_manager"]).post(f"/jobs/{job.pk}/retry/").status_code == 302
    assert run_jobs() == 1
    job.refresh_from_db()
    uploaded.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert uploaded.status == DictationStatus.DRAFT_READY and uploaded.document is not None
