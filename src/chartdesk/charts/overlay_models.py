"""Overlays (two people in one MRN): what each encounter said about the person, the HIM manager's
overlay cases, and the audited, reversible moves of encounters to the chart they belong to.

Imported by charts.models, so Django registers them in the charts app: they hang on encounters,
which the patients app below charts cannot see.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartdesk.core.models import LegalRecordModel
from chartdesk.patients.models import Patient


class DemographicsSource(models.TextChoices):
    HL7 = "hl7", "HL7 v2 ADT"
    FHIR = "fhir", "FHIR import"
    DESK = "desk", "Registration desk"
    CSV = "csv", "CSV import"


class StatedDemographics(LegalRecordModel):
    """The person as one encounter's source stated them (the PID of the A01/A04/A08, the FHIR
    Patient, the desk, the CSV row), kept as it came: the chart's own demographics change later,
    and only these tell afterwards that two encounters described two people. Never changed; the SSN
    only as its keyed digest and last four digits, as the chart keeps it."""

    encounter = models.ForeignKey("charts.Encounter", on_delete=models.PROTECT, related_name="stated_demographics")
    source = models.CharField(max_length=8, choices=DemographicsSource.choices)
    reference = models.CharField(max_length=200, blank=True, help_text="The message or file it came in")
    given_name = models.CharField(max_length=80, blank=True)
    family_name = models.CharField(max_length=80, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    ssn_digest = models.CharField("SSN digest", max_length=64, blank=True)
    ssn_last4 = models.CharField("SSN last four digits", max_length=4, blank=True)
    # [{"type": "MR", "issuer": "MERCY", "value": "A123"}]: the sender's identifiers of the person.
    identifiers = models.JSONField(default=list, blank=True)
    stated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "stated demographics"
        verbose_name_plural = "stated demographics"
        ordering = ["stated_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} demographics of encounter {self.encounter_id}"


class OverlayStatus(models.TextChoices):
    OPEN = "open", "To review"
    RESEARCH = "research", "Needs research"
    CONFIRMED = "confirmed", "Confirmed overlay"
    NOT_OVERLAY = "not_overlay", "Not an overlay"


class OverlayCase(models.Model):
    """A chart whose encounters' stated demographics conflict, on the HIM manager's overlay list.

    One row per chart: a new conflict reopens it. `conflicts` is the latest detection (per field:
    the encounters and values side by side); `dismissed_keys` are the conflicts a "not an overlay"
    decision covered, so the chart comes back only with a conflict not among them."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="overlay_case")
    status = models.CharField(max_length=12, choices=OverlayStatus.choices, default=OverlayStatus.OPEN)
    conflicts = models.JSONField(default=list)
    conflict_keys = models.JSONField(default=list)
    dismissed_keys = models.JSONField(default=list)
    strength = models.FloatField(default=0.0, help_text="The largest evidence against one person (bits)")
    first_found_at = models.DateTimeField(default=timezone.now)
    found_at = models.DateTimeField(default=timezone.now)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "overlay case"
        indexes = [models.Index(fields=["status", "found_at"])]

    def __str__(self) -> str:
        return f"overlay case of patient {self.patient_id} ({self.status})"

    @property
    def fields(self) -> list[str]:
        return sorted({conflict["label"] for conflict in self.conflicts})


class EncounterMove(models.Model):
    """Encounters (with every row that belongs to them) moved from one chart to another, because
    they belonged to someone else. `moved` lists the rows per link (`app.Model.field`: primary keys)
    so that the undo puts exactly those back."""

    from_patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    to_patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    overlay = models.ForeignKey(OverlayCase, null=True, blank=True, on_delete=models.PROTECT, related_name="moves")
    moved = models.JSONField(default=dict)
    new_registration = models.BooleanField(default=False)
    reason = models.TextField()
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(default=timezone.now)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = "encounter move"
        ordering = ["-moved_at", "-pk"]

    def __str__(self) -> str:
        return f"encounter move {self.pk}: patient {self.from_patient_id} to {self.to_patient_id}"

    @property
    def encounter_ids(self) -> list[int]:
        return list(self.moved.get("charts.Encounter.patient", []))
