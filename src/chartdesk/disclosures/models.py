"""Release of information and privacy: requests, authorizations, sensitivity labels, disclosures and
their accounting, amendments, restrictions and confidential communications.

Every table here belongs to the legal record of what was disclosed to whom: rows are never deleted
(LegalRecordModel plus database triggers). Statuses change only inside actions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from chartdesk.charts.models import Addendum, Document, Encounter
from chartdesk.core import clock
from chartdesk.core.models import LegalRecordModel
from chartdesk.patients.models import Patient

USER = settings.AUTH_USER_MODEL


class RequesterType(models.TextChoices):
    PATIENT = "patient", "Patient"
    PERSONAL_REPRESENTATIVE = "representative", "Personal representative"
    PROVIDER = "provider", "Provider"
    PAYER = "payer", "Payer (health plan)"
    ATTORNEY = "attorney", "Attorney"
    COURT = "court", "Subpoena or court order"
    AGENCY = "agency", "Government agency"
    RESEARCHER = "researcher", "Researcher"


class Purpose(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    PAYMENT = "payment", "Payment"
    OPERATIONS = "operations", "Health care operations"
    ACCESS = "access", "Patient's right of access"
    LEGAL = "legal", "Legal proceedings"
    INSURANCE = "insurance", "Insurance or disability claim"
    RESEARCH = "research", "Research"
    PUBLIC_HEALTH = "public_health", "Public health (required by law)"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement (required by law)"
    OVERSIGHT = "oversight", "Health oversight"
    PERSONAL = "personal", "At the patient's request (other)"


TPO_PURPOSES = frozenset({Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS})
REQUIRED_BY_LAW_PURPOSES = frozenset({Purpose.PUBLIC_HEALTH, Purpose.LAW_ENFORCEMENT, Purpose.OVERSIGHT})


class DeliveryFormat(models.TextChoices):
    PAPER = "paper", "Paper copies"
    PDF = "pdf", "PDF on disc or by mail"
    ELECTRONIC = "electronic", "Electronic download link"


class RequestStatus(models.TextChoices):
    LOGGED = "logged", "Logged"
    VALIDATING = "validating", "Validating"
    AWAITING_AUTHORIZATION = "awaiting_authorization", "Awaiting authorization"
    IN_PROCESSING = "in_processing", "In processing"
    QUALITY_CHECK = "quality_check", "Quality check"
    RELEASED = "released", "Released"
    DENIED = "denied", "Denied"
    CLOSED = "closed", "Closed"


OPEN_REQUEST_STATUSES = (
    RequestStatus.LOGGED,
    RequestStatus.VALIDATING,
    RequestStatus.AWAITING_AUTHORIZATION,
    RequestStatus.IN_PROCESSING,
    RequestStatus.QUALITY_CHECK,
)


class SensitiveCategory(models.TextChoices):
    PSYCHOTHERAPY_NOTES = "psychotherapy", "Psychotherapy notes"
    SUBSTANCE_USE = "part2", "Substance use disorder records (42 CFR Part 2)"
    HIV_STI = "hiv_sti", "HIV and sexually transmitted infections"
    GENETIC = "genetic", "Genetic information"
    REPRODUCTIVE = "reproductive", "Reproductive health care"
    MINOR_CONSENTED = "minor", "Care a minor consented to"
    BEHAVIORAL_HEALTH = "behavioral", "Behavioral health"


def category_words(categories: list[str]) -> str:
    """Sensitivity labels as people read them ("Genetic information"), never the stored slugs."""
    return ", ".join(SensitiveCategory(category).label if category in SensitiveCategory.values else category
                     for category in categories)


class Authorization(LegalRecordModel):
    """A patient's authorization (45 CFR 164.508): the scanned form and its elements as structured fields."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="authorizations")
    scanned_form = models.FileField(upload_to="authorizations/", null=True, blank=True, max_length=255)
    scanned_form_sha256 = models.CharField(max_length=64, blank=True)
    information_described = models.TextField(blank=True, help_text="What information may be disclosed")
    sensitive_categories = models.JSONField(default=list, blank=True)
    discloser = models.CharField(max_length=200, blank=True, help_text="Who may disclose it")
    recipient = models.CharField(max_length=200, blank=True, help_text="To whom it may be disclosed")
    purpose = models.CharField(max_length=300, blank=True, help_text="The purpose in the form's words")
    # The scope as coded choices, so that a request can be checked against it: the purposes it covers
    # (Purpose values), the record types (DocumentType values; none listed: every type) and the
    # service dates (open at either end when blank).
    purposes = models.JSONField(default=list, blank=True)
    document_types = models.JSONField(default=list, blank=True)
    records_from = models.DateField(null=True, blank=True)
    records_to = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expiration_event = models.CharField(max_length=200, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    signature_present = models.BooleanField(default=False)
    signer_name = models.CharField(max_length=160, blank=True)
    signed_by_representative = models.BooleanField(default=False)
    representative_authority = models.CharField(max_length=200, blank=True)
    states_right_to_revoke = models.BooleanField(default=False)
    states_conditioning = models.BooleanField(default=False)
    states_redisclosure = models.BooleanField(default=False)
    revoked_on = models.DateField(null=True, blank=True)
    revocation_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"authorization {self.pk} to {self.recipient or 'unnamed recipient'}"


class ReleaseRequest(LegalRecordModel):
    number = models.CharField(max_length=20, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="release_requests")
    requester_type = models.CharField(max_length=16, choices=RequesterType.choices)
    requester_name = models.CharField(max_length=160)
    requester_address = models.TextField(blank=True)
    requester_email = models.EmailField(blank=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    purpose_detail = models.CharField(max_length=300, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    document_types = models.JSONField(default=list, blank=True)
    encounters = models.ManyToManyField(Encounter, blank=True, related_name="release_requests")
    delivery_format = models.CharField(max_length=12, choices=DeliveryFormat.choices, default=DeliveryFormat.PDF)
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    identity_verified_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    identity_method = models.CharField(max_length=200, blank=True)
    authorization = models.ForeignKey(
        Authorization, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    received_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_notice = models.TextField(blank=True)
    status = models.CharField(max_length=24, choices=RequestStatus.choices, default=RequestStatus.LOGGED)
    status_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    # What the specialist decided, recorded on the request itself (decisions.py): the standard reasons a
    # denial names, the sensitive categories held back, and the fee quoted to the requester before release.
    denial_reasons = models.JSONField("denial reasons", default=list, blank=True)
    withheld_categories = models.JSONField("sensitive categories withheld", default=list, blank=True)
    quoted_pages = models.PositiveIntegerField("pages quoted", null=True, blank=True)
    quoted_fee_cents = models.PositiveIntegerField("fee quoted (cents)", null=True, blank=True)

    class Meta:
        ordering = ["due_on", "received_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]
        permissions = [
            ("work_requests", "Log and work release-of-information requests"),
            ("release_records", "Release records and send release packets"),
            ("label_sensitivity", "Label documents as sensitive"),
            ("manage_amendments", "Review amendment requests"),
            ("manage_restrictions", "Record restrictions and confidential communications"),
            ("manage_accounting", "Provide accountings of disclosures and record suspensions"),
            ("export_deidentified", "Export de-identified data sets"),
        ]

    def __str__(self) -> str:
        return f"request {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class DocumentSensitivity(LegalRecordModel):
    """A sensitivity label on a document; removing it sets removed_at, so the history stays."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="sensitivity_labels")
    category = models.CharField(max_length=16, choices=SensitiveCategory.choices)
    note = models.CharField(max_length=200, blank=True)
    labelled_at = models.DateTimeField(default=clock.now)
    labelled_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "document sensitivities"
        ordering = ["document", "category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} on document {self.document_id}"


class Redaction(LegalRecordModel):
    """Content kept out of a release: a phrase removed wherever it appears, or whole pages withheld."""

    request = models.ForeignKey(ReleaseRequest, on_delete=models.PROTECT, related_name="redactions")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    phrase = models.CharField(max_length=300, blank=True)
    pages = models.CharField(max_length=100, blank=True, help_text="Pages withheld, e.g. 2,4-5")
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"redaction on document {self.document_id}"


class ReleasePacket(LegalRecordModel):
    request = models.ForeignKey(ReleaseRequest, on_delete=models.PROTECT, related_name="packets")
    file = models.FileField(upload_to="release-packets/", max_length=255)
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField()
    manifest = models.JSONField(default=dict)
    part2_notice = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"packet {self.pk} of {self.request}"


class DownloadLink(LegalRecordModel):
    packet = models.ForeignKey(ReleasePacket, on_delete=models.PROTECT, related_name="links")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"download link {self.pk}"


class DownloadLinkUse(LegalRecordModel):
    link = models.ForeignKey(DownloadLink, on_delete=models.PROTECT, related_name="uses")
    used_at = models.DateTimeField(default=clock.now)
    client_address = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=20)  # "downloaded" or "expired"

    def __str__(self) -> str:
        return f"use of link {self.link_id}: {self.outcome}"


class Invoice(LegalRecordModel):
    request = models.OneToOneField(ReleaseRequest, on_delete=models.PROTECT, related_name="invoice")
    number = models.CharField(max_length=24, unique=True)
    method = models.CharField(max_length=20)
    lines = models.JSONField(default=list)
    total_cents = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"invoice {self.number}"


class LegalBasis(models.TextChoices):
    TPO = "tpo", "Treatment, payment or operations"
    TO_PATIENT = "to_patient", "To the patient or their representative"
    AUTHORIZATION = "authorization", "Under the patient's authorization"
    REQUIRED_BY_LAW = "required_by_law", "Required by law (public health, law enforcement, oversight)"
    LEGAL_PROCESS = "legal_process", "Court order or subpoena"
    RESEARCH_WAIVER = "research_waiver", "Research under an IRB or privacy-board waiver"
    NATIONAL_SECURITY = "national_security", "National security or intelligence"
    CORRECTIONAL = "correctional", "To a correctional institution"
    LIMITED_DATA_SET = "limited_data_set", "Limited data set"


# 164.528(a)(1): these disclosures are left out of the accounting.
EXEMPT_BASES = frozenset({
    LegalBasis.TPO,
    LegalBasis.TO_PATIENT,
    LegalBasis.AUTHORIZATION,
    LegalBasis.NATIONAL_SECURITY,
    LegalBasis.CORRECTIONAL,
    LegalBasis.LIMITED_DATA_SET,
})


class Disclosure(LegalRecordModel):
    """One disclosure of a patient's information, recorded when it happens (164.528(b)(2))."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="disclosures")
    request = models.ForeignKey(
        ReleaseRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    disclosed_at = models.DateTimeField(default=clock.now)
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(blank=True)
    description = models.TextField(help_text="What was disclosed")
    purpose = models.CharField(max_length=300)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    accountable = models.BooleanField()
    document_ids = models.JSONField(default=list, blank=True)
    part2_notice = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [models.Index(fields=["patient", "disclosed_at"])]

    def __str__(self) -> str:
        return f"disclosure to {self.recipient_name} on {self.disclosed_at:%Y-%m-%d}"


class AccountingSuspension(LegalRecordModel):
    """An agency's request (164.528(a)(2)) to suspend the patient's accounting of disclosures to it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="accounting_suspensions")
    agency_name = models.CharField(max_length=200)
    agency_official = models.CharField(max_length=160, blank=True)
    statement_in_writing = models.BooleanField()
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"suspension for {self.agency_name} until {self.ends_on}"


class AccountingStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROVIDED = "provided", "Provided"


class AccountingRequest(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="accounting_requests")
    received_on = models.DateField()
    due_on = models.DateField()
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_notice = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=AccountingStatus.choices, default=AccountingStatus.RECEIVED)
    provided_at = models.DateTimeField(null=True, blank=True)
    provided_entries = models.JSONField(default=list, blank=True)
    fee_cents = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"accounting request {self.pk}"


class AmendmentStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    UNDER_REVIEW = "under_review", "Under review"
    ACCEPTED = "accepted", "Accepted"
    DENIED = "denied", "Denied"


class DenialBasis(models.TextChoices):
    """The only grounds 164.526(a)(2) allows."""

    NOT_CREATED_HERE = "not_created_here", "Not created by us (and the originator is available)"
    NOT_IN_RECORD = "not_in_record", "Not part of the designated record set"
    NOT_ACCESSIBLE = "not_accessible", "Not available for inspection under the right of access"
    ACCURATE = "accurate", "Accurate and complete"


class AmendmentRequest(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="amendment_requests")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="amendment_requests")
    requested_change = models.TextField()
    patient_reason = models.TextField(blank=True)
    received_on = models.DateField()
    due_on = models.DateField()
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_notice = models.TextField(blank=True)
    status = models.CharField(max_length=14, choices=AmendmentStatus.choices, default=AmendmentStatus.RECEIVED)
    reviewer = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    denial_basis = models.CharField(max_length=20, choices=DenialBasis.choices, blank=True)
    denial_explanation = models.TextField(blank=True)
    addendum = models.ForeignKey(Addendum, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    disagreement = models.TextField(blank=True, help_text="The patient's statement of disagreement")
    disagreement_received_on = models.DateField(null=True, blank=True)
    rebuttal = models.TextField(blank=True)
    rebuttal_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"amendment request {self.pk}"


class AmendmentNotification(LegalRecordModel):
    """A party the patient named (or who relied on the information) told of an accepted amendment."""

    amendment = models.ForeignKey(AmendmentRequest, on_delete=models.PROTECT, related_name="notifications")
    party = models.CharField(max_length=200)
    method = models.CharField(max_length=60)
    notified_at = models.DateTimeField(default=clock.now)
    notified_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.party} notified of amendment {self.amendment_id}"


class RestrictionKind(models.TextChoices):
    SELF_PAY = "self_pay", "Not to the health plan: paid in full out of pocket"
    OTHER = "other", "Other restriction of use or disclosure"
    CONFIDENTIAL_COMMUNICATION = "confidential", "Confidential communications (other address or phone)"


class RestrictionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    AGREED = "agreed", "Agreed"
    REFUSED = "refused", "Refused"
    TERMINATED = "terminated", "Terminated"


class PrivacyRestriction(LegalRecordModel):
    """A restriction (164.522(a)) or confidential-communication request (164.522(b)) and its decision."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="privacy_restrictions")
    kind = models.CharField(max_length=14, choices=RestrictionKind.choices)
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="privacy_restrictions"
    )
    description = models.TextField()
    alternative_contact = models.TextField(blank=True)
    paid_in_full = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=RestrictionStatus.choices, default=RestrictionStatus.REQUESTED)
    decision_note = models.CharField(max_length=300, blank=True)
    requested_on = models.DateField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-requested_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class RequestSequence(models.Model):
    """The counter request numbers come from; requests are never deleted, so none is reused."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_serial = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"request serial {self.last_serial}"
