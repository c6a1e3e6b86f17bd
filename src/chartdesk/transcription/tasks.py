"""Background jobs of transcription: the speech-recognition draft of a dictation."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from chartdesk.jobs.models import Job
from chartdesk.jobs.runner import Progress, job_task


@task(takes_context=True)
@job_task
def transcribe_dictation(job: Job, progress: Progress) -> dict[str, Any]:
    """Recognise the dictation as the user who queued it (their permissions are checked again)."""
    from chartdesk.transcription.actions import do_transcribe_dictation
    from chartdesk.transcription.models import Dictation, DictationStatus

    if job.attempts > 1:
        # An earlier attempt of this job claimed the recording and its worker died before filing a
        # draft; only this job could hold the claim (a second job is refused while one is pending).
        Dictation.objects.filter(pk=job.arguments["dictation_id"], status=DictationStatus.TRANSCRIBING,
                                 document__isnull=True).update(status=DictationStatus.UPLOADED)
    dictation = Dictation.objects.select_related("patient").get(pk=job.arguments["dictation_id"])
    drafted = do_transcribe_dictation(dictation, acting_user=job.started_by, progress=progress)
    return {"dictation_id": drafted.pk, "document_id": drafted.document_id,
            "summary": f"Draft ready: {len(drafted.words)} words"}
