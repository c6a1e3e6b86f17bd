"""Writing X12 837P (005010X222A1) professional claims.

`ClaimData` is a plain snapshot of a claim (built from the database by `claim_data`), so that
generating ten thousand claims is string work only. One interchange (ISA/IEA) holds one functional
group (GS/GE) of transaction sets (ST/SE) of at most 5,000 claims each, as the guide advises; each
claim sits under its own subscriber (and, for a dependent, patient) hierarchical level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chartdesk.billing.x12.elements import (
    COMPONENT,
    Party,
    ProviderData,
    amount,
    clean,
    in_transactions,
    interchange,
    quantity,
)
from chartdesk.billing.x12.elements import address as _address
from chartdesk.billing.x12.elements import adjustment_segments as _adjustment_segments
from chartdesk.billing.x12.elements import demographics as _demographics
from chartdesk.billing.x12.elements import name_segment as _name_segment
from chartdesk.billing.x12.elements import provider_segment as _provider
from chartdesk.billing.x12.elements import segment as _segment

VERSION = "005010X222A1"


@dataclass(frozen=True)
class PriorLinePayment:
    """The primary payer's adjudication of one line, carried on the secondary claim (loop 2430).

    The 837P asks that it reconcile: paid + the adjustments = the line's charge.
    """

    paid: Decimal
    units: Decimal
    adjustments: tuple[tuple[str, str, Decimal], ...]  # (group, reason, amount)
    adjudication_date: date


@dataclass(frozen=True)
class LineData:
    code: str
    modifiers: tuple[str, ...]
    amount: Decimal
    units: Decimal
    pointers: tuple[int, ...]
    service_date: date
    place_of_service: str
    rendering: ProviderData | None = None
    prior_payment: PriorLinePayment | None = None  # only on a secondary claim (with other_payer)


@dataclass(frozen=True)
class OtherPayerData:
    """The primary payer's adjudication, carried on a secondary claim (loops 2320/2330)."""

    responsibility: str  # P
    relationship: str  # individual relationship code of the patient to that subscriber
    group_number: str
    filing_indicator: str
    subscriber: Party
    payer: Party  # identifier = payer ID
    paid_amount: Decimal
    # (group, reason, amount) at the claim level: the line-level ones travel in each line's 2430 loop
    adjustments: tuple[tuple[str, str, Decimal], ...]
    adjudication_date: date


@dataclass(frozen=True)
class ClaimData:
    claim_number: str
    total: Decimal
    place_of_service: str
    responsibility: str  # SBR01: P primary, S secondary
    relationship: str  # patient to subscriber: 18 self, 01 spouse, 19 child, G8 other
    group_number: str
    filing_indicator: str
    subscriber: Party  # identifier = member ID
    patient: Party
    payer: Party  # identifier = payer ID
    diagnoses: tuple[str, ...]
    lines: tuple[LineData, ...]
    rendering: ProviderData | None = None
    referring: ProviderData | None = None
    other_payer: OtherPayerData | None = None
    frequency: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    payer_claim_number: str = ""  # REF*F8, the payer's number of the claim a replacement or void refers to


@dataclass(frozen=True)
class OrganisationData:
    name: str
    npi: str
    tax_id: str
    taxonomy: str
    address_line: str
    city: str
    state: str
    zip_code: str
    contact_name: str
    phone: str
    submitter_id: str
    receiver_id: str
    receiver_name: str
    production: bool = False


@dataclass
class Envelope:
    interchange_control: int
    group_control: int
    created: datetime
    transaction_controls: list[int] = field(default_factory=list)


def _line_adjudication(line: LineData, prior: PriorLinePayment, procedure: str, payer_id: str) -> list[str]:
    """Loop 2430: the prior payer's payment (SVD), adjustments (CAS) and adjudication date of a line."""
    adjusted = sum((value for _, _, value in prior.adjustments), Decimal("0"))
    if prior.paid + adjusted != line.amount:
        raise ValueError(f"line {line.code}: paid {prior.paid} + adjustments {adjusted} != charge {line.amount}")
    return [
        _segment("SVD", clean(payer_id), amount(prior.paid), procedure, "", quantity(prior.units)),
        *_adjustment_segments(prior.adjustments),
        _segment("DTP", "573", "D8", prior.adjudication_date.strftime("%Y%m%d")),
    ]


def _other_payer(other: OtherPayerData) -> list[str]:
    segments = [_segment("SBR", other.responsibility, other.relationship, clean(other.group_number), "", "", "", "",
                         "", other.filing_indicator)]
    segments += _adjustment_segments(other.adjustments)
    segments.append(_segment("AMT", "D", amount(other.paid_amount)))
    segments.append(_segment("OI", "", "", "Y", "", "", "Y"))
    segments.append(_name_segment("IL", "1", other.subscriber.family_name, other.subscriber.given_name, "MI",
                                  other.subscriber.identifier))
    segments += _address(other.subscriber)
    segments.append(_name_segment("PR", "2", other.payer.family_name, "", "PI", other.payer.identifier))
    segments.append(_segment("DTP", "573", "D8", other.adjudication_date.strftime("%Y%m%d")))
    return segments


