"""The coding workflow: one case per finished encounter, its codes, physician queries and review.

A `CodingCase` is created the first time someone works on a finished encounter (a coder starts
coding, a manager assigns it); until then the queue finds the encounter by its finished status, so
the charts app never needs to know that coding exists. The coded diagnoses and procedures are the
coder's working list until the case is completed; billing reads them through
`chartdesk.coding.workflow.coded.coded_encounter`. Queries, review changes and decisions on
suggestions are kept for good (never deleted): they are the evidence behind productivity, accuracy
and suggestion precision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from chartdesk.charts.models import Document, Encounter, Provider
from chartdesk.core import clock
from chartdesk.core.models import LegalRecordModel


class CaseStatus(models.TextChoices):
    READY = "ready", "Ready to code"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold for query"
    CODED = "coded", "Coded, ready for billing"
    IN_REVIEW = "in_review", "In second-level review"


class AdmissionType(models.TextChoices):
    """UB-04 type of admission (NUBC form locator 14)."""

    EMERGENCY = "1", "1 Emergency"
    URGENT = "2", "2 Urgent"
    ELECTIVE = "3", "3 Elective"
    NEWBORN = "4", "4 Newborn"
    TRAUMA = "5", "5 Trauma"
    UNKNOWN = "9", "9 Information not available"


class AdmissionSource(models.TextChoices):
    """UB-04 point of origin for admission (NUBC form locator 15); 5 and 6 mean other things for newborns."""

    NON_HEALTH_CARE = "1", "1 Non-health-care point of origin (home)"
    CLINIC = "2", "2 Clinic or physician's office"
    HOSPITAL = "4", "4 Transfer from a hospital"
    NURSING = "5", "5 Transfer from a SNF, ICF or assisted living (newborn: born inside this hospital)"
    OTHER_FACILITY = "6", "6 Transfer from another health care facility (newborn: born outside this hospital)"
    COURT = "8", "8 Court or law enforcement"
    UNKNOWN = "9", "9 Information not available"
    SAME_HOSPITAL_UNIT = "D", "D Transfer from one unit to another in the same hospital"
    AMBULATORY_SURGERY = "E", "E Transfer from an ambulatory surgery center"
    HOSPICE = "F", "F Transfer from hospice"


class CodingCase(LegalRecordModel):
    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="coding_case")
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.READY)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    hold_since = models.DateTimeField(null=True, blank=True)
    hold_seconds = models.PositiveIntegerField(default=0, help_text="time spent waiting on queries")
    coded_at = models.DateTimeField(null=True, blank=True)
    coded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    codes_submitted = models.PositiveIntegerField(default=0, help_text="codes on the case when the coder completed it")
    review_baseline = models.JSONField(default=dict, blank=True, help_text="the codes as the reviewer found them")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    # Raised by every change to the case or its codes. The coding screen posts the revision it showed,
    # so a change made from a stale screen (another coder, another tab) is refused, not silently merged.
    revision = models.PositiveIntegerField(default=0)
    revised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    revised_at = models.DateTimeField(null=True, blank=True)
    # The inpatient abstract beyond the codes (UB-04 fields the grouper and the claim read). The
    # discharge status starts as the encounter's disposition; the coder corrects it here if needed.
    admission_type = models.CharField(max_length=1, choices=AdmissionType.choices, blank=True)
    admission_source = models.CharField(max_length=1, choices=AdmissionSource.choices, blank=True)
    discharge_status = models.CharField(max_length=2, blank=True, help_text="UB-04 patient discharge status")
    birth_weight_grams = models.PositiveIntegerField(null=True, blank=True, help_text="newborn admissions")
    # Set by the coder when no loaded release covers the date of service: codes are then checked
    # against the nearest loaded release, and the screen marks them so.
    use_nearest_release = models.BooleanField(default=False)

    class Meta:
        permissions = [
            ("view_coding_queue", "See the coding queue"),
            ("code_encounters", "Code finished encounters and send physician queries"),
            ("assign_coding", "Assign encounters to coders"),
            ("review_coding", "Second-level review of coded encounters"),
            ("view_coding_reports", "See coder productivity and accuracy"),
            ("answer_coding_queries", "Answer physician queries on your own encounters"),
        ]

    def __str__(self) -> str:
        return f"coding of encounter {self.encounter_id} ({self.status})"


class PresentOnAdmission(models.TextChoices):
    """CMS present-on-admission indicators; '1' is the exempt value (reported blank on the UB-04)."""

    YES = "Y", "Y: present at the time of admission"
    NO = "N", "N: not present at the time of admission"
    UNKNOWN = "U", "U: documentation insufficient"
    UNDETERMINED = "W", "W: clinically undetermined"
    EXEMPT = "1", "Exempt from POA reporting"


class CodedDiagnosis(models.Model):
    """One ICD-10-CM code on a case; position 1 is the principal (inpatient) or first-listed diagnosis."""

    case = models.ForeignKey(CodingCase, on_delete=models.PROTECT, related_name="diagnoses")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=8, help_text="without the dot, upper case")
    poa = models.CharField("POA", max_length=1, choices=PresentOnAdmission.choices, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name_plural = "coded diagnoses"
        ordering = ["case", "position"]

    def __str__(self) -> str:
        return f"{self.code} at {self.position}"


class ProcedureSystem(models.TextChoices):
    ICD10PCS = "icd10pcs", "ICD-10-PCS"
    CPT = "cpt", "CPT"
    HCPCS = "hcpcs", "HCPCS Level II"


class CodedProcedure(models.Model):
    case = models.ForeignKey(CodingCase, on_delete=models.PROTECT, related_name="procedures")
    position = models.PositiveSmallIntegerField()
    system = models.CharField(max_length=10, choices=ProcedureSystem.choices)
    code = models.CharField(max_length=8)
    modifiers = models.JSONField(default=list, blank=True, help_text="up to four two-character modifiers")
    units = models.PositiveSmallIntegerField(default=1)
    performed_on = models.DateField()
    provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["case", "position"]

    def __str__(self) -> str:
        return f"{self.system} {self.code}"


class QueryStatus(models.TextChoices):
    OPEN = "open", "Waiting for the provider"
    ANSWERED = "answered", "Answered"


class PhysicianQuery(LegalRecordModel):
    """A question to a provider, from a non-leading template, with the record's own words quoted."""

    case = models.ForeignKey(CodingCase, on_delete=models.PROTECT, related_name="queries")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="coding_queries")
    template = models.CharField(max_length=40)
    question = models.TextField()
    indicators = models.JSONField(default=list, help_text="clinical indicators quoted verbatim from the record")
    options = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=clock.now)
    answer = models.CharField(max_length=200, blank=True)
    answer_detail = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "physician queries"
        ordering = ["-asked_at"]

    def __str__(self) -> str:
        return f"query {self.pk} to {self.provider}"

    @property
    def title(self) -> str:
        from chartdesk.coding.workflow.query_templates import TEMPLATES_BY_SLUG

        template = TEMPLATES_BY_SLUG.get(self.template)
        return template.title if template else self.template


