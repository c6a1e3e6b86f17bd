"""Tables of the inquiries: every 270/276 we wrote and 271/277 we read, each request line with its trace
number (TRN), and each answer matched back to it. All are part of the financial record: never changed
after they are written, never deleted (migration billing 0011 adds the triggers). The patient is reached
through the coverage or the claim, never stored here: a merge of two charts moves the coverage and the
claim, and these rows follow without being changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from chartdesk.billing.models import Claim, Coverage
from chartdesk.core.models import LegalRecordModel


class InquiryKind(models.TextChoices):
    ELIGIBILITY_INQUIRY = "270", "270 eligibility inquiry"
    ELIGIBILITY_RESPONSE = "271", "271 eligibility response"
    STATUS_INQUIRY = "276", "276 claim status inquiry"
    STATUS_RESPONSE = "277", "277 claim status response"


class InquiryFile(LegalRecordModel):
    """One X12 file of the inquiry kinds, as written or as it came in."""

    kind = models.CharField(max_length=3, choices=InquiryKind.choices)
    file_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    content = models.TextField()
    interchange_control = models.CharField(max_length=9)
    line_count = models.PositiveIntegerField(default=0, help_text="Requests written, or answers read.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "X12 inquiry file"
        verbose_name_plural = "X12 inquiry files"
        ordering = ["-created_at", "-id"]
        # The same answer file read twice is recognised by its digest and changes nothing.
        constraints = [models.UniqueConstraint(fields=["kind", "sha256"], name="one_inquiry_file_per_digest")]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name or self.pk}"


class EligibilityCheck(LegalRecordModel):
    """One subscriber loop of a 270: this coverage, asked about on this date, under this trace number."""

    inquiry = models.ForeignKey(InquiryFile, on_delete=models.PROTECT, related_name="eligibility_checks")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="eligibility_checks")
    trace_number = models.CharField(max_length=50, unique=True, help_text="TRN02, echoed back in the 271.")
    transaction_reference = models.CharField(max_length=30, help_text="BHT03 of its 270 transaction set, which "
                                             "a 271 rejecting the whole set echoes.")
    service_date = models.DateField(help_text="DTP*291: the day the coverage is asked about.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "eligibility check"
        verbose_name_plural = "eligibility checks"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"270 {self.trace_number}"


class EligibilityStatus(models.TextChoices):
    ACTIVE = "active", "Active coverage"
    INACTIVE = "inactive", "Inactive coverage"
    REJECTED = "rejected", "Request rejected"
    UNKNOWN = "unknown", "No coverage status in the answer"


class EligibilityResult(LegalRecordModel):
    """What a 271 said about one subscriber or dependent: matched to our 270 by its trace number."""

    response = models.ForeignKey(InquiryFile, on_delete=models.PROTECT, related_name="eligibility_results")
    check_request = models.ForeignKey(EligibilityCheck, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="results")
    coverage = models.ForeignKey(Coverage, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="eligibility_results")
    trace_number = models.CharField(max_length=50, blank=True)
    member_id = models.CharField(max_length=80, blank=True)
    status = models.CharField(max_length=10, choices=EligibilityStatus.choices)
    plan_name = models.CharField(max_length=60, blank=True)
    plan_begin = models.DateField(null=True, blank=True)
    plan_end = models.DateField(null=True, blank=True)
    copay = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    coinsurance = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True,
                                      help_text="A fraction: 0.2000 is 20%.")
    deductible_remaining = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    rejections = models.JSONField(default=list)  # [[AAA03 reason, AAA04 follow-up, plain English], ...]
    benefits = models.JSONField(default=list)  # [{EB elements read, with their meaning}, ...]
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "eligibility result"
        verbose_name_plural = "eligibility results"
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"271 {self.trace_number}: {self.status}"

    @property
    def coinsurance_percent(self) -> str:
        if self.coinsurance is None:
            return ""
        return f"{(self.coinsurance * 100).normalize():f}%"


class ClaimStatusCheck(LegalRecordModel):
    """One claim asked about in a 276, under its trace number."""

    inquiry = models.ForeignKey(InquiryFile, on_delete=models.PROTECT, related_name="status_checks")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="status_checks")
    trace_number = models.CharField(max_length=50, unique=True, help_text="TRN02, echoed back in the 277.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "claim status check"
        verbose_name_plural = "claim status checks"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"276 {self.trace_number}"


class ClaimStatusResult(LegalRecordModel):
    """What a 277 (005010X212) said about one claim: the statuses in plain English beside the codes."""

    response = models.ForeignKey(InquiryFile, on_delete=models.PROTECT, related_name="status_results")
    check_request = models.ForeignKey(ClaimStatusCheck, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="results")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="status_results")
    trace_number = models.CharField(max_length=50, blank=True)
    claim_number = models.CharField(max_length=50, blank=True)  # REF EJ: our patient control number
    statuses = models.JSONField(default=list)  # [[category, code, entity, plain English], ...] line ones with "line"
    status_date = models.DateField(null=True, blank=True)
    charge_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "claim status result (277)"
        verbose_name_plural = "claim status results (277)"
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"277 {self.trace_number or self.claim_number}"
