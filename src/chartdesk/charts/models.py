"""The legal health record: encounters, documents and every version of them.

Nothing here is deleted (see core.models.LegalRecordModel and the triggers in the migrations). A
signed version is frozen; a correction is a new version with its reason, an addendum is appended,
and "entered in error" retracts a document with a reason while keeping it readable.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from chartdesk.core import clock
from chartdesk.core.errors import ImmutableRecord
from chartdesk.core.models import LegalRecordModel
from chartdesk.patients.models import Patient


class Provider(models.Model):
    """A physician, NP or other clinician who can author, sign and be attending."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="provider"
    )
    given_name = models.CharField(max_length=80)
    family_name = models.CharField(max_length=80)
    credentials = models.CharField(max_length=20, blank=True, help_text="MD, DO, NP, PA…")
    npi = models.CharField("NPI", max_length=10, blank=True, db_index=True)
    specialty = models.CharField(max_length=80, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}" + (f", {self.credentials}" if self.credentials else "")


class AccountNumberSequence(models.Model):
    """The one counter encounter account numbers come from; encounters are never deleted, so none is reused."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_serial = models.BigIntegerField(default=10_000_000)

    def __str__(self) -> str:
        return f"account serial {self.last_serial}"


class EncounterClass(models.TextChoices):
    OUTPATIENT = "outpatient", "Outpatient"
    EMERGENCY = "emergency", "Emergency"
    INPATIENT = "inpatient", "Inpatient"
    OBSERVATION = "observation", "Observation"


class EncounterStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    FINISHED = "finished", "Finished"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class DischargeDisposition(models.TextChoices):
    """UB-04 patient discharge status codes (NUBC), the ones an HIM department sees most."""

    HOME = "01", "01 Home or self-care"
    SHORT_TERM_HOSPITAL = "02", "02 Short-term general hospital"
    SNF = "03", "03 Skilled nursing facility"
    ICF = "04", "04 Intermediate care facility"
    OTHER_INSTITUTION = "05", "05 Cancer or children's hospital"
    HOME_HEALTH = "06", "06 Home under home health care"
    AMA = "07", "07 Left against medical advice"
    EXPIRED = "20", "20 Expired"
    HOSPICE_HOME = "50", "50 Hospice, home"
    HOSPICE_FACILITY = "51", "51 Hospice, medical facility"
    REHAB = "62", "62 Inpatient rehabilitation facility"
    LONG_TERM_CARE = "63", "63 Long-term care hospital"
    PSYCH = "65", "65 Psychiatric hospital or unit"


class Encounter(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    account_number = models.CharField(max_length=20, unique=True)
    encounter_class = models.CharField(max_length=12, choices=EncounterClass.choices)
    status = models.CharField(max_length=20, choices=EncounterStatus.choices, default=EncounterStatus.IN_PROGRESS)
    admit_at = models.DateTimeField()
    discharge_at = models.DateTimeField(null=True, blank=True)
    discharge_disposition = models.CharField(max_length=2, choices=DischargeDisposition.choices, blank=True)
    service = models.CharField(max_length=80, blank=True, help_text="Medicine, surgery, cardiology…")
    location = models.CharField(max_length=80, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-admit_at"]
        indexes = [models.Index(fields=["patient", "admit_at"])]
        permissions = [("open_encounter", "Open or register an encounter")]

    def __str__(self) -> str:
        return f"{self.get_encounter_class_display()} {self.account_number}"

    @property
    def attending(self) -> Provider | None:
        link = next((p for p in self.care_team.all() if p.role == CareRole.ATTENDING), None)
        return link.provider if link else None


class ReportedDiagnosis(LegalRecordModel):
    """A diagnosis as a registration feed reported it (HL7 DG1): kept as sent, not coded. Coding is
    the coders' work on the documentation; this is what the sender said, for them to see."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="reported_diagnoses")
    code = models.CharField(max_length=20, blank=True)
    coding_system = models.CharField(max_length=20, blank=True)  # DG1-3.3 (I10, I9C, SCT...) or DG1-2
    description = models.CharField(max_length=200, blank=True)
    # DG1-6 as sent: A admitting, W working, F final (HL7 table 0052); its name when the code is known.
    diagnosis_type = models.CharField(max_length=40, blank=True)
    diagnosed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=200)
    recorded_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "reported diagnosis"
        verbose_name_plural = "reported diagnoses"
        ordering = ["encounter", "id"]

    def __str__(self) -> str:
        return f"{self.code or self.description} ({self.diagnosis_type or 'reported'})"


class CareRole(models.TextChoices):
    ATTENDING = "attending", "Attending"
    ADMITTING = "admitting", "Admitting"
    CONSULTING = "consulting", "Consulting"
    SURGEON = "surgeon", "Surgeon"
    REFERRING = "referring", "Referring"


