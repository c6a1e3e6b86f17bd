"""Reading an 837P back into claims: the round trip that proves what we send says what we meant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from chartdesk.billing.x12.segments import Segment, X12Malformed, split


@dataclass
class ReadLine:
    code: str
    modifiers: tuple[str, ...]
    amount: Decimal
    units: Decimal
    pointers: tuple[int, ...]
    service_date: date | None = None
    rendering_npi: str = ""
    # loop 2430: the prior payer's adjudication of this line (secondary claims)
    prior_payer_id: str = ""
    prior_paid: Decimal | None = None
    prior_units: Decimal | None = None
    prior_adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)
    prior_adjudication_date: date | None = None


@dataclass
class ReadClaim:
    claim_number: str
    total: Decimal
    place_of_service: str
    responsibility: str
    relationship: str
    member_id: str
    subscriber_name: tuple[str, str]
    patient_name: tuple[str, str]
    payer_id: str
    diagnoses: tuple[str, ...] = ()
    rendering_npi: str = ""
    lines: list[ReadLine] = field(default_factory=list)
    other_payer_id: str = ""
    other_payer_paid: Decimal | None = None
    other_payer_adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)


@dataclass
class ReadBatch:
    interchange_control: int
    group_control: int
    billing_npi: str
    claims: list[ReadClaim]


def _cas(segment: Segment) -> list[tuple[str, str, Decimal]]:
    group = segment.get(1)
    return [(group, segment.get(start), _decimal(segment, start + 1))
            for start in range(2, len(segment.elements), 3) if segment.get(start)]


def _date(segment: Segment) -> date:
    try:
        return datetime.strptime(segment.get(3), "%Y%m%d").date()
    except ValueError:
        raise X12Malformed(segment.position, segment.id, f"'{segment.get(3)}' is not a date (CCYYMMDD)") from None


def _decimal(segment: Segment, index: int) -> Decimal:
    try:
        return Decimal(segment.get(index))
    except ArithmeticError:
        raise X12Malformed(segment.position, segment.id, f"element {index} is not a number") from None


@dataclass
class _Context:
    responsibility: str = ""
    relationship: str = ""
    member_id: str = ""
    subscriber_name: tuple[str, str] = ("", "")
    patient_name: tuple[str, str] = ("", "")
    payer_id: str = ""
    in_other_payer: bool = False
    in_line_adjudication: bool = False


def read_837(text: str) -> ReadBatch:
    """The claims of an 837P interchange, in file order."""
    separators, segments = split(text)
    component = separators.component
    isa = segments[0]
    claims: list[ReadClaim] = []
    context = _Context()
    claim: ReadClaim | None = None
    group_control = 0
    billing_npi = ""
    for segment in segments:
        kind = segment.id
        if kind == "GS":
            group_control = int(segment.get(6))
        elif kind == "HL" and segment.get(3) == "22":
            context = _Context()
            claim = None
        elif kind == "SBR":
            if claim is None:
                context.responsibility = segment.get(1)
                context.relationship = segment.get(2) or context.relationship
            else:
                context.in_other_payer = True
        elif kind == "PAT":
            context.relationship = segment.get(1)
        elif kind == "NM1":
            code = segment.get(1)
            if code == "85":
                billing_npi = segment.get(9)
            elif code == "IL" and claim is None:
                context.member_id = segment.get(9)
                context.subscriber_name = (segment.get(3), segment.get(4))
                context.patient_name = context.subscriber_name
            elif code == "QC":
                context.patient_name = (segment.get(3), segment.get(4))
            elif code == "PR" and claim is None:
                context.payer_id = segment.get(9)
            elif code == "PR" and claim is not None and context.in_other_payer:
                claim.other_payer_id = segment.get(9)
            elif code == "82" and claim is not None:
                if claim.lines:
                    claim.lines[-1].rendering_npi = segment.get(9)
                else:
                    claim.rendering_npi = segment.get(9)
        elif kind == "CLM":
            place = segment.get(5).split(component)[0]
            claim = ReadClaim(
                claim_number=segment.get(1), total=_decimal(segment, 2), place_of_service=place,
                responsibility=context.responsibility, relationship=context.relationship or "18",
                member_id=context.member_id, subscriber_name=context.subscriber_name,
                patient_name=context.patient_name, payer_id=context.payer_id,
            )
            claims.append(claim)
        elif kind == "HI" and claim is not None:
            claim.diagnoses = tuple(element.split(component)[1] for element in segment.elements[1:] if element)
        elif kind == "CAS" and claim is not None and context.in_other_payer and not claim.lines:
            claim.other_payer_adjustments += _cas(segment)
        elif kind == "LX":
            context.in_line_adjudication = False
        elif kind == "SVD" and claim is not None and claim.lines:
            context.in_line_adjudication = True
            line = claim.lines[-1]
            line.prior_payer_id, line.prior_paid = segment.get(1), _decimal(segment, 2)
            line.prior_units = _decimal(segment, 5)
        elif kind == "CAS" and claim is not None and context.in_line_adjudication:
            claim.lines[-1].prior_adjustments += _cas(segment)
        elif kind == "DTP" and claim is not None and context.in_line_adjudication and segment.get(1) == "573":
            claim.lines[-1].prior_adjudication_date = _date(segment)
        elif kind == "AMT" and claim is not None and segment.get(1) == "D":
            claim.other_payer_paid = _decimal(segment, 2)
        elif kind == "SV1" and claim is not None:
            procedure = segment.get(1).split(component)
            pointers = tuple(int(p) for p in segment.get(7).split(component) if p)
            claim.lines.append(ReadLine(code=procedure[1], modifiers=tuple(procedure[2:]), amount=_decimal(segment, 2),
                                        units=_decimal(segment, 4), pointers=pointers))
        elif kind == "DTP" and claim is not None and segment.get(1) == "472" and claim.lines:
            claim.lines[-1].service_date = _date(segment)
    return ReadBatch(interchange_control=int(isa.get(13)), group_control=group_control, billing_npi=billing_npi,
                     claims=claims)
