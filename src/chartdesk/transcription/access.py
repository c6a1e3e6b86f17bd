"""Every read of dictations: the transcription queue, the author's review queue, one dictation, its audio.

The queue (transcription.view_transcription_queue) lists every open dictation; a provider
(transcription.dictate) sees their own in the author's queue and reviews the draft document itself. A restricted chart's
dictations are left out of lists for users who may not open it, and opening one answers NotFound,
like a missing one. Every read is audited.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import provider_of
from chartdesk.core.errors import NotFound
from chartdesk.patients.access import record_list_view, restriction_allows, rows_open_to
from chartdesk.transcription.actions import DICTATE, REVIEW_QA, TRANSCRIBE, VIEW_QUEUE
from chartdesk.transcription.models import Dictation, DictationStatus, QASample

OPEN_STATUSES = (DictationStatus.UPLOADED, DictationStatus.TRANSCRIBING, DictationStatus.DRAFT_READY,
                 DictationStatus.WITH_AUTHOR)


def dictations_with_links() -> QuerySet[Dictation]:
    return Dictation.objects.select_related("patient", "encounter", "author", "assigned_to", "document")


def access_transcription_queue(user: Any, *, mine_only: bool = False) -> list[Dictation]:
    """The open dictations, soonest due first (STAT work comes due first by its turnaround target)."""
    if not user.is_authenticated or not user.has_perm(VIEW_QUEUE):
        raise NotFound("queue")
    dictations = dictations_with_links().filter(status__in=OPEN_STATUSES)
    if mine_only:
        dictations = dictations.filter(assigned_to=user)
    queue = rows_open_to(user, list(dictations.order_by("due_at", "id")))
    record_list_view(user, "transcription_queue", queue)
    return queue


def access_author_queue(user: Any) -> list[Dictation]:
    """The signed-in provider's drafts waiting for their review and signature, and their dictations still
    being transcribed (so a provider sees what is on its way)."""
    if not user.is_authenticated or not user.has_perm(DICTATE):
        raise NotFound("queue")
    provider = provider_of(user)
    if provider is None:
        return []
    waiting = dictations_with_links().filter(author=provider, status__in=OPEN_STATUSES)
    queue = rows_open_to(user, list(waiting.order_by("due_at", "id")))
    record_list_view(user, "dictation_author_queue", queue)
    return queue


def access_dictation_by_id(user: Any, dictation_id: Any, *, audit_as: str = "dictation") -> Dictation:
    """One dictation, if the user works the queue (authors review the draft document itself) and may
    open the chart; audited."""
    try:
        key = int(dictation_id)
    except (TypeError, ValueError):
        raise NotFound("dictation") from None
    if not user.is_authenticated or not user.has_perm(VIEW_QUEUE):
        raise NotFound("dictation")
    dictation = dictations_with_links().filter(pk=key).first()
    if dictation is None or not restriction_allows(user, dictation.patient):
        raise NotFound("dictation")
    record_event(AuditAction.VIEW, user=user, patient=dictation.patient, object_type=audit_as,
                 object_id=dictation.pk)
    return dictation


def access_dictation_audio(user: Any, dictation_id: Any) -> Dictation:
    """The dictation whose recording the user is about to hear; the listening is audited on its own."""
    return access_dictation_by_id(user, dictation_id, audit_as="dictation_audio")


def _qa_samples() -> QuerySet[QASample]:
    return QASample.objects.select_related("patient", "dictation", "dictation__author", "transcriptionist",
                                           "reviewer")


def access_qa_queue(user: Any) -> list[QASample]:
    """The drafts drawn for QA and not yet scored, oldest draw first (transcription.review_transcription_qa)."""
    if not user.is_authenticated or not user.has_perm(REVIEW_QA):
        raise NotFound("queue")
    queue = rows_open_to(user, list(_qa_samples().filter(selected=True, reviewed_at=None)))
    record_list_view(user, "qa_queue", queue)
    return queue


def access_own_qa(user: Any) -> list[QASample]:
    """The signed-in transcriptionist's scored QA samples, newest first, with the reviewers' feedback."""
    if not user.is_authenticated or not user.has_perm(TRANSCRIBE):
        raise NotFound("queue")
    scored = _qa_samples().filter(transcriptionist=user, selected=True).exclude(reviewed_at=None)
    samples = rows_open_to(user, list(scored.order_by("-reviewed_at", "-id")))
    record_list_view(user, "own_qa_feedback", samples)
    return samples


def access_qa_sample(user: Any, dictation_id: Any) -> QASample:
    """A drafted picked for QA, by its dictation: for a reviewer, or for its own transcriptionist once
    scored (their feedback). Anything else, and a chart the user may not open, is not found; audited."""
    try:
        key = int(dictation_id)
    except (TypeError, ValueError):
        raise NotFound("QA sample") from None
    if not user.is_authenticated:
        raise NotFound("QA sample")
    sample = _qa_samples().filter(dictation_id=key, selected=True).first()
    if sample is None:
        raise NotFound("QA sample")
    reviewer = user.has_perm(REVIEW_QA)
    own = (user.has_perm(TRANSCRIBE) and sample.transcriptionist_id == user.pk and sample.reviewed_at is not None)
    if not (reviewer or own) or not restriction_allows(user, sample.patient):
        raise NotFound("QA sample")
    record_event(AuditAction.VIEW, user=user, patient=sample.patient, object_type="qa_sample", object_id=sample.pk)
    return sample
