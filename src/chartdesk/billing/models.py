"""Billing tables: set-up data, charges, claims, X12 batches, remittances, the ledger and statements.

Money rows (charges, claims, ledger entries, remittances) belong to the financial record and are
never deleted (LegalRecordModel plus the triggers of migration 0002): a mistake is voided or
reversed by a new row, never erased. Statuses are TextChoices changed only in actions.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from chartdesk.charts.models import Encounter, Provider
from chartdesk.core import clock
from chartdesk.core.models import LegalRecordModel
from chartdesk.patients.models import Patient

ZERO = Decimal("0.00")


# ----------------------------------------------------------------------------- set-up data


class BillingOrganisation(models.Model):
    """The billing provider (box 33 / loop 2010AA) and the submitter of our 837P batches."""

    name = models.CharField(max_length=60)
    npi = models.CharField("billing NPI", max_length=10)
    tax_id = models.CharField("tax ID (EIN)", max_length=9)
    taxonomy = models.CharField("taxonomy code", max_length=10)
    address_line = models.CharField(max_length=55)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2)
    zip_code = models.CharField("ZIP+4", max_length=9, help_text="Nine digits: 837P wants ZIP+4 here.")
    phone = models.CharField(max_length=10)
    contact_name = models.CharField(max_length=60)
    submitter_id = models.CharField("submitter ID (ETIN)", max_length=15)
    receiver_id = models.CharField("receiver (clearinghouse) ID", max_length=15)
    receiver_name = models.CharField(max_length=60)
    production = models.BooleanField(default=False, help_text="ISA15: P when on, T (test) when off.")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        permissions = [
            ("manage_billing_setup", "Maintain billing set-up: organisation, payers, coverage, fees"),
            ("work_claims", "Enter charges, create and send claims, post remittances, work denials"),
            ("view_billing_reports", "Read A/R aging, the denial queue and billing totals"),
        ]

    def __str__(self) -> str:
        return self.name


class ClaimFilingIndicator(models.TextChoices):
    """SBR09: the kind of plan (the common ones)."""

    MEDICARE_B = "MB", "MB Medicare Part B"
    MEDICAID = "MC", "MC Medicaid"
    COMMERCIAL = "CI", "CI Commercial insurance"
    BLUE_CROSS = "BL", "BL Blue Cross/Blue Shield"
    HMO = "HM", "HM Health maintenance organisation"
    TRICARE = "CH", "CH Champus / TRICARE"
    VA = "VA", "VA Veterans Affairs plan"
    WORKERS_COMP = "WC", "WC Workers' compensation"
    OTHER = "ZZ", "ZZ Mutually defined"


class Payer(models.Model):
    name = models.CharField(max_length=60)
    payer_id = models.CharField("payer ID", max_length=20, unique=True)
    claim_filing_indicator = models.CharField(max_length=2, choices=ClaimFilingIndicator.choices)
    timely_filing_days = models.PositiveIntegerField(default=365)
    address_line = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=9, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.payer_id})"


class CoverageRank(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class SubscriberRelationship(models.TextChoices):
    """The patient's relationship to the subscriber (X12 individual relationship codes)."""

    SELF = "18", "Self"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    OTHER = "G8", "Other relationship"


class Coverage(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    rank = models.CharField(max_length=10, choices=CoverageRank.choices)
    member_id = models.CharField("member ID", max_length=30)
    group_number = models.CharField(max_length=30, blank=True)
    relationship = models.CharField(max_length=2, choices=SubscriberRelationship.choices,
                                    default=SubscriberRelationship.SELF)
    subscriber_given_name = models.CharField(max_length=35, blank=True)
    subscriber_family_name = models.CharField(max_length=60, blank=True)
    subscriber_birth_date = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, blank=True)
    subscriber_address_line = models.CharField(max_length=55, blank=True)
    subscriber_city = models.CharField(max_length=30, blank=True)
    subscriber_state = models.CharField(max_length=2, blank=True)
    subscriber_zip = models.CharField(max_length=9, blank=True)
    # The plan's dates (HL7 IN1-12/13); empty when not reported. Nullable, so SQLite adds the columns
    # in place instead of rebuilding the table.
    effective_date = models.DateField(null=True, blank=True)
    expiration_date = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["patient", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "rank"], condition=models.Q(active=True),
                                    name="one_active_coverage_per_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rank_display()} {self.payer.name} {self.member_id}"

    @property
    def patient_is_subscriber(self) -> bool:
        return self.relationship == SubscriberRelationship.SELF


