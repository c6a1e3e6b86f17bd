"""Every change to a dictation goes through one of these actions, each audited in its transaction.

Upload checks and stores the audio (audio.py) and computes the due time from the turnaround targets;
recognition claims the dictation (uploaded -> transcribing, a conditional UPDATE so two workers never
recognise one recording twice), runs the engine outside any transaction, and files the draft as a
preliminary document on the encounter through charts' own action. A recording too long to recognise
while the uploader waits is recognised by a background job (tasks.py), queued with the upload.
Editing the draft is charts' do_edit_draft; signing is charts' do_sign_document, whose signature
hooks.py turns into "signed" here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chartdesk.audit.actions import record_event
from chartdesk.audit.models import AuditAction
from chartdesk.charts.actions import do_create_note
from chartdesk.charts.models import DocumentStatus, Encounter, EncounterStatus, Provider
from chartdesk.core.errors import ChartdeskError, ConcurrentChange
from chartdesk.core.locking import lock_row
from chartdesk.core.permissions import require_permission
from chartdesk.jobs.actions import do_start_job
from chartdesk.jobs.models import Job, JobStatus
from chartdesk.patients.access import refuse_change_to_closed_chart
from chartdesk.patients.models import Patient
from chartdesk.transcription import audio, quality
from chartdesk.transcription.editor import do_not_use_flags, line_count
from chartdesk.transcription.engines import SpeechEngine, get_engine
from chartdesk.transcription.models import (
    Dictation,
    DictationPriority,
    DictationStatus,
    DictationType,
    DocumentTemplate,
    PersonalWord,
    QASample,
    due_time,
)

DICTATE = "transcription.dictate"
VIEW_QUEUE = "transcription.view_transcription_queue"
TRANSCRIBE = "transcription.transcribe"
ASSIGN = "transcription.assign_transcription"
MANAGE_TEMPLATES = "transcription.manage_transcription_templates"
REVIEW_QA = "transcription.review_transcription_qa"

PATIENT_MERGED = "This chart was merged into MRN {mrn}; dictate to the surviving chart instead."
ENCOUNTER_REQUIRED = "Choose the encounter the dictation belongs to."
ENCOUNTER_OTHER_PATIENT = "The encounter {number} belongs to another patient."
ENCOUNTER_RETRACTED = "The encounter {number} was entered in error; dictate to the right encounter."
TYPE_UNKNOWN = "Choose the document type: H&P, consult, operative report, discharge summary, progress note or letter."
PRIORITY_UNKNOWN = "Choose the priority: STAT or routine."
AUTHOR_INVALID = "Choose an active provider as the author."
NOT_UPLOADED = "This dictation is {status}; only an uploaded dictation is sent to speech recognition."
ASSIGNEE_NOT_TRANSCRIPTIONIST = "{user} cannot transcribe: choose a transcriptionist."
ALREADY_DONE = "This dictation is {status}; it can no longer be assigned."
NOT_DRAFT_READY = "This dictation is {status}; only a draft ready for review is sent to the author."
DRAFT_RETRACTED = "The draft document was marked entered in error; it cannot go to the author."
ALREADY_QUEUED = "Speech recognition of this dictation is already queued or running (see the jobs page)."
STALE = "This dictation was changed by someone else since you opened it; reload it and try again."
# The engine heard nothing it could spell: the draft says so, for the transcriptionist to type from the audio.
QA_PERCENT_INVALID = ("The QA percentage CHARTDESK_TRANSCRIPTION_QA_PERCENT is \"{value}\"; set a number from 0 "
                      "to 100.")
NO_SPEECH_TEXT = "[No speech was recognised in this dictation: transcribe it from the audio.]"


def _require_chart(user: Any, patient: Patient) -> None:
    """A restricted chart the user may not open refuses dictation as it refuses reads: as not found."""
    refuse_change_to_closed_chart(user, patient, during="dictation", merged=PATIENT_MERGED)


def _audit(action: str, user: Any, dictation: Dictation, **detail: Any) -> None:
    record_event(action, user=user, patient=dictation.patient, object_type="dictation", object_id=dictation.pk,
                 detail=detail)


def _checked_fields(patient: Patient, encounter: Any, document_type: str, priority: str, author: Any) -> None:
    if not isinstance(encounter, Encounter):
        raise ChartdeskError(ENCOUNTER_REQUIRED, field="encounter")
    if encounter.patient_id != patient.pk:
        raise ChartdeskError(ENCOUNTER_OTHER_PATIENT.format(number=encounter.account_number), field="encounter")
    if encounter.status == EncounterStatus.ENTERED_IN_ERROR:
        raise ChartdeskError(ENCOUNTER_RETRACTED.format(number=encounter.account_number), field="encounter")
    if document_type not in DictationType.values:
        raise ChartdeskError(TYPE_UNKNOWN, field="document_type")
    if priority not in DictationPriority.values:
        raise ChartdeskError(PRIORITY_UNKNOWN, field="priority")
    if not isinstance(author, Provider) or not author.active:
        raise ChartdeskError(AUTHOR_INVALID, field="author")


def do_upload_dictation(
    patient: Patient,
    *,
    encounter: Encounter,
    document_type: str,
    priority: str,
    author: Provider,
    upload: Any,
    acting_user: Any,
    name: str | None = None,
) -> Dictation:
    """Store a dictated recording for an encounter; it waits in the queue as "uploaded", due by its
    turnaround target. The audio is checked by content and stored with its SHA-256; nothing is
    written when any check fails."""
    require_permission(acting_user, DICTATE, "upload dictation")
    _require_chart(acting_user, patient)
    _checked_fields(patient, encounter, document_type, priority, author)
    checked = audio.check_audio(upload, name=name)
    try:
        with transaction.atomic():
            stored_name = audio.store_audio(checked)
            now = timezone.now()
            dictation = Dictation.objects.create(
                patient=patient, encounter=encounter, document_type=document_type, author=author, priority=priority,
                dictated_at=now, due_at=due_time(now, document_type, priority), audio=stored_name,
                audio_name=checked.name, audio_format=f"{checked.format_label} ({checked.codec})",
                audio_size=checked.size, audio_sha256=checked.sha256, duration_seconds=checked.duration_seconds,
                created_by=acting_user,
            )
            _audit(AuditAction.CREATE, acting_user, dictation, encounter_id=encounter.pk,
                   document_type=document_type, priority=priority, author_id=author.pk, file_name=checked.name,
                   size=checked.size, sha256=checked.sha256, seconds=round(checked.duration_seconds, 2))
            if not recognise_while_waiting(dictation):
                do_queue_recognition(dictation, acting_user=acting_user)
    finally:
        checked.spool.close()
    return dictation


def recognise_while_waiting(dictation: Dictation) -> bool:
    """Whether the uploader may wait for recognition: only short recordings (the setting
    DICTATION_SYNC_SECONDS); longer ones are recognised by a background job queued with the upload."""
    return dictation.duration_seconds <= settings.DICTATION_SYNC_SECONDS


def _claim(dictation: Dictation) -> bool:
    # Conditional UPDATE: of two workers reaching the same uploaded dictation, exactly one moves it on.
    claimed = Dictation.objects.filter(pk=dictation.pk, status=DictationStatus.UPLOADED).update(
        status=DictationStatus.TRANSCRIBING, revision=dictation.revision + 1, recognition_error="")
    return claimed == 1


class RecognitionFailed(ChartdeskError):
    """The engine failed; the dictation is back in "uploaded", so another attempt may succeed."""

    retryable = True  # a background job tries again (chartdesk.jobs.runner)


def recognition_pending(dictation: Dictation) -> bool:
    return Job.objects.filter(about_type="dictation", about_id=str(dictation.pk),
                              status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).exists()


def do_queue_recognition(dictation: Dictation, *, acting_user: Any) -> Job:
    """Send an uploaded dictation to speech recognition as a background job run as `acting_user`; its
    progress and any failure show on the jobs page and the draft lands as do_transcribe_dictation files it."""
    from chartdesk.transcription.tasks import transcribe_dictation

    require_permission(acting_user, DICTATE, "send dictation to speech recognition")
    _require_chart(acting_user, dictation.patient)
    with transaction.atomic():
        # Row lock: two clicks of "recognise again" must not queue two jobs for one recording.
        locked = Dictation.objects.select_for_update().get(pk=dictation.pk)
        if locked.status != DictationStatus.UPLOADED:
            raise ChartdeskError(NOT_UPLOADED.format(status=locked.get_status_display().lower()))
        if recognition_pending(locked):
            raise ChartdeskError(ALREADY_QUEUED)
        return do_start_job(transcribe_dictation, title=f"Draft of dictation {locked.pk}", acting_user=acting_user,
                            about_type="dictation", about_id=locked.pk, patient=dictation.patient,
                            arguments={"dictation_id": locked.pk})


def _reporting(chunks: Iterator[bytes], seconds: float, progress: Callable[[float, str], None]) -> Iterator[bytes]:
    """Pass the decoded audio to the engine, reporting how much of the recording it has heard."""
    expected = max(1.0, seconds * audio.SAMPLE_RATE * 2)  # 16-bit mono samples
    heard = 0
    reported = -10.0
    for chunk in chunks:
        heard += len(chunk)
        percent = min(95.0, 95.0 * heard / expected)
        if percent - reported >= 5:
            progress(percent, f"{heard / (audio.SAMPLE_RATE * 2):.0f} of {seconds:.0f} seconds recognised")
            reported = percent
        yield chunk


def do_transcribe_dictation(dictation: Dictation, *, acting_user: Any, engine: SpeechEngine | None = None,
                            progress: Callable[[float, str], None] | None = None) -> Dictation:
    """Run speech recognition on an uploaded dictation and file the draft as a preliminary document on
    its encounter (charts' do_create_note, authored by the dictating provider). When the engine fails,
    the dictation goes back to "uploaded" with the reason, and nothing else changes. `progress`, when
    given, hears how much of the recording has been recognised."""
    require_permission(acting_user, DICTATE, "send dictation to speech recognition")
    _require_chart(acting_user, dictation.patient)
    if not _claim(dictation):
        dictation.refresh_from_db()
        raise ChartdeskError(NOT_UPLOADED.format(status=dictation.get_status_display().lower()))
    engine = engine or get_engine()
    chunks = audio.decode_stored(dictation.audio.name, dictation.audio_sha256)
    try:
        recognition = engine.recognise(_reporting(chunks, dictation.duration_seconds, progress) if progress else chunks)
    except Exception as problem:  # any engine failure leaves the recording queued, with the reason shown
        with transaction.atomic():
            reason = (str(problem) or type(problem).__name__)[:300]
            Dictation.objects.filter(pk=dictation.pk).update(status=DictationStatus.UPLOADED, recognition_error=reason)
            _audit(AuditAction.UPDATE, acting_user, dictation, step="recognition", engine=engine.name, error=reason)
        dictation.refresh_from_db()
        raise RecognitionFailed(f"Speech recognition failed: {reason}") from problem
    with transaction.atomic():
        locked = Dictation.objects.select_for_update().select_related("patient", "encounter", "author").get(
            pk=dictation.pk)
        document = do_create_note(
            locked.patient, document_type=locked.document_type,
            title=f"{locked.get_document_type_display()} (dictated)",
            text=recognition.text or NO_SPEECH_TEXT,
            service_date=timezone.localtime(locked.dictated_at).date(), acting_user=acting_user,
            encounter=locked.encounter, author=locked.author,
        )
        locked.document = document
        locked.words = [word.as_json() for word in recognition.words]
        locked.engine = recognition.engine
        locked.status = DictationStatus.DRAFT_READY
        locked.revision += 1
        locked.save(update_fields=["document", "words", "engine", "status", "revision"])
        _audit(AuditAction.UPDATE, acting_user, locked, step="recognition", engine=recognition.engine,
               document_id=document.pk, words=len(recognition.words))
    return locked


def _locked(dictation: Dictation, expected_revision: int | None) -> Dictation:
    # Row lock: assignment and sending to the author read the status and write it in one step. Only
    # the dictation row is locked (PostgreSQL cannot lock the nullable side of the document join).
    locked = lock_row(dictation, "patient", "document", only_self=True)
    if expected_revision is not None and locked.revision != expected_revision:
        raise ConcurrentChange(STALE)
    return locked


def do_assign_dictation(dictation: Dictation, *, assignee: Any, acting_user: Any,
                        expected_revision: int | None = None) -> Dictation:
    """Give a dictation to a transcriptionist: anyone may take one for themselves with
    transcription.transcribe; assigning it to someone else needs transcription.assign_transcription."""
    if assignee == acting_user:
        require_permission(acting_user, TRANSCRIBE, "take dictations")
    else:
        require_permission(acting_user, ASSIGN, "assign dictations to others")
    _require_chart(acting_user, dictation.patient)
    if assignee is None or not assignee.is_active or not assignee.has_perm(TRANSCRIBE):
        raise ChartdeskError(ASSIGNEE_NOT_TRANSCRIPTIONIST.format(user=assignee or "Nobody"), field="assignee")
    with transaction.atomic():
        locked = _locked(dictation, expected_revision)
        if locked.status in {DictationStatus.WITH_AUTHOR, DictationStatus.SIGNED}:
            raise ChartdeskError(ALREADY_DONE.format(status=locked.get_status_display().lower()))
        previous = locked.assigned_to_id
        locked.assigned_to = assignee
        locked.revision += 1
        locked.save(update_fields=["assigned_to", "revision"])
        _audit(AuditAction.UPDATE, acting_user, locked, step="assignment", assigned_to=assignee.pk,
               previously=previous)
    return locked


def do_send_to_author(dictation: Dictation, *, acting_user: Any, expected_revision: int | None = None) -> Dictation:
    """The transcriptionist has finished editing: the draft goes to its author's review queue."""
    require_permission(acting_user, TRANSCRIBE, "send drafts to their author")
    _require_chart(acting_user, dictation.patient)
    with transaction.atomic():
        locked = _locked(dictation, expected_revision)
        if locked.status != DictationStatus.DRAFT_READY:
            raise ChartdeskError(NOT_DRAFT_READY.format(status=locked.get_status_display().lower()))
        if locked.document is None or locked.document.status == DocumentStatus.ENTERED_IN_ERROR:
            raise ChartdeskError(DRAFT_RETRACTED)
        locked.status = DictationStatus.WITH_AUTHOR
        locked.sent_to_author_at = timezone.now()
        locked.revision += 1
        locked.save(update_fields=["status", "sent_to_author_at", "revision"])
        _audit(AuditAction.UPDATE, acting_user, locked, step="sent to author", document_id=locked.document_id)
        _draw_for_qa(locked, locked.assigned_to or acting_user, acting_user)
    return locked


def _draw_for_qa(dictation: Dictation, transcriptionist: Any, acting_user: Any) -> None:
    """Draw the finished draft for QA review (quality.py), keeping the seed and number drawn either way."""
    if QASample.objects.filter(dictation=dictation).exists():
        return
    percent = qa_percent()
    seed = secrets.token_hex(16)
    number, picked = quality.draw(seed, percent)
    current = dictation.document.current_version if dictation.document else None
    sample = QASample.objects.create(
        dictation=dictation, patient=dictation.patient, transcriptionist=transcriptionist, seed=seed,
        percent=percent, draw=number, selected=picked, lines=line_count(current.text if current else ""),
    )
    _audit(AuditAction.CREATE, acting_user, dictation, step="qa draw", sample_id=sample.pk, seed=seed,
           percent=str(percent), draw=number, selected=picked)


def qa_percent() -> Decimal:
    """The site's QA percentage (settings.TRANSCRIPTION_QA_PERCENT); a setting out of 0-100 stops the
    send with the problem named rather than sampling at a rate nobody chose."""
    try:
        percent = Decimal(str(settings.TRANSCRIPTION_QA_PERCENT))
    except InvalidOperation:
        percent = Decimal(-1)
    if not Decimal(0) <= percent <= Decimal(100):
        raise ChartdeskError(QA_PERCENT_INVALID.format(value=settings.TRANSCRIPTION_QA_PERCENT))
    return percent.quantize(Decimal("0.01"))


def do_mark_dictation_signed(dictation: Dictation, *, acting_user: Any) -> Dictation:
    """The author signed the draft document (charts' signing screen): the dictation is done. Called by
    hooks.py in the signature's own transaction, so the two never disagree."""
    with transaction.atomic():
        locked = Dictation.objects.select_for_update().select_related("patient").get(pk=dictation.pk)
        if locked.status == DictationStatus.SIGNED:
            return locked
        locked.status = DictationStatus.SIGNED
        locked.signed_at = timezone.now()
        locked.revision += 1
        locked.save(update_fields=["status", "signed_at", "revision"])
        _audit(AuditAction.SIGN, acting_user, locked, step="signed", document_id=locked.document_id)
    return locked


ABBREVIATION_DO_NOT_USE = "\"{expansion}\" holds a do-not-use abbreviation ({rule}); write it out instead."
ABBREVIATION_SHAPE = "An abbreviation is one word of letters, digits, \"/\" or \".\" (\"{abbreviation}\" is not)."


def personal_abbreviations(user: Any) -> dict[str, str]:
    """The user's own expansions (their working preference, not patient data)."""
    from chartdesk.transcription.models import PersonalAbbreviation

    if not getattr(user, "is_authenticated", False):
        return {}
    return dict(PersonalAbbreviation.objects.filter(user=user).values_list("abbreviation", "expansion"))


def do_set_personal_abbreviation(user: Any, *, abbreviation: str, expansion: str) -> None:
    """Add or replace one of the transcriptionist's own expansions. An expansion never writes a
    do-not-use abbreviation into a document."""
    import re

    from chartdesk.transcription.editor import do_not_use_flags
    from chartdesk.transcription.models import PersonalAbbreviation

    require_permission(user, TRANSCRIBE, "keep abbreviations")
    abbreviation, expansion = abbreviation.strip().lower(), expansion.strip()
    if not re.fullmatch(r"[a-z0-9/.]{1,20}", abbreviation):
        raise ChartdeskError(ABBREVIATION_SHAPE.format(abbreviation=abbreviation), field="abbreviation")
    flags = do_not_use_flags(expansion)
    if flags:
        raise ChartdeskError(ABBREVIATION_DO_NOT_USE.format(expansion=expansion, rule=flags[0].rule),
                             field="expansion")
    with transaction.atomic():
        PersonalAbbreviation.objects.update_or_create(user=user, abbreviation=abbreviation,
                                                      defaults={"expansion": expansion})
        record_event(AuditAction.UPDATE, user=user, object_type="personal_abbreviation",
                     detail={"abbreviation": abbreviation, "expansion": expansion})


TEMPLATE_TYPE_UNKNOWN = "Choose the document type the template is for."
TEMPLATE_NAME_REQUIRED = "Give the template a name."
TEMPLATE_TEXT_REQUIRED = "A template needs its text: the headings and blanks (___) of the document."
TEMPLATE_NAME_TAKEN = "A {type} template is already named \"{name}\"; choose another name or edit that one."
TEMPLATE_DO_NOT_USE = "The template holds a do-not-use abbreviation ({rule}, line {line}); write it out instead."
TEMPLATE_STALE = "This template was changed by someone else since you opened it; reload it and try again."


def do_save_template(template: DocumentTemplate | None, *, document_type: str, name: str, text: str, active: bool,
                     acting_user: Any, expected_updated_at: Any = None) -> DocumentTemplate:
    """Create a site-wide document template (`template` None) or change one. A template never writes a
    do-not-use abbreviation into a document."""
    require_permission(acting_user, MANAGE_TEMPLATES, "manage document templates")
    name, text = name.strip(), text.replace("\r\n", "\n").strip("\n")
    if document_type not in DictationType.values:
        raise ChartdeskError(TEMPLATE_TYPE_UNKNOWN, field="document_type")
    if not name:
        raise ChartdeskError(TEMPLATE_NAME_REQUIRED, field="name")
    if not text.strip():
        raise ChartdeskError(TEMPLATE_TEXT_REQUIRED, field="text")
    flags = do_not_use_flags(text)
    if flags:
        raise ChartdeskError(TEMPLATE_DO_NOT_USE.format(rule=flags[0].rule, line=flags[0].line), field="text")
    with transaction.atomic():
        if template is None:
            template = DocumentTemplate()
        else:
            template = DocumentTemplate.objects.select_for_update().get(pk=template.pk)
            if expected_updated_at is not None and template.updated_at != expected_updated_at:
                raise ConcurrentChange(TEMPLATE_STALE)
        clash = DocumentTemplate.objects.filter(document_type=document_type, name__iexact=name).exclude(pk=template.pk)
        if clash.exists():
            raise ChartdeskError(TEMPLATE_NAME_TAKEN.format(type=DictationType(document_type).label, name=name),
                                 field="name")
        created = template.pk is None
        template.document_type, template.name, template.text, template.active = document_type, name, text, active
        template.updated_at, template.updated_by = timezone.now(), acting_user
        template.save()
        record_event(AuditAction.CREATE if created else AuditAction.UPDATE, user=acting_user,
                     object_type="document_template", object_id=template.pk,
                     detail={"document_type": document_type, "name": name, "active": active,
                             "lines": text.count("\n") + 1})
    return template


PERSONAL_WORD_SHAPE = ("Only a single word of letters (and inner apostrophes) goes in the dictionary "
                       "(\"{word}\" is not).")


def personal_words(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(PersonalWord.objects.filter(user=user).values_list("word", flat=True))


def do_add_personal_word(user: Any, *, word: str) -> str:
    """Add a word to the user's own dictionary: the spelling check passes it from then on."""
    import re

    require_permission(user, TRANSCRIBE, "keep a personal dictionary")
    word = word.strip().lower()
    if not re.fullmatch(r"[a-z]+(?:'[a-z]+)*", word) or len(word) > 60:
        raise ChartdeskError(PERSONAL_WORD_SHAPE.format(word=word), field="word")
    with transaction.atomic():
        _, created = PersonalWord.objects.get_or_create(user=user, word=word)
        if created:
            record_event(AuditAction.CREATE, user=user, object_type="personal_word", detail={"word": word})
    return word


QA_NOT_PICKED = "This draft was not drawn for QA review."
QA_ALREADY_SCORED = "This QA sample was already scored by {reviewer}."
QA_OWN_WORK = "A reviewer does not score their own transcription."
QA_COUNT_INVALID = "Error counts are whole numbers from 0 to 999 ({category}: \"{value}\")."
QA_CATEGORY_UNKNOWN = "Unknown error category \"{category}\"."


def do_review_qa_sample(sample: QASample, *, errors: dict[str, Any], feedback: str, acting_user: Any) -> QASample:
    """Score a drawn draft: error counts by category, the accuracy computed from them and the delivered
    draft's lines (quality.py), and feedback for the transcriptionist. Scored once."""
    require_permission(acting_user, REVIEW_QA, "score QA samples")
    _require_chart(acting_user, sample.patient)
    counts: dict[str, int] = {}
    for category, value in errors.items():
        if category not in quality.WEIGHTS:
            raise ChartdeskError(QA_CATEGORY_UNKNOWN.format(category=category))
        try:
            count = int(str(value).strip() or "0")
        except ValueError:
            count = -1
        if not 0 <= count <= 999:
            raise ChartdeskError(QA_COUNT_INVALID.format(category=category, value=value), field=category)
        if count:
            counts[category] = count
    with transaction.atomic():
        locked = QASample.objects.select_for_update().get(pk=sample.pk)
        if not locked.selected:
            raise ChartdeskError(QA_NOT_PICKED)
        if locked.reviewed_at is not None:
            raise ConcurrentChange(QA_ALREADY_SCORED.format(reviewer=locked.reviewer))
        if locked.transcriptionist_id == acting_user.pk:
            raise ChartdeskError(QA_OWN_WORK)
        locked.errors = counts
        locked.weighted_errors = quality.weighted_errors(counts)
        locked.score = quality.accuracy(counts, locked.lines)
        locked.feedback = feedback.strip()
        locked.reviewer, locked.reviewed_at = acting_user, timezone.now()
        locked.save(update_fields=["errors", "weighted_errors", "score", "feedback", "reviewer", "reviewed_at"])
        record_event(AuditAction.UPDATE, user=acting_user, patient=locked.patient, object_type="qa_sample",
                     object_id=locked.pk, detail={"dictation_id": locked.dictation_id, "errors": counts,
                                                  "score": locked.score})
    return locked
