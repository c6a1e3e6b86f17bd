"""Chart completion: deficiency rules as data, the deficiencies analysis finds, and delinquency.

A rule says what a complete record needs (a document type within a window of admission or
discharge, signatures, co-signatures, an operative report when there was surgery). Analysis turns
rules into deficiencies, each assigned to one provider. Deficiencies and the per-encounter
completion record are never deleted: a deficiency ends as completed (analysis found it satisfied),
resolved or not applicable (HIM, with a reason).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from chartdesk.charts.models import Document, DocumentType, DocumentVersion, Encounter, EncounterClass, Provider
from chartdesk.core import clock
from chartdesk.core.models import LegalRecordModel
from chartdesk.patients.models import Patient


class CompletionPolicy(models.Model):
    """The medical staff rules of the one facility: when reminders go out and when a chart is delinquent."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    reminder_days = models.CharField(
        max_length=60, default="3,7,14",
        help_text="Days after a deficiency opens on which the provider is reminded, comma-separated.",
    )
    delinquent_after_days = models.PositiveIntegerField(
        default=30, help_text="Days after discharge after which an incomplete record is delinquent."
    )

    class Meta:
        verbose_name_plural = "completion policies"

    def __str__(self) -> str:
        return f"reminders on days {self.reminder_days}; delinquent after {self.delinquent_after_days} days"

    def reminder_schedule(self) -> list[int]:
        return sorted({int(part) for part in self.reminder_days.split(",") if part.strip().isdecimal()})

    @classmethod
    def current(cls) -> CompletionPolicy:
        policy, _ = cls.objects.get_or_create(id=1)
        return policy


class RuleKind(models.TextChoices):
    REQUIRED_DOCUMENT = "required_document", "Document required within a window"
    SIGNATURE = "signature", "Signature required"
    COSIGNATURE = "cosignature", "Co-signature required"
    OPERATIVE_REPORT = "operative_report", "Operative report when surgery is recorded"


class Anchor(models.TextChoices):
    ADMISSION = "admission", "Admission"
    DISCHARGE = "discharge", "Discharge"


class DeficiencyRule(models.Model):
    """One requirement of a complete record, kept as data so HIM can tune it without a release."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    encounter_class = models.CharField(
        max_length=12, choices=EncounterClass.choices, blank=True, help_text="Blank: every encounter class."
    )
    document_type = models.CharField(
        max_length=10, choices=DocumentType.choices, blank=True,
        help_text="The required type (required document); the types checked (signature rules; blank: all).",
    )
    anchor = models.CharField(max_length=10, choices=Anchor.choices, default=Anchor.DISCHARGE)
    hours_before = models.PositiveIntegerField(default=0, help_text="How long before the anchor a document counts.")
    hours_after = models.PositiveIntegerField(default=0, help_text="How long after the anchor the document is due.")
    cosign_credentials = models.CharField(
        max_length=80, blank=True,
        help_text="Co-signature rules: the author credentials that need an attending's co-signature (e.g. NP,PA).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        permissions = [("manage_rules", "Change the deficiency rules")]

    def __str__(self) -> str:
        return self.name

    def credentials_needing_cosign(self) -> set[str]:
        return {part.strip().upper().rstrip(".") for part in self.cosign_credentials.split(",") if part.strip()}


class ChartStatus(models.TextChoices):
    INCOMPLETE = "incomplete", "Incomplete"
    DELINQUENT = "delinquent", "Delinquent"
    COMPLETE = "complete", "Complete"


class ChartCompletion(LegalRecordModel):
    """The completion state of one finished encounter's record, with the dates of its transitions."""

    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="completion")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    discharge_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=12, choices=ChartStatus.choices, default=ChartStatus.INCOMPLETE)
    analysed_at = models.DateTimeField(default=clock.now)
    delinquent_since = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "discharge_at"])]

    def __str__(self) -> str:
        return f"record of encounter {self.encounter_id}: {self.status}"


class DeficiencyStatus(models.TextChoices):
    OPEN = "open", "Open"
    DICTATION_NEEDED = "dictation_needed", "Dictation needed"
    DISPUTED = "disputed", "Disputed"
    COMPLETED = "completed", "Completed"
    RESOLVED = "resolved", "Resolved by HIM"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