class FeeScheduleEntry(models.Model):
    code = models.CharField(max_length=5)
    modifier = models.CharField(max_length=2, blank=True)
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    description = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name_plural = "fee schedule entries"
        ordering = ["code", "modifier"]
        constraints = [models.UniqueConstraint(fields=["code", "modifier"], name="one_fee_per_code_modifier")]

    def __str__(self) -> str:
        return f"{self.code}{'-' + self.modifier if self.modifier else ''} {self.charge}"


class PlaceOfService(models.Model):
    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=80)

    class Meta:
        verbose_name_plural = "places of service"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


# ----------------------------------------------------------------------------- charges


class ChargeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    VOIDED = "voided", "Voided"


class EncounterDiagnosis(LegalRecordModel):
    """The coded diagnoses of an encounter, in claim order, as billing received them."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="billing_diagnoses")
    sequence = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=8)
    present_on_admission = models.CharField(max_length=1, blank=True)
    principal = models.BooleanField(default=False)
    voided = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "encounter diagnoses"
        ordering = ["encounter", "sequence"]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.code}"


class ClaimKind(models.TextChoices):
    PROFESSIONAL = "professional", "Professional (837P, CMS-1500)"
    INSTITUTIONAL = "institutional", "Institutional (837I, UB-04)"


class Charge(LegalRecordModel):
    """One service line: a CPT/HCPCS code with up to four modifiers, units and its charge; a facility
    charge (kind institutional) carries the chargemaster's revenue code and may have no HCPCS."""

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="charges")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="charges")
    code = models.CharField(max_length=5)
    code_system = models.CharField(max_length=5, default="CPT")
    modifiers = models.JSONField(default=list)
    units = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("1"))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    diagnosis_pointers = models.JSONField(default=list)
    service_date = models.DateField()
    rendering_provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="billed_charges")
    referring_provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="referred_charges")
    place_of_service = models.ForeignKey(PlaceOfService, on_delete=models.PROTECT)
    status = models.CharField(max_length=10, choices=ChargeStatus.choices, default=ChargeStatus.ACTIVE)
    kind = models.CharField(max_length=13, choices=ClaimKind.choices, default=ClaimKind.PROFESSIONAL)
    revenue_code = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["encounter", "id"]

    def __str__(self) -> str:
        return f"{self.code} x{self.units} {self.amount}"


# ----------------------------------------------------------------------------- claims


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCRUBBED = "scrubbed", "Scrubbed (needs work)"
    READY = "ready", "Ready to send"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    DENIED = "denied", "Denied"
    APPEALED = "appealed", "Appealed"
    CLOSED = "closed", "Closed"


class Claim(LegalRecordModel):
    claim_number = models.CharField(max_length=20, unique=True, help_text="CLM01, echoed back in 835 CLP01.")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    rank = models.CharField(max_length=10, choices=CoverageRank.choices)
    kind = models.CharField(max_length=13, choices=ClaimKind.choices, default=ClaimKind.PROFESSIONAL)
    primary_claim = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="secondary_claims")
    status = models.CharField(max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    diagnoses = models.JSONField(default=list)  # codes in claim order, without the dot
    place_of_service = models.CharField(max_length=2)
    total_charge = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    scrubbed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey("X12Batch", null=True, blank=True, on_delete=models.PROTECT, related_name="claims")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"claim {self.claim_number}"


class ClaimLine(LegalRecordModel):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="claim_lines")
    line_number = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list)
    units = models.DecimalField(max_digits=7, decimal_places=2)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    diagnosis_pointers = models.JSONField(default=list)
    service_date = models.DateField()
    place_of_service = models.CharField(max_length=2)
    rendering_provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+")
    revenue_code = models.CharField(max_length=4, blank=True)  # institutional lines (SV201)
    superseded = models.BooleanField(default=False)  # replaced when the charges changed before sending

    class Meta:
        ordering = ["claim", "line_number"]

    def __str__(self) -> str:
        return f"line {self.line_number} of {self.claim}"


