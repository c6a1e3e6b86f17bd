"""Paper records: file rooms and their filing system, storage locations, chart volumes and their
movements, expected visits for pick lists, scanning batches, retention rules, legal holds and
destruction certificates.

Movements, scans, holds and certificates are the trail of the record and are never deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartdesk.charts.models import Document, DocumentType, Encounter, EncounterClass
from chartdesk.core.models import LegalRecordModel
from chartdesk.filing.order import FilingSystem
from chartdesk.patients.models import Patient

USER = settings.AUTH_USER_MODEL


class FileRoom(models.Model):
    """One facility's file room and the filing system its shelves follow."""

    facility = models.CharField(max_length=120)
    name = models.CharField(max_length=120)
    filing_system = models.CharField(max_length=20, choices=FilingSystem.choices,
                                     default=FilingSystem.TERMINAL_DIGIT)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility", "name"]
        constraints = [models.UniqueConstraint(fields=["facility", "name"], name="one_file_room_name_per_facility")]
        permissions = [("manage_file_rooms", "Set up file rooms, filing systems and storage locations")]

    def __str__(self) -> str:
        return f"{self.facility}: {self.name}"


class LocationKind(models.TextChoices):
    SHELF_RANGE = "shelf_range", "Shelf range"
    OFF_SITE_BOX = "off_site_box", "Off-site box"