class ReviewChange(LegalRecordModel):
    """One change a second-level reviewer made to a coder's work: the code before and after."""

    class Kind(models.TextChoices):
        ADDED = "added", "Added"
        REMOVED = "removed", "Removed"
        CHANGED = "changed", "Changed"

    case = models.ForeignKey(CodingCase, on_delete=models.PROTECT, related_name="review_changes")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    system = models.CharField(max_length=10)
    before = models.CharField(max_length=80, blank=True)
    after = models.CharField(max_length=80, blank=True)
    changed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.before or '—'} → {self.after or '—'}"


class SuggestionDecision(LegalRecordModel):
    """What the coder did with one computer-assisted suggestion: kept to measure suggestion precision."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        EDITED = "edited", "Edited"
        REJECTED = "rejected", "Rejected"

    case = models.ForeignKey(CodingCase, on_delete=models.PROTECT, related_name="suggestion_decisions")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    system = models.CharField(max_length=10)
    suggested_code = models.CharField(max_length=8)
    final_code = models.CharField(max_length=8, blank=True)
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evidence_text = models.TextField(blank=True)
    evidence_start = models.PositiveIntegerField(null=True, blank=True)
    evidence_end = models.PositiveIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.decision} {self.suggested_code}"


class DrgGrouping(LegalRecordModel):
    """The MS-DRG of an inpatient case each time its grouping changed: the working DRG's history.

    Written in the transaction of the change that moved it (a code added, removed, resequenced, a POA
    or discharge status changed) and at completion and review, so "how the DRG moved" and the DRG a
    coder completed with stay answerable after the codes change again. Never rewritten.
    """

    class Stage(models.TextChoices):
        WORKING = "working", "Working (coding in progress)"
        CODED = "coded", "Completed by the coder"
        REVIEW = "review", "In second-level review"
        FINAL = "final", "Final after review"

    case = models.ForeignKey(CodingCase, on_delete=models.PROTECT, related_name="drg_groupings")
    revision = models.PositiveIntegerField()
    stage = models.CharField(max_length=8, choices=Stage.choices)
    grouped_at = models.DateTimeField(default=clock.now)
    grouped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    change = models.CharField(max_length=300, blank=True, help_text="what changed since the previous grouping")
    inputs = models.JSONField(default=dict, help_text="what was grouped: diagnoses with POA, procedures, status")
    version = models.CharField(max_length=8)
    drg = models.CharField(max_length=3)
    title = models.CharField(max_length=200)
    mdc = models.CharField(max_length=3)
    return_code = models.CharField(max_length=40)
    cc_mcc = models.CharField(max_length=3, blank=True)
    cc_mcc_code = models.CharField(max_length=8, blank=True)
    weight = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    gmlos = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_table = models.CharField(max_length=24, blank=True, help_text="Table 5 fiscal year the weight is from")

    class Meta:
        ordering = ["case", "pk"]

    def __str__(self) -> str:
        return f"MS-DRG {self.drg} ({self.stage}) for case {self.case_id}"
