"""Writing X12 837I (005010X223A3) institutional claims: the hospital's claim, the UB-04's electronic twin.

Like the 837P writer, it works on a plain snapshot (`InstitutionalClaimData`, built from the database
by billing/institutional/export.py) so that a batch is string work only. What differs from the 837P:
the bill type in CLM05 (facility type, claim classification, frequency), the statement period,
admission and discharge (DTP 435/096, CL1), the HI segments (principal, admitting, reason for visit,
external cause and other diagnoses with their present-on-admission indicator; the MS-DRG; ICD-10-PCS
procedures with dates; occurrence, occurrence span, value and condition codes), the attending and
operating physicians (loops 2310A-C) and service lines that carry a revenue code (SV2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from chartdesk.billing.x12.elements import (
    COMPONENT,
    Party,
    ProviderData,
    address,
    adjustment_segments,
    amount,
    clean,
    demographics,
    name_segment,
    provider_segment,
    quantity,
    segment,
)
from chartdesk.billing.x12.writer837 import Envelope, OrganisationData, OtherPayerData, claim_interchange

VERSION = "005010X223A3"
POA_EXEMPT = "1"
HI_COMPOSITES = 12  # an HI segment carries at most twelve codes; more start another HI
EXTERNAL_CAUSE_PREFIXES = ("V", "W", "X", "Y")  # ICD-10-CM chapter 20: reported under ABN, not ABF


@dataclass(frozen=True)
class Diagnosis:
    code: str  # ICD-10-CM without the dot
    poa: str = ""  # Y, N, U, W or 1 (exempt); "" where no POA is reported (outpatient)


@dataclass(frozen=True)
class Procedure:
    code: str  # ICD-10-PCS, seven characters
    performed_on: date


@dataclass(frozen=True)
class PriorInstitutionalLinePayment:
    """The primary payer's adjudication of one line, carried on the secondary claim (loop 2430)."""

    paid: Decimal
    units: Decimal
    adjustments: tuple[tuple[str, str, Decimal], ...]
    adjudication_date: date


@dataclass(frozen=True)
class InstitutionalLine:
    revenue_code: str  # four digits, e.g. 0120 room and board, 0300 laboratory
    hcpcs: str  # "" where the revenue code needs no HCPCS (room and board, most inpatient lines)
    modifiers: tuple[str, ...]
    amount: Decimal
    units: Decimal
    unit_basis: str  # UN (units) or DA (days: accommodation revenue codes 01xx-02xx)
    service_date: date | None
    prior_payment: PriorInstitutionalLinePayment | None = None


@dataclass(frozen=True)
class InstitutionalClaimData:
    claim_number: str
    total: Decimal
    facility_type: str  # the bill type's first two digits: 11 hospital inpatient, 13 hospital outpatient
    frequency: str  # the bill type's third digit: 1 original, 7 replacement, 8 void
    responsibility: str  # SBR01: P primary, S secondary
    relationship: str  # patient to subscriber: 18 self, 01 spouse, 19 child, G8 other
    group_number: str
    filing_indicator: str
    subscriber: Party
    patient: Party
    payer: Party
    statement_from: date
    statement_to: date
    patient_status: str  # CL103, the UB-04's discharge status
    principal_diagnosis: Diagnosis
    lines: tuple[InstitutionalLine, ...]
    admission: datetime | None = None  # inpatient: date and hour of admission (DTP 435)
    admission_type: str = ""  # CL101, inpatient
    admission_source: str = ""  # CL102, inpatient
    discharge_hour: time | None = None  # DTP 096, inpatient stays that ended
    admitting_diagnosis: str = ""  # inpatient
    reasons_for_visit: tuple[str, ...] = ()  # outpatient, up to three
    other_diagnoses: tuple[Diagnosis, ...] = ()
    drg: str = ""  # MS-DRG, three digits
    procedures: tuple[Procedure, ...] = ()  # the principal first
    occurrences: tuple[tuple[str, date], ...] = ()
    occurrence_spans: tuple[tuple[str, date, date], ...] = ()
    values: tuple[tuple[str, Decimal], ...] = ()
    conditions: tuple[str, ...] = ()
    attending: ProviderData | None = None
    operating: ProviderData | None = None
    other_operating: ProviderData | None = None
    payer_claim_number: str = ""  # the payer's control number of the claim a replacement or void refers to
    other_payer: OtherPayerData | None = None

    @property
    def bill_type(self) -> str:
        return self.facility_type + self.frequency

    @property
    def inpatient(self) -> bool:
        return self.facility_type in ("11", "12", "18", "21", "41", "65", "66", "86")