class EncounterProvider(LegalRecordModel):
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="care_team")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="encounter_roles")
    role = models.CharField(max_length=12, choices=CareRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encounter", "provider", "role"], name="one_role_per_provider")
        ]

    def __str__(self) -> str:
        return f"{self.provider} ({self.role})"


class DocumentType(models.TextChoices):
    """LOINC document-type codes."""

    HISTORY_AND_PHYSICAL = "34117-2", "History and physical"
    PROGRESS_NOTE = "11506-3", "Progress note"
    CONSULT_NOTE = "11488-4", "Consultation note"
    OPERATIVE_REPORT = "11504-8", "Operative report"
    DISCHARGE_SUMMARY = "18842-5", "Discharge summary"
    LAB_REPORT = "11502-2", "Laboratory report"
    IMAGING_REPORT = "18748-4", "Diagnostic imaging report"
    CONSENT = "59284-0", "Consent"
    CORRESPONDENCE = "51852-2", "Correspondence (letter)"
    SCANNED_PAPER = "34109-9", "Scanned paper document"


class DocumentStatus(models.TextChoices):
    PRELIMINARY = "preliminary", "Preliminary (unsigned)"
    FINAL = "final", "Final (signed)"
    AMENDED = "amended", "Amended"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Document(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    document_type = models.CharField(max_length=10, choices=DocumentType.choices)
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    service_date = models.DateField()
    status = models.CharField(max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.PRELIMINARY)
    late_entry = models.BooleanField(default=False)
    current_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revision = models.PositiveIntegerField(default=1)  # bumps on every change: the ETag of the document
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    retracted_at = models.DateTimeField(null=True, blank=True)
    retracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retraction_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-service_date", "-id"]
        indexes = [models.Index(fields=["patient", "service_date"])]
        permissions = [
            ("view_documents", "Read documents in a chart"),
            ("upload_document", "Upload a file into a chart"),
            ("write_note", "Write or edit a draft note"),
            ("sign_document", "Electronically sign documents"),
            ("correct_document", "Correct a document (new version with a reason)"),
            ("add_addendum", "Add an addendum to a signed document"),
            ("retract_document", "Mark a document entered in error"),
            ("view_retracted", "Read documents marked entered in error"),
            ("destroy_content", "Remove the content of records destroyed under a retention certificate"),
        ]

    def __str__(self) -> str:
        return f"{self.get_document_type_display()}: {self.title}"

    @property
    def is_retracted(self) -> bool:
        return self.status == DocumentStatus.ENTERED_IN_ERROR


class DocumentVersion(LegalRecordModel):
    """One version of a document's content. Frozen once signed; unsigned drafts are versioned too."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    file = models.FileField(upload_to="documents/%Y/%m/", null=True, blank=True, max_length=255)
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=60, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    change_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attestation = models.TextField(blank=True)
    # Set only by do_destroy_document_content: the text and file are gone, the index entry (type,
    # dates, signature, SHA-256 of what was there) stays, and the certificate says why.
    content_destroyed_at = models.DateTimeField(null=True, blank=True)
    # Nullable so that SQLite adds the column in place (a rebuilt table would lose its triggers).
    destruction_reference = models.CharField(max_length=40, null=True, blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="one_number_per_version")]

    def __str__(self) -> str:
        return f"version {self.number} of document {self.document_id}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            stored = DocumentVersion.objects.filter(pk=self.pk).values("signed_at").first()
            if stored and stored["signed_at"] is not None:
                raise ImmutableRecord("A signed version cannot change: make a correction or an addendum.")
        super().save(*args, **kwargs)


class Addendum(LegalRecordModel):
    """Text added to a signed document without changing it; signed on its own."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="addenda")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    late_entry = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attestation = models.TextField(blank=True)
    content_destroyed_at = models.DateTimeField(null=True, blank=True)
    # Nullable so that SQLite adds the column in place (a rebuilt table would lose its triggers).
    destruction_reference = models.CharField(max_length=40, null=True, blank=True)

    class Meta:
        verbose_name_plural = "addenda"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"addendum to document {self.document_id}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            stored = Addendum.objects.filter(pk=self.pk).values("signed_at").first()
            if stored and stored["signed_at"] is not None:
                raise ImmutableRecord("A signed addendum cannot change.")
        super().save(*args, **kwargs)


# Registered with the charts app from here (Django finds an app's models through its models module).
from chartdesk.charts.overlay_models import (  # noqa: E402,F401
    DemographicsSource,
    EncounterMove,
    OverlayCase,
    OverlayStatus,
    StatedDemographics,
)
