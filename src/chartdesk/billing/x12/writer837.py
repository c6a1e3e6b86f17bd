"""Writing X12 837P (005010X222A1) professional claims.

`ClaimData` is a plain snapshot of a claim (built from the database by `claim_data`), so that
generating ten thousand claims is string work only. One interchange (ISA/IEA) holds one functional
group (GS/GE) of transaction sets (ST/SE) of at most 5,000 claims each, as the guide advises; each
claim sits under its own subscriber (and, for a dependent, patient) hierarchical level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

MAX_CLAIMS_PER_TRANSACTION = 5000
SEXES = ("F", "M", "U")  # DMG03 in loops 2010BA and 2010CA
ELEMENT, COMPONENT, REPETITION, TERMINATOR = "*", ":", "^", "~"
_UNSAFE = re.compile(r"[*:^~\r\n]")


@dataclass(frozen=True)
class Party:
    """A person or organisation with an address (subscriber, patient, payer)."""

    family_name: str
    given_name: str = ""
    identifier: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    birth_date: date | None = None
    sex: str = ""


@dataclass(frozen=True)
class ProviderData:
    family_name: str
    given_name: str
    npi: str


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


def clean(value: object) -> str:
    """Element text: no separators, no lowercase surprises, trimmed."""
    return _UNSAFE.sub(" ", str(value)).strip().upper()


def amount(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")), "f")
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text or "0"


def quantity(value: Decimal) -> str:
    """A unit count as it is, never rounded (x12/sendable.py refuses one the guide cannot carry)."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _segment(*elements: object) -> str:
    fields = [str(e) for e in elements]
    while len(fields) > 1 and fields[-1] == "":
        fields.pop()
    return ELEMENT.join(fields) + TERMINATOR


def _name_segment(code: str, entity: str, family: str, given: str, qualifier: str, ident: str) -> str:
    return _segment("NM1", code, entity, clean(family), clean(given), "", "", "", qualifier if ident else "",
                    clean(ident))


def _address(party: Party) -> list[str]:
    if not party.address_line:
        return []
    return [_segment("N3", clean(party.address_line)),
            _segment("N4", clean(party.city), clean(party.state), clean(party.zip_code))]


def _demographics(party: Party) -> list[str]:
    if party.birth_date is None:
        return []
    if party.sex not in SEXES:
        # Never substituted: the scrubber and the export name the fix (x12/sendable.py) before we get here.
        raise ValueError(f"sex {party.sex!r} cannot be sent in DMG03 (F, M or U)")
    return [_segment("DMG", "D8", party.birth_date.strftime("%Y%m%d"), party.sex)]


def _provider(code: str, provider: ProviderData) -> str:
    return _segment("NM1", code, "1", clean(provider.family_name), clean(provider.given_name), "", "", "", "XX",
                    provider.npi)


def _adjustment_segments(adjustments: tuple[tuple[str, str, Decimal], ...]) -> list[str]:
    """CAS segments: one per group (in the order met), up to six reason/amount pairs each."""
    segments: list[str] = []
    by_group: dict[str, list[tuple[str, Decimal]]] = {}
    for group, reason, value in adjustments:
        by_group.setdefault(group, []).append((reason, value))
    for group, reasons in by_group.items():
        for start in range(0, len(reasons), 6):
            elements: list[str] = []
            for reason, value in reasons[start:start + 6]:
                elements += [clean(reason), amount(value), ""]
            segments.append(_segment("CAS", group, *elements))
    return segments


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
                             COMPONENT.join((claim.place_of_service, "B", "1")), "Y", "A", "Y", "Y"))
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


def _transaction(organisation: OrganisationData, claims: list[ClaimData], control: int,
                 created: datetime) -> list[str]:
    segments = [
        _segment("ST", "837", f"{control:04d}", "005010X222A1"),
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
        claim_segments, last = _claim_segments(claim, hl_number)
        segments += claim_segments
        hl_number = last + 1
    segments.append(_segment("SE", len(segments) + 1, f"{control:04d}"))
    return segments


def build_837(organisation: OrganisationData, claims: list[ClaimData], envelope: Envelope) -> str:
    """The whole interchange as text, one segment per line."""
    created = envelope.created
    sender = clean(organisation.submitter_id)
    receiver = clean(organisation.receiver_id)
    head = [
        _segment("ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15), "ZZ", receiver.ljust(15),
                 created.strftime("%y%m%d"), created.strftime("%H%M"), REPETITION, "00501",
                 f"{envelope.interchange_control:09d}", "0", "P" if organisation.production else "T", COMPONENT),
        _segment("GS", "HC", sender, receiver, created.strftime("%Y%m%d"), created.strftime("%H%M"),
                 envelope.group_control, "X", "005010X222A1"),
    ]
    body: list[str] = []
    chunks = [claims[i:i + MAX_CLAIMS_PER_TRANSACTION] for i in range(0, len(claims), MAX_CLAIMS_PER_TRANSACTION)]
    envelope.transaction_controls = []
    for number, chunk in enumerate(chunks, start=1):
        envelope.transaction_controls.append(number)
        body += _transaction(organisation, chunk, number, created)
    tail = [
        _segment("GE", len(chunks), envelope.group_control),
        _segment("IEA", "1", f"{envelope.interchange_control:09d}"),
    ]
    return "\n".join(head + body + tail) + "\n"
