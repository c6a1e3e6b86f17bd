"""Reading an X12 835 (005010X221A1) remittance, refusing malformed files by segment position.

Everything is checked before anything is posted: the envelope (ISA/IEA, GS/GE, ST/SE counts and
control numbers), the amounts, the adjustment groups, and that each claim balances (charge minus
paid equals its adjustments) and the payment equals the claims' payments less provider adjustments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chartdesk.billing.x12.segments import Segment, X12Malformed, split

ADJUSTMENT_GROUPS = {"CO", "PR", "OA", "PI", "CR"}


@dataclass
class Adjustment:
    group: str
    reason: str
    amount: Decimal


@dataclass
class ServicePayment:
    """One service line's adjudication (SVC with its CAS and DTM): the source of an 837P 2430 loop."""

    code: str
    charge: Decimal
    paid: Decimal
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal("1")
    service_date: date | None = None
    position: int = 0
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ*HE: remittance advice remark codes (RARC)


@dataclass
class ClaimRemit:
    claim_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str
    position: int
    adjustments: list[Adjustment] = field(default_factory=list)  # claim level
    services: list[ServicePayment] = field(default_factory=list)

    def all_adjustments(self) -> list[Adjustment]:
        return self.adjustments + [a for service in self.services for a in service.adjustments]


def claim_remit_to_json(remit: ClaimRemit) -> dict[str, Any]:
    """A parsed CLP as JSON (amounts as strings, dates as ISO), to be posted later exactly as read."""
    def adjustments(items: list[Adjustment]) -> list[list[str]]:
        return [[a.group, a.reason, str(a.amount)] for a in items]

    return {
        "claim_number": remit.claim_number, "status_code": remit.status_code, "charge": str(remit.charge),
        "paid": str(remit.paid), "patient_responsibility": str(remit.patient_responsibility),
        "payer_claim_number": remit.payer_claim_number, "position": remit.position,
        "adjustments": adjustments(remit.adjustments),
        "services": [{"code": s.code, "charge": str(s.charge), "paid": str(s.paid), "modifiers": list(s.modifiers),
                      "units": str(s.units), "service_date": s.service_date.isoformat() if s.service_date else None,
                      "position": s.position, "adjustments": adjustments(s.adjustments),
                      "remarks": list(s.remarks)} for s in remit.services],
    }


def claim_remit_from_json(data: dict[str, Any]) -> ClaimRemit:
    def adjustments(items: list[list[str]]) -> list[Adjustment]:
        return [Adjustment(group, reason, Decimal(amount)) for group, reason, amount in items]

    return ClaimRemit(
        claim_number=data["claim_number"], status_code=data["status_code"], charge=Decimal(data["charge"]),
        paid=Decimal(data["paid"]), patient_responsibility=Decimal(data["patient_responsibility"]),
        payer_claim_number=data["payer_claim_number"], position=data["position"],
        adjustments=adjustments(data["adjustments"]),
        services=[ServicePayment(
            code=s["code"], charge=Decimal(s["charge"]), paid=Decimal(s["paid"]), modifiers=tuple(s["modifiers"]),
            units=Decimal(s["units"]), position=s["position"], adjustments=adjustments(s["adjustments"]),
            service_date=date.fromisoformat(s["service_date"]) if s["service_date"] else None,
            remarks=list(s.get("remarks", [])),  # held before remarks were kept: none
        ) for s in data["services"]],
    )


@dataclass
class Remit:
    payer_name: str
    payer_identifier: str
    trace_number: str
    payment_amount: Decimal
    payment_date: date | None
    claims: list[ClaimRemit] = field(default_factory=list)


def _money(segment: Segment, index: int, what: str, *, required: bool = True) -> Decimal:
    raw = segment.get(index)
    if not raw:
        if required:
            raise X12Malformed(segment.position, segment.id, f"{what} ({segment.id}{index:02d}) is missing")
        return Decimal("0")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise X12Malformed(segment.position, segment.id, f"{what} ({segment.id}{index:02d}) '{raw}' is not an amount"
                           ) from None
    if not value.is_finite():
        raise X12Malformed(segment.position, segment.id, f"{what} '{raw}' is not an amount")
    return value


# SVC01-1, the kind of code that identifies the service (X12 835 005010X221A1, element 235).
PRODUCT_QUALIFIERS = {"AD", "ER", "HC", "HP", "IV", "N4", "N6", "NU", "UI", "WK"}