def _d8(value: date) -> str:
    return value.strftime("%Y%m%d")


def _hi(qualifier: str, codes: list[str]) -> list[str]:
    return [segment("HI", *codes[start:start + HI_COMPOSITES]) for start in range(0, len(codes), HI_COMPOSITES)]


def _dx(qualifier: str, diagnosis: Diagnosis) -> str:
    """A diagnosis composite; POA travels in its ninth component. A code exempt from POA reporting (the
    coder's "1") is sent with the indicator left blank, as 5010 asks: "1" was the 4010 and paper value."""
    if diagnosis.poa and diagnosis.poa != POA_EXEMPT:
        return COMPONENT.join((qualifier, diagnosis.code, "", "", "", "", "", "", diagnosis.poa))
    return COMPONENT.join((qualifier, diagnosis.code))


def _diagnosis_segments(claim: InstitutionalClaimData) -> list[str]:
    """The HI segments in the order the guide lists them."""
    segments = [segment("HI", _dx("ABK", claim.principal_diagnosis))]
    if claim.admitting_diagnosis:
        segments.append(segment("HI", COMPONENT.join(("ABJ", claim.admitting_diagnosis))))
    if claim.reasons_for_visit:
        segments.append(segment("HI", *[COMPONENT.join(("APR", code)) for code in claim.reasons_for_visit[:3]]))
    external = [d for d in claim.other_diagnoses if d.code.startswith(EXTERNAL_CAUSE_PREFIXES)]
    others = [d for d in claim.other_diagnoses if not d.code.startswith(EXTERNAL_CAUSE_PREFIXES)]
    segments += _hi("ABN", [_dx("ABN", d) for d in external])
    if claim.drg:
        segments.append(segment("HI", COMPONENT.join(("DR", claim.drg))))
    segments += _hi("ABF", [_dx("ABF", d) for d in others])
    if claim.procedures:
        first, *rest = claim.procedures
        segments.append(segment("HI", COMPONENT.join(("BBR", first.code, "D8", _d8(first.performed_on)))))
        segments += _hi("BBQ", [COMPONENT.join(("BBQ", p.code, "D8", _d8(p.performed_on))) for p in rest])
    segments += _hi("BI", [COMPONENT.join(("BI", code, "RD8", f"{_d8(start)}-{_d8(end)}"))
                           for code, start, end in claim.occurrence_spans])
    segments += _hi("BH", [COMPONENT.join(("BH", code, "D8", _d8(when))) for code, when in claim.occurrences])
    segments += _hi("BE", [COMPONENT.join(("BE", code, "", "", amount(value))) for code, value in claim.values])
    segments += _hi("BG", [COMPONENT.join(("BG", code)) for code in claim.conditions])
    return segments


def _other_payer(other: OtherPayerData) -> list[str]:
    segments = [segment("SBR", other.responsibility, other.relationship, clean(other.group_number), "", "", "", "",
                        "", other.filing_indicator)]
    segments += adjustment_segments(other.adjustments)
    segments.append(segment("AMT", "D", amount(other.paid_amount)))
    segments.append(segment("OI", "", "", "Y", "", "", "Y"))
    segments.append(name_segment("IL", "1", other.subscriber.family_name, other.subscriber.given_name, "MI",
                                 other.subscriber.identifier))
    segments += address(other.subscriber)
    segments.append(name_segment("PR", "2", other.payer.family_name, "", "PI", other.payer.identifier))
    segments.append(segment("DTP", "573", "D8", _d8(other.adjudication_date)))
    return segments