class ScrubFinding(models.Model):
    """One problem the scrubber found; a claim with any is not sent. Replaced at each scrub."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="findings")
    rule = models.CharField(max_length=40)
    message = models.CharField(max_length=300)
    line_number = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["claim", "id"]

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class ControlNumbers(models.Model):
    """The single counter of ISA13 and GS06 control numbers: never reused (X12 asks them unique)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_interchange = models.BigIntegerField(default=0)
    last_group = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "control number counter"

    def __str__(self) -> str:
        return f"ISA {self.last_interchange}, GS {self.last_group}"


class X12Batch(LegalRecordModel):
    """One 837P interchange as it was sent: its control numbers, claims and exact content."""

    interchange_control = models.PositiveIntegerField(unique=True)
    group_control = models.PositiveIntegerField(unique=True)
    transaction_sets = models.PositiveIntegerField()
    claim_count = models.PositiveIntegerField()
    total_charge = models.DecimalField(max_digits=14, decimal_places=2)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=13, choices=ClaimKind.choices, default=ClaimKind.PROFESSIONAL)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "X12 batch"
        verbose_name_plural = "X12 batches"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{'837I' if self.kind == ClaimKind.INSTITUTIONAL else '837P'} batch ISA {self.interchange_control:09d}"


class ChargeBasis(models.TextChoices):
    PER_DAY = "per_day", "Per day of the stay (accommodation)"
    PER_HCPCS_UNIT = "per_hcpcs_unit", "Per unit of a coded HCPCS/CPT service"
    PER_PROCEDURE = "per_procedure", "Per coded ICD-10-PCS procedure"


class ChargemasterItem(models.Model):
    """One line of the hospital's chargemaster (CDM): what a facility service is billed as and at what price,
    from its effective date. A price change is a new row with a later `effective_from`; the old row is
    closed with `effective_to`, so a claim is always priced as of its service date."""

    charge_code = models.CharField(max_length=20)
    description = models.CharField(max_length=100)
    revenue_code = models.CharField(max_length=4, help_text="UB-04 revenue code, four digits (0120, 0300…).")
    basis = models.CharField(max_length=16, choices=ChargeBasis.choices)
    hcpcs = models.CharField("HCPCS", max_length=5, blank=True,
                             help_text="For per-unit items: the HCPCS/CPT code that brings this charge.")
    pcs_prefix = models.CharField("ICD-10-PCS prefix", max_length=7, blank=True,
                                  help_text="For per-procedure items: the leading characters of the ICD-10-PCS "
                                            "codes this charge applies to (the longest match wins).")
    encounter_class = models.CharField(max_length=12, blank=True,
                                       help_text="For per-day items: the class of stay it prices (inpatient…).")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "chargemaster item"
        verbose_name_plural = "chargemaster items"
        ordering = ["charge_code", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["charge_code", "effective_from"], name="cdm_code_from")]

    def __str__(self) -> str:
        return f"{self.charge_code} {self.description} ({self.revenue_code})"