def _procedure(segment: Segment, parts: list[str], claim_number: str) -> list[str]:
    """SVC01 as [qualifier, code, modifiers...], or a refusal naming what is missing: without its
    code a line cannot be matched to what was billed, whatever its amounts say."""
    qualifier = parts[0].strip()
    code = parts[1].strip() if len(parts) > 1 else ""
    where = f"a service line of claim {claim_number}"
    if not qualifier and not code:
        raise X12Malformed(segment.position, "SVC", f"{where} has no procedure code (SVC01 is empty)")
    if qualifier not in PRODUCT_QUALIFIERS:
        raise X12Malformed(segment.position, "SVC", f"{where} has '{qualifier}' where the code qualifier (SVC01-1: "
                                                    f"{', '.join(sorted(PRODUCT_QUALIFIERS))}) belongs")
    if not code:
        raise X12Malformed(segment.position, "SVC", f"{where} has no procedure code (SVC01-2 is empty)")
    return [qualifier, code, *parts[2:]]


def _date(segment: Segment, index: int) -> date:
    try:
        return datetime.strptime(segment.get(index), "%Y%m%d").date()
    except ValueError:
        raise X12Malformed(segment.position, segment.id, f"'{segment.get(index)}' is not a date (CCYYMMDD)") from None


def _adjustments(segment: Segment) -> list[Adjustment]:
    group = segment.get(1)
    if group not in ADJUSTMENT_GROUPS:
        raise X12Malformed(segment.position, "CAS", f"adjustment group '{group}' is not CO, PR, OA, PI or CR")
    found = []
    for start in range(2, min(len(segment.elements), 20), 3):
        reason = segment.get(start)
        if not reason:
            continue
        found.append(Adjustment(group, reason, _money(segment, start + 1, "adjustment amount")))
    if not found:
        raise X12Malformed(segment.position, "CAS", "the adjustment has no reason code")
    return found


def _check_envelope(segments: list[Segment]) -> None:
    if segments[-1].id != "IEA":
        raise X12Malformed(segments[-1].position, segments[-1].id, "the interchange does not end with IEA")
    isa, iea = segments[0], segments[-1]
    if iea.get(2) != isa.get(13):
        raise X12Malformed(iea.position, "IEA", f"control number {iea.get(2)} does not match ISA13 {isa.get(13)}")
    groups = [s for s in segments if s.id == "GS"]
    if iea.get(1) != str(len(groups)):
        raise X12Malformed(iea.position, "IEA", f"says {iea.get(1)} groups, the file has {len(groups)}")
    for segment in segments:
        if not segment.id.isalnum() or not 2 <= len(segment.id) <= 3:
            raise X12Malformed(segment.position, segment.id[:3], "this is not a segment")