def _line_segments(number: int, line: InstitutionalLine, payer_id: str | None) -> list[str]:
    procedure = COMPONENT.join(("HC", line.hcpcs, *line.modifiers)) if line.hcpcs else ""
    segments = [
        segment("LX", number),
        segment("SV2", line.revenue_code, procedure, amount(line.amount), line.unit_basis, quantity(line.units)),
    ]
    if line.service_date is not None:
        segments.append(segment("DTP", "472", "D8", _d8(line.service_date)))
    prior = line.prior_payment
    if prior is not None and payer_id is not None:
        adjusted = sum((value for _, _, value in prior.adjustments), Decimal("0"))
        if prior.paid + adjusted != line.amount:
            raise ValueError(f"line {number}: paid {prior.paid} + adjustments {adjusted} != charge {line.amount}")
        # SVD03 (the procedure) is situational, sent when the line has a HCPCS code; SVD04, the revenue
        # code, is required (pyx12's map and the guide agree; LinuxForHealth x12 0.57 wrongly requires SVD03).
        segments += [
            segment("SVD", clean(payer_id), amount(prior.paid), procedure, line.revenue_code, quantity(prior.units)),
            *adjustment_segments(prior.adjustments),
            segment("DTP", "573", "D8", _d8(prior.adjudication_date)),
        ]
    return segments


def _claim_segments(claim: InstitutionalClaimData, hl_number: int) -> tuple[list[str], int]:
    dependent = claim.relationship != "18"
    segments = [
        segment("HL", hl_number, "1", "22", "1" if dependent else "0"),
        segment("SBR", claim.responsibility, "" if dependent else "18", clean(claim.group_number), "", "", "", "", "",
                claim.filing_indicator),
        name_segment("IL", "1", claim.subscriber.family_name, claim.subscriber.given_name, "MI",
                     claim.subscriber.identifier),
        *address(claim.subscriber),
        *demographics(claim.subscriber),
        name_segment("PR", "2", claim.payer.family_name, "", "PI", claim.payer.identifier),
    ]
    last_hl = hl_number
    if dependent:
        last_hl = hl_number + 1
        segments += [
            segment("HL", last_hl, hl_number, "23", "0"),
            segment("PAT", claim.relationship),
            name_segment("QC", "1", claim.patient.family_name, claim.patient.given_name, "", ""),
            *address(claim.patient),
            *demographics(claim.patient),
        ]
    segments.append(segment("CLM", clean(claim.claim_number), amount(claim.total), "", "",
                            COMPONENT.join((claim.facility_type, "A", claim.frequency)), "", "A", "Y", "Y"))
    if claim.inpatient and claim.discharge_hour is not None:
        segments.append(segment("DTP", "096", "TM", claim.discharge_hour.strftime("%H%M")))
    segments.append(segment("DTP", "434", "RD8", f"{_d8(claim.statement_from)}-{_d8(claim.statement_to)}"))
    if claim.admission is not None:
        segments.append(segment("DTP", "435", "DT", claim.admission.strftime("%Y%m%d%H%M")))
    segments.append(segment("CL1", claim.admission_type, claim.admission_source, claim.patient_status))
    if claim.payer_claim_number:
        segments.append(segment("REF", "F8", clean(claim.payer_claim_number)))
    segments += _diagnosis_segments(claim)
    if claim.attending is not None:
        segments.append(provider_segment("71", claim.attending))
    if claim.operating is not None:
        segments.append(provider_segment("72", claim.operating))
    if claim.other_operating is not None:
        segments.append(provider_segment("ZZ", claim.other_operating))
    payer_id = None
    if claim.other_payer is not None:
        segments += _other_payer(claim.other_payer)
        payer_id = claim.other_payer.payer.identifier
    for number, line in enumerate(claim.lines, start=1):
        segments += _line_segments(number, line, payer_id)
    return segments, last_hl


def build_837i(organisation: OrganisationData, claims: list[InstitutionalClaimData], envelope: Envelope) -> str:
    """The whole 837I interchange as text, one segment per line."""
    return claim_interchange(organisation, claims, envelope, VERSION, _claim_segments)