class InstitutionalClaim(LegalRecordModel):
    """The UB-04 parts of an institutional claim (837I loop 2300), kept as they were sent."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="institutional")
    facility_type = models.CharField(max_length=2, help_text="Bill type digits 1-2: 11 inpatient, 13 outpatient.")
    frequency = models.CharField(max_length=1, default="1", help_text="Bill type digit 3: 1 original, 7, 8.")
    statement_from = models.DateField()
    statement_to = models.DateField()
    admission_at = models.DateTimeField(null=True, blank=True)
    admission_type = models.CharField(max_length=1, blank=True)
    admission_source = models.CharField(max_length=1, blank=True)
    discharge_at = models.DateTimeField(null=True, blank=True)
    patient_status = models.CharField(max_length=2)
    poa = models.JSONField(default=list)  # present-on-admission indicators, parallel to claim.diagnoses
    admitting_diagnosis = models.CharField(max_length=8, blank=True)
    reasons_for_visit = models.JSONField(default=list)
    procedures = models.JSONField(default=list)  # [[ICD-10-PCS code, ISO date], ...], the principal first
    drg = models.CharField("MS-DRG", max_length=3, blank=True)
    occurrence_codes = models.JSONField(default=list)  # [[code, ISO date], ...]
    occurrence_spans = models.JSONField(default=list)  # [[code, ISO from, ISO to], ...]
    value_codes = models.JSONField(default=list)  # [[code, amount], ...]
    condition_codes = models.JSONField(default=list)
    attending = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    operating = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payer_claim_number = models.CharField(max_length=50, blank=True,
                                          help_text="The payer's number of the claim a replacement or void refers to.")

    class Meta:
        verbose_name = "institutional claim"
        verbose_name_plural = "institutional claims"

    def __str__(self) -> str:
        return f"bill type {self.facility_type}{self.frequency} of {self.claim}"

    @property
    def bill_type(self) -> str:
        return f"0{self.facility_type}{self.frequency}"


class Acknowledgement(LegalRecordModel):
    """A 999 implementation acknowledgement of one of our batches (its functional group, AK1-02 = GS06).

    `sets` keeps each transaction set's answer as read: control (our ST02), status and its text,
    the IK5 codes in plain English, the claims in the set, and each IK3/IK4 error with the claim it
    fell in, so the desk can show it without the file.
    """

    batch = models.ForeignKey(X12Batch, on_delete=models.PROTECT, related_name="acknowledgements")
    status = models.CharField(max_length=1)  # AK9-01
    sets_received = models.PositiveIntegerField()
    sets_accepted = models.PositiveIntegerField()
    group_errors = models.JSONField(default=list)
    sets = models.JSONField(default=list)
    interchange_control = models.CharField(max_length=9)  # the 999's own ISA13
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=clock.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["batch", "file_sha256"], name="one_999_file_per_batch")]

    def __str__(self) -> str:
        return f"999 {self.status} for {self.batch}"

    def get_status_text(self) -> str:
        from chartdesk.billing.x12.ack_codes import ACK_STATUS, explain

        return explain(ACK_STATUS, self.status)


# ----------------------------------------------------------------------------- remittance and ledger


class Remittance(LegalRecordModel):
    """One imported 835 transaction: identified by its payer and trace number (TRN02), so never twice."""

    payer_name = models.CharField(max_length=60)
    payer_identifier = models.CharField(max_length=20, blank=True)
    trace_number = models.CharField(max_length=50)
    payment_amount = models.DecimalField(max_digits=12, decimal_places=2)
    payment_date = models.DateField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64)
    claims_posted = models.PositiveIntegerField(default=0)
    claims_unmatched = models.JSONField(default=list)
    imported_at = models.DateTimeField(default=clock.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["payer_identifier", "trace_number"], name="one_remittance_per_trace"),
        ]

    def __str__(self) -> str:
        return f"835 {self.trace_number} from {self.payer_name}"


class ClaimPayment(LegalRecordModel):
    """A claim's adjudication in a remittance (CLP): what the payer paid and why not the rest."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="claim_payments")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="payments")
    status_code = models.CharField(max_length=2)
    charge_amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=12, decimal_places=2)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    adjustments = models.JSONField(default=list)  # [[group, reason, amount], ...] claim and line level

    class Meta:
        ordering = ["claim", "id"]

    def __str__(self) -> str:
        return f"{self.claim} paid {self.paid_amount}"


class ServiceLinePayment(LegalRecordModel):
    """One service line's adjudication in a remittance (835 SVC with its CAS and DTM*472).

    It is what a secondary claim's 2430 loop (SVD, CAS, DTP*573) is built from, so it names the
    claim line it paid when the code matched one.
    """

    claim_payment = models.ForeignKey(ClaimPayment, on_delete=models.PROTECT, related_name="service_lines")
    claim_line = models.ForeignKey(ClaimLine, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="service_payments")
    position = models.PositiveSmallIntegerField(help_text="The order of the SVC in its claim payment, from 1.")
    code = models.CharField(max_length=48)
    modifiers = models.JSONField(default=list)
    charge_amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2)
    units = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("1"))
    service_date = models.DateField(null=True, blank=True)
    adjustments = models.JSONField(default=list)  # [[group, reason, amount], ...] of this line

    class Meta:
        ordering = ["claim_payment", "position"]

    def __str__(self) -> str:
        return f"{self.code} paid {self.paid_amount} ({self.claim_payment})"


class LedgerKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    PAYMENT = "payment", "Payment"
    ADJUSTMENT = "adjustment", "Adjustment"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"


class Party(models.TextChoices):
    INSURANCE = "insurance", "Insurance"
    PATIENT = "patient", "Patient"


# How each kind moves its party's balance: transfers move money between parties and net to zero.
LEDGER_SIGN = {
    LedgerKind.CHARGE: 1,
    LedgerKind.PAYMENT: -1,
    LedgerKind.ADJUSTMENT: -1,
    LedgerKind.TRANSFER_OUT: -1,
    LedgerKind.TRANSFER_IN: 1,
}


class LedgerEntry(LegalRecordModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="ledger_entries")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=14, choices=LedgerKind.choices)
    party = models.CharField(max_length=10, choices=Party.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    group_code = models.CharField(max_length=2, blank=True)
    reason_code = models.CharField(max_length=5, blank=True)
    description = models.CharField(max_length=200, blank=True)
    remittance = models.ForeignKey(Remittance, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(default=clock.now)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["posted_at", "id"]
        permissions = [("collect_copay", "Record a copay collected at check-in")]
        indexes = [models.Index(fields=["patient", "party"]), models.Index(fields=["claim", "party"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.party})"

    @property
    def signed_amount(self) -> Decimal:
        return LEDGER_SIGN[LedgerKind(self.kind)] * self.amount


class DenialStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPEALED = "appealed", "Appealed"
    RESOLVED = "resolved", "Resolved"


class DenialAction(models.TextChoices):
    """What the biller did about a denial (denials.do_work_denial_action)."""

    APPEAL = "appeal", "Appealed to the payer"
    CORRECTED_CLAIM = "corrected_claim", "Sent a corrected claim (frequency 7)"
    WRITE_OFF = "write_off", "Written off"
    REBILL_SECONDARY = "rebill_secondary", "Billed to the secondary payer"
    PATIENT_RESPONSIBILITY = "patient_responsibility", "Moved to the patient's responsibility"


class Denial(models.Model):
    """One adjustment of a denied claim or line from a posted 835, waiting for a biller's decision."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="denials")
    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="denials")
    service_line = models.ForeignKey(ServiceLinePayment, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="denials", help_text="The 835 SVC denied; none at claim level.")
    group_code = models.CharField(max_length=2)
    reason_code = models.CharField(max_length=5)
    reason_text = models.CharField(max_length=300)
    remarks = models.JSONField(default=list)  # RARC codes of its line (LQ*HE)
    cause = models.CharField(max_length=20, default="other", help_text="The key of carc.CAUSES it is worked under.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10, choices=DenialStatus.choices, default=DenialStatus.OPEN)
    action = models.CharField(max_length=24, blank=True, choices=DenialAction.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    worked_at = models.DateTimeField(null=True, blank=True)
    worked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["status", "created_at", "id"]
        indexes = [models.Index(fields=["status", "cause"])]

    def __str__(self) -> str:
        return f"{self.group_code}-{self.reason_code} on {self.claim}"

    def get_cause_display(self) -> str:
        from chartdesk.billing.carc import CAUSES

        return CAUSES.get(self.cause, CAUSES["other"])[0]


class HeldPaymentStatus(models.TextChoices):
    HELD = "held", "Held for review"
    POSTED = "posted", "Posted"
    REJECTED = "rejected", "Rejected"


class HeldPayment(models.Model):
    """A claim payment (CLP) from an 835 that was not posted because it would pay the claim twice or
    more than its balance; a biller posts or rejects it from the review list. `claim_remit` keeps
    the CLP as parsed (amounts, adjustments, service lines), so posting it later posts exactly that."""

    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, related_name="held_payments")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="held_payments")
    status_code = models.CharField(max_length=2)
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=300)
    claim_remit = models.JSONField()
    status = models.CharField(max_length=10, choices=HeldPaymentStatus.choices, default=HeldPaymentStatus.HELD)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        ordering = ["status", "created_at", "id"]

    def __str__(self) -> str:
        return f"held payment {self.paid_amount} on {self.claim}"


class StatementBatch(LegalRecordModel):
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    statement_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "statement batches"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"statement batch {self.pk}"


class Statement(LegalRecordModel):
    batch = models.ForeignKey(StatementBatch, on_delete=models.PROTECT, related_name="statements")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="statements")
    balance = models.DecimalField(max_digits=12, decimal_places=2)
    statement_date = models.DateField()

    class Meta:
        ordering = ["batch", "patient"]

    def __str__(self) -> str:
        return f"statement for {self.patient_id}: {self.balance}"


class ClaimStatusReport(LegalRecordModel):
    """A 277CA claim acknowledgement file as it came in: the batch-level answer and who imported it."""

    file_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, unique=True)
    content = models.TextField()
    sender = models.CharField(max_length=60, blank=True)
    batch_statuses = models.JSONField(default=list)  # [[category, code, entity, text], ...]
    imported_at = models.DateTimeField(default=clock.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "277CA claim acknowledgement"
        verbose_name_plural = "277CA claim acknowledgements"
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"277CA {self.file_name or self.pk}"


class ClaimStatusAnswer(LegalRecordModel):
    """What a 277CA said of one claim: accepted into adjudication or rejected, and why."""

    report = models.ForeignKey(ClaimStatusReport, on_delete=models.PROTECT, related_name="answers")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="status_answers")
    claim_number = models.CharField(max_length=50)  # TRN02 as sent back, kept when no claim of ours has it
    outcome = models.CharField(max_length=10)  # accepted, rejected or pending
    statuses = models.JSONField(default=list)  # [[category, code, entity, text], ...], line ones with "line"
    payer_claim_number = models.CharField(max_length=50, blank=True)
    status_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "277CA claim answer"
        verbose_name_plural = "277CA claim answers"
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return f"{self.claim_number}: {self.outcome}"



class ClaimFrequency(models.TextChoices):
    """CLM05-3 on the 837P, the third digit of the bill type on the 837I."""

    ORIGINAL = "1", "Original"
    REPLACEMENT = "7", "Replacement of a prior claim (corrected claim)"
    VOID = "8", "Void of a prior claim"


class ClaimCorrection(LegalRecordModel):
    """A claim reopened to be sent again: as a replacement (7) or a void (8) of what the payer has under its
    own claim number (REF*F8), or as an original again after a rejection that was never adjudicated.
    The newest one tells the writer what the claim's next submission is; none means an original."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="corrections")
    frequency = models.CharField(max_length=1, choices=ClaimFrequency.choices)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    reason = models.CharField(max_length=300)
    status_before = models.CharField(max_length=16, choices=ClaimStatus.choices)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "claim correction"
        verbose_name_plural = "claim corrections"
        ordering = ["claim", "id"]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} of {self.claim}"


class TimelyFilingLimit(LegalRecordModel):
    """How long a payer allows from the date of service (the statement's last day on an institutional
    claim) to the first submission, from a date on: limits change, and a claim is held to the one in effect
    on its date of service. Without one, the payer's `timely_filing_days` holds."""

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="filing_limits")
    days = models.PositiveIntegerField()
    effective_from = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "timely filing limit"
        verbose_name_plural = "timely filing limits"
        ordering = ["payer", "-effective_from", "-id"]

    def __str__(self) -> str:
        return f"{self.payer.name}: {self.days} days from {self.effective_from}"


# The eligibility and claim status tables live beside their code (billing/inquiries/); imported here so that
# Django registers them with the billing app.
from chartdesk.billing.inquiries.models import (  # noqa: E402, F401
    ClaimStatusCheck,
    ClaimStatusResult,
    EligibilityCheck,
    EligibilityResult,
    InquiryFile,
)
