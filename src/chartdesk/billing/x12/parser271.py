"""Reading a 271 eligibility response (005010X279A1), refusing a malformed file by segment position.

Each answer is a subscriber level (HL 22) or dependent level (HL 23) holding TRN*2: TRN02 is the trace
number of our 270 request, which finds the coverage. The level carries the person the payer found
(NM1 IL or 03), the plan's dates (DTP 346/347 plan begin/end, 356/357 eligibility, 291/307 as ranges),
AAA rejections, and the benefits (EB loops: active or inactive coverage, co-payment, co-insurance,
deductible...). An AAA at the payer or receiver level (HL 20/21) rejects every request of the 270
transaction set that BHT03 names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from chartdesk.billing.x12.envelope import check_envelope
from chartdesk.billing.x12.segments import Segment, X12Malformed, split

VERSION = "005010X279A1"


@dataclass(frozen=True)
class Benefit:
    code: str  # EB01
    coverage_level: str  # EB02 (IND, FAM...)
    service_types: tuple[str, ...]  # EB03 repetitions
    insurance_type: str  # EB04
    plan: str  # EB05
    time_period: str  # EB06
    amount: Decimal | None  # EB07
    percent: Decimal | None  # EB08, a fraction (.2 is 20%)
    in_network: str  # EB12: Y, N, W (does not apply) or empty
    position: int


@dataclass(frozen=True)
class Rejection:
    valid_request: str  # AAA01
    reason: str  # AAA03
    follow_up: str  # AAA04
    position: int


@dataclass
class EligibilityAnswer:
    position: int  # the HL segment's position
    level: str  # 22 subscriber, 23 dependent
    trace_number: str = ""
    trace_originator: str = ""  # TRN03
    family_name: str = ""
    given_name: str = ""
    member_id: str = ""
    birth_date: date | None = None
    dates: dict[str, tuple[date, date | None]] = field(default_factory=dict)  # DTP qualifier -> (from, to)
    rejections: list[Rejection] = field(default_factory=list)
    benefits: list[Benefit] = field(default_factory=list)


@dataclass
class Transaction271:
    reference: str  # BHT03: our 270 transaction's BHT03
    payer_name: str = ""
    payer_id: str = ""
    rejections: list[Rejection] = field(default_factory=list)  # payer or receiver level (HL 20/21)
    answers: list[EligibilityAnswer] = field(default_factory=list)


@dataclass
class Response271:
    interchange_control: str
    transactions: list[Transaction271] = field(default_factory=list)

    @property
    def answers(self) -> list[EligibilityAnswer]:
        return [answer for transaction in self.transactions for answer in transaction.answers]


def _date(segment: Segment, text: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise X12Malformed(segment.position, segment.id, f"{text!r} is not a date (CCYYMMDD)") from None


def _decimal(segment: Segment, index: int, what: str) -> Decimal | None:
    text = segment.get(index)
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise X12Malformed(segment.position, segment.id, f"EB{index:02d} {text!r} is not {what}") from None


def _period(segment: Segment) -> tuple[date, date | None]:
    qualifier, value = segment.get(2), segment.get(3)
    if qualifier == "D8":
        return _date(segment, value), None
    if qualifier == "RD8" and "-" in value:
        start, _, end = value.partition("-")
        return _date(segment, start), _date(segment, end)
    raise X12Malformed(segment.position, "DTP", f"DTP02 {qualifier!r} with {value!r} is not a D8 date or RD8 range")


def _benefit(segment: Segment, repetition: str) -> Benefit:
    if not segment.get(1):
        raise X12Malformed(segment.position, "EB", "EB01 (the eligibility or benefit code) is missing")
    return Benefit(code=segment.get(1), coverage_level=segment.get(2),
                   service_types=tuple(t for t in segment.get(3).split(repetition) if t),
                   insurance_type=segment.get(4), plan=segment.get(5), time_period=segment.get(6),
                   amount=_decimal(segment, 7, "an amount"), percent=_decimal(segment, 8, "a percent"),
                   in_network=segment.get(12), position=segment.position)


def parse_271(text: str) -> Response271:
    """Every answer of a 271 with its trace number; a malformed file is refused whole."""
    separators, segments = split(text)
    check_envelope(segments, functional_id="HB", version=VERSION, set_id="271", name="271 eligibility response")
    response = Response271(interchange_control=segments[0].get(13).strip())
    transaction: Transaction271 | None = None
    current: EligibilityAnswer | None = None
    level = ""
    in_benefits = False  # after the first EB of a level, DTP and AAA belong to the benefit (loop 2110)
    in_related = False  # LS..LE wraps a benefit's related entity (loop 2120), whose NM1 is not the member's
    for segment in segments:
        kind = segment.id
        if kind == "ST":
            transaction = None
        elif kind == "BHT":
            transaction = Transaction271(reference=segment.get(3))
            response.transactions.append(transaction)
        elif transaction is None:
            continue
        elif kind == "HL":
            level = segment.get(3)
            if not level:
                raise X12Malformed(segment.position, "HL", "HL03 (the level code) is missing")
            in_benefits = in_related = False
            current = EligibilityAnswer(segment.position, level) if level in ("22", "23") else None
            if current is not None:
                transaction.answers.append(current)
        elif kind == "LS":
            in_related = True
        elif kind == "LE":
            in_related = False
        elif in_related:
            continue
        elif kind == "NM1" and level == "20" and segment.get(1) == "PR":
            transaction.payer_name, transaction.payer_id = segment.get(3), segment.get(9)
        elif kind == "AAA":
            rejection = Rejection(segment.get(1), segment.get(3), segment.get(4), segment.position)
            if current is None:
                transaction.rejections.append(rejection)
            else:
                current.rejections.append(rejection)
        elif current is None:
            continue
        elif kind == "TRN" and segment.get(1) == "2":
            if not segment.get(2):
                raise X12Malformed(segment.position, "TRN", "TRN02 (the trace number) is missing")
            current.trace_number, current.trace_originator = segment.get(2), segment.get(3)
        elif kind == "NM1" and segment.get(1) in ("IL", "03"):
            current.family_name, current.given_name = segment.get(3), segment.get(4)
            current.member_id = segment.get(9) or current.member_id
        elif kind == "DMG" and segment.get(2):
            current.birth_date = _date(segment, segment.get(2))
        elif kind == "DTP" and not in_benefits:
            current.dates[segment.get(1)] = _period(segment)
        elif kind == "EB":
            in_benefits = True
            current.benefits.append(_benefit(segment, separators.repetition))
    # A subscriber level that only opens its dependent's level is not an answer of its own.
    for item in response.transactions:
        item.answers = [a for a in item.answers if a.trace_number or a.rejections or a.benefits]
        for answer in item.answers:
            if not answer.trace_number:
                raise X12Malformed(answer.position, "TRN", "an answer (HL 22 or 23) has no TRN*2 trace number")
    return response
