"""Diagnoses (conditions) and procedures as the clinical record states them, with their codes.

These are what clinicians and source systems recorded (SNOMED CT from an EHR or Synthea, ICD-10-CM
from a problem list), kept as received for the coders; the codes a coder assigns for billing live
with the coding work, not here. Organisations are the facilities and groups care comes from.
Conditions and procedures belong to the legal record: never deleted, corrected by status changes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartdesk.charts.models import Encounter, Provider
from chartdesk.core.models import LegalRecordModel
from chartdesk.patients.models import Patient


class CodeSystem(models.TextChoices):
    SNOMED_CT = "snomed", "SNOMED CT"
    ICD10_CM = "icd10cm", "ICD-10-CM"
    ICD10_PCS = "icd10pcs", "ICD-10-PCS"
    CPT = "cpt", "CPT"
    HCPCS = "hcpcs", "HCPCS Level II"
    LOINC = "loinc", "LOINC"
    OTHER = "other", "Other (system kept in code_system_uri)"


class ClinicalStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RECURRENCE = "recurrence", "Recurrence"
    RELAPSE = "relapse", "Relapse"
    INACTIVE = "inactive", "Inactive"
    REMISSION = "remission", "Remission"
    RESOLVED = "resolved", "Resolved"


class VerificationStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    PROVISIONAL = "provisional", "Provisional"
    DIFFERENTIAL = "differential", "Differential"
    CONFIRMED = "confirmed", "Confirmed"
    REFUTED = "refuted", "Refuted"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class ConditionCategory(models.TextChoices):
    ENCOUNTER_DIAGNOSIS = "encounter-diagnosis", "Encounter diagnosis"
    PROBLEM_LIST = "problem-list-item", "Problem list item"
    HEALTH_CONCERN = "health-concern", "Health concern"


class ProcedureStatus(models.TextChoices):
    PREPARATION = "preparation", "Preparation"
    IN_PROGRESS = "in-progress", "In progress"
    NOT_DONE = "not-done", "Not done"
    ON_HOLD = "on-hold", "On hold"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    UNKNOWN = "unknown", "Unknown"


class Organization(models.Model):
    """A facility, clinic or group that gives care (not patient data: no access function needed)."""

    name = models.CharField(max_length=200)
    npi = models.CharField("NPI", max_length=10, blank=True, db_index=True)
    kind = models.CharField(max_length=40, blank=True, help_text="provider, payer, department…")
    phone = models.CharField(max_length=20, blank=True)
    line1 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CodedEntry(LegalRecordModel):
    """What conditions and procedures share: whose, when recorded, by whom, coded how, from where."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    code_system = models.CharField(max_length=10, choices=CodeSystem.choices)
    code_system_uri = models.CharField(max_length=200, blank=True)  # only for CodeSystem.OTHER
    code = models.CharField(max_length=40, db_index=True)
    display = models.CharField(max_length=300)
    recorder = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=200, blank=True, help_text="Where it came from: desk, a file, a feed")
    recorded_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    revision = models.PositiveIntegerField(default=1)  # optimistic concurrency and the FHIR versionId

    class Meta:
        abstract = True


class Condition(CodedEntry):
    category = models.CharField(max_length=20, choices=ConditionCategory.choices,
                                default=ConditionCategory.ENCOUNTER_DIAGNOSIS)
    clinical_status = models.CharField(max_length=12, choices=ClinicalStatus.choices, default=ClinicalStatus.ACTIVE)
    verification_status = models.CharField(max_length=20, choices=VerificationStatus.choices,
                                           default=VerificationStatus.CONFIRMED)
    onset_at = models.DateTimeField(null=True, blank=True)
    abatement_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "recorded_at"])]
        permissions = [("record_clinical", "Record diagnoses and procedures from the clinical record")]

    def __str__(self) -> str:
        return f"{self.display} ({self.get_code_system_display()} {self.code})"


class Procedure(CodedEntry):
    status = models.CharField(max_length=20, choices=ProcedureStatus.choices, default=ProcedureStatus.COMPLETED)
    performed_start = models.DateTimeField(null=True, blank=True)
    performed_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-performed_start", "-id"]
        indexes = [models.Index(fields=["patient", "performed_start"])]

    def __str__(self) -> str:
        return f"{self.display} ({self.get_code_system_display()} {self.code})"
