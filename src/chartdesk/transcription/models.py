"""Dictations: the audio a provider records, its machine draft, and where it is in the workflow.

uploaded -> transcribing -> draft ready -> with author -> signed. The draft becomes a preliminary
document on the encounter (through charts' actions) as soon as recognition finishes; the
transcriptionist edits that document, sends it to the author, and the author signs it on the
document's own signing screen. A dictation is part of the legal record (the audio is what the
provider said): it is never deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartdesk.charts.models import Document, DocumentType, Encounter, Provider
from chartdesk.core.models import LegalRecordModel
from chartdesk.patients.models import Patient


class DictationType(models.TextChoices):
    """The dictated kinds of document, with charts' LOINC document-type codes as values."""

    HISTORY_AND_PHYSICAL = DocumentType.HISTORY_AND_PHYSICAL.value, "History and physical"
    CONSULT_NOTE = DocumentType.CONSULT_NOTE.value, "Consultation note"
    OPERATIVE_REPORT = DocumentType.OPERATIVE_REPORT.value, "Operative report"
    DISCHARGE_SUMMARY = DocumentType.DISCHARGE_SUMMARY.value, "Discharge summary"
    PROGRESS_NOTE = DocumentType.PROGRESS_NOTE.value, "Progress note"
    LETTER = DocumentType.CORRESPONDENCE.value, "Letter"


class DictationPriority(models.TextChoices):
    STAT = "stat", "STAT"
    ROUTINE = "routine", "Routine"


class DictationStatus(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    TRANSCRIBING = "transcribing", "Transcribing"
    DRAFT_READY = "draft_ready", "Draft ready"
    WITH_AUTHOR = "with_author", "With author"
    SIGNED = "signed", "Signed"


# Turnaround targets in hours from dictation, by priority and type. STAT work is due within hours
# whatever its type; routine H&Ps and operative reports within a day because care continues on them,
# discharge summaries within two days, letters within three.
STAT_TURNAROUND_HOURS = 2
ROUTINE_TURNAROUND_HOURS = {
    DictationType.HISTORY_AND_PHYSICAL: 24,
    DictationType.OPERATIVE_REPORT: 24,
    DictationType.CONSULT_NOTE: 24,
    DictationType.PROGRESS_NOTE: 24,
    DictationType.DISCHARGE_SUMMARY: 48,
    DictationType.LETTER: 72,
}


def turnaround_hours(document_type: str, priority: str) -> int:
    if priority == DictationPriority.STAT:
        return STAT_TURNAROUND_HOURS
    return ROUTINE_TURNAROUND_HOURS[DictationType(document_type)]


def due_time(dictated_at: datetime, document_type: str, priority: str) -> datetime:
    return dictated_at + timedelta(hours=turnaround_hours(document_type, priority))


class Dictation(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="dictations")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="dictations")
    document_type = models.CharField(max_length=10, choices=DictationType.choices)
    author = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="dictations")
    priority = models.CharField(max_length=8, choices=DictationPriority.choices, default=DictationPriority.ROUTINE)
    status = models.CharField(max_length=14, choices=DictationStatus.choices, default=DictationStatus.UPLOADED)
    dictated_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    audio = models.FileField(max_length=255)
    audio_name = models.CharField(max_length=200)
    audio_format = models.CharField(max_length=40)  # container and codec as ffprobe names them
    audio_size = models.PositiveBigIntegerField()
    audio_sha256 = models.CharField(max_length=64)
    duration_seconds = models.FloatField()
    engine = models.CharField(max_length=40, blank=True)
    recognition_error = models.CharField(max_length=300, blank=True)
    words = models.JSONField(default=list, blank=True)  # [{"word", "start", "end"}] of the machine draft
    document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="dictation"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_to_author_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"]), models.Index(fields=["author", "status"])]
        permissions = [
            ("dictate", "Upload dictation and review one's own drafts"),
            ("view_transcription_queue", "See the transcription queue"),
            ("transcribe", "Take dictations and edit their drafts"),
            ("assign_transcription", "Assign dictations to any transcriptionist"),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()} dictation {self.pk}"

    def is_overdue(self, now: datetime | None = None) -> bool:
        open_statuses = {DictationStatus.UPLOADED, DictationStatus.TRANSCRIBING, DictationStatus.DRAFT_READY,
                         DictationStatus.WITH_AUTHOR}
        return self.status in open_statuses and self.due_at < (now or timezone.now())


class PersonalAbbreviation(models.Model):
    """A transcriptionist's own expansion (typed short form -> text), added to the site's list in their
    editor. A working preference, not part of the legal record: replaced by adding the same form again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    abbreviation = models.CharField(max_length=20)
    expansion = models.CharField(max_length=200)

    class Meta:
        verbose_name = "personal abbreviation"
        verbose_name_plural = "personal abbreviations"
        ordering = ["abbreviation"]
        constraints = [models.UniqueConstraint(fields=["user", "abbreviation"], name="one_expansion_per_user")]

    def __str__(self) -> str:
        return f"{self.abbreviation} -> {self.expansion}"


class DocumentTemplate(models.Model):
    """A site-wide skeleton for one kind of dictated document: its headings, and blanks (`___`) where the
    dictation fills in. The editor offers the active ones of the dictation's type. Not patient data;
    retired by making it inactive (a template may have shaped documents already)."""

    document_type = models.CharField(max_length=10, choices=DictationType.choices)
    name = models.CharField(max_length=100)
    text = models.TextField()
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = "document template"
        verbose_name_plural = "document templates"
        ordering = ["document_type", "name"]
        constraints = [models.UniqueConstraint(fields=["document_type", "name"], name="one_template_name_per_type")]
        permissions = [("manage_transcription_templates", "Manage the transcription editor's document templates")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_document_type_display()})"


class PersonalWord(models.Model):
    """A word a user added to their own dictionary from the editor's spelling check (a working preference,
    not part of the legal record)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=60)

    class Meta:
        verbose_name = "personal dictionary word"
        verbose_name_plural = "personal dictionary words"
        ordering = ["word"]
        constraints = [models.UniqueConstraint(fields=["user", "word"], name="one_personal_word_per_user")]

    def __str__(self) -> str:
        return self.word


class QASample(models.Model):
    """The QA draw of one finished draft (sent to its author): every draw is kept with its seed, the
    percentage in force and the number drawn, so a reviewer can replay why a draft was (not) picked.
    A picked draft waits in the QA queue until a reviewer scores it; the score and feedback are the
    transcriptionist's to read."""

    dictation = models.OneToOneField(Dictation, on_delete=models.PROTECT, related_name="qa_sample")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    transcriptionist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(default=timezone.now)
    seed = models.CharField(max_length=32)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    draw = models.FloatField()  # random.Random(seed).random(): picked when below percent / 100
    selected = models.BooleanField()
    lines = models.FloatField()  # the delivered draft's line count, the score's denominator
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    errors = models.JSONField(default=dict, blank=True)  # {category: count}
    weighted_errors = models.FloatField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    feedback = models.TextField(blank=True)

    class Meta:
        verbose_name = "QA sample"
        verbose_name_plural = "QA samples"
        ordering = ["drawn_at", "id"]
        indexes = [models.Index(fields=["selected", "reviewed_at"]),
                   models.Index(fields=["transcriptionist", "selected"])]
        permissions = [("review_transcription_qa", "Score the QA sample of transcribed drafts")]

    def __str__(self) -> str:
        return f"QA sample of dictation {self.dictation_id}"
