"""Reading a 999 implementation acknowledgement (005010X231A1), refusing malformed files by segment position.

A 999 answers one functional group we sent (AK1: its GS06) transaction set by transaction set (AK2:
its ST02), with IK3 (a segment in error, by its position inside our ST), IK4 (an element of it),
IK5 (the set accepted or rejected) and AK9 (the group). Envelope counts and control numbers are
checked before anything is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chartdesk.billing.x12.ack_codes import (
    ACK_STATUS,
    ELEMENT_ERRORS,
    GROUP_ERRORS,
    SEGMENT_ERRORS,
    TRANSACTION_ERRORS,
    explain,
)
from chartdesk.billing.x12.segments import Segment, X12Malformed, split


@dataclass
class ElementError:
    position: str  # IK4-01: element position (with component) in the segment
    data_element: str  # IK4-02
    code: str  # IK4-03
    bad_value: str  # IK4-04

    @property
    def text(self) -> str:
        return explain(ELEMENT_ERRORS, self.code)


@dataclass
class SegmentError:
    segment_id: str  # IK3-01
    position: int  # IK3-02: counted from our ST (ST is 1)
    loop: str  # IK3-03
    code: str  # IK3-04
    elements: list[ElementError] = field(default_factory=list)

    @property
    def text(self) -> str:
        return explain(SEGMENT_ERRORS, self.code)


@dataclass
class SetAck:
    control: str  # AK2-02: our ST02
    status: str  # IK5-01
    codes: list[str]  # IK5-02..06
    segments: list[SegmentError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status in {"A", "E"}


@dataclass
class GroupAck:
    group_control: int  # AK1-02: our GS06
    version: str  # AK1-03
    status: str  # AK9-01
    sets_sent: int  # AK9-02
    sets_received: int  # AK9-03
    sets_accepted: int  # AK9-04
    codes: list[str]  # AK9-05..09
    sets: list[SetAck] = field(default_factory=list)


@dataclass
class Ack999:
    interchange_control: str
    sender: str
    groups: list[GroupAck] = field(default_factory=list)


def _int(segment: Segment, index: int, what: str) -> int:
    value = segment.get(index).strip()
    if not value.isdecimal():
        raise X12Malformed(segment.position, segment.id, f"{what} must be a number, not {value!r}")
    return int(value)


def _need(segment: Segment, index: int, what: str) -> str:
    value = segment.get(index).strip()
    if not value:
        raise X12Malformed(segment.position, segment.id, f"{what} is missing")
    return value


def _status(segment: Segment) -> str:
    status = _need(segment, 1, "the acknowledgement code")
    if status not in ACK_STATUS:
        raise X12Malformed(segment.position, segment.id, f"{status!r} is not an acknowledgement code")
    return status


def parse_999(text: str) -> Ack999:
    separators, segments = split(text)
    if not segments or segments[-1].id != "IEA":
        last = segments[-1] if segments else None
        raise X12Malformed(last.position if last else 0, last.id if last else "", "the IEA trailer is missing")
    isa = segments[0]
    ack = Ack999(interchange_control=isa.get(13).strip(), sender=isa.get(6).strip())
    group: GroupAck | None = None
    current: SetAck | None = None
    segment_error: SegmentError | None = None
    st_position = 0
    st_control = ""
    sets_in_group = 0
    groups = 0
    for segment in segments[1:]:
        kind = segment.id
        if kind == "GS":
            if segment.get(1) != "FA":
                raise X12Malformed(segment.position, kind, "a 999 travels in a GS with functional ID FA")
            groups += 1
            sets_in_group = 0
        elif kind == "ST":
            if segment.get(1) != "999":
                raise X12Malformed(segment.position, kind, f"transaction set {segment.get(1)!r} is not a 999")
            st_position, st_control, group = segment.position, segment.get(2), None
        elif kind == "AK1":
            group = GroupAck(group_control=_int(segment, 2, "AK1-02 (the group control number)"),
                             version=segment.get(3), status="", sets_sent=0, sets_received=0, sets_accepted=0,
                             codes=[])
            ack.groups.append(group)
        elif kind == "AK2":
            if group is None:
                raise X12Malformed(segment.position, kind, "AK2 before AK1")
            current = SetAck(control=_need(segment, 2, "AK2-02 (the transaction set control number)"), status="",
                             codes=[])
            group.sets.append(current)
            segment_error = None
        elif kind == "IK3":
            if current is None:
                raise X12Malformed(segment.position, kind, "IK3 outside an AK2")
            segment_error = SegmentError(segment_id=segment.get(1), position=_int(segment, 2, "IK3-02"),
                                         loop=segment.get(3), code=segment.get(4))
            current.segments.append(segment_error)
        elif kind == "IK4":
            if segment_error is None:
                raise X12Malformed(segment.position, kind, "IK4 outside an IK3")
            segment_error.elements.append(ElementError(
                position=segment.get(1).replace(separators.component, "."), data_element=segment.get(2),
                code=_need(segment, 3, "IK4-03 (the error code)"), bad_value=segment.get(4)))
        elif kind == "CTX":
            continue  # context of an error (business unit, segment context): the IK3/IK4 say what failed
        elif kind == "IK5":
            if current is None:
                raise X12Malformed(segment.position, kind, "IK5 outside an AK2")
            current.status = _status(segment)
            current.codes = [code for code in segment.elements[2:7] if code]
            current, segment_error = None, None
        elif kind == "AK9":
            if group is None:
                raise X12Malformed(segment.position, kind, "AK9 before AK1")
            if any(not s.status for s in group.sets):
                raise X12Malformed(segment.position, kind, "a transaction set has no IK5")
            group.status = _status(segment)
            group.sets_sent = _int(segment, 2, "AK9-02")
            group.sets_received = _int(segment, 3, "AK9-03")
            group.sets_accepted = _int(segment, 4, "AK9-04")
            group.codes = [code for code in segment.elements[5:10] if code]
        elif kind == "SE":
            if segment.get(2) != st_control:
                raise X12Malformed(segment.position, kind, f"SE02 {segment.get(2)!r} does not match ST02 "
                                                           f"{st_control!r}")
            count = _int(segment, 1, "SE01")
            if count != segment.position - st_position + 1:
                raise X12Malformed(segment.position, kind, f"SE01 says {count} segments, the set has "
                                                           f"{segment.position - st_position + 1}")
            if group is None or not group.status:
                raise X12Malformed(segment.position, kind, "the transaction set has no AK1/AK9")
            sets_in_group += 1
        elif kind == "GE":
            if _int(segment, 1, "GE01") != sets_in_group:
                raise X12Malformed(segment.position, kind, f"GE01 says {segment.get(1)} transaction sets, the "
                                                           f"group has {sets_in_group}")
        elif kind == "IEA":
            if segment.get(2).strip() != ack.interchange_control:
                raise X12Malformed(segment.position, kind, "IEA02 does not match ISA13")
            if _int(segment, 1, "IEA01") != groups:
                raise X12Malformed(segment.position, kind, f"IEA01 says {segment.get(1)} groups, the file has "
                                                           f"{groups}")
        else:
            raise X12Malformed(segment.position, kind, f"{kind!r} has no place in a 999")
    if not ack.groups:
        raise X12Malformed(0, "", "the file holds no 999 acknowledgement (AK1)")
    return ack


def set_error_text(codes: list[str]) -> list[str]:
    return [f"{code}: {explain(TRANSACTION_ERRORS, code)}" for code in codes]


def group_error_text(codes: list[str]) -> list[str]:
    return [f"{code}: {explain(GROUP_ERRORS, code)}" for code in codes]
