"""Reading a 277 claim status response (005010X212), refusing a malformed file by segment position.

The payer answers each claim of our 276 in a claim status loop (2200D under the subscriber, 2200E under
a dependent patient): TRN*2 echoes our trace number, STC carries the statuses (category, claim status
code, entity; STC04 the charge, STC05 the payment), REF*EJ our claim number, REF*1K the payer's, and
SVC opens a service line whose own STC follow. The statuses are read with the 277CA reader's helpers
(parser277.py), the same STC composite in both guides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from chartdesk.billing.x12.envelope import check_envelope
from chartdesk.billing.x12.parser277 import Status
from chartdesk.billing.x12.parser277 import _amount as amount_at
from chartdesk.billing.x12.parser277 import _date as date_at
from chartdesk.billing.x12.parser277 import _statuses as statuses_of
from chartdesk.billing.x12.segments import X12Malformed, split

VERSION = "005010X212"


@dataclass
class StatusAnswer:
    position: int  # the TRN segment's position
    trace_number: str
    claim_number: str = ""  # REF EJ
    payer_claim_number: str = ""  # REF 1K
    member_id: str = ""
    patient: str = ""
    statuses: list[Status] = field(default_factory=list)
    line_statuses: list[tuple[str, Status]] = field(default_factory=list)
    status_date: date | None = None
    charge: Decimal | None = None
    paid: Decimal | None = None


@dataclass
class Response277:
    interchange_control: str
    payer_name: str = ""
    answers: list[StatusAnswer] = field(default_factory=list)


def parse_277_status(text: str) -> Response277:
    """Every claim a 277 answers, with its statuses; a malformed file is refused whole."""
    separators, segments = split(text)
    check_envelope(segments, functional_id="HN", version=VERSION, set_id="277", name="277 claim status response")
    response = Response277(interchange_control=segments[0].get(13).strip())
    level, member_id, patient = "", "", ""
    current: StatusAnswer | None = None
    line = ""
    for segment in segments:
        kind = segment.id
        if kind == "HL":
            level, current, line = segment.get(3), None, ""
            if not level:
                raise X12Malformed(segment.position, "HL", "HL03 (the level code) is missing")
        elif kind == "NM1" and level == "20" and segment.get(1) == "PR":
            response.payer_name = response.payer_name or segment.get(3)
        elif kind == "NM1" and segment.get(1) in ("IL", "QC"):
            patient = " ".join(p for p in (segment.get(4), segment.get(3)) if p)
            member_id = segment.get(9) or (member_id if segment.get(1) == "QC" else "")
        elif kind == "TRN" and level in ("22", "23"):
            if not segment.get(2):
                raise X12Malformed(segment.position, "TRN", "TRN02 (the trace number) is missing")
            current = StatusAnswer(segment.position, segment.get(2), member_id=member_id, patient=patient)
            line = ""
            response.answers.append(current)
        elif current is None:
            continue
        elif kind == "STC":
            found = statuses_of(segment, separators.component)
            if line:
                current.line_statuses += [(line, status) for status in found]
            else:
                current.statuses += found
                current.status_date = current.status_date or date_at(segment, 2)
                current.charge = current.charge if current.charge is not None else amount_at(segment, 4)
                current.paid = current.paid if current.paid is not None else amount_at(segment, 5)
        elif kind == "REF" and not line and segment.get(1) == "EJ":
            current.claim_number = segment.get(2)
        elif kind == "REF" and not line and segment.get(1) == "1K":
            current.payer_claim_number = segment.get(2)
        elif kind == "SVC":
            line = segment.get(1)
    for answer in response.answers:
        if not answer.statuses:
            raise X12Malformed(answer.position, "STC", f"the answer for trace {answer.trace_number} has no STC status")
    return response