def _claim_segments(claim: ClaimData, hl_number: int) -> tuple[list[str], int]:
    """The 2000B (and 2000C) levels and the 2300/2400 loops of one claim; returns the last HL used."""
    dependent = claim.relationship != "18"
    segments = [
        _segment("HL", hl_number, "1", "22", "1" if dependent else "0"),
        _segment("SBR", claim.responsibility, "" if dependent else "18", clean(claim.group_number), "", "", "", "",
                 "", claim.filing_indicator),
        _name_segment("IL", "1", claim.subscriber.family_name, claim.subscriber.given_name, "MI",
                      claim.subscriber.identifier),
    ]
    segments += _address(claim.subscriber)
    segments += _demographics(claim.subscriber)
    segments.append(_name_segment("PR", "2", claim.payer.family_name, "", "PI", claim.payer.identifier))
    last_hl = hl_number
    if dependent:
        last_hl = hl_number + 1
        segments += [
            _segment("HL", last_hl, hl_number, "23", "0"),
            _segment("PAT", claim.relationship),
            _name_segment("QC", "1", claim.patient.family_name, claim.patient.given_name, "", ""),
        ]
        segments += _address(claim.patient)
        segments += _demographics(claim.patient)
    segments.append(_segment("CLM", clean(claim.claim_number), amount(claim.total), "", "",
                             COMPONENT.join((claim.place_of_service, "B", claim.frequency)), "Y", "A", "Y", "Y"))
    if claim.frequency in ("7", "8"):
        if not claim.payer_claim_number:
            raise ValueError(f"claim {claim.claim_number}: a replacement or void needs the payer's claim number")
        segments.append(_segment("REF", "F8", clean(claim.payer_claim_number)))
    codes = [("ABK" if n == 0 else "ABF") + COMPONENT + code for n, code in enumerate(claim.diagnoses)]
    segments.append(_segment("HI", *codes))
    if claim.referring is not None:
        segments.append(_provider("DN", claim.referring))
    if claim.rendering is not None:
        segments.append(_provider("82", claim.rendering))
    if claim.other_payer is not None:
        segments += _other_payer(claim.other_payer)
    for number, line in enumerate(claim.lines, start=1):
        procedure = COMPONENT.join(("HC", line.code, *line.modifiers))
        segments += [
            _segment("LX", number),
            _segment("SV1", procedure, amount(line.amount), "UN", quantity(line.units),
                     line.place_of_service if line.place_of_service != claim.place_of_service else "", "",
                     COMPONENT.join(str(p) for p in line.pointers)),
            _segment("DTP", "472", "D8", line.service_date.strftime("%Y%m%d")),
        ]
        if line.rendering is not None and line.rendering != claim.rendering:
            segments.append(_provider("82", line.rendering))
        if line.prior_payment is not None and claim.other_payer is not None:
            segments += _line_adjudication(line, line.prior_payment, procedure, claim.other_payer.payer.identifier)
    return segments, last_hl


ClaimWriter = Callable[[Any, int], tuple[list[str], int]]  # (claim snapshot, first HL number) -> segments, last HL


def claim_transaction(organisation: OrganisationData, claims: list[Any], control: int, created: datetime,
                      version: str, write_claim: ClaimWriter) -> list[str]:
    """One ST..SE of either claim guide: the submitter, receiver and billing provider, then each claim."""
    segments = [
        _segment("ST", "837", f"{control:04d}", version),
        _segment("BHT", "0019", "00", f"{control:04d}", created.strftime("%Y%m%d"), created.strftime("%H%M"), "CH"),
        _name_segment("41", "2", organisation.name, "", "46", organisation.submitter_id),
        _segment("PER", "IC", clean(organisation.contact_name), "TE", organisation.phone),
        _name_segment("40", "2", organisation.receiver_name, "", "46", organisation.receiver_id),
        _segment("HL", "1", "", "20", "1"),
        _segment("PRV", "BI", "PXC", clean(organisation.taxonomy)),
        _name_segment("85", "2", organisation.name, "", "XX", organisation.npi),
        _segment("N3", clean(organisation.address_line)),
        _segment("N4", clean(organisation.city), clean(organisation.state), organisation.zip_code),
        _segment("REF", "EI", organisation.tax_id),
    ]
    hl_number = 2
    for claim in claims:
        claim_segments, last = write_claim(claim, hl_number)
        segments += claim_segments
        hl_number = last + 1
    segments.append(_segment("SE", len(segments) + 1, f"{control:04d}"))
    return segments


def claim_interchange(organisation: OrganisationData, claims: list[Any], envelope: Envelope, version: str,
                      write_claim: ClaimWriter) -> str:
    """The whole interchange of either claim guide as text, one segment per line."""
    transactions = in_transactions(claims, lambda chunk, number: claim_transaction(
        organisation, chunk, number, envelope.created, version, write_claim))
    envelope.transaction_controls = list(range(1, len(transactions) + 1))
    return interchange(sender_id=organisation.submitter_id, receiver_id=organisation.receiver_id,
                       production=organisation.production, created=envelope.created,
                       interchange_control=envelope.interchange_control, group_control=envelope.group_control,
                       version=version, transactions=transactions)


def build_837(organisation: OrganisationData, claims: list[ClaimData], envelope: Envelope) -> str:
    """The whole 837P interchange as text, one segment per line."""
    return claim_interchange(organisation, claims, envelope, VERSION, _claim_segments)
