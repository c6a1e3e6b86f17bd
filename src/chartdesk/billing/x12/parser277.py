"""Reading a 277CA claim acknowledgement (005010X214), refusing malformed files by segment position.

The clearinghouse or payer answers a batch we sent before any claim is adjudicated: for the batch as a
whole (the information receiver level, HL code 21), per billing provider (19), and per claim (patient
level, PT), each with STC statuses: a category (A1 received, A2 accepted for adjudication, A3 returned
as unprocessable, A6/A7/A8 rejected for missing, invalid or inconsistent data...), a status code and the
entity it is about. The claim is ours by TRN02, the patient control number we sent in CLM01; REF 1K is
the payer's own claim number, which a later replacement or void must quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from chartdesk.billing.x12.segments import Segment, X12Malformed, split

ACCEPTED_CATEGORIES = frozenset({"A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})


@dataclass(frozen=True)
class Status:
    category: str  # STC01-1 (or STC10/11-1)
    code: str  # STC01-2: the claim status code
    entity: str  # STC01-3: whom it is about (PR payer, 85 billing provider, 82 rendering provider...)


@dataclass
class ClaimAnswer:
    position: int  # the HL segment's position in the file
    claim_number: str = ""  # TRN02
    patient: str = ""
    member_id: str = ""
    statuses: list[Status] = field(default_factory=list)
    line_statuses: list[tuple[str, Status]] = field(default_factory=list)  # (SVC procedure, status)
    status_date: date | None = None
    amount: Decimal | None = None
    payer_claim_number: str = ""  # REF 1K
    service_from: date | None = None
    service_to: date | None = None

    @property
    def rejected(self) -> bool:
        return any(s.category in REJECTED_CATEGORIES for s in self.statuses)

    @property
    def accepted(self) -> bool:
        return not self.rejected and any(s.category in ACCEPTED_CATEGORIES for s in self.statuses)


@dataclass
class Report277:
    interchange_control: str
    sender: str  # the information source's name (NM1 AY or PR)
    batch_traces: list[str] = field(default_factory=list)  # TRN02 at the receiver level: our batch's trace
    batch_statuses: list[Status] = field(default_factory=list)
    claims: list[ClaimAnswer] = field(default_factory=list)


def _statuses(segment: Segment, component: str) -> list[Status]:
    found = []
    for index in (1, 10, 11):
        raw = segment.get(index)
        if not raw:
            continue
        parts = raw.split(component) + ["", "", ""]
        if not parts[0]:
            raise X12Malformed(segment.position, "STC", f"STC{index:02d} has no status category")
        found.append(Status(parts[0], parts[1], parts[2]))
    if not found:
        raise X12Malformed(segment.position, "STC", "STC01 (the status) is missing")
    return found


def _date(segment: Segment, index: int) -> date | None:
    text = segment.get(index)
    if not text:
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise X12Malformed(segment.position, segment.id, f"{text!r} is not a date (CCYYMMDD)") from None


def _amount(segment: Segment, index: int) -> Decimal | None:
    text = segment.get(index)
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise X12Malformed(segment.position, segment.id, f"{text!r} is not an amount") from None


def _envelope(segments: list[Segment]) -> None:
    ids = [s.id for s in segments]
    for needed in ("GS", "ST", "SE", "GE", "IEA"):
        if needed not in ids:
            raise X12Malformed(len(segments), needed, f"the file has no {needed} segment")
    gs = segments[ids.index("GS")]
    if gs.get(1) != "HN" or not gs.get(8).startswith("005010X214"):
        raise X12Malformed(gs.position, "GS", f"this is not a 277CA claim acknowledgement (GS01 {gs.get(1)!r}, "
                                              f"GS08 {gs.get(8)!r}; a 277CA has HN and 005010X214)")
    starts = [n for n, s in enumerate(segments) if s.id == "ST"]
    ends = [n for n, s in enumerate(segments) if s.id == "SE"]
    if len(starts) != len(ends):
        raise X12Malformed(segments[-1].position, "SE", "a transaction set has no SE trailer")
    for start, end in zip(starts, ends, strict=True):
        if segments[start].get(1) != "277":
            raise X12Malformed(segments[start].position, "ST", f"ST01 is {segments[start].get(1)!r}, not 277")
        if segments[end].get(2).lstrip("0") != segments[start].get(2).lstrip("0"):
            raise X12Malformed(segments[end].position, "SE", "SE02 does not match its ST02 control number")


def parse_277ca(text: str) -> Report277:
    """The statuses a 277CA reports, batch and claim by claim; a malformed file is refused whole."""
    separators, segments = split(text)
    _envelope(segments)
    component = separators.component
    report = Report277(interchange_control=segments[0].get(13).strip(), sender="")
    level = ""
    current: ClaimAnswer | None = None
    line_procedure = ""
    for segment in segments:
        kind = segment.id
        if kind == "HL":
            level = segment.get(3)
            if not level:
                raise X12Malformed(segment.position, "HL", "HL03 (the level code) is missing")
            line_procedure = ""
            current = ClaimAnswer(position=segment.position) if level == "PT" else None
            if current is not None:
                report.claims.append(current)
        elif kind == "NM1" and level == "20" and segment.get(1) in ("AY", "PR"):
            report.sender = segment.get(3)
        elif kind == "NM1" and current is not None and segment.get(1) == "QC":
            current.patient = " ".join(p for p in (segment.get(4), segment.get(3)) if p)
            current.member_id = segment.get(9)
        elif kind == "TRN" and segment.get(1) == "2":
            if current is not None:
                current.claim_number = segment.get(2)
            elif level == "21":
                report.batch_traces.append(segment.get(2))
        elif kind == "SVC" and current is not None:
            line_procedure = segment.get(1)
        elif kind == "STC":
            statuses = _statuses(segment, component)
            if current is None:
                if level == "21":
                    report.batch_statuses += statuses
                continue
            if line_procedure:
                current.line_statuses += [(line_procedure, status) for status in statuses]
            else:
                current.statuses += statuses
                current.status_date = current.status_date or _date(segment, 2)
                current.amount = current.amount if current.amount is not None else _amount(segment, 4)
        elif kind == "REF" and current is not None and segment.get(1) == "1K":
            current.payer_claim_number = segment.get(2)
        elif kind == "DTP" and current is not None and segment.get(1) == "472" and not line_procedure:
            value = segment.get(3)
            if segment.get(2) == "RD8" and "-" in value:
                start, _, end = value.partition("-")
                current.service_from = _date(Segment(segment.position, ["DTP", start]), 1)
                current.service_to = _date(Segment(segment.position, ["DTP", end]), 1)
            else:
                current.service_from = current.service_to = _date(segment, 3)
    for claim in report.claims:
        if not claim.claim_number:
            raise X12Malformed(claim.position, "TRN", "a claim (patient level) has no TRN02 claim number")
        if not claim.statuses:
            raise X12Malformed(claim.position, "STC", f"claim {claim.claim_number} has no STC status")
    return report