class StorageLocation(models.Model):
    """A shelf range of the file room (terminal-digit sections from-to) or a numbered off-site box."""

    file_room = models.ForeignKey(FileRoom, on_delete=models.PROTECT, related_name="locations")
    kind = models.CharField(max_length=14, choices=LocationKind.choices)
    code = models.CharField(max_length=40, unique=True, help_text="As printed on the shelf or box: S-00-09, BOX-0417.")
    description = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["file_room", "code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_kind_display().lower()})"


class ChartStatus(models.TextChoices):
    IN_FILE = "in_file", "In file"
    CHECKED_OUT = "checked_out", "Checked out"
    MISSING = "missing", "Missing"
    DESTROYED = "destroyed", "Destroyed"


class PaperChart(LegalRecordModel):
    """One paper volume of a patient's chart, with its home location and barcode."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="paper_charts")
    volume = models.PositiveSmallIntegerField(default=1)
    file_room = models.ForeignKey(FileRoom, on_delete=models.PROTECT, related_name="charts")
    home_location = models.ForeignKey(StorageLocation, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="charts")
    barcode = models.CharField(max_length=24, unique=True)
    status = models.CharField(max_length=12, choices=ChartStatus.choices, default=ChartStatus.IN_FILE)
    current_checkout = models.ForeignKey("ChartMovement", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["patient", "volume"]
        constraints = [models.UniqueConstraint(fields=["patient", "volume"], name="one_number_per_volume")]
        permissions = [("track_charts", "Create paper volumes, check charts out and in, pull pick lists")]

    def __str__(self) -> str:
        return f"{self.barcode} (volume {self.volume})"


class MovementKind(models.TextChoices):
    CREATED = "created", "Volume created"
    CHECK_OUT = "check_out", "Checked out"
    CHECK_IN = "check_in", "Checked in"
    MISSING = "missing", "Reported missing"
    SEARCHED = "searched", "Searched for"
    FOUND = "found", "Found"
    DESTROYED = "destroyed", "Destroyed"


class ChartMovement(LegalRecordModel):
    """One event in a paper chart's life: every check-out, check-in, search and finding."""

    chart = models.ForeignKey(PaperChart, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=MovementKind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    borrower = models.CharField(max_length=120, blank=True, help_text="The person who has the chart.")
    department = models.CharField(max_length=120, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["chart", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.chart_id} at {self.at:%Y-%m-%d %H:%M}"


class VisitKind(models.TextChoices):
    APPOINTMENT = "appointment", "Appointment"
    ADMISSION = "admission", "Scheduled admission"


class ExpectedVisit(models.Model):
    """A visit or admission expected on a date (imported from the scheduling system or entered), for pick lists."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    expected_on = models.DateField(db_index=True)
    at_time = models.TimeField(null=True, blank=True)
    kind = models.CharField(max_length=12, choices=VisitKind.choices, default=VisitKind.APPOINTMENT)
    clinic = models.CharField(max_length=120, blank=True)
    # Who the patient sees (or the resource booked): the file room delivers the chart to them.
    provider = models.CharField(max_length=160, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["expected_on", "at_time"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.expected_on}"


# ----------------------------------------------------------------------------- scanning


class BatchStatus(models.TextChoices):
    SPLITTING = "splitting", "Being split into documents"
    INDEXING = "indexing", "Being indexed and checked"
    DONE = "done", "Every document filed or rejected"


class ScanBatch(LegalRecordModel):
    """One scanned batch (a multi-page PDF or TIFF) as it came off the scanner."""

    file = models.FileField(upload_to="scans/", max_length=255)
    file_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.SPLITTING)
    note = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Pages where a barcode was seen but failed to decode: kept as content pages, shown to the clerk.
    # Nullable so SQLite adds the column in place and keeps the table's refuse-delete trigger.
    unreadable_barcode_pages = models.JSONField(null=True, blank=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "scan batches"
        ordering = ["-uploaded_at"]
        permissions = [
            ("scan_documents", "Upload scanned batches, split and index them"),
            ("review_scans", "Approve or reject indexed scans (second person)"),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk}: {self.file_name} ({self.page_count} pages)"


class ScanStatus(models.TextChoices):
    UNINDEXED = "unindexed", "Not indexed"
    AWAITING_QA = "awaiting_qa", "Awaiting quality check"
    APPROVED = "approved", "Approved and filed"
    REJECTED = "rejected", "Rejected"
    REFILED = "refiled", "Misfiled; refiled"


class ScannedDocument(LegalRecordModel):
    """A run of pages of a batch that make one document, its index and its quality check."""

    batch = models.ForeignKey(ScanBatch, on_delete=models.PROTECT, related_name="documents")
    first_page = models.PositiveIntegerField()
    last_page = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=ScanStatus.choices, default=ScanStatus.UNINDEXED)
    patient = models.ForeignKey(Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    document_type = models.CharField(max_length=10, choices=DocumentType.choices, blank=True)
    title = models.CharField(max_length=200, blank=True)
    service_date = models.DateField(null=True, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    indexed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rejection_reason = models.CharField(max_length=300, blank=True)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    refiled_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["batch", "first_page"]

    def __str__(self) -> str:
        return f"pages {self.first_page}-{self.last_page} of batch {self.batch_id}"

    @property
    def page_count(self) -> int:
        return self.last_page - self.first_page + 1


# ----------------------------------------------------------------------------- retention


class RecordType(models.TextChoices):
    OUTPATIENT = EncounterClass.OUTPATIENT.value, "Outpatient records"
    EMERGENCY = EncounterClass.EMERGENCY.value, "Emergency records"
    INPATIENT = EncounterClass.INPATIENT.value, "Inpatient records"
    OBSERVATION = EncounterClass.OBSERVATION.value, "Observation records"


class RetentionRule(models.Model):
    """How long a jurisdiction keeps one type of record: N years after the last encounter for adults,
    and for minors until the age of majority plus M years (whichever is later)."""

    jurisdiction = models.CharField(max_length=40)
    record_type = models.CharField(max_length=12, choices=RecordType.choices)
    adult_years = models.PositiveSmallIntegerField()
    age_of_majority = models.PositiveSmallIntegerField(default=18)
    years_after_majority = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["jurisdiction", "record_type"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "record_type"], name="one_rule_per_type")]
        permissions = [("manage_retention", "Retention rules, legal holds and destruction of records")]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.get_record_type_display().lower()}"


class RetentionPolicy(models.Model):
    """Which jurisdiction's rules apply to this facility."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    jurisdiction = models.CharField(max_length=40, default="default")

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"retention under {self.jurisdiction}"


class LegalHold(LegalRecordModel):
    """A hold for a matter (lawsuit, investigation, audit) over one or more patients' records."""

    matter = models.CharField(max_length=200)
    reason = models.CharField(max_length=300, blank=True)
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    release_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return self.matter

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class LegalHoldPatient(LegalRecordModel):
    hold = models.ForeignKey(LegalHold, on_delete=models.PROTECT, related_name="held")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hold", "patient"], name="one_entry_per_held_patient")]

    def __str__(self) -> str:
        return f"{self.patient_id} under hold {self.hold_id}"


class DestructionMethod(models.TextChoices):
    SHREDDING = "shredding", "Cross-cut shredding"
    PULPING = "pulping", "Pulping"
    INCINERATION = "incineration", "Incineration"
    ELECTRONIC_PURGE = "electronic_purge", "Purge of electronic content"


class DestructionCertificate(LegalRecordModel):
    """What was destroyed, when, how, by whom, and who witnessed it."""

    number = models.CharField(max_length=20, unique=True)
    destroyed_on = models.DateField()
    method = models.CharField(max_length=20, choices=DestructionMethod.choices)
    witness = models.CharField(max_length=120)
    performed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"certificate {self.number}"


class DestroyedRecord(LegalRecordModel):
    """One patient's record on a certificate: what the index keeps after the content is gone."""

    certificate = models.ForeignKey(DestructionCertificate, on_delete=models.PROTECT, related_name="records")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    last_encounter_on = models.DateField()
    retain_until = models.DateField()
    paper_volumes = models.PositiveIntegerField(default=0)
    document_versions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["certificate", "patient"]

    def __str__(self) -> str:
        return f"record of patient {self.patient_id} on {self.certificate}"