def parse_835(text: str) -> list[Remit]:
    """The remittances (one per ST/SE) in an 835 interchange; X12Malformed on anything wrong."""
    _separators, segments = split(text)
    _check_envelope(segments)
    remits: list[Remit] = []
    current: Remit | None = None
    claim: ClaimRemit | None = None
    service: ServicePayment | None = None
    st: Segment | None = None
    gs: Segment | None = None
    sets_in_group = 0
    provider_adjustments = Decimal("0")
    seen_bpr = False
    for segment in segments:
        kind = segment.id
        if kind == "GS":
            if segment.get(1) != "HP":
                raise X12Malformed(segment.position, "GS", f"functional group '{segment.get(1)}' is not HP (835)")
            gs, sets_in_group = segment, 0
        elif kind == "ST":
            if segment.get(1) != "835":
                raise X12Malformed(segment.position, "ST", f"transaction set {segment.get(1)} is not an 835")
            st, claim, service, provider_adjustments = segment, None, None, Decimal("0")
            seen_bpr = False
            current = Remit(payer_name="", payer_identifier="", trace_number="", payment_amount=Decimal("0"),
                            payment_date=None)
            sets_in_group += 1
        elif current is None or st is None:
            if kind not in {"ISA", "IEA", "GE"}:
                raise X12Malformed(segment.position, kind, "segment outside a transaction set")
            if kind == "GE":
                if gs is None or segment.get(2) != gs.get(6) or segment.get(1) != str(sets_in_group):
                    raise X12Malformed(segment.position, "GE", "count or control number does not match its GS")
        elif kind == "BPR":
            seen_bpr = True
            current.payment_amount = _money(segment, 2, "total payment")
            # Some payers send an impossible BPR16; the production date (DTM*405) stands in for it.
            try:
                current.payment_date = datetime.strptime(segment.get(16), "%Y%m%d").date()
            except ValueError:
                current.payment_date = None
        elif kind == "DTM" and segment.get(1) == "405" and claim is None:
            current.payment_date = current.payment_date or _date(segment, 2)
        elif kind == "TRN":
            current.trace_number = segment.get(2)
            current.payer_identifier = segment.get(3)
            if not current.trace_number:
                raise X12Malformed(segment.position, "TRN", "the trace number (TRN02) is missing")
        elif kind == "N1":
            if segment.get(1) == "PR":
                current.payer_name = segment.get(2)
        elif kind == "CLP":
            if len(segment.elements) < 8 or not segment.get(1):
                raise X12Malformed(segment.position, "CLP", "a claim payment needs CLP01 to CLP07")
            claim = ClaimRemit(
                claim_number=segment.get(1), status_code=segment.get(2),
                charge=_money(segment, 3, "claim charge"), paid=_money(segment, 4, "claim payment"),
                patient_responsibility=_money(segment, 5, "patient responsibility", required=False),
                payer_claim_number=segment.get(7), position=segment.position,
            )
            current.claims.append(claim)
            service = None
        elif kind == "SVC":
            if claim is None:
                raise X12Malformed(segment.position, "SVC", "service payment before any claim (CLP)")
            procedure = _procedure(segment, segment.get(1).split(_separators.component), claim.claim_number)
            # SVC05 (units paid) is left out when it is one.
            units = _money(segment, 5, "units paid") if segment.get(5) else Decimal("1")
            service = ServicePayment(code=procedure[1], modifiers=tuple(m for m in procedure[2:6] if m),
                                     charge=_money(segment, 2, "line charge"), paid=_money(segment, 3, "line payment"),
                                     units=units, position=segment.position)
            claim.services.append(service)
        elif kind == "DTM" and service is not None and segment.get(1) in {"472", "150"}:
            service.service_date = _date(segment, 2)
        elif kind == "LQ" and service is not None and segment.get(1) == "HE" and segment.get(2):
            service.remarks.append(segment.get(2))
        elif kind == "CAS":
            if claim is None:
                raise X12Malformed(segment.position, "CAS", "adjustment before any claim (CLP)")
            (service.adjustments if service is not None else claim.adjustments).extend(_adjustments(segment))
        elif kind == "PLB":
            for index in range(4, len(segment.elements), 2):
                provider_adjustments += _money(segment, index, "provider adjustment")
        elif kind == "SE":
            count = segment.position - st.position + 1
            if segment.get(2) != st.get(2):
                raise X12Malformed(segment.position, "SE", f"control number {segment.get(2)} does not match ST02")
            if segment.get(1) != str(count):
                raise X12Malformed(segment.position, "SE", f"says {segment.get(1)} segments, the set has {count}")
            if not seen_bpr:
                raise X12Malformed(segment.position, "SE", "the transaction set has no BPR payment segment")
            if not current.trace_number:
                raise X12Malformed(segment.position, "SE", "the transaction set has no TRN trace number")
            _check_balances(current, provider_adjustments, segment)
            remits.append(current)
            current, st, claim, service = None, None, None, None
    if current is not None:
        raise X12Malformed(segments[-1].position, "SE", "the last transaction set has no SE")
    if not remits:
        raise X12Malformed(1, "ST", "the file holds no 835 transaction set")
    return remits


def _check_balances(remit: Remit, provider_adjustments: Decimal, se: Segment) -> None:
    for claim in remit.claims:
        # Lines first: a line that does not balance also unbalances its claim, and the line is the
        # problem to name.
        for service in claim.services:
            # Each line balances on its own too: its adjudication becomes a secondary claim's 2430 loop,
            # where the 837P asks line paid + line adjustments = line charge.
            line_adjusted = sum((a.amount for a in service.adjustments), Decimal("0"))
            if service.charge - service.paid != line_adjusted:
                raise X12Malformed(service.position, "SVC", f"the {service.code} line of claim {claim.claim_number} "
                                                            f"does not balance: charge {service.charge} - paid "
                                                            f"{service.paid} != adjustments {line_adjusted}")
        adjusted = sum((a.amount for a in claim.all_adjustments()), Decimal("0"))
        if claim.charge - claim.paid != adjusted:
            raise X12Malformed(claim.position, "CLP", f"claim {claim.claim_number} does not balance: charge "
                                                      f"{claim.charge} - paid {claim.paid} != adjustments {adjusted}")
    paid = sum((c.paid for c in remit.claims), Decimal("0")) - provider_adjustments
    if paid != remit.payment_amount:
        raise X12Malformed(se.position, "BPR", f"the payment {remit.payment_amount} is not the claims' payments less "
                                               f"provider adjustments ({paid})")