# A deficiency in one of these still keeps the record incomplete.
OUTSTANDING = (DeficiencyStatus.OPEN, DeficiencyStatus.DICTATION_NEEDED, DeficiencyStatus.DISPUTED)
# HIM closed it by hand: analysis must not reopen the same finding.
CLOSED_BY_HIM = (DeficiencyStatus.RESOLVED, DeficiencyStatus.NOT_APPLICABLE)


class Deficiency(LegalRecordModel):
    """Something the record of an encounter lacks, assigned to the provider who must supply it."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="deficiencies")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(DeficiencyRule, on_delete=models.PROTECT, related_name="deficiencies")
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="deficiencies")
    description = models.CharField(max_length=300)
    status = models.CharField(max_length=20, choices=DeficiencyStatus.choices, default=DeficiencyStatus.OPEN)
    opened_at = models.DateTimeField(default=clock.now)
    due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    note = models.TextField(blank=True, help_text="The provider's dispute or HIM's reason.")
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name_plural = "deficiencies"
        ordering = ["opened_at", "id"]
        indexes = [
            models.Index(fields=["provider", "status"]),
            models.Index(fields=["encounter", "status"]),
        ]
        permissions = [
            ("complete_charts", "Work one's own charts-to-complete queue"),
            ("manage_deficiencies", "Review every deficiency; resolve or mark them not applicable"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_outstanding(self) -> bool:
        return self.status in OUTSTANDING

    def age_days(self, now: datetime.datetime | None = None) -> int:
        """Whole days the record has owed this: since the discharge (HIM ages a chart's deficiencies
        from discharge, and analysis may find one long after it, e.g. on a chart loaded or analysed
        late), or since the deficiency was opened where the encounter has no discharge."""
        now = now or clock.now()
        start = self.encounter.discharge_at or self.opened_at
        return max((now - min(start, self.opened_at)).days, 0)


class CoSignature(LegalRecordModel):
    """An attending's co-signature of a version another clinician signed (a resident, NP or PA)."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=clock.now)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attestation = models.TextField()

    class Meta:
        verbose_name = "co-signature"
        constraints = [models.UniqueConstraint(fields=["version", "provider"], name="one_cosignature_per_version")]

    def __str__(self) -> str:
        return f"co-signature of document {self.document_id} version {self.version_id}"


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", "Reminder of charts to complete"
    DELINQUENCY = "delinquency", "Delinquency notice"


class CompletionNotice(LegalRecordModel):
    """One digest sent to one person in one run: by email when their account has an address, and
    always in-app (the queue and the home page show it with the date sent). `body` is exactly what
    the email carried, kept as evidence of what left the system."""

    kind = models.CharField(max_length=12, choices=NoticeKind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=clock.now, db_index=True)
    emailed_to = models.CharField(max_length=254, blank=True, help_text="Blank: in-app only (no address).")
    email_problem = models.CharField(max_length=300, blank=True, help_text="Why the email could not be sent.")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    records = models.PositiveIntegerField()
    deficiencies = models.PositiveIntegerField()

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["recipient", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} on {self.sent_at:%Y-%m-%d}"


class DeficiencyReminder(LegalRecordModel):
    """A reminder sent to a provider about a deficiency on one day of the reminder schedule."""

    deficiency = models.ForeignKey(Deficiency, on_delete=models.PROTECT, related_name="reminders")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    age_days = models.PositiveIntegerField()
    sent_at = models.DateTimeField(default=clock.now)
    # The digest that carried it (null for reminders counted before digests were sent).
    notice = models.ForeignKey(CompletionNotice, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="reminders")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deficiency", "age_days"], name="one_reminder_per_step")]

    def __str__(self) -> str:
        return f"reminder on day {self.age_days} for deficiency {self.deficiency_id}"


class DelinquencyAlert(LegalRecordModel):
    """HIM was told that this record became delinquent (once per record, whoever was HIM then)."""

    completion = models.OneToOneField(ChartCompletion, on_delete=models.PROTECT, related_name="delinquency_alert")
    sent_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"delinquency of encounter {self.completion_id} notified {self.sent_at:%Y-%m-%d}"
